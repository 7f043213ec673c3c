import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { undoBankFile } from '../../src/ingest/files.js';
import { freshPostgres } from '../support/db.js';
import { aRegion, bijstand, ingest, statementFile } from './region.js';

const unavailable = inject('pgUnavailable');

/**
 * "Today" is the Amsterdam day everywhere else (amsterdamToday and amsterdamWallClock in src/schedule,
 * used by jobs, payments and statements). An operator who undoes a wrongly loaded bank file at 00:30 on 1 April (Amsterdam,
 * summer time; 22:30 UTC on 31 March) does so on 1 April: the reversals belong on 1 April, in April's
 * statements, not in March's (already being written on the 1st at 07:00 with the undo in it).
 */
describe.skipIf(unavailable !== '')('the booking date of an undo done just after midnight in Amsterdam', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPostgres();
    await aRegion(handle.db, '0.00');
  }, 120_000);
  afterEach(() => vi.useRealTimers());
  afterAll(async () => handle?.close());

  it('books the reversals on the Amsterdam day of the undo (1 April), not on the UTC day (31 March)', async () => {
    const loaded = await ingest(handle.db, statementFile('REVIEW-CLOCK-1', [bijstand('1334.23', 'BIJ-77002', 'REVIEW-CLOCK-REF', '2026-03-31')]), 'review-clock-1.xml');
    expect(loaded.status).toBe('ingested');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-31T22:30:00Z'));
    const undone = await undoBankFile(handle.db, BigInt(loaded.fileId), { user: 'operator-2', reason: 'wrong day loaded' });
    vi.useRealTimers();
    expect(undone.status).toBe('undone');
    const reversals = await handle.db.selectFrom('ledger_transaction').select('booking_date').where('type', '=', 'reversal').execute();
    expect(reversals.length).toBeGreaterThan(0);
    expect([...new Set(reversals.map((r) => r.booking_date))]).toEqual(['2026-04-01']);
  });
});
