import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toProblem } from '../../src/http/problem.js';
import { STATEMENT_ERRORS, StatementError, type StatementErrorCode } from '../../src/statements/index.js';

const catalogue = readFileSync('docs/errors.md', 'utf8');

describe('the statement error catalogue', () => {
  it('documents every statement error code with the HTTP status the problem answer carries', () => {
    for (const [code, { status }] of Object.entries(STATEMENT_ERRORS)) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(status));
      expect(toProblem(new StatementError(code as StatementErrorCode, 'm'))).toMatchObject({ status, code, type: `https://ontzorg.example/errors#${code}` });
    }
  });
});
