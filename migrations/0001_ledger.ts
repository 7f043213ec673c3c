import { sql, type Kysely } from 'kysely';

/**
 * 0001: gemeenten, clients (their identity only; the client's record grows in later
 * migrations), accounts with their four balance counters, and the append-only
 * journal (transactions and postings) with its database-level guarantees:
 * every transaction balances, never updated, deleted or truncated, one booking
 * per idempotency key, one resolution per reservation, one reversal per transaction.
 */
// One statement each: the embedded database's extended protocol takes one at a time.
const statements = [
  sql`
    CREATE TABLE gemeente (
      id          text PRIMARY KEY CHECK (id ~ '^GM[0-9]{4}$'),
      name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
      created_at  timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE TABLE client (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      gemeente_id  text NOT NULL REFERENCES gemeente (id),
      reference    text NOT NULL UNIQUE CHECK (length(reference) BETWEEN 1 AND 35),
      created_at   timestamptz NOT NULL DEFAULT now(),
      UNIQUE (id, gemeente_id)
    )
  `,
  sql`
    CREATE TABLE account_purpose (
      id           text PRIMARY KEY,
      description  text NOT NULL
    )
  `,
  sql`
    INSERT INTO account_purpose (id, description) VALUES
      ('bank', 'a bank account of the organisation, one per IBAN'),
      ('client_available', 'a client''s money that is free: not reserved, not yet paid out'),
      ('client_reserved', 'a client''s money set aside for one obligation'),
      ('suspense', 'receipts that are not yet assigned to a client'),
      ('payments_in_transit', 'payments sent to the bank and not yet booked by it'),
      ('advances_receivable', 'emergency advances a client still owes'),
      ('income', 'money the organisation receives for itself'),
      ('expense', 'money the organisation spends itself (bank charges, write-offs)'),
      ('equity', 'opening balances and the organisation''s own funds')
  `,
  sql`
    CREATE TABLE account (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      code             text NOT NULL UNIQUE CHECK (length(code) BETWEEN 1 AND 200),
      name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
      kind             text NOT NULL CHECK (kind IN ('asset', 'liability', 'income', 'expense', 'equity')),
      purpose          text NOT NULL REFERENCES account_purpose (id),
      gemeente_id      text REFERENCES gemeente (id),
      client_id        bigint,
      currency         char(3) NOT NULL DEFAULT 'EUR' CHECK (currency = 'EUR'),
      balance_rule     text NOT NULL CHECK (balance_rule IN ('none', 'debits_must_not_exceed_credits', 'credits_must_not_exceed_debits')),
      debits_posted    bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
      credits_posted   bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
      debits_pending   bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
      credits_pending  bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
      last_seq         bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
      created_at       timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      CHECK (client_id IS NULL OR gemeente_id IS NOT NULL),
      -- The overdraft rule, checked by the database too: pending debits count against it.
      CONSTRAINT account_no_overdraft CHECK (
        balance_rule <> 'debits_must_not_exceed_credits' OR debits_posted + debits_pending <= credits_posted),
      CONSTRAINT account_no_overcredit CHECK (
        balance_rule <> 'credits_must_not_exceed_debits' OR credits_posted + credits_pending <= debits_posted)
    )
  `,
  sql`
    CREATE INDEX account_client_idx ON account (client_id) WHERE client_id IS NOT NULL
  `,
  sql`
    CREATE SEQUENCE ledger_transaction_id_seq AS bigint
  `,
  sql`
    CREATE TABLE ledger_transaction (
      id               bigint PRIMARY KEY DEFAULT nextval('ledger_transaction_id_seq'),
      idempotency_key  text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      type             text NOT NULL CHECK (type IN ('transfer', 'pending', 'post_pending', 'void_pending', 'reversal')),
      outcome          text NOT NULL CHECK (outcome IN ('booked', 'refused')),
      pending_id       bigint REFERENCES ledger_transaction (id),
      reverses_id      bigint REFERENCES ledger_transaction (id),
      booking_date     date NOT NULL,
      description      text NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
      request          jsonb NOT NULL,
      content_hash     text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
      refusal_code     text,
      refusal_message  text,
      created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
      created_xid      bigint NOT NULL DEFAULT txid_current(),
      CHECK ((outcome = 'refused') = (refusal_code IS NOT NULL)),
      CHECK (outcome = 'refused' OR (type IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
      CHECK (outcome = 'refused' OR (type = 'reversal') = (reverses_id IS NOT NULL))
    )
  `,
  sql`
    ALTER SEQUENCE ledger_transaction_id_seq OWNED BY ledger_transaction.id
  `,
  sql`
    -- Kept forever: bank files come back weeks later.
    CREATE UNIQUE INDEX ledger_transaction_idempotency_key ON ledger_transaction (idempotency_key)
  `,
  sql`
    -- A reservation is posted or voided once; a transaction is reversed once.
    CREATE UNIQUE INDEX ledger_transaction_one_resolution ON ledger_transaction (pending_id) WHERE outcome = 'booked' AND pending_id IS NOT NULL
  `,
  sql`
    CREATE UNIQUE INDEX ledger_transaction_one_reversal ON ledger_transaction (reverses_id) WHERE outcome = 'booked' AND reverses_id IS NOT NULL
  `,
  sql`
    CREATE TABLE ledger_posting (
      id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      -- Checked per statement by ledger_posting_check (cheaper than three per-row foreign keys, and stricter).
      transaction_id         bigint NOT NULL,
      account_id             bigint NOT NULL,
      gemeente_id            text,
      side                   char(1) NOT NULL CHECK (side IN ('D', 'C')),
      phase                  text NOT NULL CHECK (phase IN ('posted', 'pending', 'release')),
      amount_cents           bigint NOT NULL CHECK (amount_cents > 0),
      account_seq            bigint NOT NULL CHECK (account_seq > 0),
      booking_date           date NOT NULL,
      booked_at              timestamptz NOT NULL DEFAULT clock_timestamp(),
      debits_posted_after    bigint NOT NULL CHECK (debits_posted_after >= 0),
      credits_posted_after   bigint NOT NULL CHECK (credits_posted_after >= 0),
      debits_pending_after   bigint NOT NULL CHECK (debits_pending_after >= 0),
      credits_pending_after  bigint NOT NULL CHECK (credits_pending_after >= 0),
      UNIQUE (account_id, account_seq)
    )
  `,
  sql`
    CREATE INDEX ledger_posting_transaction_idx ON ledger_posting (transaction_id)
  `,
  sql`
    -- Append-only: corrections are reversals, never edits.
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION 'the ledger is append-only: % on % is not allowed; book a reversal instead', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
    END
    $fn$
  `,
  sql`
    CREATE TRIGGER ledger_transaction_append_only BEFORE UPDATE OR DELETE ON ledger_transaction
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `,
  sql`
    CREATE TRIGGER ledger_transaction_no_truncate BEFORE TRUNCATE ON ledger_transaction
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `,
  sql`
    CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `,
  sql`
    CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `,
  sql`
    CREATE TRIGGER account_no_delete BEFORE DELETE ON account
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `,
  sql`
    CREATE TRIGGER account_no_truncate BEFORE TRUNCATE ON account
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `,
  sql`
    -- Once per INSERT statement, over all its rows: each posting joins a booked transaction written in this
    -- database transaction (so a committed transaction can never change afterwards) and an existing account,
    -- carries that account's gemeente, and every transaction it touches balances per phase.
    CREATE FUNCTION ledger_posting_check() RETURNS trigger LANGUAGE plpgsql AS $fn$
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
  `,
  sql`
    CREATE TRIGGER ledger_posting_check AFTER INSERT ON ledger_posting
      REFERENCING NEW TABLE AS new_postings
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_posting_check()
  `,
  sql`
    -- At commit: a booked transaction has postings (the statement check above sees only postings, not their absence).
    CREATE FUNCTION ledger_transaction_has_postings() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF NEW.outcome = 'booked' AND NOT EXISTS (SELECT 1 FROM ledger_posting WHERE transaction_id = NEW.id) THEN
        RAISE EXCEPTION 'ledger transaction % (key %) has no postings; a booking must move money', NEW.id, NEW.idempotency_key
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NULL;
    END
    $fn$
  `,
  sql`
    CREATE CONSTRAINT TRIGGER ledger_transaction_has_postings AFTER INSERT ON ledger_transaction
      DEFERRABLE INITIALLY DEFERRED
      FOR EACH ROW EXECUTE FUNCTION ledger_transaction_has_postings()
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('the ledger migration cannot be undone: the journal is kept forever');
}
