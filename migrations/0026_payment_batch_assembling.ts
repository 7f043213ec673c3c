import { sql, type Kysely } from 'kysely';

/**
 * 0026: the daily batch writes its payments straight into the batch they go out in.
 *
 * The batch made every instruction `created`, and grouping then moved each one into a batch with an UPDATE: on a
 * costs day 400,000 rows written twice, each new version entered again in eight indexes (a quarter of the day).
 * Now a run opens one batch per execution date of its window, `assembling`, before its chunks start; the chunks
 * insert their instructions into it as `batched`, and grouping counts them and hands the batch over for approval.
 * An assembling batch is counted at the end, so its payments and total may be 0 until then; there is one per gemeente,
 * account, date and kind at a time (the next run dissolves what a crashed one left before it opens its own). Nobody
 * may approve, reject or release it (those ask for `awaiting_approval` or later).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE payment_batch
      DROP CONSTRAINT payment_batch_status_check,
      DROP CONSTRAINT payment_batch_payments_check,
      DROP CONSTRAINT payment_batch_total_cents_check,
      ADD CONSTRAINT payment_batch_status_check CHECK (status IN ('assembling', 'awaiting_approval', 'approved', 'rejected', 'released', 'bank_rejected')),
      ADD CONSTRAINT payment_batch_payments_check CHECK (payments > 0 OR (status = 'assembling' AND payments = 0)),
      ADD CONSTRAINT payment_batch_total_cents_check CHECK (total_cents > 0 OR (status = 'assembling' AND total_cents = 0))
  `.execute(db);
  await sql`
    CREATE UNIQUE INDEX payment_batch_assembling_idx ON payment_batch (gemeente_id, debtor_iban, execution_date, instant) WHERE status = 'assembling'
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // What a run was assembling goes back to waiting for grouping, as before this migration.
  await sql`
    UPDATE payment_instruction SET status = 'created', batch_id = NULL
     WHERE status = 'batched' AND batch_id IN (SELECT id FROM payment_batch WHERE status = 'assembling')
  `.execute(db);
  await sql`DELETE FROM payment_batch WHERE status = 'assembling'`.execute(db);
  await sql`DROP INDEX payment_batch_assembling_idx`.execute(db);
  await sql`
    ALTER TABLE payment_batch
      DROP CONSTRAINT payment_batch_status_check,
      DROP CONSTRAINT payment_batch_payments_check,
      DROP CONSTRAINT payment_batch_total_cents_check,
      ADD CONSTRAINT payment_batch_status_check CHECK (status IN ('awaiting_approval', 'approved', 'rejected', 'released', 'bank_rejected')),
      ADD CONSTRAINT payment_batch_payments_check CHECK (payments > 0),
      ADD CONSTRAINT payment_batch_total_cents_check CHECK (total_cents > 0)
  `.execute(db);
}
