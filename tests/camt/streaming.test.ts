import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CamtError, readCamt, streamCamt, type CamtDocument, type CamtEntry, type CamtStreamedDocument } from '../../src/camt/index.js';
import { Money } from '../../src/money/money.js';
import { bytes, camt053, fixture, type EntrySpec } from './builder.js';

/** What `streamCamt` hands over and returns, put back together in the shape of `readCamt`'s document. */
function streamed(file: Uint8Array): { document: CamtStreamedDocument; entries: CamtEntry[]; whole: CamtDocument } {
  const entries: CamtEntry[] = [];
  const document = streamCamt(file, (entry) => entries.push(entry));
  const whole: CamtDocument = {
    ...document,
    statements: document.statements.map(({ entryCount, ...statement }) => {
      const own = entries.filter((e) => e.statementIndex === statement.index);
      expect(own).toHaveLength(entryCount);
      const { additionalInfo, problems, ...head } = statement;
      return { ...head, entries: own, additionalInfo, problems };
    }),
  };
  return { document, entries, whole };
}

/** The outcome of a read as JSON, or the refusal's code, message and location. */
function outcome(read: () => unknown): string {
  try {
    return JSON.stringify(read());
  } catch (error) {
    if (error instanceof CamtError) return `refused ${error.code}: ${error.message} ${JSON.stringify(error.location)}`;
    throw error;
  }
}

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'camt');

describe('streamCamt hands over the entries readCamt returns', () => {
  it.each(readdirSync(FIXTURES).filter((name) => name.endsWith('.xml')))('%s: the same entries, statements, summary and refusals', (name) => {
    const file = fixture(name);
    expect(outcome(() => streamed(file).whole)).toBe(outcome(() => readCamt(file)));
  });

  it('in file order, each as soon as it is read, with every statement counted', () => {
    const file = bytes(
      camt053([
        { id: 'S1', opening: '0.00', closing: '15.00', entries: [{ amount: '10.00' }, { amount: '5.00' }] },
        { id: 'S2', opening: '1.00', closing: '0.50', entries: [{ amount: '0.50', creditDebit: 'DBIT' }] },
      ]),
    );
    const seen: string[] = [];
    const document = streamCamt(file, (entry) => seen.push(`${entry.statementIndex}.${entry.entryIndex} ${entry.amountText}`));
    expect(seen).toEqual(['0.0 10.00', '0.1 5.00', '1.0 0.50']);
    expect(document.statements.map((s) => [s.id, s.entryCount, s.balanceCheck.status])).toEqual([
      ['S1', 2, 'ok'],
      ['S2', 1, 'ok'],
    ]);
    expect(document.summary).toMatchObject({ statements: 2, entries: 3, booked: 3 });
    expect(document.statements[0]).not.toHaveProperty('entries');
  });

  it('checks the balance from the entries it no longer holds', () => {
    const file = bytes(camt053([{ opening: '100.00', closing: '90.00', entries: [{ amount: '5.00' }, { amount: '20.00', creditDebit: 'DBIT' }] }]));
    const [statement] = streamCamt(file, () => undefined).statements;
    expect(statement?.balanceCheck).toMatchObject({ status: 'mismatch' });
    expect(statement?.balanceCheck.difference?.toString()).toBe('5.00');
    expect(statement?.problems.map((p) => p.code)).toEqual(['balance_mismatch']);
  });

  it('can refuse a file after handing over entries: a fault further on still refuses it', () => {
    const text = camt053([{ entries: [{ amount: '1.00' }, { amount: '2.00' }] }]);
    const truncated = bytes(text.slice(0, text.lastIndexOf('</Stmt>')));
    let handed = 0;
    expect(() => streamCamt(truncated, () => (handed += 1))).toThrow(CamtError);
    expect(handed).toBe(2);
    expect(() => readCamt(truncated)).toThrow(CamtError);
  });

  it('for generated statements, compact or pretty-printed with CRLF', () => {
    const entry = fc.record({
      cents: fc.bigInt({ min: 1n, max: 10_000_000n }),
      creditDebit: fc.constantFrom<'CRDT' | 'DBIT'>('CRDT', 'DBIT'),
      status: fc.constantFrom('BOOK', 'PDNG', 'INFO', 'XXXX'),
      currency: fc.constantFrom('EUR', 'EUR', 'USD'),
      unstructured: fc.option(fc.string({ maxLength: 20 }).map((s) => s.replace(/[<&\]\p{Cc}\p{Cs}]/gu, '') || 'x'), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(fc.array(entry, { maxLength: 6 }), { minLength: 1, maxLength: 3 }), fc.boolean(), (statements, pretty) => {
        const specs = statements.map((entries) => ({
          opening: '0.00',
          closing: '0.00',
          entries: entries.map(
            (e): EntrySpec => ({
              amount: Money.fromCents(e.cents).toString(),
              creditDebit: e.creditDebit,
              status: e.status,
              currency: e.currency,
              bookingDate: e.status === 'BOOK' ? '2025-01-31' : null,
              ...(e.unstructured === undefined ? {} : { unstructured: e.unstructured }),
            }),
          ),
        }));
        const text = camt053(specs);
        const file = bytes(pretty ? text.replace(/></g, '>\r\n  <') : text);
        expect(outcome(() => streamed(file).whole)).toBe(outcome(() => readCamt(file)));
      }),
      { numRuns: 100 },
    );
  });
});
