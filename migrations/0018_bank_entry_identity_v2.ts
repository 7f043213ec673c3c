import { sql, type Kysely } from 'kysely';

/**
 * 0018: the identity of a bank entry changed (src/ingest/identity.ts). It used to hash the AcctSvcrRef and
 * the details' EndToEndIds; a camt.054 without them followed by the day's camt.053 with them gave one real
 * entry two identities, and it was booked twice. Those fields are now compared, not hashed.
 *
 * Stored entries and sightings carry the old identities, and the new code cannot recognise them: a statement
 * re-sent after the upgrade would book its entries again. Recomputing them is not done here (a sighting keeps
 * no entry fields, and entries merging under one identity need new occurrence numbers). When this changed,
 * no database outside development held ingested bank entries, so a database that does is refused here, with
 * what to do, rather than booking a bank's re-send twice months later.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const { rows } = await sql<{ entries: string }>`SELECT count(*)::text AS entries FROM bank_entry`.execute(db);
  const entries = Number(rows[0]?.entries ?? '0');
  if (entries > 0) {
    throw new Error(
      `migration 0018: this database holds ${entries} bank entries ingested under the old entry identity, which the new ingestion cannot recognise (a re-sent statement would be booked twice). ` +
        'Start from an empty database (the embedded demo: `npm run demo -- --reset`, or delete ./data).',
    );
  }
}

export async function down(): Promise<void> {
  // Nothing was changed.
}
