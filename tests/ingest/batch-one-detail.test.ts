import { afterEach, describe, expect, it } from 'vitest';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { MANAGED, TOESLAGEN, aRegion, available, ingest, posted, statementFile } from './region.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

describe.skipIf(postgresSkipReason() !== '')('a batch credit whose one detail does not cover the entry', () => {
  it('gives the client only the amount of their own detail; the rest of the batch waits in suspense (domain rule 9)', async () => {
    const handle = await freshPostgres();
    closers.push(() => handle.close());
    const { db } = handle;
    const region = await aRegion(db);
    // A Toeslagen batch of two payments (509.00), of which the bank reports one detail: Dawit's huurtoeslag of 380.00.
    // Whose the other 129.00 is, the file does not say.
    const result = await ingest(db, statementFile('B-ONE-DETAIL', [{
      amount: '509.00', creditDebit: 'CRDT', bookingDate: '2026-12-21', accountServicerReference: 'TSL-BATCH-2',
      batch: { paymentInformationId: 'TSL-20261221-2', count: 2, total: '509.00' },
      details: [{ amount: '380.00', endToEndId: 'TSL-E2E-9', counterpartyName: 'Belastingdienst Toeslagen', counterpartyIban: TOESLAGEN, unstructured: 'HUURTOESLAG 2027-01 TS-8800-2' }],
    }]));
    expect(result.status).toBe('ingested');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('1509.00');
    expect(await available(db, region.dawit)).toBe('380.00');
    expect(await posted(db, `suspense/${MANAGED}`)).toBe('129.00');
  });
});
