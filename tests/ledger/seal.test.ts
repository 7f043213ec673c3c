import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { describeSealStatus, sealLedger, sealStatus, verifySeals } from '../../src/ledger/index.js';
import { describeOnEachDatabase, freshPostgres, postgresSkipReason } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';

/**
 * Seals cover database transactions below the oldest one still running in the whole server, so a
 * long transaction of another test file (another database, same PostgreSQL) holds sealing back for
 * a moment. Wait for it, as the daily job would on its next run.
 */
async function sealAfterOthersFinish(db: Parameters<typeof sealLedger>[0]): Promise<Awaited<ReturnType<typeof sealLedger>>> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const seal = await sealLedger(db);
    if (seal) return seal;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return undefined;
}

describeOnEachDatabase('seals make tampering with the journal visible', (handle) => {
  it('chains each new seal onto the last and verifies them all', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '100.00'));
    const first = await sealAfterOthersFinish(db);
    expect(first?.transactionCount).toBeGreaterThan(0n);
    expect(await sealLedger(db)).toBeUndefined();
    await bookOne(db, transfer(uniqueKey('out'), client.available, chart.inTransit, '40.00'));
    const second = await sealAfterOthersFinish(db);
    expect(second?.transactionCount).toBe(1n);
    expect(await verifySeals(db)).toMatchObject({ ok: true, problems: [] });
  });

  // Last in this suite: it damages the journal the way only a superuser could.
  it('names the seal whose transactions were changed behind the triggers\' back', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const booked = await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '250.00'));
    const seal = await sealAfterOthersFinish(db);
    await sql`ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_append_only`.execute(db);
    await sql`UPDATE ledger_posting SET amount_cents = 2500 WHERE transaction_id = ${booked.transactionId}`.execute(db);
    await sql`ALTER TABLE ledger_posting ENABLE TRIGGER ledger_posting_append_only`.execute(db);
    const report = await verifySeals(db);
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(`seal ${seal!.id}: the sealed transactions were changed after sealing`);
  });
});

describe.skipIf(postgresSkipReason() !== '')('why a seal lags behind [postgres]', () => {
  it('names the open database transaction that holds sealing back, and seals once it ends', async () => {
    const handle = await freshPostgres(4);
    const holder = new pg.Client({ connectionString: handle.url, application_name: 'long-report' });
    await holder.connect();
    try {
      const { db } = handle;
      const chart = await aChart(db);
      const client = await chart.client();
      await bookOne(db, transfer(uniqueKey('before'), chart.bank, client.available, '10.00'));
      // The first seal of a database may cover only what lies below another test file's open transaction: seal until nothing is left.
      for (let attempt = 0; attempt < 300 && (await sealStatus(db)).unsealed > 0n; attempt++) {
        if (!(await sealLedger(db))) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await sealStatus(db)).unsealed).toBe(0n);
      // Someone opens a transaction and keeps it open (a report, a psql session left in BEGIN).
      await holder.query('BEGIN');
      await holder.query('SELECT txid_current()');
      await bookOne(db, transfer(uniqueKey('after'), chart.bank, client.available, '20.00'));
      expect(await sealLedger(db)).toBeUndefined();
      const held = await sealStatus(db);
      expect(held.unsealed).toBe(1n);
      expect(held.heldBack).toBe(1n);
      // The oldest open transaction on the server: ours, unless another test file's is older.
      expect(held.oldestOpen).not.toBeNull();
      const text = describeSealStatus(held);
      expect(text).toMatch(/^1 transaction\(s\) not sealed yet; 1 of them wait for an older database transaction that is still open \(pid \d+, application "/);
      const ours = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      if (held.oldestOpen!.pid === ours.rows[0]!.pid) expect(text).toContain('application "long-report"');

      await holder.query('ROLLBACK');
      const seal = await sealAfterOthersFinish(db);
      expect(seal?.transactionCount).toBe(1n);
      const after = await sealStatus(db);
      expect(after).toMatchObject({ unsealed: 0n, heldBack: 0n, oldestOpen: null });
      expect(describeSealStatus(after)).toMatch(/^every transaction is sealed \(\d+ seals\)$/);
    } finally {
      await holder.end();
      await handle.close();
    }
  });
});
