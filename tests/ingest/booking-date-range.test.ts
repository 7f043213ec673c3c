import { afterEach, describe, expect, it } from 'vitest';
import { bankFileResult } from '../../src/ingest/files.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { MANAGED, aRegion, available, bijstand, ingest, journalSize, posted, statementFile } from './region.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

describe.skipIf(postgresSkipReason() !== '')('a bank file with a booking date outside what the ledger takes', () => {
  it('answers with a clear outcome (refused, or the entry parked as an exception) instead of failing the job for ever and blocking the rest of the file', async () => {
    const handle = await freshPostgres();
    closers.push(() => handle.close());
    const { db } = handle;
    const region = await aRegion(db);
    const before = await journalSize(db);
    // A real calendar date the camt reader accepts, but outside the ledger's 2000-01-01 … 2099-12-31.
    const file = statementFile('S-DATE', [bijstand('1334.23', 'BIJ-77002', 'D-1', '2026-12-01'), { ...bijstand('10.00', 'BIJ-77002', 'D-2', '2026-12-01'), bookingDate: '2100-01-04' }]);
    const outcome = await ingest(db, file, 'bad-date.xml').catch((e: unknown) => e);
    const row = await db.selectFrom('bank_file').select(['id']).where('file_name', '=', 'bad-date.xml').executeTakeFirstOrThrow();
    const result = await bankFileResult(db, row.id);

    // What the back office sees on GET /api/bank-files/:id: never "received" with no error for ever.
    expect(outcome instanceof Error ? outcome.message : null).toBeNull();
    expect(result.status).not.toBe('received');
    if (result.status === 'refused') {
      expect(result.error?.message).toMatch(/2100-01-04/);
      expect(await journalSize(db)).toBe(before);
    } else {
      // Ingested: the good receipt is booked once, the bad entry is an exception (never booked).
      expect(await available(db, region.dawit)).toBe('1334.23');
      expect(await posted(db, `bank/${MANAGED}`)).toBe('2334.23');
    }
    // The choice made: the entry is an exception with an alert that names the date; the rest is booked.
    expect(result.status).toBe('ingested');
    expect(result.summary).toMatchObject({ newEntries: 2, exceptions: 1 });
    expect(result.alerts.find((a) => a.code === 'booking_date_out_of_range')?.message).toMatch(/2100-01-04/);
  });
});
