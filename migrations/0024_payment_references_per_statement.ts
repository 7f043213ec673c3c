import { sql, type Kysely } from 'kysely';

/**
 * 0024: the references of the daily batch's bulk-written rows are checked once per statement, not once per row.
 *
 * A foreign key checks each inserted row on its own: a trigger event per row and a look-up with a lock of the
 * referenced row, about 7 µs each. The daily batch writes hundreds of thousands of rows a day into the tables below
 * (at 100,000 clients: 400,000 reservations, 400,000 instructions, scheduled payments and events), and every row carried
 * one to three of these checks. Moving 100,000 instructions into their batch took 2.37 s with the `batch_id` foreign key
 * and 1.66 s without it.
 *
 * The same rules now hold per statement, as the ledger's journal does since 0014 and 0020:
 * - **inserted rows**: one statement trigger per reference. It takes the distinct referenced keys of the statement's
 *   rows and locks the referenced rows `FOR KEY SHARE`, as a foreign key does, so that they cannot be deleted before this
 *   transaction ends. It then raises SQLSTATE 23503 (with the old constraint's name) for a key that does not exist.
 * - **updated rows**: `payment_instruction.batch_id` is set for every instruction a batch takes, so it is checked per
 *   statement too, for the batches the statement newly refers to only (an UPDATE of the status locks no batch). Any other referencing column that an UPDATE changes is checked by a row trigger. A row trigger's
 *   WHEN clause keeps it from firing at all when the key is unchanged, and the service never changes those keys.
 * - **the referenced side**: deleting a referenced row, or changing its key, is refused (23503), as NO ACTION did.
 *   The check runs after the row is deleted, so a concurrent insert that locked the row has committed by then and
 *   is seen.
 *
 * Columns may be NULL as before (MATCH SIMPLE: a reference with a NULL column is not checked).
 */
interface Reference {
  /** The foreign key this replaces; its name is kept in the error. */
  readonly constraint: string;
  readonly child: string;
  readonly columns: readonly string[];
  readonly parent: string;
  readonly parentColumns: readonly string[];
  /** What the referenced row is, for the message. */
  readonly what: string;
}

const REFERENCES: readonly Reference[] = [
  { constraint: 'payment_instruction_client_id_gemeente_id_fkey', child: 'payment_instruction', columns: ['client_id', 'gemeente_id'], parent: 'client', parentColumns: ['id', 'gemeente_id'], what: 'client' },
  { constraint: 'payment_instruction_debtor_iban_fkey', child: 'payment_instruction', columns: ['debtor_iban'], parent: 'payment_account', parentColumns: ['iban'], what: 'payment account' },
  { constraint: 'payment_instruction_gemeente_fk', child: 'payment_instruction', columns: ['gemeente_id'], parent: 'gemeente', parentColumns: ['id'], what: 'gemeente' },
  { constraint: 'payment_instruction_batch_id_fkey', child: 'payment_instruction', columns: ['batch_id'], parent: 'payment_batch', parentColumns: ['id'], what: 'payment batch' },
  { constraint: 'payment_event_instruction_id_fkey', child: 'payment_event', columns: ['instruction_id'], parent: 'payment_instruction', parentColumns: ['id'], what: 'payment instruction' },
  { constraint: 'payment_event_batch_id_fkey', child: 'payment_event', columns: ['batch_id'], parent: 'payment_batch', parentColumns: ['id'], what: 'payment batch' },
  { constraint: 'scheduled_payment_client_id_gemeente_id_fkey', child: 'scheduled_payment', columns: ['client_id', 'gemeente_id'], parent: 'client', parentColumns: ['id', 'gemeente_id'], what: 'client' },
  { constraint: 'scheduled_payment_obligation_id_fkey', child: 'scheduled_payment', columns: ['obligation_id'], parent: 'obligation', parentColumns: ['id'], what: 'obligation' },
  { constraint: 'allocation_reservation_client_id_fkey', child: 'allocation_reservation', columns: ['client_id'], parent: 'client', parentColumns: ['id'], what: 'client' },
  { constraint: 'allocation_reservation_obligation_id_fkey', child: 'allocation_reservation', columns: ['obligation_id'], parent: 'obligation', parentColumns: ['id'], what: 'obligation' },
];

/**
 * Checked per statement on UPDATE as well, for the keys the statement newly refers to (the others by a row trigger
 * when their key changes): grouping sets `batch_id` on every instruction of a batch at once.
 */
const PER_STATEMENT_ON_UPDATE = new Set(['payment_instruction_batch_id_fkey']);

const list = (columns: readonly string[], prefix = ''): string => columns.map((c) => `${prefix}${c}`).join(', ');
const notNull = (columns: readonly string[], prefix = ''): string => columns.map((c) => `${prefix}${c} IS NOT NULL`).join(' AND ');
const matches = (r: Reference, parentAlias: string, childAlias: string): string => r.parentColumns.map((p, i) => `${parentAlias}.${p} = ${childAlias}.${r.columns[i]!}`).join(' AND ');
const changed = (columns: readonly string[]): string => columns.map((c) => `OLD.${c} IS DISTINCT FROM NEW.${c}`).join(' OR ');
const quote = (text: string): string => `'${text.replace(/'/g, "''")}'`;

const FUNCTIONS = [
  // TG_ARGV: constraint, distinct key columns, key not null, parent table, parent matches n, what, key columns of n as text
  sql`
    CREATE FUNCTION references_check_statement() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      -- The keys this statement newly refers to: on UPDATE, those no updated row referred to before. A settlement or
      -- a release (status only) so neither checks nor locks its batch, as a foreign key would not: a KEY SHARE lock
      -- there would queue behind, and could deadlock with, the batch's own FOR UPDATE during approval or release.
      referred text;
      keys bigint;
      locked bigint;
      missing text;
    BEGIN
      referred := CASE TG_OP
        WHEN 'UPDATE' THEN format('(SELECT %1$s FROM new_rows WHERE %2$s EXCEPT SELECT %1$s FROM old_rows WHERE %2$s)', TG_ARGV[1], TG_ARGV[2])
        ELSE format('(SELECT DISTINCT %s FROM new_rows WHERE %s)', TG_ARGV[1], TG_ARGV[2])
      END;
      -- One index probe per distinct key (OFFSET 0 keeps the planner from scanning the whole referenced table), each
      -- referenced row locked as a foreign key locks it: a concurrent delete then waits for this transaction.
      EXECUTE format('SELECT count(*), count(x.ok) FROM %s n LEFT JOIN LATERAL (SELECT 1 AS ok FROM %I p WHERE %s OFFSET 0 FOR KEY SHARE OF p) x ON true',
                     referred, TG_ARGV[3], TG_ARGV[4])
        INTO keys, locked;
      IF locked < keys THEN
        EXECUTE format('SELECT %s FROM %s n WHERE NOT EXISTS (SELECT 1 FROM %I p WHERE %s) LIMIT 1', TG_ARGV[6], referred, TG_ARGV[3], TG_ARGV[4])
          INTO missing;
        RAISE EXCEPTION 'a row of % refers to % %, which does not exist', TG_TABLE_NAME, TG_ARGV[5], missing
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME;
      END IF;
      RETURN NULL;
    END
    $fn$
  `,
  // TG_ARGV: constraint, parent table, parent matches ($1 = NEW), what, key of $1 as text
  sql`
    CREATE FUNCTION references_check_row() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      found boolean;
      key text;
    BEGIN
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I p WHERE %s FOR KEY SHARE OF p)', TG_ARGV[1], TG_ARGV[2]) USING NEW INTO found;
      IF NOT found THEN
        EXECUTE format('SELECT %s', TG_ARGV[4]) USING NEW INTO key;
        RAISE EXCEPTION 'a row of % refers to % %, which does not exist', TG_TABLE_NAME, TG_ARGV[3], key
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME;
      END IF;
      RETURN NULL;
    END
    $fn$
  `,
  // TG_ARGV: constraint, child table, child matches ($1 = OLD), what
  sql`
    CREATE FUNCTION references_guard_referenced() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      used boolean;
    BEGIN
      EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I c WHERE %s)', TG_ARGV[1], TG_ARGV[2]) USING OLD INTO used;
      IF used THEN
        RAISE EXCEPTION 'this % is referred to by % and cannot be %', TG_ARGV[3], TG_ARGV[1], CASE TG_OP WHEN 'DELETE' THEN 'deleted' ELSE 'given another key' END
          USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0], TABLE = TG_TABLE_NAME;
      END IF;
      RETURN NULL;
    END
    $fn$
  `,
];

function triggersFor(r: Reference): string[] {
  const n = (suffix: string) => `${r.constraint}_${suffix}`;
  const keyText = r.columns.map((c) => `n.${c}::text`).join(` || '/' || `);
  const rowKeyText = r.columns.map((c) => `($1).${c}::text`).join(` || '/' || `);
  const statementArgs = [r.constraint, list(r.columns), notNull(r.columns), r.parent, matches(r, 'p', 'n'), r.what, keyText].map(quote).join(', ');
  const rowArgs = [r.constraint, r.parent, `${r.parentColumns.map((p, i) => `p.${p} = ($1).${r.columns[i]!}`).join(' AND ')}`, r.what, rowKeyText].map(quote).join(', ');
  const guardArgs = [r.constraint, r.child, r.columns.map((c, i) => `c.${c} = ($1).${r.parentColumns[i]!}`).join(' AND '), r.what].map(quote).join(', ');
  return [
    `CREATE TRIGGER ${n('ins')} AFTER INSERT ON ${r.child} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION references_check_statement(${statementArgs})`,
    PER_STATEMENT_ON_UPDATE.has(r.constraint)
      ? `CREATE TRIGGER ${n('upd')} AFTER UPDATE ON ${r.child} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION references_check_statement(${statementArgs})`
      : `CREATE TRIGGER ${n('upd')} AFTER UPDATE OF ${list(r.columns)} ON ${r.child} FOR EACH ROW WHEN ((${changed(r.columns)}) AND ${notNull(r.columns, 'NEW.')}) EXECUTE FUNCTION references_check_row(${rowArgs})`,
    `CREATE TRIGGER ${n('del')} AFTER DELETE ON ${r.parent} FOR EACH ROW EXECUTE FUNCTION references_guard_referenced(${guardArgs})`,
    `CREATE TRIGGER ${n('key')} AFTER UPDATE OF ${list(r.parentColumns)} ON ${r.parent} FOR EACH ROW WHEN (${changed(r.parentColumns)}) EXECUTE FUNCTION references_guard_referenced(${guardArgs})`,
  ];
}

export async function up(db: Kysely<any>): Promise<void> {
  for (const f of FUNCTIONS) await f.execute(db);
  for (const r of REFERENCES) {
    // The existing rows were checked by the foreign key being replaced.
    await sql.raw(`ALTER TABLE ${r.child} DROP CONSTRAINT ${r.constraint}`).execute(db);
    for (const statement of triggersFor(r)) await sql.raw(statement).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const r of REFERENCES) {
    for (const suffix of ['ins', 'upd']) await sql.raw(`DROP TRIGGER ${r.constraint}_${suffix} ON ${r.child}`).execute(db);
    for (const suffix of ['del', 'key']) await sql.raw(`DROP TRIGGER ${r.constraint}_${suffix} ON ${r.parent}`).execute(db);
    await sql.raw(`ALTER TABLE ${r.child} ADD CONSTRAINT ${r.constraint} FOREIGN KEY (${list(r.columns)}) REFERENCES ${r.parent} (${list(r.parentColumns)})`).execute(db);
  }
  await sql`DROP FUNCTION references_guard_referenced()`.execute(db);
  await sql`DROP FUNCTION references_check_row()`.execute(db);
  await sql`DROP FUNCTION references_check_statement()`.execute(db);
}
