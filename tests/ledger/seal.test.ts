import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { sealLedger, verifySeals } from '../../src/ledger/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';

describeOnEachDatabase('seals make tampering with the journal visible', (handle) => {
  it('chains each new seal onto the last and verifies them all', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '100.00'));
    const first = await sealLedger(db);
    expect(first?.transactionCount).toBeGreaterThan(0n);
    expect(await sealLedger(db)).toBeUndefined();
    await bookOne(db, transfer(uniqueKey('out'), client.available, chart.inTransit, '40.00'));
    const second = await sealLedger(db);
    expect(second?.transactionCount).toBe(1n);
    expect(await verifySeals(db)).toMatchObject({ ok: true, problems: [] });
  });

  // Last in this suite: it damages the journal the way only a superuser could.
  it('names the seal whose transactions were changed behind the triggers\' back', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const booked = await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '250.00'));
    const seal = await sealLedger(db);
    await sql`ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_append_only`.execute(db);
    await sql`UPDATE ledger_posting SET amount_cents = 2500 WHERE transaction_id = ${booked.transactionId}`.execute(db);
    await sql`ALTER TABLE ledger_posting ENABLE TRIGGER ledger_posting_append_only`.execute(db);
    const report = await verifySeals(db);
    expect(report.ok).toBe(false);
    expect(report.problems).toContain(`seal ${seal!.id}: the sealed transactions were changed after sealing`);
  });
});
