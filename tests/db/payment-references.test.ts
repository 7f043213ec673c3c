import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { sqlState } from '../../src/db/errors.js';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions, type InstructionDraft } from '../../src/payments/instructions.js';
import { describeOnEachDatabase, freshPostgres, postgresSkipReason, refusal } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, statementFile, type Region } from '../ingest/region.js';

/**
 * Migration 0024 replaced the per-row foreign keys of the daily batch's bulk-written tables with checks per statement
 * and guards on the referenced tables. The rules must be the ones the foreign keys enforced: a reference to a row that
 * does not exist is refused with SQLSTATE 23503 and the old constraint's name, nothing of the statement is kept, and a
 * referenced row cannot be deleted or given another key.
 */
const NOT_A_PAYMENT_ACCOUNT = 'NL18RABO0123459876';

const leefgeldOf = (region: Region): InstructionDraft => ({
  idempotencyKey: 'dawit/leefgeld/w53', clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: '2026-W53', dueDate: '2026-12-29', executionDate: '2026-12-29',
  amount: Money.parse('150.00'), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: 'Leefgeld week 53',
});

describeOnEachDatabase('references of the payment tables, checked per statement', (handle) => {
  let region: Region;
  let instructionId: bigint;
  let batchId: bigint;
  beforeAll(async () => {
    const { db } = handle();
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    await ingest(db, statementFile('R-1', [bijstand('1334.23', 'BIJ-77002', 'R-REF-1', '2026-12-24')]));
    const [made] = await inTransaction(db, (trx) =>
      createPaymentInstructions(trx, [leefgeldOf(region)]),
    );
    if (made?.outcome !== 'created') throw new Error('the instruction was not created');
    instructionId = made.instructionId;
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'batch', executionUntil: '2026-12-31', now: new Date('2026-12-28T09:00:00Z') }));
    batchId = batch!.id;
  });

  it('refuses an instruction for a client that does not exist, or of another gemeente, and keeps none of the statement', async () => {
    const { db } = handle();
    const before = await db.selectFrom('payment_instruction').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow();
    for (const [client, gemeente] of [['999999', 'GM0505'], [region.sara.toString(), 'GM0505']] as const) {
      const sent = sql`
        INSERT INTO payment_instruction (idempotency_key, client_id, gemeente_id, kind, period, due_date, execution_date, amount_cents, debtor_iban,
                                         creditor_name, creditor_name_latin, creditor_iban, reservation_key, status)
        VALUES ('ok-${sql.raw(client)}', ${region.dawit.toString()}::bigint, 'GM0505', 'leefgeld', 'x', '2026-12-29', '2026-12-29', 100, ${MANAGED}, 'A', 'A', 'NL02ABNA0123456789', 'r', 'created'),
               ('bad-${sql.raw(client)}', ${client}::bigint, ${gemeente}, 'leefgeld', 'x', '2026-12-29', '2026-12-29', 100, ${MANAGED}, 'A', 'A', 'NL02ABNA0123456789', 'r', 'created')`;
      const refused = await refusal(sent.execute(db));
      expect(refused).toMatchObject({ state: '23503', constraint: 'payment_instruction_client_id_gemeente_id_fkey' });
      expect(refused.message).toContain(`client ${client}/GM0505`);
    }
    expect(await db.selectFrom('payment_instruction').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).toEqual(before);
  });

  it('refuses an instruction from a debtor account that is not set up for payments, and one of an unknown gemeente', async () => {
    const { db } = handle();
    const row = (key: string, clientId: bigint | null, gemeente: string, debtor: string) => sql`
      INSERT INTO payment_instruction (idempotency_key, client_id, gemeente_id, kind, period, due_date, execution_date, amount_cents, debtor_iban,
                                       creditor_name, creditor_name_latin, creditor_iban, reservation_key, status)
      VALUES (${key}, ${clientId === null ? null : clientId.toString()}::bigint, ${gemeente}, ${clientId === null ? 'refund' : 'leefgeld'}, 'x', '2026-12-29', '2026-12-29', 100, ${debtor},
              'A', 'A', 'NL02ABNA0123456789', 'r', 'created')`;
    expect(await refusal(row('bad-debtor', region.dawit, 'GM0505', NOT_A_PAYMENT_ACCOUNT).execute(db))).toMatchObject({ state: '23503', constraint: 'payment_instruction_debtor_iban_fkey' });
    expect(await refusal(row('refund-x', null, 'GM9999', MANAGED).execute(db))).toMatchObject({ state: '23503', constraint: 'payment_instruction_gemeente_fk' });
    // A key changed by an UPDATE is checked too.
    expect(await refusal(db.updateTable('payment_instruction').set({ debtor_iban: NOT_A_PAYMENT_ACCOUNT }).where('id', '=', instructionId).execute())).toMatchObject({
      state: '23503',
      constraint: 'payment_instruction_debtor_iban_fkey',
    });
  });

  it('refuses moving an instruction into a batch that does not exist', async () => {
    const { db } = handle();
    const refused = await refusal(db.updateTable('payment_instruction').set({ batch_id: 424242n, status: 'batched' }).where('id', '=', instructionId).execute());
    expect(refused).toMatchObject({ state: '23503', constraint: 'payment_instruction_batch_id_fkey' });
    expect(refused.message).toContain('payment batch 424242');
    expect(await db.selectFrom('payment_instruction').select('batch_id').where('id', '=', instructionId).executeTakeFirstOrThrow()).toEqual({ batch_id: batchId });
  });

  it('refuses events, scheduled payments and reservations that refer to nothing', async () => {
    const { db } = handle();
    expect(await refusal(db.insertInto('payment_event').values({ instruction_id: 999999n, kind: 'x', actor: 'test' }).execute())).toMatchObject({ state: '23503', constraint: 'payment_event_instruction_id_fkey' });
    expect(await refusal(db.insertInto('payment_event').values({ batch_id: 999999n, kind: 'x', actor: 'test' }).execute())).toMatchObject({ state: '23503', constraint: 'payment_event_batch_id_fkey' });
    const scheduled = {
      idempotency_key: 'sched-x', gemeente_id: 'GM0505', client_id: region.dawit, kind: 'obligation' as const, obligation_id: 999999n, period_key: '2027-01',
      pay_date: '2027-01-01', execution_date: '2026-12-31', amount_cents: 100n, run_date: '2026-12-28',
    };
    expect(await refusal(db.insertInto('scheduled_payment').values(scheduled).execute())).toMatchObject({ state: '23503', constraint: 'scheduled_payment_obligation_id_fkey' });
    expect(await refusal(db.insertInto('scheduled_payment').values({ ...scheduled, kind: 'leefgeld', obligation_id: null, client_id: region.sara }).execute())).toMatchObject({
      state: '23503',
      constraint: 'scheduled_payment_client_id_gemeente_id_fkey',
    });
    const reservation = { ledger_key: 'res-x', client_id: 999999n, obligation_id: 999999n, period_key: '2027-01', seq: 1, amount_cents: 100n, due_date: '2027-01-01', execution_date: '2026-12-31', booked_on: '2026-12-28' };
    const refused = await refusal(db.insertInto('allocation_reservation').values(reservation).execute());
    expect(refused.state).toBe('23503');
    expect(['allocation_reservation_client_id_fkey', 'allocation_reservation_obligation_id_fkey']).toContain(refused.constraint);
    // A valid event is still taken.
    await db.insertInto('payment_event').values({ instruction_id: instructionId, batch_id: batchId, kind: 'note', actor: 'test' }).execute();
  });

  it('refuses deleting, or re-keying, a row that is referred to', async () => {
    const { db } = handle();
    // (The batch's pain.001 file refers to it too, by a foreign key of its own; the race below isolates the guard.)
    expect(await refusal(db.deleteFrom('payment_batch').where('id', '=', batchId).execute())).toMatchObject({ state: '23503' });
    expect(await refusal(db.updateTable('payment_account').set({ iban: NOT_A_PAYMENT_ACCOUNT }).where('iban', '=', MANAGED).execute())).toMatchObject({ state: '23503' });
    expect(await refusal(sql`DELETE FROM payment_instruction WHERE id = ${instructionId.toString()}::bigint`.execute(db))).toMatchObject({ state: '23503', constraint: 'payment_event_instruction_id_fkey' });
    expect(await db.selectFrom('payment_batch').select('id').where('id', '=', batchId).execute()).toHaveLength(1);
  });
});

describe.skipIf(postgresSkipReason() !== '')('a referenced row deleted while a statement refers to it [postgres]', () => {
  let handle: DatabaseHandle & { url: string };
  afterAll(async () => {
    await handle?.close();
  });

  it('waits for the transaction that refers to it, then refuses the delete', async () => {
    handle = await freshPostgres();
    const { db, url } = handle;
    const region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    await ingest(db, statementFile('R-2', [bijstand('1334.23', 'BIJ-77002', 'R-REF-2', '2026-12-24')]));
    await inTransaction(db, (trx) =>
      createPaymentInstructions(trx, [leefgeldOf(region)]),
    );
    const { id: batch } = await db
      .insertInto('payment_batch')
      .values({ gemeente_id: 'GM0505', debtor_iban: MANAGED, execution_date: '2026-12-29', instant: false, status: 'awaiting_approval', payments: 1, total_cents: 15000n, approvals_needed: 1, created_by: 'test' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const mover = new pg.Client({ connectionString: url });
    const deleter = new pg.Client({ connectionString: url });
    await mover.connect();
    await deleter.connect();
    try {
      await mover.query('BEGIN');
      await mover.query(`UPDATE payment_instruction SET status = 'batched', batch_id = $1`, [batch.toString()]);
      const deleting = deleter.query('DELETE FROM payment_batch WHERE id = $1', [batch.toString()]).then(
        () => undefined,
        (error: unknown) => error,
      );
      // The delete waits for the mover's lock on the batch; once the mover commits, it sees the reference and refuses.
      await new Promise((resolve) => setTimeout(resolve, 200));
      await mover.query('COMMIT');
      const error = await deleting;
      expect(sqlState(error)).toBe('23503');
      const { rows } = await deleter.query<{ batch_id: string }>('SELECT batch_id::text FROM payment_instruction');
      expect(rows).toEqual([{ batch_id: batch.toString() }]);

      // An UPDATE that leaves batch_id as it is (a settlement, a release) neither checks nor locks the batch, as a
      // foreign key would not: it must not wait for an approver's or the release's lock on the batch.
      await mover.query('BEGIN');
      await mover.query('SELECT id FROM payment_batch WHERE id = $1 FOR UPDATE', [batch.toString()]);
      await deleter.query(`SET statement_timeout = '2s'`);
      await deleter.query(`UPDATE payment_instruction SET return_reason = 'AC04' WHERE batch_id = $1`, [batch.toString()]);
      await mover.query('ROLLBACK');
    } finally {
      await mover.end();
      await deleter.end();
    }
  });
});
