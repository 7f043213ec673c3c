import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocateChunk } from '../../src/allocation/run.js';
import { endOntzorgen } from '../../src/clients/ontzorg-periods.js';
import type { RunContext } from '../../src/allocation/plan.js';
import { getGemeentePolicy } from '../../src/clients/policy.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { addBusinessDays } from '../../src/schedule/index.js';
import { freshPGlite } from '../support/db.js';
import { GEMEENTE, aClient, aServiceRegion, bankCredits, batch, bijstandFor, freeOf, paymentsOf, toeslagFor, type TestClient } from './support.js';

/**
 * The plan itself knows what is already scheduled: a pass-on of a toeslag that a run scheduled is not planned again by
 * a later run of the same day (after a crash, a second worker). The payment's own idempotency key would also stop a
 * second payment further down; this holds the planner to it, so a run that finds the pass-on scheduled books nothing.
 * Two guards keep it: the client's state leaves out owed pass-ons already scheduled, and the plan skips a pass-on key it
 * finds scheduled. Either alone passes this test; with both removed it fails (checked by removing them). The day's
 * closing payment (rule 12) has only the plan's guard: money that arrives after it was scheduled waits for the next
 * day's closing (its key is per day), and the test fails without that guard (checked).
 */
describe('the planner and payments already scheduled [pglite]', () => {
  let handle: DatabaseHandle;
  let noor: TestClient;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    // No consent for the toeslagen: the zorgtoeslag is hers, passed on by the batch.
    noor = await aClient(handle.db);
    await bankCredits(handle.db, '2026-03-20', [toeslagFor(noor, 'ZORGTOESLAG', '129.00', '2026-04')]);
    // Ontzorgen ended: what arrives later is paid to her as the closing payment (rule 12).
    amira = await aClient(handle.db);
    await inTransaction(handle.db, (trx) => endOntzorgen(trx, amira.id, '2026-03-31', 'moved to another gemeente'));
  });
  afterAll(async () => handle.close());

  /** What a run of `runDate` plans for the client, decided and then rolled back: nothing of it is kept. */
  async function planOf(client: TestClient, runDate: string) {
    const policy = await getGemeentePolicy(handle.db, GEMEENTE);
    const account = await handle.db.selectFrom('payment_account').select('in_transit_account_id').where('iban', '=', policy.debtorIban).executeTakeFirstOrThrow();
    const ctx: RunContext = { asOf: runDate, windowEnd: addBusinessDays(runDate, policy.lookAheadBusinessDays), policy, inTransitAccountId: account.in_transit_account_id, withPayments: true, lastWindowEnd: null };
    const rollback = new Error('rollback');
    let plan: Awaited<ReturnType<typeof allocateChunk>>['plans'][number] | undefined;
    await inTransaction(handle.db, async (trx) => {
      plan = (await allocateChunk(trx, ctx, [client.id])).plans[0];
      throw rollback;
    }).catch((error: unknown) => {
      if (error !== rollback) throw error;
    });
    return plan!;
  }

  it('plans the pass-on before the batch has run, and not again once the batch scheduled it', async () => {
    const before = await planOf(noor, '2026-03-23');
    expect(before.payments.filter((p) => p.kind === 'pass_on').map((p) => p.amount.toString())).toEqual(['129.00']);

    await batch(handle.db, '2026-03-23');
    expect((await paymentsOf(handle.db, noor.id)).filter((p) => p.includes('pass_on'))).toEqual(['2026-03-23 pass_on 2026-03-23 129.00']);

    const after = await planOf(noor, '2026-03-23');
    expect(after.payments.filter((p) => p.kind === 'pass_on')).toEqual([]);
    expect(after.bookings).toEqual([]);
  });

  it('pays money that arrives after the day\'s closing payment was scheduled the next day, not in a second closing of the same day', async () => {
    const { db } = handle;
    await bankCredits(db, '2026-04-14', [bijstandFor(amira, '250.00', '2026-03')]);
    expect((await planOf(amira, '2026-04-14')).payments.map((p) => `${p.kind} ${p.amount.toString()}`)).toEqual(['closing 250.00']);
    await batch(db, '2026-04-14');
    expect(await paymentsOf(db, amira.id)).toEqual(['2026-04-14 closing 2026-04-14 250.00']);

    // More arrives the same day, and the batch runs again (a second worker, a retry): today's closing is scheduled.
    await bankCredits(db, '2026-04-14', [bijstandFor(amira, '100.00', '2026-03')]);
    expect(await freeOf(db, amira.id)).toBe('100.00');
    expect((await planOf(amira, '2026-04-14')).payments).toEqual([]);
    await batch(db, '2026-04-14');
    expect(await paymentsOf(db, amira.id)).toEqual(['2026-04-14 closing 2026-04-14 250.00']);
    // The next day's run pays it.
    await batch(db, '2026-04-15');
    expect(await paymentsOf(db, amira.id)).toEqual(['2026-04-14 closing 2026-04-14 250.00', '2026-04-15 closing 2026-04-15 100.00']);
    expect(await freeOf(db, amira.id)).toBe('0.00');
  });
});
