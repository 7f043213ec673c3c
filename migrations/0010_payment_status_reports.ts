import { sql, type Kysely } from 'kysely';

/**
 * 0010: the bank's status reports (pain.002) on our payment files. Each report is kept whole
 * (bytes and SHA-256, like bank_file in 0003), known by its own MsgId together with the file it
 * reports on, so a report uploaded twice is applied once; with it the status the report gave each
 * payment of the file and what that did (accepted, pending, rejected with its money back, or a
 * conflict with what the bank statement already booked).
 */
const statements = [
  sql`
    CREATE TABLE payment_status_report (
      id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      message_id           text NOT NULL CHECK (length(message_id) BETWEEN 1 AND 35),
      original_message_id  text NOT NULL REFERENCES payment_file (message_id),
      batch_id             bigint NOT NULL REFERENCES payment_batch (id),
      message_name         text NOT NULL,
      created_at_bank      text NOT NULL,
      group_status         text,
      sha256               text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      byte_size            bigint NOT NULL CHECK (byte_size > 0),
      content              bytea NOT NULL,
      received_by          text NOT NULL CHECK (length(received_by) BETWEEN 1 AND 200),
      received_at          timestamptz NOT NULL DEFAULT now(),
      result               jsonb NOT NULL,
      -- Idempotent by the report's MsgId and our file: the same report again changes nothing.
      UNIQUE (message_id, original_message_id)
    )
  `,
  sql`
    CREATE INDEX payment_status_report_batch_idx ON payment_status_report (batch_id)
  `,
  sql`
    CREATE TABLE payment_status (
      report_id       bigint NOT NULL REFERENCES payment_status_report (id),
      instruction_id  bigint NOT NULL REFERENCES payment_instruction (id),
      status          text NOT NULL CHECK (status ~ '^[A-Z]{4}$'),
      level           text NOT NULL CHECK (level IN ('group', 'payment_information', 'transaction')),
      outcome         text NOT NULL CHECK (outcome IN ('accepted', 'pending', 'rejected', 'already_rejected', 'conflict')),
      reason_code     text,
      reason_text     text,
      ledger_key      text,
      PRIMARY KEY (report_id, instruction_id),
      CHECK ((outcome = 'rejected') = (ledger_key IS NOT NULL))
    )
  `,
  sql`
    CREATE INDEX payment_status_instruction_idx ON payment_status (instruction_id)
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0010 is not reversible: status reports and what they did are records');
}
