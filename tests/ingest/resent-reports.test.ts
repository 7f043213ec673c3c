import { afterEach, describe, expect, it } from 'vitest';
import type { SimulatedEntry } from '../../src/demo/bank-statement.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { MANAGED, SOMEONE, TOESLAGEN, aRegion, available, bijstand, ingest, posted, statementFile } from './region.js';

/**
 * Exactly once across the ways banks report one entry again (shared/bank-files.md): a camt.054 and the
 * day's camt.053 (with and without details, with and without AcctSvcrRef), a re-sent (DUPL) notification.
 * And the other direction: a different entry of the same amount and day is still booked, to its own client.
 * Each test: opening balance 1000.00 on the managed account; the bank's real balance after the day is known.
 */
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function setup() {
  const handle = await freshPostgres();
  closers.push(() => handle.close());
  const region = await aRegion(handle.db);
  return { db: handle.db, region };
}

describe.skipIf(postgresSkipReason() !== '')('one real bank entry, reported twice, is booked once', () => {
  it('books a Toeslagen batch once when its camt.054 (with details) is followed by the day statement reporting it as a batch without details', async () => {
    const { db, region } = await setup();
    const batch = { paymentInformationId: 'TSL-20261221', count: 2, total: '509.00' };
    const base: Omit<SimulatedEntry, 'details'> = { amount: '509.00', creditDebit: 'CRDT', bookingDate: '2026-12-21', accountServicerReference: 'TSL-BATCH-1', batch };
    // The notification gives the batch's details (this is what camt.054 is for) ...
    const notification = statementFile('NTF-TSL-1', [{
      ...base,
      details: [
        { amount: '380.00', endToEndId: 'TSL-E2E-1', counterpartyName: 'Belastingdienst Toeslagen', counterpartyIban: TOESLAGEN, unstructured: 'HUURTOESLAG 2027-01 TS-8800-2' },
        { amount: '129.00', endToEndId: 'TSL-E2E-2', counterpartyName: 'Belastingdienst Toeslagen', counterpartyIban: TOESLAGEN, unstructured: 'ZORGTOESLAG 2027-01 TS-9900-1' },
      ],
    }], {}, 'camt.054');
    // ... the day statement shows the same booking as one batch entry "zonder details" (bank-files.md).
    const statement = statementFile('STMT-2026-12-21', [base], { electronicSequence: 1, opening: { amount: '1000.00', date: '2026-11-30' }, closing: { amount: '1509.00', date: '2026-12-21' } });

    const n = await ingest(db, notification);
    expect(n.status).toBe('ingested');
    const s = await ingest(db, statement);
    expect(s.status).toBe('ingested');

    expect(await available(db, region.dawit)).toBe('380.00');
    expect(await available(db, region.sara)).toBe('129.00');
    // The bank holds 1509.00; the ledger must too, with nothing extra waiting in suspense to be assigned again.
    expect(await posted(db, `bank/${MANAGED}`)).toBe('1509.00');
    expect(await posted(db, `suspense/${MANAGED}`)).toBe('0.00');
    expect(s.summary).toMatchObject({ newEntries: 0, alreadyKnown: 1 });
    expect(s.alerts).toEqual([]);
  });

  it('books a bijstand receipt once when the camt.054 had no AcctSvcrRef and the day statement has one', async () => {
    const { db, region } = await setup();
    const withRef = bijstand('1334.23', 'BIJ-77002', 'ABN-REF-1', '2026-12-01');
    const { accountServicerReference: _omit, ...withoutRef } = withRef;
    await ingest(db, statementFile('NTF-BIJ-1', [withoutRef], {}, 'camt.054'));
    const s = await ingest(db, statementFile('STMT-2026-12-01', [withRef], { electronicSequence: 1, opening: { amount: '1000.00', date: '2026-11-30' }, closing: { amount: '2334.23', date: '2026-12-01' } }));
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('2334.23');
    expect(s.summary).toMatchObject({ newEntries: 0, alreadyKnown: 1 });
  });

  it('still books another receipt of the same amount and day that the day statement adds, to its own client, when the camt.054 had no AcctSvcrRef', async () => {
    const { db, region } = await setup();
    const dawit = bijstand('1334.23', 'BIJ-77002', 'ABN-REF-D', '2026-12-01');
    const { accountServicerReference: _omit, bankCode: _code, ...dawitNotified } = dawit;
    const amira: SimulatedEntry = { amount: '1334.23', creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: 'ABN-REF-A', details: [{ counterpartyName: 'A. Friend', counterpartyIban: SOMEONE, creditorReference: { reference: region.amiraRf, issuer: 'ISO' } }] };
    await ingest(db, statementFile('NTF-BIJ-2', [dawitNotified], {}, 'camt.054'));
    // Amira's receipt comes first in the statement: it must be the new one, not Dawit's again.
    const s = await ingest(db, statementFile('STMT-2026-12-01', [amira, dawit], { electronicSequence: 1, opening: { amount: '1000.00', date: '2026-11-30' }, closing: { amount: '3668.46', date: '2026-12-01' } }));
    expect(s.summary).toMatchObject({ newEntries: 1, alreadyKnown: 1 });
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await available(db, region.amira)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('3668.46');
    expect(s.alerts).toEqual([]);
  });

  it('books two payments of the same amount and day reported by two statements under different AcctSvcrRefs as two', async () => {
    const { db, region } = await setup();
    await ingest(db, statementFile('STMT-A', [bijstand('1334.23', 'BIJ-77002', 'ABN-REF-A', '2026-12-01')], { electronicSequence: 1 }));
    const other: SimulatedEntry = { amount: '1334.23', creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: 'ABN-REF-B', details: [{ counterpartyName: 'A. Friend', counterpartyIban: SOMEONE, creditorReference: { reference: region.amiraRf, issuer: 'ISO' } }] };
    const s = await ingest(db, statementFile('STMT-B', [other], { electronicSequence: 2 }));
    expect(s.summary).toMatchObject({ newEntries: 1 });
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await available(db, region.amira)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('3668.46');
  });

  it('raises a changed AcctSvcrRef of the same entry as an alert instead of booking it a second time', async () => {
    const { db, region } = await setup();
    await ingest(db, statementFile('STMT-2026-12-01', [bijstand('1334.23', 'BIJ-77002', 'ABN-REF-1', '2026-12-01')], { electronicSequence: 1 }));
    const again = await ingest(db, statementFile('STMT-2026-12-01', [bijstand('1334.23', 'BIJ-77002', 'ABN-REF-9', '2026-12-01')], { electronicSequence: 1, copyDuplicate: 'COPY' }));
    expect(again.summary).toMatchObject({ newEntries: 0, alreadyKnown: 1 });
    expect(again.alerts.map((a) => a.code)).toContain('reported_differently');
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('2334.23');
  });

  it('books a notification once when the bank re-sends it marked as a duplicate (CpyDplctInd DUPL) under a new id', async () => {
    const { db, region } = await setup();
    const entry = bijstand('1334.23', 'BIJ-77002', 'ABN-REF-2', '2026-12-02');
    const first = await ingest(db, statementFile('NTF-20261202-0001', [entry], {}, 'camt.054'));
    expect(first.summary).toMatchObject({ newEntries: 1 });
    const resent = await ingest(db, { ...statementFile('NTF-20261202-0002', [entry], { copyDuplicate: 'DUPL' }, 'camt.054'), messageId: 'MSG-RESENT' });
    expect(resent.status).toBe('ingested');
    expect(resent.summary).toMatchObject({ newEntries: 0, alreadyKnown: 1 });
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('2334.23');
  });

  it('books an entry a duplicate notification shows that was never received, with an alert, and its original arriving later adds nothing', async () => {
    const { db, region } = await setup();
    const entry = bijstand('1334.23', 'BIJ-77002', 'ABN-REF-4', '2026-12-04');
    const copy = await ingest(db, { ...statementFile('NTF-20261204-0002', [entry], { copyDuplicate: 'DUPL' }, 'camt.054'), messageId: 'MSG-COPY' });
    expect(copy.summary).toMatchObject({ newEntries: 1 });
    expect(copy.alerts.map((a) => a.code)).toEqual(['new_in_copy']);
    const original = await ingest(db, statementFile('NTF-20261204-0001', [entry], {}, 'camt.054'));
    expect(original.summary).toMatchObject({ newEntries: 0, alreadyKnown: 1 });
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('2334.23');
  });
});
