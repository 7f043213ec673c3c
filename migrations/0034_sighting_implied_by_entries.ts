import { sql, type Kysely } from 'kysely';

/**
 * 0034: a report's sightings of a fingerprint nobody had reported before are not stored; its entry rows are them.
 *
 * Such a report makes every entry with that fingerprint new (rule 3 of `src/ingest/identity.ts`: one report proves
 * what it shows), so "report R showed fingerprint F n times (n with AcctSvcrRef X)" is exactly "the file booked n
 * entries of F from R (n with X)". Those entries carry `sighting_implied` and the counting rule reads them as the
 * sightings they stand for. Nearly every entry of a new statement is such an entry: 100,000 sighting rows (and their
 * index entries) fewer per 100,000-entry file, and a sightings table that holds only reports of entries seen before.
 * Sightings stored before this migration stay as they are (they count the same).
 *
 * `down` writes the implied sightings back as rows (the highest count where a report showed one twice in a file).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE bank_entry ADD COLUMN sighting_implied boolean NOT NULL DEFAULT false`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  // The per-AcctSvcrRef sightings carry the reference after U+001F in the report key; a report's total is stored
  // only when some of its entries have no AcctSvcrRef (as the ingestion writes them).
  await sql`
    INSERT INTO bank_entry_sighting (file_id, report_key, report_kind, iban, fingerprint, seen)
    SELECT file_id, report_key, report_kind, iban, fingerprint, max(seen) FROM (
    SELECT e.file_id, s.report_key || chr(31) || e.acct_svcr_ref AS report_key, s.report_kind, e.iban, e.fingerprint, count(*)::int AS seen
      FROM bank_entry e JOIN bank_statement s ON s.id = e.statement_row
     WHERE e.sighting_implied AND e.undone_at IS NULL AND coalesce(e.acct_svcr_ref, '') <> ''
     GROUP BY e.file_id, s.id, s.report_key, s.report_kind, e.iban, e.fingerprint, e.acct_svcr_ref
    UNION ALL
    SELECT e.file_id, s.report_key, s.report_kind, e.iban, e.fingerprint, count(*)::int
      FROM bank_entry e JOIN bank_statement s ON s.id = e.statement_row
     WHERE e.sighting_implied AND e.undone_at IS NULL
     GROUP BY e.file_id, s.id, s.report_key, s.report_kind, e.iban, e.fingerprint
    HAVING bool_or(coalesce(e.acct_svcr_ref, '') = '')
    ) AS implied GROUP BY file_id, report_key, report_kind, iban, fingerprint
    ON CONFLICT (iban, fingerprint, file_id, report_key) DO UPDATE SET seen = greatest(bank_entry_sighting.seen, excluded.seen)`.execute(db);
  await sql`ALTER TABLE bank_entry DROP COLUMN sighting_implied`.execute(db);
}
