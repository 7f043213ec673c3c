import { sql, type Kysely } from 'kysely';

/**
 * 0027: a bank file's bytes are kept in parts of 1 MiB (`bank_file_part`) instead of one `bytea` value.
 *
 * Ingestion reads the stored file back. One value of 46.7 MB (a 100,000-entry statement) took 1.5–1.7 s to come
 * out of PostgreSQL even sent as LATIN1 text (2.3–2.6 s as bytea, hex or binary); the same bytes as 45 rows of
 * 1 MiB took 0.45–0.76 s. Each part is compressed on its own, as the whole value was. Files already stored are
 * moved into parts here, byte for byte; their SHA-256 and size stay on `bank_file`, and ingestion checks both
 * against the parts it reads.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE TABLE bank_file_part (
      file_id  bigint NOT NULL REFERENCES bank_file (id),
      part     integer NOT NULL CHECK (part >= 0),
      bytes    bytea NOT NULL CHECK (octet_length(bytes) BETWEEN 1 AND 1048576),
      PRIMARY KEY (file_id, part)
    )
  `.execute(db);
  await sql`
    INSERT INTO bank_file_part (file_id, part, bytes)
    SELECT f.id, g.n, substring(f.content FROM g.n * 1048576 + 1 FOR 1048576)
      FROM bank_file f
     CROSS JOIN LATERAL generate_series(0, (octet_length(f.content) - 1) / 1048576) AS g (n)
     WHERE octet_length(f.content) > 0
  `.execute(db);
  await sql`ALTER TABLE bank_file DROP COLUMN content`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE bank_file ADD COLUMN content bytea`.execute(db);
  await sql`
    UPDATE bank_file f
       SET content = coalesce((SELECT string_agg(p.bytes, ''::bytea ORDER BY p.part) FROM bank_file_part p WHERE p.file_id = f.id), ''::bytea)
  `.execute(db);
  await sql`ALTER TABLE bank_file ALTER COLUMN content SET NOT NULL`.execute(db);
  await sql`DROP TABLE bank_file_part`.execute(db);
}
