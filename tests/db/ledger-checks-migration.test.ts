import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPGlite, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { inTransaction } from '../../src/db/transaction.js';
import { bookBatch, verifyLedger, type LedgerRequest } from '../../src/ledger/index.js';
import { migrateTo } from '../support/db.js';
import { aChart, eur, transfer, uniqueKey } from '../support/ledger-fixture.js';

/**
 * 0020 replaces the journal's statement checks and drops two foreign keys: on a database that already holds
 * bookings it must apply, keep what was booked verifiable, and go on booking (reservations and reversals refer to
 * transactions written before it).
 */
describe('migration 0020 on a database with bookings made before it [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await connectPGlite();
  });
  afterAll(async () => handle?.close());

  it('applies over existing bookings, which can then be paid, released and reversed', async () => {
    const { db } = handle;
    const before = await migrateTo(db, '0019_payment_instruction_not_paid_idx');
    expect(before.error).toBeUndefined();

    const chart = await aChart(db);
    const client = await chart.client();
    const [incoming, reservation, toVoid] = [uniqueKey('in'), uniqueKey('pending'), uniqueKey('pending')];
    const pending = (key: string, amount: string): LedgerRequest => ({
      type: 'pending',
      idempotencyKey: key,
      bookingDate: '2026-11-02',
      description: 'reservation',
      debit: client.available,
      credit: chart.inTransit,
      amount: eur(amount),
    });
    const old = await inTransaction(db, (trx) => bookBatch(trx, [transfer(incoming, chart.bank, client.available, '100.00'), pending(reservation, '30.00'), pending(toVoid, '5.00')]));
    expect(old.map((r) => r.outcome)).toEqual(['booked', 'booked', 'booked']);

    expect(await migrateToLatest(db)).toContain('0020_ledger_checks_per_batch');
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_constraint WHERE conname IN ('ledger_transaction_pending_id_fkey', 'ledger_transaction_reverses_id_fkey')`.execute(db);
    expect(rows[0]!.n).toBe(0);

    const later = await inTransaction(db, (trx) =>
      bookBatch(trx, [
        { type: 'post_pending', idempotencyKey: uniqueKey('post'), bookingDate: '2026-11-03', description: 'pay', pendingKey: reservation, amount: eur('20.00') },
        { type: 'void_pending', idempotencyKey: uniqueKey('void'), bookingDate: '2026-11-03', description: 'release', pendingKey: toVoid },
        { type: 'reversal', idempotencyKey: uniqueKey('rev'), bookingDate: '2026-11-03', description: 'undo', reversesKey: incoming },
      ]),
    );
    expect(later.map((r) => r.outcome)).toEqual(['booked', 'booked', 'refused']);
    const report = await verifyLedger(db);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
