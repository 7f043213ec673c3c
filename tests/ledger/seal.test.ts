import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { sealLedger, verifySeals } from '../../src/ledger/index.js';
import { describeOnEachDatabase } from '../support/db.js';
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
