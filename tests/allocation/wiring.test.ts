import { beforeAll, expect, it } from 'vitest';
import { allocateChunk } from '../../src/allocation/run.js';
import type { RunContext } from '../../src/allocation/plan.js';
import { recordFloorDecision } from '../../src/clients/floor-decisions.js';
import { getGemeentePolicy, setGemeentePolicy } from '../../src/clients/policy.js';
import { updateClient } from '../../src/clients/registry.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction, type Trx } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { describeOnEachDatabase } from '../support/db.js';
import { MANAGED } from '../ingest/region.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, CLIENT_IBAN, eur, freeOf, GEMEENTE, paymentsOf, reservedOf, singleAdultObligations, toeslagFor } from '../batch/support.js';

/** Allocation alone (no payments), as of the day after the 24th's bijstand. */
async function contextIn(trx: Trx, asOf = '2026-03-25'): Promise<RunContext> {
  const policy = await getGemeentePolicy(trx, GEMEENTE);
  const account = await trx.selectFrom('payment_account').select('in_transit_account_id').where('iban', '=', MANAGED).executeTakeFirstOrThrow();
  return { asOf, windowEnd: asOf, policy, inTransitAccountId: account.in_transit_account_id, withPayments: false };
}

async function reservations(db: DatabaseHandle['db'], clientId: bigint): Promise<Record<string, string>> {
  const rows = await db
    .selectFrom('allocation_reservation as r')
    .innerJoin('obligation as o', 'o.id', 'r.obligation_id')
    .select(['o.type', 'r.amount_cents'])
    .where('r.client_id', '=', clientId)
    .where('r.status', '<>', 'voided')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.type, Money.fromCents(r.amount_cents).toString()]));
}

describeOnEachDatabase('allocation against the database', (handle) => {
  beforeAll(async () => aServiceRegion(handle().db));

  it('rule 5: the gemeente\'s priority order decides who goes short, and the money waits for the higher one', async () => {
    const db = handle().db;
    await inTransaction(db, (trx) => setGemeentePolicy(trx, GEMEENTE, { debtorIban: MANAGED, bijstandPayday: '24th', priority: ['health_insurance', 'water', 'rent', 'energy', 'other'], leefgeldFloor: eur('0.00') }, 'test'));
    try {
      const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01') });
      // Only 900.00 arrives: premium 159, water 25 first, then rent 716.00 of 720; energy nothing.
      await bankCredits(db, '2026-03-24', [bijstandFor(client, '900.00', '2026-03')]);
      const chunk = await inTransaction(db, async (trx) => allocateChunk(trx, await contextIn(trx), [client.id]));
      expect(await reservations(db, client.id)).toEqual({ basic_health_insurance: '159.00', water: '25.00', rent: '716.00' });
      expect(chunk.plans[0]!.dues.filter((d) => d.state !== 'covered').map((d) => `${d.item.type} ${d.missing.toString()}`)).toEqual(['rent 4.00', 'gas 55.00', 'electricity 65.00']);
      // Converges: a second allocation reserves nothing more.
      const again = await inTransaction(db, async (trx) => allocateChunk(trx, await contextIn(trx), [client.id]));
      expect(again.bookings).toBe(0);
    } finally {
      await inTransaction(db, (trx) => setGemeentePolicy(trx, GEMEENTE, { debtorIban: MANAGED, bijstandPayday: '24th' }, 'test'));
    }
  });

  it('rule 8: leefgeld floors are kept back before reserving; a recorded floor decision lowers them', async () => {
    const db = handle().db;
    const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '1100.00', '2026-03')]);
    // Five Mondays to fund (30 March – 27 April), floor 50.00 each: 250.00 stays free, 850.00 is reserved (rent first).
    await inTransaction(db, async (trx) => allocateChunk(trx, await contextIn(trx), [client.id]));
    expect(await freeOf(db, client.id)).toBe('250.00');
    expect(await reservedOf(db, client.id)).toBe('850.00');
    const other = await aClient(db, { obligations: singleAdultObligations('2026-04-01') });
    await inTransaction(db, (trx) => recordFloorDecision(trx, other.id, { reference: 'VL-1', floor: eur('20.00'), effectiveFrom: '2026-03-01', effectiveUntil: null, reason: 'rent arrears plan', decidedBy: 'backoffice' }));
    await bankCredits(db, '2026-03-24', [bijstandFor(other, '1100.00', '2026-03')]);
    await inTransaction(db, async (trx) => allocateChunk(trx, await contextIn(trx), [other.id]));
    // With the decision the floor is 20.00: 100.00 kept back, 1,000.00 reserved.
    expect(await freeOf(db, other.id)).toBe('100.00');
    expect(await reservedOf(db, other.id)).toBe('1000.00');
  });

  it('rule 6 without consent: a toeslag is passed on, paid to the client\'s own account; with no account it waits, out of the pool', async () => {
    const db = handle().db;
    const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01'), ownIban: null });
    await bankCredits(db, '2026-03-20', [toeslagFor(client, 'ZORGTOESLAG', '129.00', '2026-04')]);
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
    const first = await batch(db, '2026-03-25');
    expect(first.report.receipts).toMatchObject({ passedOnCount: 1, passedOnTotal: '129.00' });
    // The zorgtoeslag is not the pool's: bijstand alone pays the 1,024.00; 310.23 + 129.00 stay free.
    expect(await reservedOf(db, client.id)).toBe('1024.00');
    expect(await freeOf(db, client.id)).toBe('439.23');
    expect(await paymentsOf(db, client.id)).toEqual([]);
    await inTransaction(db, (trx) => updateClient(trx, client.id, { ownIban: CLIENT_IBAN }));
    await batch(db, '2026-03-26');
    expect(await paymentsOf(db, client.id)).toContain('2026-03-26 pass_on 2026-03-26 129.00');
  });
});

