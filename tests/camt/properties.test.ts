import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCamt } from '../../src/camt/index.js';
import { Money } from '../../src/money/money.js';
import { bytes, camt053, type EntrySpec } from './builder.js';

const cents = fc.bigInt({ min: 1n, max: 10_000_000n });
const text = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim() === s && /^[\p{L}\p{N} &<>'"./-]+$/u.test(s));
const entry = fc.record({
  cents,
  creditDebit: fc.constantFrom<'CRDT' | 'DBIT'>('CRDT', 'DBIT'),
  status: fc.constantFrom('BOOK', 'BOOK', 'PDNG'),
  endToEndId: fc.option(text, { nil: undefined }),
  debtorName: fc.option(text, { nil: undefined }),
  unstructured: fc.option(text, { nil: undefined }),
});
type GeneratedEntry = typeof entry extends fc.Arbitrary<infer T> ? T : never;
const statement = fc.record({ opening: fc.bigInt({ min: -1_000_000n, max: 1_000_000n }), entries: fc.array(entry, { maxLength: 8 }) });

function specOf(e: GeneratedEntry): EntrySpec {
  return {
    amount: Money.fromCents(e.cents).toString(),
    creditDebit: e.creditDebit,
    status: e.status,
    bookingDate: e.status === 'BOOK' ? '2025-01-31' : null,
    ...(e.endToEndId === undefined ? {} : { endToEndId: e.endToEndId }),
    ...(e.debtorName === undefined ? {} : { debtorName: e.debtorName }),
    ...(e.unstructured === undefined ? {} : { unstructured: e.unstructured }),
  };
}

describe('generated statements read back as written', () => {
  it('gives back every entry, amount, party and balance, in .02 and .08 shapes', () => {
    fc.assert(
      fc.property(fc.array(statement, { minLength: 1, maxLength: 3 }), fc.constantFrom<'02' | '08'>('02', '08'), (statements, version) => {
        const specs = statements.map((s) => {
          const booked = s.entries.filter((e) => e.status === 'BOOK').reduce((sum, e) => sum + (e.creditDebit === 'CRDT' ? e.cents : -e.cents), 0n);
          return { opening: Money.fromCents(s.opening).toString(), closing: Money.fromCents(s.opening + booked).toString(), entries: s.entries.map(specOf) };
        });
        const document = readCamt(bytes(camt053(specs, version)));
        expect(document.statements).toHaveLength(statements.length);
        document.statements.forEach((read, i) => {
          const written = statements[i]!;
          expect(read.balanceCheck.status).toBe('ok');
          expect(read.problems).toEqual([]);
          expect(read.entries).toHaveLength(written.entries.length);
          read.entries.forEach((e, j) => {
            const w = written.entries[j]!;
            expect(e.amount?.cents).toBe(w.cents);
            expect(e.creditDebit).toBe(w.creditDebit);
            expect(e.status).toBe(w.status);
            expect([e.statementIndex, e.entryIndex]).toEqual([i, j]);
            const detail = e.details[0]!;
            expect(detail.endToEndId).toBe(w.endToEndId ?? null);
            expect(detail.debtor.name).toBe(w.debtorName ?? null);
            expect(detail.unstructured).toBe(w.unstructured ?? null);
            expect(e.problems).toEqual([]);
          });
        });
      }),
      { numRuns: 150 },
    );
  });
});
