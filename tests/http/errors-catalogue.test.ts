import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toProblem } from '../../src/http/problem.js';
import { LEDGER_ERROR_DESCRIPTIONS, LedgerError, LedgerRefusal, type LedgerErrorCode } from '../../src/ledger/index.js';
import { InvalidAmount } from '../../src/money/money.js';

const catalogue = readFileSync('docs/errors.md', 'utf8');

describe('the error catalogue', () => {
  it('documents every ledger error code', () => {
    for (const code of Object.keys(LEDGER_ERROR_DESCRIPTIONS)) expect(catalogue).toContain(`| \`${code}\` |`);
  });

  it('gives each ledger rejection the HTTP status the catalogue names, as problem+json fields', () => {
    const refusals = new Set(['insufficient_funds', 'exceeds_debits']);
    for (const code of Object.keys(LEDGER_ERROR_DESCRIPTIONS)) {
      const error = refusals.has(code) ? new LedgerRefusal(code as 'insufficient_funds', 'm', 'k') : new LedgerError(code as LedgerErrorCode, 'm');
      const problem = toProblem(error);
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))!;
      expect(row.split('|')[2]!.trim(), code).toBe(String(problem.status));
      expect(problem.type).toBe(`https://ontzorg.example/errors#${code}`);
    }
  });

  it('maps input and unknown errors, never leaking internals', () => {
    expect(toProblem(new InvalidAmount('amount "1.234" has more than two decimals'))).toMatchObject({ status: 400, code: 'invalid_amount' });
    const internal = toProblem(new Error('connection refused at 10.0.0.3'));
    expect(internal).toMatchObject({ status: 500, code: 'internal_error' });
    expect(internal.detail).not.toContain('10.0.0.3');
  });
});

describe('the ingestion error catalogue', () => {
  it('documents every ingestion error code with the HTTP status the problem answer carries', async () => {
    const { INGEST_ERRORS, IngestError } = await import('../../src/ingest/errors.js');
    for (const [code, { status }] of Object.entries(INGEST_ERRORS)) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(status));
      expect(toProblem(new IngestError(code as keyof typeof INGEST_ERRORS, 'm'))).toMatchObject({ status, code });
    }
  });
});

describe('the payment error catalogue', () => {
  it('documents every payment error code with the HTTP status the problem answer carries', async () => {
    const { PAYMENT_ERRORS, PaymentError } = await import('../../src/payments/errors.js');
    for (const [code, { status }] of Object.entries(PAYMENT_ERRORS)) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(status));
      expect(toProblem(new PaymentError(code as keyof typeof PAYMENT_ERRORS, 'm'))).toMatchObject({ status, code });
    }
  });
});

describe('the webhook error catalogue', () => {
  it('documents every webhook error code with the HTTP status the problem answer carries', async () => {
    const { WEBHOOK_ERRORS, WebhookError } = await import('../../src/webhooks/errors.js');
    for (const [code, { status }] of Object.entries(WEBHOOK_ERRORS)) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(status));
      expect(toProblem(new WebhookError(code as keyof typeof WEBHOOK_ERRORS, 'm'))).toMatchObject({ status, code, type: `https://ontzorg.example/errors#${code}`, detail: 'm' });
    }
  });
});
