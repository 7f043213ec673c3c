import { sql, type Kysely } from 'kysely';

/**
 * 0019: the payments that did not go out (cancelled, returned, rejected by the bank) are read every day per
 * gemeente for the daily report's list of payments waiting to be issued again, and by `GET /api/payments?status=…`.
 * A partial index keeps that a look-up of the few such payments instead of a scan of every payment ever made.
 * `retry_of` is indexed too: whether a payment was issued again is asked of each of them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX payment_instruction_not_paid_idx ON payment_instruction (gemeente_id, execution_date) WHERE status IN ('cancelled', 'returned', 'bank_rejected')`.execute(db);
  await sql`CREATE INDEX payment_instruction_retry_of_idx ON payment_instruction (retry_of) WHERE retry_of IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX payment_instruction_retry_of_idx`.execute(db);
  await sql`DROP INDEX payment_instruction_not_paid_idx`.execute(db);
}
