import { sql, type Kysely } from 'kysely';
import { replaceForeignKeys, restoreForeignKeys, type Reference } from './references-per-statement.js';

/**
 * 0025: the references of a bank file's entries, items and sightings are checked once per statement, as 0024 does for
 * the daily batch's tables.
 *
 * Ingesting a statement of 100,000 entries writes 100,000 entries, as many items and sightings, and each row carried one
 * to three foreign-key checks: a trigger event and a locking look-up per row, about 3 µs each on this machine (inserting
 * 100,000 rows with three such keys took 1.9 s against 1.0 s without them), 2 s of the server's 12 s for the file.
 * Per statement, a part of 5,000 entries refers to one file, one account, one statement row: one look-up each.
 *
 * The rules are those of the foreign keys (0024 says how): a missing referenced row is refused with SQLSTATE 23503 and
 * the old constraint's name; the referenced rows are locked `FOR KEY SHARE` until the file's transaction ends; deleting
 * a referenced file, account, statement, entry, client or gemeente, or changing its key, is refused.
 */
const REFERENCES: readonly Reference[] = [
  { constraint: 'bank_entry_file_id_fkey', child: 'bank_entry', columns: ['file_id'], parent: 'bank_file', parentColumns: ['id'], what: 'bank file' },
  { constraint: 'bank_entry_iban_fkey', child: 'bank_entry', columns: ['iban'], parent: 'bank_account', parentColumns: ['iban'], what: 'bank account' },
  { constraint: 'bank_entry_statement_row_fkey', child: 'bank_entry', columns: ['statement_row'], parent: 'bank_statement', parentColumns: ['id'], what: 'bank statement' },
  { constraint: 'bank_entry_item_entry_id_fkey', child: 'bank_entry_item', columns: ['entry_id'], parent: 'bank_entry', parentColumns: ['id'], what: 'bank entry' },
  { constraint: 'bank_entry_item_client_id_fkey', child: 'bank_entry_item', columns: ['client_id'], parent: 'client', parentColumns: ['id'], what: 'client' },
  { constraint: 'bank_entry_item_gemeente_id_fkey', child: 'bank_entry_item', columns: ['gemeente_id'], parent: 'gemeente', parentColumns: ['id'], what: 'gemeente' },
  { constraint: 'bank_entry_sighting_file_id_fkey', child: 'bank_entry_sighting', columns: ['file_id'], parent: 'bank_file', parentColumns: ['id'], what: 'bank file' },
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of replaceForeignKeys(REFERENCES)) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of restoreForeignKeys(REFERENCES)) await sql.raw(statement).execute(db);
}
