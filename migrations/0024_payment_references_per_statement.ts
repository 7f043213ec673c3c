import { sql, type Kysely } from 'kysely';
import { replaceForeignKeys, restoreForeignKeys, type Reference } from './references-per-statement.js';

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
 * Columns may be NULL as before (MATCH SIMPLE: a reference with a NULL column is not checked). The triggers are made
 * by `references-per-statement.ts`.
 */
const REFERENCES: readonly Reference[] = [
  { constraint: 'payment_instruction_client_id_gemeente_id_fkey', child: 'payment_instruction', columns: ['client_id', 'gemeente_id'], parent: 'client', parentColumns: ['id', 'gemeente_id'], what: 'client' },
  { constraint: 'payment_instruction_debtor_iban_fkey', child: 'payment_instruction', columns: ['debtor_iban'], parent: 'payment_account', parentColumns: ['iban'], what: 'payment account' },
  { constraint: 'payment_instruction_gemeente_fk', child: 'payment_instruction', columns: ['gemeente_id'], parent: 'gemeente', parentColumns: ['id'], what: 'gemeente' },
  // Checked per statement on UPDATE as well, for the keys it newly refers to: grouping sets `batch_id` on every
  // instruction of a batch at once.
  { constraint: 'payment_instruction_batch_id_fkey', child: 'payment_instruction', columns: ['batch_id'], parent: 'payment_batch', parentColumns: ['id'], what: 'payment batch', onUpdate: 'statement' },
  { constraint: 'payment_event_instruction_id_fkey', child: 'payment_event', columns: ['instruction_id'], parent: 'payment_instruction', parentColumns: ['id'], what: 'payment instruction' },
  { constraint: 'payment_event_batch_id_fkey', child: 'payment_event', columns: ['batch_id'], parent: 'payment_batch', parentColumns: ['id'], what: 'payment batch' },
  { constraint: 'scheduled_payment_client_id_gemeente_id_fkey', child: 'scheduled_payment', columns: ['client_id', 'gemeente_id'], parent: 'client', parentColumns: ['id', 'gemeente_id'], what: 'client' },
  { constraint: 'scheduled_payment_obligation_id_fkey', child: 'scheduled_payment', columns: ['obligation_id'], parent: 'obligation', parentColumns: ['id'], what: 'obligation' },
  { constraint: 'allocation_reservation_client_id_fkey', child: 'allocation_reservation', columns: ['client_id'], parent: 'client', parentColumns: ['id'], what: 'client' },
  { constraint: 'allocation_reservation_obligation_id_fkey', child: 'allocation_reservation', columns: ['obligation_id'], parent: 'obligation', parentColumns: ['id'], what: 'obligation' },
];

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

export async function up(db: Kysely<any>): Promise<void> {
  for (const f of FUNCTIONS) await f.execute(db);
  for (const statement of replaceForeignKeys(REFERENCES)) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const statement of restoreForeignKeys(REFERENCES)) await sql.raw(statement).execute(db);
  await sql`DROP FUNCTION references_guard_referenced()`.execute(db);
  await sql`DROP FUNCTION references_check_row()`.execute(db);
  await sql`DROP FUNCTION references_check_statement()`.execute(db);
}
