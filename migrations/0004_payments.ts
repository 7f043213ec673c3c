import { sql, type Kysely } from 'kysely';

/**
 * 0004: outgoing payments. Instructions (one per client, obligation or leefgeld, period and
 * attempt), the batches they are approved and released in, the pain.001 files (kept whole,
 * re-downloadable byte for byte), their payment-information blocks (for the bank's batch
 * debit), the approvals (four eyes) and every lifecycle step as an event.
 */
const statements = [
  sql`
    CREATE TABLE payment_account (
      iban                   text PRIMARY KEY REFERENCES bank_account (iban),
      debtor_name            text NOT NULL CHECK (length(debtor_name) BETWEEN 1 AND 70),
      initiating_party_name  text NOT NULL CHECK (length(initiating_party_name) BETWEEN 1 AND 70),
      pain_version           text NOT NULL DEFAULT '09' CHECK (pain_version IN ('03', '09')),
      batch_booking          boolean NOT NULL DEFAULT true,
      instant                boolean NOT NULL DEFAULT false,
      in_transit_account_id  bigint NOT NULL UNIQUE REFERENCES account (id)
    )
  `,
  sql`
    CREATE TABLE payment_policy (
      gemeente_id                  text PRIMARY KEY REFERENCES gemeente (id),
      double_approval_above_cents  bigint NOT NULL CHECK (double_approval_above_cents >= 0)
    )
  `,
  sql`
    CREATE TABLE payment_batch (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      gemeente_id      text NOT NULL REFERENCES gemeente (id),
      debtor_iban      text NOT NULL REFERENCES payment_account (iban),
      execution_date   date NOT NULL,
      instant          boolean NOT NULL,
      status           text NOT NULL CHECK (status IN ('awaiting_approval', 'approved', 'rejected', 'released', 'bank_rejected')),
      payments         integer NOT NULL CHECK (payments > 0),
      total_cents      bigint NOT NULL CHECK (total_cents > 0),
      approvals_needed integer NOT NULL CHECK (approvals_needed IN (1, 2)),
      created_by       text NOT NULL,
      created_at       timestamptz NOT NULL DEFAULT now(),
      rejected_by      text,
      rejected_at      timestamptz,
      reject_reason    text,
      released_by      text,
      released_at      timestamptz,
      reissue_of       bigint REFERENCES payment_batch (id)
    )
  `,
  sql`
    CREATE INDEX payment_batch_status_idx ON payment_batch (gemeente_id, status, execution_date)
  `,
  sql`
    CREATE TABLE payment_approval (
      batch_id     bigint NOT NULL REFERENCES payment_batch (id),
      approved_by  text NOT NULL,
      approved_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (batch_id, approved_by)
    )
  `,
  sql`
    CREATE TABLE payment_instruction (
      id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      idempotency_key      text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      client_id            bigint NOT NULL,
      gemeente_id          text NOT NULL,
      kind                 text NOT NULL CHECK (kind IN ('obligation', 'leefgeld', 'noodvoorziening', 'refund')),
      obligation_id        bigint,
      period               text NOT NULL,
      attempt              integer NOT NULL DEFAULT 1 CHECK (attempt > 0),
      retry_of             bigint REFERENCES payment_instruction (id),
      due_date             date NOT NULL,
      execution_date       date NOT NULL,
      amount_cents         bigint NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 99999999999),
      debtor_iban          text NOT NULL REFERENCES payment_account (iban),
      creditor_name        text NOT NULL CHECK (length(creditor_name) BETWEEN 1 AND 140),
      creditor_name_latin  text NOT NULL CHECK (length(creditor_name_latin) BETWEEN 1 AND 140),
      creditor_iban        text NOT NULL CHECK (creditor_iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
      remittance           text,
      reference_issuer     text CHECK (reference_issuer IN ('CUR', 'ISO')),
      reference            text,
      urgent               boolean NOT NULL DEFAULT false,
      reservation_key      text NOT NULL,
      end_to_end_id        text UNIQUE,
      status               text NOT NULL CHECK (status IN ('created', 'held', 'batched', 'released', 'settled', 'returned', 'cancelled', 'bank_rejected')),
      hold_reason          text,
      batch_id             bigint REFERENCES payment_batch (id),
      return_reason        text,
      created_at           timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      CHECK ((reference IS NULL) = (reference_issuer IS NULL)),
      CHECK ((status = 'held') = (hold_reason IS NOT NULL)),
      CHECK (status IN ('created', 'held', 'cancelled') OR batch_id IS NOT NULL)
    )
  `,
  sql`
    CREATE INDEX payment_instruction_open_idx ON payment_instruction (gemeente_id, status, execution_date) WHERE status IN ('created', 'held', 'batched')
  `,
  sql`
    CREATE INDEX payment_instruction_batch_idx ON payment_instruction (batch_id)
  `,
  sql`
    CREATE INDEX payment_instruction_client_idx ON payment_instruction (client_id)
  `,
  sql`
    -- A payment instruction is in at most one released file, ever.
    CREATE TABLE payment_release (
      instruction_id  bigint PRIMARY KEY REFERENCES payment_instruction (id),
      batch_id        bigint NOT NULL REFERENCES payment_batch (id),
      released_at     timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE TABLE payment_file (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      batch_id         bigint NOT NULL REFERENCES payment_batch (id),
      sequence         integer NOT NULL CHECK (sequence > 0),
      message_id       text NOT NULL UNIQUE,
      pain_version     text NOT NULL,
      creation_time    text NOT NULL,
      sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      content          bytea NOT NULL,
      payments         integer NOT NULL,
      total_cents      bigint NOT NULL,
      UNIQUE (batch_id, sequence)
    )
  `,
  sql`
    CREATE TABLE payment_block (
      payment_info_id  text PRIMARY KEY,
      file_id          bigint NOT NULL REFERENCES payment_file (id),
      batch_id         bigint NOT NULL REFERENCES payment_batch (id),
      execution_date   date NOT NULL,
      payments         integer NOT NULL,
      total_cents      bigint NOT NULL,
      settled_by_item  bigint REFERENCES bank_entry_item (id)
    )
  `,
  sql`
    CREATE TABLE payment_event (
      id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      instruction_id  bigint REFERENCES payment_instruction (id),
      batch_id        bigint REFERENCES payment_batch (id),
      kind            text NOT NULL,
      actor           text NOT NULL,
      details         jsonb NOT NULL DEFAULT '{}'::jsonb,
      ledger_key      text,
      at              timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE INDEX payment_event_instruction_idx ON payment_event (instruction_id)
  `,
  sql`
    CREATE INDEX payment_event_batch_idx ON payment_event (batch_id)
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0004 is not reversible: payments and their files are records');
}
