import { sql, type Kysely } from 'kysely';

/**
 * 0020: the journal's statement checks cost per batch, not per row of the whole journal.
 *
 * 1. `ledger_posting_check` summed each transaction's postings from `ledger_posting`: at 50,000
 *    postings the planner chose a merge join over the whole `(transaction_id)` index, so a batch's
 *    check grew with the journal. It now sums the statement's own rows: every INSERT into
 *    `ledger_posting` runs this check and postings are never changed or deleted, so if each earlier
 *    statement's postings balanced per transaction and phase, the sum of all of them balances exactly
 *    when this statement's do. The transaction and account of each posting are looked up once per
 *    distinct transaction and per distinct account, not once per posting.
 * 2. `content_hash ~ '^[0-9a-f]{64}$'`: PostgreSQL's regular expressions expand a bounded repeat into one state
 *    per repetition, and that one check cost about 30 µs per transaction row, more than the row's insert. The same
 *    rule, 64 bytes all of them hex digits (each a single byte, so 64 characters), is checked without the bound.
 *    Added NOT VALID and then validated: existing rows are checked once, by a scan that does not block readers.
 * 3. The self-referencing foreign keys `pending_id` and `reverses_id` queued two trigger events per
 *    transaction row (almost always NULL). The transactions' statement check now looks the referenced
 *    transactions up, once per statement, and only for the rows that have one. A referenced row can
 *    never go away afterwards: the journal refuses DELETE and TRUNCATE.
 */
const POSTING_CHECK = sql`
  CREATE OR REPLACE FUNCTION ledger_posting_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    bad record;
  BEGIN
    SELECT n.transaction_id, t.id AS found_transaction, t.created_xid, t.outcome
      INTO bad
      FROM (SELECT DISTINCT transaction_id FROM new_postings) n
      LEFT JOIN ledger_transaction t ON t.id = n.transaction_id
     WHERE t.id IS NULL OR t.created_xid <> txid_current() OR t.outcome <> 'booked'
     LIMIT 1;
    IF FOUND THEN
      IF bad.found_transaction IS NULL THEN
        RAISE EXCEPTION 'a posting refers to ledger transaction %, which does not exist', bad.transaction_id
          USING ERRCODE = 'foreign_key_violation';
      ELSIF bad.created_xid <> txid_current() THEN
        RAISE EXCEPTION 'postings may only be added to a transaction in the database transaction that created it'
          USING ERRCODE = 'restrict_violation';
      ELSE
        RAISE EXCEPTION 'ledger transaction % was refused and may not have postings', bad.transaction_id
          USING ERRCODE = 'check_violation';
      END IF;
    END IF;
    SELECT n.account_id, n.gemeente_id, a.id AS found_account, a.gemeente_id AS account_gemeente
      INTO bad
      FROM (SELECT DISTINCT account_id, gemeente_id FROM new_postings) n
      LEFT JOIN account a ON a.id = n.account_id
     WHERE a.id IS NULL OR a.gemeente_id IS DISTINCT FROM n.gemeente_id
     LIMIT 1;
    IF FOUND THEN
      IF bad.found_account IS NULL THEN
        RAISE EXCEPTION 'a posting refers to account %, which does not exist', bad.account_id
          USING ERRCODE = 'foreign_key_violation';
      ELSE
        RAISE EXCEPTION 'a posting to account % carries gemeente %, but the account belongs to %', bad.account_id,
          coalesce(bad.gemeente_id, 'none'), coalesce(bad.account_gemeente, 'none')
          USING ERRCODE = 'check_violation';
      END IF;
    END IF;
    SELECT transaction_id INTO bad
      FROM new_postings
     GROUP BY transaction_id, phase
    HAVING sum(CASE side WHEN 'D' THEN amount_cents ELSE -amount_cents END) <> 0
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION 'ledger transaction % does not balance: debits must equal credits', bad.transaction_id
        USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
  END
  $fn$
`;

const TRANSACTION_CHECK = sql`
  CREATE OR REPLACE FUNCTION ledger_transaction_postings_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
  DECLARE
    bad record;
    refs bigint[];
    missing bigint;
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
    -- One index probe per reference (OFFSET 0 keeps the subquery from becoming a join, for which the
    -- planner may scan the whole primary key or table instead).
    SELECT array_agg(r) INTO refs
      FROM (SELECT pending_id FROM new_transactions UNION ALL SELECT reverses_id FROM new_transactions) AS s (r)
     WHERE r IS NOT NULL;
    IF refs IS NOT NULL THEN
      SELECT u.r INTO missing FROM unnest(refs) AS u (r) WHERE NOT EXISTS (SELECT 1 FROM ledger_transaction x WHERE x.id = u.r OFFSET 0) LIMIT 1;
      IF FOUND THEN
        SELECT t.id, t.idempotency_key, CASE WHEN t.pending_id = missing THEN 'pending_id' ELSE 'reverses_id' END AS column_name INTO bad
          FROM new_transactions t
         WHERE missing IN (t.pending_id, t.reverses_id)
         LIMIT 1;
        RAISE EXCEPTION 'ledger transaction % (key %) has % %, a ledger transaction that does not exist', bad.id, bad.idempotency_key, bad.column_name, missing
          USING ERRCODE = 'foreign_key_violation';
      END IF;
    END IF;
    RETURN NULL;
  END
  $fn$
`;

export async function up(db: Kysely<any>): Promise<void> {
  await POSTING_CHECK.execute(db);
  await TRANSACTION_CHECK.execute(db);
  await sql`ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_pending_id_fkey`.execute(db);
  await sql`ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_reverses_id_fkey`.execute(db);
  await sql`ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_content_hash_check`.execute(db);
  await sql`
    ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_content_hash_check
      CHECK (octet_length(content_hash) = 64 AND content_hash ~ '^[0-9a-f]+$') NOT VALID
  `.execute(db);
  await sql`ALTER TABLE ledger_transaction VALIDATE CONSTRAINT ledger_transaction_content_hash_check`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE ledger_transaction DROP CONSTRAINT ledger_transaction_content_hash_check`.execute(db);
  await sql`ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_content_hash_check CHECK (content_hash ~ '^[0-9a-f]{64}$')`.execute(db);
  await sql`ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_pending_id_fkey FOREIGN KEY (pending_id) REFERENCES ledger_transaction (id)`.execute(db);
  await sql`ALTER TABLE ledger_transaction ADD CONSTRAINT ledger_transaction_reverses_id_fkey FOREIGN KEY (reverses_id) REFERENCES ledger_transaction (id)`.execute(db);
  // 0014's and 0001's bodies, as they were.
  await sql`
    CREATE OR REPLACE FUNCTION ledger_transaction_postings_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
    CREATE OR REPLACE FUNCTION ledger_posting_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
    DECLARE
      bad record;
    BEGIN
      SELECT p.transaction_id, p.account_id, p.gemeente_id, t.id AS found_transaction, t.created_xid, t.outcome,
             a.id AS found_account, a.gemeente_id AS account_gemeente
        INTO bad
        FROM new_postings p
        LEFT JOIN ledger_transaction t ON t.id = p.transaction_id
        LEFT JOIN account a ON a.id = p.account_id
       WHERE t.id IS NULL OR t.created_xid <> txid_current() OR t.outcome <> 'booked'
          OR a.id IS NULL OR a.gemeente_id IS DISTINCT FROM p.gemeente_id
       LIMIT 1;
      IF FOUND THEN
        IF bad.found_transaction IS NULL THEN
          RAISE EXCEPTION 'a posting refers to ledger transaction %, which does not exist', bad.transaction_id
            USING ERRCODE = 'foreign_key_violation';
        ELSIF bad.created_xid <> txid_current() THEN
          RAISE EXCEPTION 'postings may only be added to a transaction in the database transaction that created it'
            USING ERRCODE = 'restrict_violation';
        ELSIF bad.outcome <> 'booked' THEN
          RAISE EXCEPTION 'ledger transaction % was refused and may not have postings', bad.transaction_id
            USING ERRCODE = 'check_violation';
        ELSIF bad.found_account IS NULL THEN
          RAISE EXCEPTION 'a posting refers to account %, which does not exist', bad.account_id
            USING ERRCODE = 'foreign_key_violation';
        ELSE
          RAISE EXCEPTION 'a posting to account % carries gemeente %, but the account belongs to %', bad.account_id,
            coalesce(bad.gemeente_id, 'none'), coalesce(bad.account_gemeente, 'none')
            USING ERRCODE = 'check_violation';
        END IF;
      END IF;
      SELECT x.transaction_id INTO bad
        FROM (
          SELECT p.transaction_id, p.phase, sum(CASE p.side WHEN 'D' THEN p.amount_cents ELSE -p.amount_cents END) AS s
            FROM ledger_posting p
           WHERE p.transaction_id IN (SELECT DISTINCT transaction_id FROM new_postings)
           GROUP BY p.transaction_id, p.phase
        ) x
       WHERE x.s <> 0
       LIMIT 1;
      IF FOUND THEN
        RAISE EXCEPTION 'ledger transaction % does not balance: debits must equal credits', bad.transaction_id
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END
    $fn$
  `.execute(db);
}
