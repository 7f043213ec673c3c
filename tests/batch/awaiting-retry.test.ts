import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { reportSummaryLines } from '../../src/batch/report.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { rejectBatch } from '../../src/payments/batches.js';
import { retryPayment } from '../../src/payments/retry.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, singleAdultObligations } from './support.js';

/**
 * A payment that did not go out (its batch rejected by the approver, returned, refused by the bank) waits for a
 * person to issue it again. The daily report lists it every day until someone does, so a rent cannot be
 * forgotten on a list nobody opens.
 */
describe('the daily report lists the payments that did not go out until they are issued again [pglite]', () => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
  });
  afterEach(async () => handle.close());

  it('a rejected April rent is on every day\'s report, with its money kept reserved, until it is issued again', async () => {
    const { db } = handle;
    const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
    const days = businessDays('2026-03-25', '2026-04-10');
    let rent: { id: bigint; batch_id: bigint | null } | undefined;
    let rejectedOn = '';
    for (const day of days) {
      const result = await batch(db, day);
      expect(result.report.awaitingRetry).toEqual({ count: 0, total: '0.00', items: [] });
      rent = await db
        .selectFrom('payment_instruction as i')
        .innerJoin('obligation as o', 'o.id', 'i.obligation_id')
        .select(['i.id', 'i.batch_id'])
        .where('o.type', '=', 'rent')
        .where('i.client_id', '=', client.id)
        .where('i.status', '=', 'batched')
        .executeTakeFirst();
      if (rent?.batch_id) {
        await inTransaction(db, (trx) => rejectBatch(trx, rent!.batch_id!, 'approver-1', 'amounts look wrong'));
        rejectedOn = day;
        break;
      }
    }
    expect(rejectedOn).not.toBe('');
    const [next, later] = days.slice(days.indexOf(rejectedOn) + 1);

    const report = (await batch(db, next!)).report;
    expect(report.awaitingRetry.count).toBeGreaterThanOrEqual(1);
    const line = report.awaitingRetry.items.find((i) => i.instructionId === rent!.id.toString());
    expect(line).toMatchObject({ clientId: client.id.toString(), kind: 'obligation', period: '2026-04', amount: '720.00', status: 'cancelled', reason: null, moneyReserved: true });
    expect(reportSummaryLines(report).join('\n')).toMatch(/payments that did not go out, waiting to be issued again: \d+ \(€ [\d.]+\)/);
    // No names or IBANs on the report (rule 13).
    expect(JSON.stringify(report.awaitingRetry)).not.toMatch(/NL\d\d[A-Z]{4}|Woonbron/);
    // Still there the day after: the list is of what waits, not of what happened that day.
    expect((await batch(db, later!)).report.awaitingRetry.items.map((i) => i.instructionId)).toContain(rent!.id.toString());

    // Issued again in the afternoon, for today, after today's batch ran.
    const outcome = await inTransaction(db, (trx) => retryPayment(trx, rent!.id, { actor: 'operator-1', executionDate: later! }));
    if (outcome.outcome !== 'created') throw new Error(`the retry was ${outcome.outcome}`);
    const retried = outcome;
    const dayAfter = days[days.indexOf(later!) + 1]!;
    const after = await batch(db, dayAfter);
    expect(after.report.awaitingRetry.items.map((i) => i.instructionId)).not.toContain(rent!.id.toString());
    // Its date passed before a batch could take it: it goes on the next business day, late but paid, and the
    // gemeente's batch is not stopped by a file dated in the past.
    const again = await db.selectFrom('payment_instruction').select(['status', 'execution_date', 'batch_id', 'amount_cents']).where('id', '=', retried.instructionId).executeTakeFirstOrThrow();
    expect(again).toMatchObject({ status: 'batched', execution_date: dayAfter, amount_cents: 72000n });
    expect(after.report.batches.map((b) => b.id)).toContain(again.batch_id!.toString());
    const events = await db.selectFrom('payment_event').select(['kind', 'actor', 'details']).where('instruction_id', '=', retried.instructionId).where('kind', '=', 'execution_moved').execute();
    expect(events).toEqual([{ kind: 'execution_moved', actor: `batch:${dayAfter}`, details: expect.objectContaining({ executionDate: { from: later, to: dayAfter } }) }]);
    // A rerun moves nothing again.
    await batch(db, dayAfter);
    expect(await db.selectFrom('payment_event').select('id').where('instruction_id', '=', retried.instructionId).where('kind', '=', 'execution_moved').execute()).toHaveLength(1);
  });
});
