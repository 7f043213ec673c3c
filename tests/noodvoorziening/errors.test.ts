import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toProblem } from '../../src/http/problem.js';
import { NOODVOORZIENING_ERRORS, NoodvoorzieningError, type NoodvoorzieningErrorCode } from '../../src/noodvoorziening/index.js';

const catalogue = readFileSync('docs/errors.md', 'utf8');

describe('the noodvoorziening error catalogue', () => {
  it('documents every code in docs/errors.md with the HTTP status the problem answer carries', () => {
    for (const [code, { status }] of Object.entries(NOODVOORZIENING_ERRORS)) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(status));
      expect(toProblem(new NoodvoorzieningError(code as NoodvoorzieningErrorCode, 'm'))).toMatchObject({ status, code, type: `https://ontzorg.example/errors#${code}` });
    }
  });
});
