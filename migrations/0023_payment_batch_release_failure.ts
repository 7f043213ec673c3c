import { sql, type Kysely } from 'kysely';

/**
 * 0023: a release that failed for good is recorded on its batch.
 *
 * A release job that no retry can finish (a machtiging revoked since approval, a file no longer valid, the database
 * unreachable through every attempt) failed in the queue and in the log only. The batch stayed approved, its payments
 * unsent, and the back office, which looks at batches rather than at queues, was not told. The worker now writes when and
 * why onto the batch; the batches API shows it until a release succeeds.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_batch ADD COLUMN release_failed_at timestamptz, ADD COLUMN release_error text`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_batch DROP COLUMN release_failed_at, DROP COLUMN release_error`.execute(db);
}
