import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALLOCATION_ERRORS, AllocationFailed } from '../../src/allocation/errors.js';
import { AllocationError } from '../../src/allocation/types.js';
import { BATCH_ERRORS, BatchError } from '../../src/batch/errors.js';
import { BsnError, type BsnErrorCode } from '../../src/clients/bsn.js';
import { CLIENT_ERRORS, CLIENT_RULE_ERRORS, ClientError, type ClientErrorCode } from '../../src/clients/errors.js';
import { ObligationRefused, type ObligationErrorCode } from '../../src/clients/obligation-rules.js';
import { PeriodRefused, type PeriodErrorCode } from '../../src/clients/periods.js';
import { toProblem } from '../../src/http/problem.js';

const catalogue = readFileSync('docs/errors.md', 'utf8');
const statusIn = (code: string) => catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))?.split('|')[2]?.trim();

function errorFor(code: string): Error {
  if (code in CLIENT_ERRORS) return new ClientError(code as ClientErrorCode, 'm');
  if (code === 'not_eligible_for_art56a' || code === 'invalid_period') return new PeriodRefused(code as PeriodErrorCode, 'm');
  if (code === 'invalid_bsn' || code === 'invalid_bsn_key' || code === 'bsn_not_decryptable') return new BsnError(code as BsnErrorCode, 'm');
  if (code in CLIENT_RULE_ERRORS) return new ObligationRefused(code as ObligationErrorCode, 'm');
  if (code === 'invalid_allocation_input') return new AllocationError('m');
  if (code === 'allocation_failed') return new AllocationFailed('m');
  return new BatchError(code as keyof typeof BATCH_ERRORS, 'm');
}

describe('the error catalogue of clients, allocation and the daily batch', () => {
  const all = { ...CLIENT_ERRORS, ...CLIENT_RULE_ERRORS, ...ALLOCATION_ERRORS, ...BATCH_ERRORS };
  it.each(Object.entries(all))('documents %s with the HTTP status its problem answer carries', (code, { status }) => {
    expect(statusIn(code), code).toBe(String(status));
    expect(toProblem(errorFor(code))).toMatchObject({ status, code, type: `https://ontzorg.example/errors#${code}` });
  });

  it('never repeats a BSN in a problem answer', () => {
    const problem = toProblem(new BsnError('invalid_bsn', 'not a valid BSN: it fails the 11-check'));
    expect(problem.detail).not.toMatch(/\d{9}/);
  });
});
