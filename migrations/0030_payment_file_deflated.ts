import { inflateRawSync } from 'node:zlib';
import { sql, type Kysely } from 'kysely';

/**
 * 0030: a payment file is stored deflated (`content_deflated`, raw DEFLATE) instead of as it is. A pain.001 of
 * 100,000 payments is about 28 MB of XML and 2.4 MB deflated; sending the 28 MB to PostgreSQL over its socket and
 * storing them took 0.8–1.4 s per file (5.5 s of a costs day's 13 s of grouping, four files at 100,000 clients),
 * deflating it in node 60 ms. PostgreSQL would compress the value again (pglz) for nothing: its storage is EXTERNAL.
 * Files stored before keep `content` as it is; exactly one of the two is set. What leaves the service (outbox,
 * download, release checks) is always the inflated bytes, checked against the file's SHA-256 (src/payments/files.ts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE payment_file ADD COLUMN content_deflated bytea`.execute(db);
  await sql`ALTER TABLE payment_file ALTER COLUMN content_deflated SET STORAGE EXTERNAL`.execute(db);
  await sql`ALTER TABLE payment_file ALTER COLUMN content DROP NOT NULL`.execute(db);
  await sql`ALTER TABLE payment_file ADD CONSTRAINT payment_file_one_content CHECK (num_nonnulls(content, content_deflated) = 1)`.execute(db);
}

/** Back to one column: every deflated file is inflated into `content` first, so no file is lost. */
export async function down(db: Kysely<any>): Promise<void> {
  const deflated = await sql<{ id: bigint; content_deflated: Uint8Array }>`SELECT id, content_deflated FROM payment_file WHERE content_deflated IS NOT NULL`.execute(db);
  await sql`ALTER TABLE payment_file DROP CONSTRAINT payment_file_one_content`.execute(db);
  for (const row of deflated.rows) {
    await sql`UPDATE payment_file SET content = ${inflateRawSync(row.content_deflated)}, content_deflated = NULL WHERE id = ${row.id.toString()}::bigint`.execute(db);
  }
  await sql`ALTER TABLE payment_file ALTER COLUMN content SET NOT NULL`.execute(db);
  await sql`ALTER TABLE payment_file DROP COLUMN content_deflated`.execute(db);
}
