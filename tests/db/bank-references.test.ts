import { sql, type Kysely } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import type { Database } from '../../src/db/schema.js';
import { describeOnEachDatabase, refusal } from '../support/db.js';
import { aRegion, bijstand, ingest, statementFile, type Region } from '../ingest/region.js';

/**
 * Migration 0025 replaced the per-row foreign keys of a bank file's entries, items and sightings with checks per
 * statement (the functions of 0024). The rules must be the foreign keys' rules: a reference to a row that does not
 * exist is refused with SQLSTATE 23503 and the old constraint's name, nothing of the statement is kept (also when only
 * one of its rows is wrong), and a referenced row cannot be deleted.
 */
const count = async (db: Kysely<Database>, table: 'bank_entry' | 'bank_entry_item' | 'bank_entry_sighting'): Promise<number> =>
  (await db.selectFrom(table).select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n;

/** Copies of the ingested entry under new identities (`fingerprint || n`), with one column of the last copy replaced. */
function copyEntries(entryId: bigint, copies: number, column: 'file_id' | 'iban' | 'statement_row', value: string) {
  const replaced = (name: string, cast: string) => (name === column ? sql`CASE WHEN g = ${copies} THEN ${value}::${sql.raw(cast)} ELSE e.${sql.ref(name)} END` : sql.ref(`e.${name}`));
  return sql`
    INSERT INTO bank_entry (iban, fingerprint, signature, occurrence, generation, file_id, statement_row, entry_index, booking_date, value_date,
                            credit_debit, amount_cents, amount_text, currency, reversal, outcome)
    SELECT ${replaced('iban', 'text')}, e.fingerprint || '-copy-' || g, e.signature, e.occurrence, e.generation, ${replaced('file_id', 'bigint')},
           ${replaced('statement_row', 'bigint')}, e.entry_index, e.booking_date, e.value_date, e.credit_debit, e.amount_cents, e.amount_text,
           e.currency, e.reversal, e.outcome
    FROM bank_entry e CROSS JOIN generate_series(1, ${copies}::int) g WHERE e.id = ${entryId.toString()}::bigint`;
}

function copyItems(itemId: bigint, copies: number, column: 'entry_id' | 'client_id' | 'gemeente_id', value: string) {
  const replaced = (name: string, cast: string) => (name === column ? sql`CASE WHEN g = ${copies} THEN ${value}::${sql.raw(cast)} ELSE i.${sql.ref(name)} END` : sql.ref(`i.${name}`));
  return sql`
    INSERT INTO bank_entry_item (entry_id, item_index, amount_cents, credit_debit, booking_date, destination, match_rule, match_detail, client_id,
                                 gemeente_id, income_type, ledger_key)
    SELECT ${replaced('entry_id', 'bigint')}, i.item_index + g, i.amount_cents, i.credit_debit, i.booking_date, i.destination, i.match_rule,
           i.match_detail, ${replaced('client_id', 'bigint')}, ${replaced('gemeente_id', 'text')}, i.income_type, i.ledger_key || '-copy-' || g
    FROM bank_entry_item i CROSS JOIN generate_series(1, ${copies}::int) g WHERE i.id = ${itemId.toString()}::bigint`;
}

describeOnEachDatabase('references of the bank tables, checked per statement', (handle) => {
  let region: Region;
  let entry: { id: bigint; file_id: bigint; statement_row: bigint };
  let item: { id: bigint };
  beforeAll(async () => {
    const { db } = handle();
    region = await aRegion(db, '0.00');
    await ingest(db, statementFile('B-1', [bijstand('1334.23', 'BIJ-77002', 'B-REF-1', '2026-12-01')]));
    entry = await db.selectFrom('bank_entry').select(['id', 'file_id', 'statement_row']).executeTakeFirstOrThrow();
    item = await db.selectFrom('bank_entry_item').select(['id']).where('entry_id', '=', entry.id).executeTakeFirstOrThrow();
  });

  it('takes copies of a valid entry and item: the checks refuse only what a foreign key refused', async () => {
    const { db } = handle();
    const [entries, items] = [await count(db, 'bank_entry'), await count(db, 'bank_entry_item')];
    const rollBack = new Error('roll back: keeps the copies out of the other tests');
    await expect(
      db.transaction().execute(async (trx) => {
        await copyEntries(entry.id, 3, 'file_id', entry.file_id.toString()).execute(trx);
        await copyItems(item.id, 3, 'client_id', region.amira.toString()).execute(trx);
        expect(await count(trx, 'bank_entry')).toBe(entries + 3);
        expect(await count(trx, 'bank_entry_item')).toBe(items + 3);
        throw rollBack;
      }),
    ).rejects.toBe(rollBack);
    expect(await count(db, 'bank_entry')).toBe(entries);
  });

  it('refuses an entry of a file, account or statement that does not exist, and keeps none of the statement', async () => {
    const { db } = handle();
    const before = await count(db, 'bank_entry');
    for (const [column, value, constraint] of [
      ['file_id', '999999', 'bank_entry_file_id_fkey'],
      ['iban', 'NL18RABO0123459876', 'bank_entry_iban_fkey'],
      ['statement_row', '999999', 'bank_entry_statement_row_fkey'],
    ] as const) {
      // Five rows, only the last one wrong.
      const refused = await refusal(copyEntries(entry.id, 5, column, value).execute(db));
      expect(refused).toMatchObject({ state: '23503', constraint });
      expect(refused.message).toContain(value);
    }
    expect(await count(db, 'bank_entry')).toBe(before);
  });

  it('refuses an item of an entry, client or gemeente that does not exist, and keeps none of the statement', async () => {
    const { db } = handle();
    const before = await count(db, 'bank_entry_item');
    for (const [column, value, constraint] of [
      ['entry_id', '999999', 'bank_entry_item_entry_id_fkey'],
      ['client_id', '999999', 'bank_entry_item_client_id_fkey'],
      ['gemeente_id', 'GM9999', 'bank_entry_item_gemeente_id_fkey'],
    ] as const) {
      expect(await refusal(copyItems(item.id, 4, column, value).execute(db))).toMatchObject({ state: '23503', constraint });
    }
    expect(await count(db, 'bank_entry_item')).toBe(before);
  });

  it('refuses a sighting of a file that does not exist', async () => {
    const { db } = handle();
    const before = await count(db, 'bank_entry_sighting');
    const refused = await refusal(
      // Two sightings in one statement, one of a file that exists: neither is kept. (A new statement's entries stand for
      // their own sightings since 0034, so these are made from the ingested entry.)
      sql`INSERT INTO bank_entry_sighting (file_id, report_key, report_kind, iban, fingerprint, seen)
          SELECT f, 'statement|' || iban || '|S-TEST||', 'statement', iban, fingerprint, 1
            FROM bank_entry CROSS JOIN unnest(ARRAY[file_id, 999999]) AS f WHERE id = ${entry.id.toString()}::bigint`.execute(db),
    );
    expect(refused).toMatchObject({ state: '23503', constraint: 'bank_entry_sighting_file_id_fkey' });
    expect(await count(db, 'bank_entry_sighting')).toBe(before);
  });

  it('refuses deleting an entry, statement, file or client that is referred to', async () => {
    const { db } = handle();
    expect(await refusal(db.deleteFrom('bank_entry').where('id', '=', entry.id).execute())).toMatchObject({ state: '23503', constraint: 'bank_entry_item_entry_id_fkey' });
    expect(await refusal(db.deleteFrom('bank_statement').where('id', '=', entry.statement_row).execute())).toMatchObject({ state: '23503' });
    expect(await refusal(db.deleteFrom('bank_file').where('id', '=', entry.file_id).execute())).toMatchObject({ state: '23503' });
    expect(await refusal(db.deleteFrom('client').where('id', '=', region.dawit).execute())).toMatchObject({ state: '23503' });
    expect(await db.selectFrom('bank_entry').select('id').where('id', '=', entry.id).execute()).toHaveLength(1);
  });
});
