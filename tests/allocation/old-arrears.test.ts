import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reservationKey, type RunContext } from '../../src/allocation/plan.js';
import { allocateChunk, recordScheduledPayments } from '../../src/allocation/run.js';
import { getGemeentePolicy } from '../../src/clients/policy.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction, type Trx } from '../../src/db/transaction.js';
import { freshPGlite } from '../support/db.js';
import { MANAGED } from '../ingest/region.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, eur, GEMEENTE, PAYEES, type TestClient } from '../batch/support.js';

async function contextIn(trx: Trx, asOf: string): Promise<RunContext> {
  const policy = await getGemeentePolicy(trx, GEMEENTE);
  const account = await trx.selectFrom('payment_account').select('in_transit_account_id').where('iban', '=', MANAGED).executeTakeFirstOrThrow();
  return { asOf, windowEnd: asOf, policy, inTransitAccountId: account.in_transit_account_id, withPayments: false };
}

/**
 * An old open reservation (rent short for months) takes the run back to its month; what was paid in that month
 * must be known as paid then too, or it would be reserved (and paid) a second time.
 */
describe('a reservation open for months, next to a period already paid [pglite]', () => {
  let handle: DatabaseHandle;
  let client: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db, { priority: ['water', 'rent', 'energy', 'health_insurance', 'other'], leefgeldFloor: eur('0.00') });
    client = await aClient(handle.db, {
      obligations: [
        { type: 'rent', amount: '720.00', from: '2026-04-01' },
        { type: 'water', amount: '25.00', from: '2026-04-01' },
      ],
    });
  });
  afterAll(async () => handle.close());

  it('water paid in April is not reserved again in August because April rent is still short', async () => {
    const { db } = handle;
    // March bijstand of 300.00: water April 25.00, rent April 275.00 of 720.00 (left open, short).
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '300.00', '2026-03')]);
    await inTransaction(db, async (trx) => allocateChunk(trx, await contextIn(trx, '2026-03-25'), [client.id]));
    const waterId = client.obligations.water!;
    // April water is paid from its reservation (as the batch records it).
    await inTransaction(db, (trx) =>
      recordScheduledPayments(trx, '2026-03-27', [
        {
          key: `obligation/${client.id}/${waterId}/2026-04`,
          kind: 'obligation',
          clientId: client.id,
          gemeenteId: GEMEENTE,
          obligationId: waterId,
          obligationType: 'water',
          periodKey: '2026-04',
          payDate: '2026-04-01',
          executionDate: '2026-03-30',
          amount: eur('25.00'),
          reservationKey: reservationKey(client.id, waterId.toString(), '2026-04', 1),
          holdReason: null,
          late: false,
          leefgeld: null,
          creditor: PAYEES.water,
          remittance: null,
          reference: null,
        },
      ], [1n]),
    );
    // Months later (April rent still open, four months back) 100.00 arrives: water first, April's is paid already.
    await bankCredits(db, '2026-07-24', [bijstandFor(client, '100.00', '2026-07')]);
    await inTransaction(db, async (trx) => allocateChunk(trx, await contextIn(trx, '2026-08-03'), [client.id]));
    const water = await db
      .selectFrom('allocation_reservation')
      .select(['period_key', 'seq', 'status'])
      .where('client_id', '=', client.id)
      .where('obligation_id', '=', waterId)
      .orderBy('period_key')
      .orderBy('seq')
      .execute();
    expect(water.filter((r) => r.period_key === '2026-04').map((r) => [r.seq, r.status])).toEqual([[1, 'scheduled']]);
    expect(water.filter((r) => r.period_key !== '2026-04').map((r) => r.period_key)).toEqual(['2026-05', '2026-06', '2026-07', '2026-08']);
  });
});
