import { sql, type Kysely } from 'kysely';

/**
 * 0029: `payment_event.batch_id` is set on a batch's own events (made, approved, released, rejected) and null on
 * every payment's (created, held, settled, returned): hundreds of thousands a day against a handful. The index on it
 * kept an entry for every null, one more index write per payment event (400,000 on a costs day at 100,000 clients),
 * and never answered a query: every look-up is `batch_id = …` or `IN (…)`, which only non-null rows meet. It now
 * holds the batch events only. (No change beyond the noise in a costs day at 100,000 clients, two alternating pairs:
 * it takes work away, it does not move the day.)
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX payment_event_batch_idx`.execute(db);
  await sql`CREATE INDEX payment_event_batch_idx ON payment_event (batch_id) WHERE batch_id IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX payment_event_batch_idx`.execute(db);
  await sql`CREATE INDEX payment_event_batch_idx ON payment_event (batch_id)`.execute(db);
}
