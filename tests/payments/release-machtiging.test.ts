import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { revokeMachtiging } from '../../src/clients/machtigingen.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { approveBatch } from '../../src/payments/batches.js';
import { releaseBatch } from '../../src/payments/release.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, singleAdultObligations } from '../batch/support.js';

/** Rule 4 (a payment to a third party goes out only when a valid machtiging covers the payee), after the payment was made. */
describe('rule 4 at the release of a batch [pglite]', () => {
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
      .select(['i.id', 'i.status', 'i.batch_id', 'i.period'])
      .where('o.type', '=', 'rent')
      .where('i.client_id', '=', clientId)
      .where('i.period', 'like', '2026-04%')
      .orderBy('i.id')
      .execute();

  it('does not release a rent payment whose machtiging the client revoked before its execution date', async () => {
    const { db } = handle;
    const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01'), reference: 'DR-REVOKE' });
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
    let rent: Awaited<ReturnType<typeof rentOf>> = [];
    let runDay = '';
    for (const day of businessDays('2026-03-25', '2026-03-31')) {
      await batch(db, day);
      rent = await rentOf(client.id);
      runDay = day;
      if (rent.some((r) => r.status === 'batched')) break;
    }
    expect(rent.map((r) => r.status)).toEqual(['batched']);
    // The same day, before the batch is approved, the client revokes the machtiging (effective today).
    await inTransaction(db, (trx) => revokeMachtiging(trx, client.id, 'M-DR-REVOKE', { revokedOn: runDay, reason: 'client revokes' }));
    await inTransaction(db, (trx) => approveBatch(trx, rent[0]!.batch_id!, 'approver-1'));
    const released = await releaseBatch(db, rent[0]!.batch_id!, { releasedBy: 'operator-1', now: new Date(`${runDay}T10:00:00Z`) }).then(
      () => 'released',
      (e: { code?: string }) => e.code ?? 'error',
    );
    const after = await rentOf(client.id);
    // Rule 4: the revoked machtiging stops the payment (nothing of the batch leaves) and keeps the money reserved.
    expect({ released, status: after[0]!.status }).toEqual({ released: 'machtiging_not_valid', status: 'batched' });
    const batchRow = await db.selectFrom('payment_batch').select('status').where('id', '=', rent[0]!.batch_id!).executeTakeFirstOrThrow();
    expect(batchRow.status).toBe('approved');
    expect(await db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', rent[0]!.batch_id!).execute()).toEqual([]);
  });
});
