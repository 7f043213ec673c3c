import { sql, type Kysely, type RawBuilder } from 'kysely';
import { numberArray, textArray } from './array-parameters.js';
import type { Database } from './schema.js';
import type { Trx } from './transaction.js';

/** One column of a bulk insert: its SQL type and one value per row. */
export type BulkColumn =
  | { readonly type: 'bigint' | 'integer'; readonly values: readonly (bigint | number | null)[] }
  | { readonly type: 'text' | 'date' | 'jsonb' | 'timestamptz'; readonly values: readonly (string | null)[] }
  | { readonly type: 'boolean'; readonly values: readonly (boolean | null)[] };

/**
 * Inserts many rows in one statement with one array parameter per column
 * (`INSERT … SELECT * FROM unnest($1::bigint[], $2::text[], …)`): the statement's size and its
 * parameters do not grow with the rows, unlike a multi-row VALUES with a parameter per cell, which
 * the query builder, the driver and the server each handle cell by cell.
 * Table and column names come from our code, never from input. `skipExisting`: the columns of a unique key; a row
 * whose key is there already is left out (`ON CONFLICT … DO NOTHING`), so writing what a replay wrote changes nothing.
 */
export async function insertColumns(db: Kysely<Database> | Trx, table: string, columns: Readonly<Record<string, BulkColumn>>, options: BulkInsertOptions = {}): Promise<void> {
  await bulkInsert(table, columns, options)?.execute(db);
}

export interface BulkInsertOptions {
  readonly overridingIdentity?: boolean;
  readonly skipExisting?: readonly string[];
}

/**
 * The statement of `insertColumns`, made (its parameters encoded) but not sent: null when there are no rows. For
 * whoever makes the next statement while the connection still runs the one before.
 */
export function bulkInsert(table: string, columns: Readonly<Record<string, BulkColumn>>, options: BulkInsertOptions = {}): RawBuilder<unknown> | null {
  const names = Object.keys(columns);
  const rows = columns[names[0]!]?.values.length ?? 0;
  if (rows === 0) return null;
  for (const name of names) {
    if (columns[name]!.values.length !== rows) throw new Error(`bulk insert into ${table}: column ${name} has ${columns[name]!.values.length} values, expected ${rows}`);
  }
  const arrays = names.map((name) => arrayOf(columns[name]!));
  return sql`
    INSERT INTO ${sql.table(table)} (${sql.join(names.map((n) => sql.ref(n)))})
    ${options.overridingIdentity ? sql`OVERRIDING SYSTEM VALUE` : sql``}
    SELECT * FROM unnest(${sql.join(arrays)})
    ${options.skipExisting ? sql`ON CONFLICT (${sql.join(options.skipExisting.map((n) => sql.ref(n)))}) DO NOTHING` : sql``}
  `;
}

/** The column as one array parameter with its cast: numbers and texts as such, other types as text cast by the server. */
function arrayOf(column: BulkColumn): RawBuilder<unknown> {
  switch (column.type) {
    case 'bigint':
    case 'integer':
      return sql`${numberArray(column.values, column.type)}::${sql.raw(column.type)}[]`;
    case 'boolean':
      return sql`${textArray(column.values.map((v) => (v === null ? null : v ? 't' : 'f')))}::text[]::boolean[]`;
    case 'text':
      return sql`${textArray(column.values)}::text[]`;
    default:
      return sql`${textArray(column.values)}::text[]::${sql.raw(column.type)}[]`;
  }
}

/**
 * Ids for `count` new rows of `table`, taken from its identity sequence in one round trip, so that
 * rows written in bulk can be referred to (by their children) without reading them back.
 * The sequence is looked up once (`OFFSET 0` keeps the sub-select from being merged into the loop):
 * `nextval(pg_get_serial_sequence(…))` per row looked it up in the catalogue for every id, 2.7 µs
 * each against 0.45 µs (100,000 ids: 270–300 ms against 45–48 ms).
 */
export async function allocateIds(trx: Trx, table: string, count: number): Promise<bigint[]> {
  if (count === 0) return [];
  const { rows } = await sql<{ id: bigint }>`
    SELECT nextval(s.sequence) AS id
    FROM (SELECT pg_get_serial_sequence(${table}, 'id')::regclass AS sequence OFFSET 0) AS s
    CROSS JOIN generate_series(1, ${count}::int)`.execute(trx);
  return rows.map((r) => BigInt(r.id));
}
