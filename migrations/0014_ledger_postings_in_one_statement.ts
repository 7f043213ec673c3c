import { sql, type Kysely } from 'kysely';

/**
 * 0014: "a booked transaction has postings" checked once per statement instead of once per row at commit.
 *
 * 0001 checked it with a deferred constraint trigger: one queued event per transaction row and one
 * lookup per row at commit, about a tenth of a batch's database time. The ledger writes a batch's
 * transactions and their postings in one statement (two data-modifying parts of one INSERT), so a
 * statement trigger on the transactions, fired when the whole statement is done, sees the postings.
 * The rule is stricter than before: a booked transaction's postings arrive in the statement that
 * creates it, never later in the same database transaction.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION ledger_transaction_postings_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      bad record;
    BEGIN
      SELECT t.id, t.idempotency_key INTO bad
        FROM new_transactions t
       WHERE t.outcome = 'booked'
         AND NOT EXISTS (SELECT 1 FROM ledger_posting p WHERE p.transaction_id = t.id)
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % (key %) has no postings; a booking must move money, and its postings are written in the statement that creates it', bad.id, bad.idempotency_key
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END
    $fn$
  `.execute(db);
  await sql`
    CREATE TRIGGER ledger_transaction_postings_check AFTER INSERT ON ledger_transaction
      REFERENCING NEW TABLE AS new_transactions
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_transaction_postings_check()
  `.execute(db);
  await sql`DROP TRIGGER ledger_transaction_has_postings ON ledger_transaction`.execute(db);
  await sql`DROP FUNCTION ledger_transaction_has_postings()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION ledger_transaction_has_postings() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF NEW.outcome = 'booked' AND NOT EXISTS (SELECT 1 FROM ledger_posting WHERE transaction_id = NEW.id) THEN
        RAISE EXCEPTION 'ledger transaction % (key %) has no postings; a booking must move money', NEW.id, NEW.idempotency_key
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END
    $fn$
  `.execute(db);
  await sql`
    CREATE CONSTRAINT TRIGGER ledger_transaction_has_postings AFTER INSERT ON ledger_transaction
      DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION ledger_transaction_has_postings()
  `.execute(db);
  await sql`DROP TRIGGER ledger_transaction_postings_check ON ledger_transaction`.execute(db);
  await sql`DROP FUNCTION ledger_transaction_postings_check()`.execute(db);
}
