import { sql, type Kysely } from 'kysely';

/**
 * 0017: when each released pain.001 was handed to the bank-upload software (written to the outbox).
 *
 * The outbox is a hand-over folder: the upload software takes each file out and sends it. Before, a second
 * release of a released batch (a colleague, a retried request, the CLI run again, a job re-run) wrote every
 * file missing from the folder again; missing usually means taken, so the bank got it twice and every payment
 * in it went out twice. A file is now handed over once, recorded here; putting it back is an explicit,
 * recorded action (`ontzorg batches hand-over-again`). Files of batches released before this migration count
 * as handed over at their release.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_file ADD COLUMN handed_over_at timestamptz`.execute(db);
  await sql`
    UPDATE payment_file f SET handed_over_at = coalesce(b.released_at, now())
      FROM payment_batch b
     WHERE b.id = f.batch_id AND b.status IN ('released', 'bank_rejected')
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_file DROP COLUMN handed_over_at`.execute(db);
}
