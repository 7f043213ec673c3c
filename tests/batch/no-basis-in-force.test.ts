import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { addVersion } from '../../src/clients/obligations.js';
import { recordFollowUpPeriod } from '../../src/clients/ontzorg-periods.js';
import { freshPostgres } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, eur, freeOf, paymentsOf, singleAdultObligations, type TestClient } from './support.js';

async function runDays(db: DatabaseHandle['db'], from: string, to: string): Promise<void> {
  for (const day of businessDays(from, to)) await batch(db, day);
}

const cents = (line: string) => Math.round(Number(line.split(' ').at(-1)) * 100);

/** April, May and June: ontzorgen as usual under the 56a period (bijstand from 1 January, so it ends 30 June). */
async function throughTheStatutoryPeriod(db: DatabaseHandle['db'], client: TestClient): Promise<void> {
  for (const [day, month, until] of [['2026-04-24', '2026-04', '2026-05-21'], ['2026-05-22', '2026-05', '2026-06-23'], ['2026-06-24', '2026-06', '2026-07-23']] as const) {
    await bankCredits(db, day, [bijstandFor(client, '1334.23', month)]);
    await runDays(db, day, until);
  }
}

/**
 * Rules 2 and 3 / art. 56a lid 2: the statutory period runs six months from the first day of bijstand and then there
 * is no basis left to withhold anything. Amira's bijstand started 1 January 2026, so her 56a period ended 30 June; no
 * art. 57 decision, consent or budgetbeheer was recorded and ontzorgen was not ended by hand. Her July bijstand
 * arrives on the managed account on 24 July. With no basis in force the service may not keep it: it is hers.
 */
describe('after the 56a period lapses without a follow-up, the bijstand is not withheld [postgres]', () => {
  let handle: DatabaseHandle;
  let client: TestClient;
  beforeAll(async () => {
    handle = await freshPostgres();
    await aServiceRegion(handle.db);
    client = await aClient(handle.db, { bijstandStart: '2026-01-01', obligations: singleAdultObligations('2026-05-01') });
  });
  afterAll(async () => handle.close());

  it('pays the bijstand received after the period ended to the client instead of keeping it on the managed account', async () => {
    await throughTheStatutoryPeriod(handle.db, client);
    // July: the period ended on 30 June; the July bijstand arrives.
    await bankCredits(handle.db, '2026-07-24', [bijstandFor(client, '1334.23', '2026-07')]);
    await runDays(handle.db, '2026-07-24', '2026-08-14');

    const afterEnd = (await paymentsOf(handle.db, client.id)).filter((line) => line.slice(0, 10) >= '2026-07-24');
    // Her July bijstand reaches her own account, whole…
    const paidToHer = afterEnd.filter((line) => / (leefgeld|pass_on|closing) /.test(line)).reduce((sum, line) => sum + cents(line), 0);
    expect(paidToHer).toBeGreaterThanOrEqual(133423);
    // …and nothing sits as her "free" money on the service's account with no legal basis to hold it.
    expect(await freeOf(handle.db, client.id)).toBe('0.00');
    // Nothing due after the period is paid for her: no obligation falls due without a basis.
    expect(afterEnd.filter((line) => / (rent|gas|electricity|water|basic_health_insurance) /.test(line))).toEqual([]);
  });

  it('tells the back office on every run that nothing can be withheld, and why', async () => {
    const seen = await handle.db.selectFrom('back_office_signal').select(['first_seen_on', 'message']).where('client_id', '=', client.id).where('kind', '=', 'no_basis_in_force').orderBy('first_seen_on').execute();
    expect(seen.map((s) => s.first_seen_on)).toEqual(businessDays('2026-07-01', '2026-08-14'));
    expect(seen[0]!.message).toContain('no ontzorg period is in force since 2026-07-01 (the last one ended on 2026-06-30)');
    expect(seen[0]!.message).toContain('Record a follow-up period');
  });
});

/**
 * The same lapse, but on 28 July the back office records an art. 57 decision from 1 August and moves the fixed costs
 * onto it. The July bijstand (24 July, no basis that day) is hers; from 1 August withholding starts again: the
 * August bijstand is withheld, pays the costs that fell due under art. 57, and leefgeld follows again.
 */
describe('a follow-up period recorded after the lapse withholds again from its first day [postgres]', () => {
  let handle: DatabaseHandle;
  let client: TestClient;
  beforeAll(async () => {
    handle = await freshPostgres();
    await aServiceRegion(handle.db);
    client = await aClient(handle.db, { bijstandStart: '2026-01-01', obligations: singleAdultObligations('2026-05-01') });
  });
  afterAll(async () => handle.close());

  it('passes the July bijstand on and withholds the August bijstand under art. 57', async () => {
    await throughTheStatutoryPeriod(handle.db, client);
    await bankCredits(handle.db, '2026-07-24', [bijstandFor(client, '1334.23', '2026-07')]);
    await runDays(handle.db, '2026-07-24', '2026-07-27');
    await inTransaction(handle.db, async (trx) => {
      await recordFollowUpPeriod(trx, client.id, { basis: 'art57', firstDay: '2026-08-01', lastDay: '2027-01-31', reviewDate: '2026-12-01', decisionReference: 'B57-2026-0142' });
      // Rule 3: a fixed cost is paid again once a version rests on the new basis.
      for (const spec of singleAdultObligations('2026-05-01')) {
        await addVersion(trx, client.obligations[spec.type]!, { effectiveFrom: '2026-08-01', amount: eur(spec.amount), basis: 'art57', recordedBy: 'consultant' });
      }
    });
    await runDays(handle.db, '2026-07-28', '2026-08-21');
    await bankCredits(handle.db, '2026-08-24', [bijstandFor(client, '1334.23', '2026-08')]);
    await runDays(handle.db, '2026-08-24', '2026-09-08');

    const lines = await paymentsOf(handle.db, client.id);
    // The July bijstand was hers: passed on, nothing of it kept.
    const july = lines.filter((line) => line.slice(0, 10) >= '2026-07-24' && line.slice(0, 10) < '2026-08-01' && / pass_on /.test(line)).reduce((sum, line) => sum + cents(line), 0);
    expect(july).toBeGreaterThanOrEqual(133423);
    // From 1 August the service withholds again: the August bijstand is not passed on. It pays August's costs (they
    // fell due on 1 August under art. 57, when nothing had been withheld for them: paid late, and signalled)…
    expect(lines.filter((line) => line.slice(0, 10) >= '2026-08-01' && / pass_on /.test(line))).toEqual([]);
    expect(lines).toContain('2026-08-24 rent 2026-08 720.00');
    const late = await handle.db.selectFrom('back_office_signal').select('signal_key').where('client_id', '=', client.id).where('kind', '=', 'paid_late').execute();
    expect(late.length).toBeGreaterThan(0);
    // …and leefgeld again.
    expect(lines.filter((line) => line.slice(0, 10) >= '2026-08-01' && / leefgeld /.test(line)).length).toBeGreaterThan(0);
    // No "no basis" signal once the art. 57 period is in force.
    const signalled = await handle.db.selectFrom('back_office_signal').select('first_seen_on').where('client_id', '=', client.id).where('kind', '=', 'no_basis_in_force').execute();
    expect(signalled.map((s) => s.first_seen_on).filter((d) => d >= '2026-08-01')).toEqual([]);
    expect(signalled.length).toBeGreaterThan(0);
  });
});
