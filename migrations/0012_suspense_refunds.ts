import { sql, type Kysely } from 'kysely';

/**
 * 0012: sending a receipt in suspense back to its payer (issue 11, matching rule 4). The refund is an
 * ordinary payment instruction of kind `refund`, paid from the suspense account, so it has no client:
 * `client_id` may be empty for a refund and for nothing else. Its gemeente is the one whose batch it
 * goes out in; without a client the composite key to `client` no longer checks that the gemeente
 * exists, so a key of its own does. `suspense_refund` links each attempt to the receipt it sends back,
 * with who sent it and why. One receipt can have several attempts (after a bank rejection or a batch
 * rejected before release the receipt is back in the queue), never two at once (checked under the
 * receipt's row lock), so the key is the receipt and the attempt. The constraints on the existing
 * table are added NOT VALID and validated in a second step, the house pattern for big tables; a
 * partial index finds a batch's refunds for the four-eyes check of approval.
 */
const statements = [
  sql`ALTER TABLE payment_instruction ALTER COLUMN client_id DROP NOT NULL`,
  sql`ALTER TABLE payment_instruction ADD CONSTRAINT payment_instruction_client_unless_refund CHECK (client_id IS NOT NULL OR kind = 'refund') NOT VALID`,
  sql`ALTER TABLE payment_instruction VALIDATE CONSTRAINT payment_instruction_client_unless_refund`,
  sql`ALTER TABLE payment_instruction ADD CONSTRAINT payment_instruction_gemeente_fk FOREIGN KEY (gemeente_id) REFERENCES gemeente (id) NOT VALID`,
  sql`ALTER TABLE payment_instruction VALIDATE CONSTRAINT payment_instruction_gemeente_fk`,
  sql`CREATE INDEX payment_instruction_refund_batch_idx ON payment_instruction (batch_id) WHERE kind = 'refund'`,
  sql`
    CREATE TABLE suspense_refund (
      item_id         bigint NOT NULL REFERENCES bank_entry_item (id),
      attempt         integer NOT NULL CHECK (attempt > 0),
      instruction_id  bigint NOT NULL UNIQUE REFERENCES payment_instruction (id),
      sent_by         text NOT NULL CHECK (length(sent_by) BETWEEN 1 AND 200),
      reason          text NOT NULL CHECK (length(reason) BETWEEN 3 AND 1000),
      sent_at         timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (item_id, attempt)
    )
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0012 is not reversible: refunds sent back from suspense are records');
}
