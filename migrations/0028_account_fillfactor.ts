import { sql, type Kysely } from 'kysely';

/**
 * 0028: every booking rewrites the balance columns of the accounts it touches, and none of them is indexed, so the
 * new row version may stay on its page (a HOT update: no new entries in the account's three indexes, among them the
 * unique text index on `code`, and less WAL) if the page has room. At the default fillfactor of 100 a page of
 * accounts made one after another has none, and each booking moved the row. A batch writes one new version of
 * every account it touches, often of every account on a page, in one transaction, where the old versions cannot
 * be pruned yet: so half of each page is kept free (80 kept only a quarter of the rows in place). The table is
 * twice as large: a few hundred bytes per account. Measured in the ledger bench (docs/performance.md): PostgreSQL's
 * CPU 0.5–10 % lower, WAL 7–13 % less. Pages already written keep their layout until they are rewritten; nothing is
 * moved by this migration.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE account SET (fillfactor = 50)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE account RESET (fillfactor)`.execute(db);
}
