import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toProblem } from '../../src/http/problem.js';
import { MAATWERK_ERRORS, MaatwerkError, type MaatwerkErrorCode } from '../../src/maatwerk/errors.js';

const catalogue = readFileSync('docs/errors.md', 'utf8');

describe('the maatwerk error catalogue', () => {
  it('documents every maatwerk error code with the HTTP status the problem answer carries', () => {
    for (const [code, { status }] of Object.entries(MAATWERK_ERRORS)) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(status));
      expect(toProblem(new MaatwerkError(code as MaatwerkErrorCode, 'm'))).toMatchObject({ status, code, type: `https://ontzorg.example/errors#${code}` });
    }
  });
});
