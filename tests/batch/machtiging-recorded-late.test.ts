import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { recordMachtiging } from '../../src/clients/machtigingen.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { freshPGlite } from '../support/db.js';
import { PAYEES, aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, singleAdultObligations, type TestClient } from './support.js';

/** Rule 4 once a payment exists: a payment held for want of a machtiging goes out once the machtiging is recorded. */
describe('a rent held for want of a machtiging, the machtiging recorded later [pglite]', () => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
  });
  afterEach(async () => handle.close());

  const rentOf = (clientId: bigint) =>
    handle.db
      .selectFrom('payment_instruction as i')
      .innerJoin('obligation as o', 'o.id', 'i.obligation_id')
      .select(['i.id', 'i.status', 'i.batch_id', 'i.execution_date', 'i.hold_reason'])
      .where('o.type', '=', 'rent')
      .where('i.client_id', '=', clientId)
      .where('i.period', '=', '2026-04')
      .orderBy('i.id')
      .execute();
  const recordTheForm = (client: TestClient) =>
    inTransaction(handle.db, (trx) => recordMachtiging(trx, client.id, { documentReference: 'M-late', signedOn: '2026-03-20', payees: Object.values(PAYEES).slice(0, 5) }));
  const eventsOf = (instructionId: bigint) => handle.db.selectFrom('payment_event').select(['kind', 'actor']).where('instruction_id', '=', instructionId).orderBy('id').execute();

  it('the signed form arrives a day late: the next batch lets the held rent go, in that day\'s batch, once', async () => {
    const { db } = handle;
    const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01'), machtiging: false });
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
    let heldOn = '';
    for (const day of businessDays('2026-03-25', '2026-03-31')) {
      await batch(db, day);
      if ((await rentOf(client.id)).some((r) => r.status === 'held')) {
        heldOn = day;
        break;
      }
    }
    expect(heldOn).not.toBe('');
    const [held] = await rentOf(client.id);
    expect(held).toMatchObject({ status: 'held', batch_id: null, hold_reason: expect.stringContaining('rule 4') });
    await recordTheForm(client);
    const nextDay = businessDays(heldOn, '2026-04-15')[1]!;
    await batch(db, nextDay);
    const rent = await rentOf(client.id);
    expect(rent).toHaveLength(1);
    expect(rent[0]).toMatchObject({ id: held!.id, status: 'batched', hold_reason: null, execution_date: held!.execution_date < nextDay ? nextDay : held!.execution_date });
    expect(rent[0]!.batch_id).not.toBeNull();
    // The hold is lifted by that day's batch, on the record of the payment.
    expect((await eventsOf(held!.id)).slice(0, 2)).toEqual([
      { kind: 'created_held', actor: 'system' },
      { kind: 'hold_lifted', actor: `batch:${nextDay}` },
    ]);
    // A rerun of the day changes nothing.
    expect((await batch(db, nextDay)).created).toBe(0);
    expect(await rentOf(client.id)).toEqual(rent);
  });

  it('recorded only after the execution date passed: the rent goes out on the first business day it can', async () => {
    const { db } = handle;
    const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01'), machtiging: false });
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
    for (const day of businessDays('2026-03-25', '2026-04-02')) await batch(db, day);
    const [held] = await rentOf(client.id);
    expect(held).toMatchObject({ status: 'held', execution_date: '2026-03-31' });
    await recordTheForm(client);
    await batch(db, '2026-04-07'); // 3 and 6 April are TARGET2 holidays (Good Friday, Easter Monday)
    const rent = await rentOf(client.id);
    expect(rent).toHaveLength(1);
    expect(rent[0]).toMatchObject({ id: held!.id, status: 'batched', execution_date: '2026-04-07' });
  });
});
