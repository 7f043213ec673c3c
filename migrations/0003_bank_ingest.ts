import { sql, type Kysely } from 'kysely';

/**
 * 0003: bank statements into the ledger. The organisation's bank accounts, the payers
 * we know per gemeente and the identifiers clients are found by; uploaded files (kept
 * whole, for audit and for the worker), their statements, the entries they reported
 * (each real entry once, see src/ingest/identity.ts), the items booked from them, the
 * suspense work queue's assignments and the alerts an ingest raised.
 */
const statements = [
  sql`
    INSERT INTO account_purpose (id, description) VALUES
      ('opening_balance', 'the bank balance found when an account was taken into use, until assigned')
  `,
  sql`
    CREATE TABLE bank_account (
      iban                 text PRIMARY KEY CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
      name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 140),
      account_id           bigint NOT NULL UNIQUE REFERENCES account (id),
      suspense_account_id  bigint NOT NULL UNIQUE REFERENCES account (id),
      created_at           timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE TABLE known_payer (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      gemeente_id  text NOT NULL REFERENCES gemeente (id),
      iban         text NOT NULL CHECK (iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
      name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 140),
      kind         text NOT NULL CHECK (kind IN ('bijstand', 'toeslagen', 'svb', 'other')),
      created_at   timestamptz NOT NULL DEFAULT now(),
      UNIQUE (gemeente_id, iban)
    )
  `,
  sql`
    CREATE INDEX known_payer_iban_idx ON known_payer (iban)
  `,
  sql`
    CREATE TABLE client_identifier (
      client_id    bigint NOT NULL,
      gemeente_id  text NOT NULL,
      kind         text NOT NULL CHECK (kind IN ('client_reference', 'rf_reference', 'bsn_hash', 'case_number', 'toeslagen_reference', 'svb_number')),
      value        text NOT NULL CHECK (length(value) BETWEEN 1 AND 100),
      created_at   timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      PRIMARY KEY (kind, value, gemeente_id)
    )
  `,
  sql`
    CREATE TABLE gemeente_matching (
      gemeente_id  text PRIMARY KEY REFERENCES gemeente (id),
      rules        text[] NOT NULL CHECK (rules <@ ARRAY['own_payment', 'client_reference', 'known_payer']::text[]),
      updated_at   timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE TABLE bank_file (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      sha256        text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      file_name     text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
      byte_size     bigint NOT NULL CHECK (byte_size >= 0),
      content       bytea NOT NULL,
      status        text NOT NULL CHECK (status IN ('received', 'ingested', 'refused', 'undone')),
      received_by   text NOT NULL,
      received_at   timestamptz NOT NULL DEFAULT now(),
      message_name  text,
      message_id    text,
      result        jsonb,
      error         jsonb,
      ingested_at   timestamptz,
      undone_at     timestamptz,
      undone_by     text,
      undo_reason   text,
      CHECK ((status = 'undone') = (undone_at IS NOT NULL))
    )
  `,
  sql`
    -- A file is known by its content: the same bytes again are the same upload, until undone.
    CREATE UNIQUE INDEX bank_file_one_live_copy ON bank_file (sha256) WHERE status IN ('received', 'ingested')
  `,
  sql`
    CREATE TABLE bank_statement (
      id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      file_id           bigint NOT NULL REFERENCES bank_file (id),
      statement_index   integer NOT NULL,
      report_kind       text NOT NULL CHECK (report_kind IN ('statement', 'notification')),
      report_key        text NOT NULL,
      iban              text NOT NULL REFERENCES bank_account (iban),
      statement_id      text NOT NULL,
      electronic_seq    text,
      legal_seq         text,
      copy_duplicate    text,
      created_at_bank   text,
      opening_cents     bigint,
      closing_cents     bigint,
      closing_date      date,
      balance_check     text NOT NULL,
      difference_cents  bigint,
      entries           integer NOT NULL,
      UNIQUE (file_id, statement_index)
    )
  `,
  sql`
    CREATE INDEX bank_statement_account_idx ON bank_statement (iban, report_kind)
  `,
  sql`
    -- How often a report (a statement or a notification) showed an entry fingerprint: the basis of the counting rule.
    CREATE TABLE bank_entry_sighting (
      file_id      bigint NOT NULL REFERENCES bank_file (id),
      report_key   text NOT NULL,
      report_kind  text NOT NULL CHECK (report_kind IN ('statement', 'notification')),
      iban         text NOT NULL,
      fingerprint  text NOT NULL,
      seen         integer NOT NULL CHECK (seen > 0),
      PRIMARY KEY (file_id, report_key, fingerprint)
    )
  `,
  sql`
    CREATE INDEX bank_entry_sighting_fingerprint_idx ON bank_entry_sighting (iban, fingerprint)
  `,
  sql`
    CREATE TABLE bank_entry (
      id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      iban            text NOT NULL REFERENCES bank_account (iban),
      fingerprint     text NOT NULL,
      signature       text NOT NULL,
      occurrence      integer NOT NULL CHECK (occurrence > 0),
      generation      integer NOT NULL CHECK (generation > 0),
      file_id         bigint NOT NULL REFERENCES bank_file (id),
      statement_row   bigint NOT NULL REFERENCES bank_statement (id),
      entry_index     integer NOT NULL,
      booking_date    date,
      value_date      date,
      credit_debit    text NOT NULL CHECK (credit_debit IN ('CRDT', 'DBIT')),
      amount_cents    bigint CHECK (amount_cents > 0),
      amount_text     text NOT NULL,
      currency        text NOT NULL,
      reversal        boolean NOT NULL,
      acct_svcr_ref   text,
      entry_ref       text,
      bank_code       text,
      additional_info text,
      outcome         text NOT NULL CHECK (outcome IN ('booked', 'exception')),
      exception       text,
      undone_at       timestamptz,
      CHECK ((outcome = 'booked') = (amount_cents IS NOT NULL AND booking_date IS NOT NULL))
    )
  `,
  sql`
    -- The identity of a real entry: each occurrence of a fingerprint on an account is booked once.
    CREATE UNIQUE INDEX bank_entry_identity ON bank_entry (iban, fingerprint, occurrence) WHERE undone_at IS NULL
  `,
  sql`
    CREATE INDEX bank_entry_file_idx ON bank_entry (file_id)
  `,
  sql`
    CREATE TABLE bank_entry_item (
      id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      entry_id            bigint NOT NULL REFERENCES bank_entry (id),
      item_index          integer NOT NULL,
      amount_cents        bigint NOT NULL CHECK (amount_cents > 0),
      credit_debit        text NOT NULL CHECK (credit_debit IN ('CRDT', 'DBIT')),
      booking_date        date NOT NULL,
      end_to_end_id       text,
      payment_info_id     text,
      counterparty_name   text,
      counterparty_iban   text,
      remittance          text,
      creditor_reference  text,
      return_reason       text,
      destination         text NOT NULL CHECK (destination IN ('client', 'suspense', 'settlement', 'return')),
      match_rule          text,
      match_detail        jsonb NOT NULL,
      client_id           bigint REFERENCES client (id),
      gemeente_id         text REFERENCES gemeente (id),
      income_type         text CHECK (income_type IN ('bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other')),
      ledger_key          text NOT NULL UNIQUE,
      UNIQUE (entry_id, item_index),
      CHECK ((destination IN ('client', 'return')) = (client_id IS NOT NULL))
    )
  `,
  sql`
    CREATE INDEX bank_entry_item_suspense_idx ON bank_entry_item (id) WHERE destination = 'suspense'
  `,
  sql`
    CREATE INDEX bank_entry_item_client_idx ON bank_entry_item (client_id) WHERE client_id IS NOT NULL
  `,
  sql`
    CREATE TABLE suspense_assignment (
      item_id      bigint PRIMARY KEY REFERENCES bank_entry_item (id),
      client_id    bigint NOT NULL REFERENCES client (id),
      income_type  text NOT NULL,
      assigned_by  text NOT NULL CHECK (length(assigned_by) BETWEEN 1 AND 200),
      reason       text NOT NULL CHECK (length(reason) BETWEEN 3 AND 1000),
      assigned_at  timestamptz NOT NULL DEFAULT now(),
      ledger_key   text NOT NULL UNIQUE,
      undone_at    timestamptz
    )
  `,
  sql`
    CREATE TABLE bank_alert (
      id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      file_id        bigint REFERENCES bank_file (id),
      statement_row  bigint REFERENCES bank_statement (id),
      code           text NOT NULL,
      severity       text NOT NULL CHECK (severity IN ('error', 'warning')),
      message        text NOT NULL,
      details        jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at     timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE INDEX bank_alert_file_idx ON bank_alert (file_id)
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0003 is not reversible: bank files, entries and their bookings are records');
}
