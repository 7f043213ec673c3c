import { sql, type Kysely } from 'kysely';

/**
 * 0009: the noodvoorziening (issue 6, domain rule 11). A gemeente's policy for emergency payments (gifts allowed,
 * maximum per grant and per rolling period, four-eyes threshold, the leefgeld a client keeps per payment while an
 * advance is recovered, what happens to an open advance when ontzorgen ends); the grants themselves (requested →
 * approved, or refused; paid is read from the payment instruction); and every repayment of an advance (an instalment
 * from leefgeld, an early repayment by decision, a settlement at the end), each tied to the ledger booking that moved
 * the money. The money itself lives in the ledger: a per-client `advances_receivable` account (the claim) and a
 * per-gemeente `noodvoorziening_budget` account (gifts), never a negative client balance.
 */
const statements = [
  sql`
    INSERT INTO account_purpose (id, description) VALUES
      ('noodvoorziening_budget', 'a gemeente''s budget for emergency gifts (a noodvoorziening that is not paid back)')
  `,
  sql`
    CREATE TABLE noodvoorziening_policy (
      gemeente_id                  text PRIMARY KEY REFERENCES gemeente (id),
      gifts_allowed                boolean NOT NULL,
      max_per_grant_cents          bigint NOT NULL CHECK (max_per_grant_cents > 0),
      -- Per client, over a rolling window of period_months months up to the day of the request.
      max_per_period_cents         bigint NOT NULL CHECK (max_per_period_cents >= max_per_grant_cents),
      period_months                integer NOT NULL CHECK (period_months BETWEEN 1 AND 36),
      -- A grant above this needs a second person's approval; at or below it the requester's decision stands.
      four_eyes_above_cents        bigint NOT NULL CHECK (four_eyes_above_cents >= 0),
      -- Per leefgeld payment: an instalment never leaves the client less than this.
      minimum_leefgeld_kept_cents  bigint NOT NULL CHECK (minimum_leefgeld_kept_cents >= 0),
      default_instalment_cents     bigint NOT NULL CHECK (default_instalment_cents > 0),
      open_advance_at_end          text NOT NULL CHECK (open_advance_at_end IN ('settle_from_balance', 'hand_over_as_claim')),
      updated_by                   text NOT NULL CHECK (length(updated_by) BETWEEN 1 AND 200),
      updated_at                   timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE TABLE noodvoorziening_grant (
      id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      client_id         bigint NOT NULL,
      gemeente_id       text NOT NULL,
      amount_cents      bigint NOT NULL CHECK (amount_cents > 0),
      kind              text NOT NULL CHECK (kind IN ('advance', 'gift')),
      reason            text NOT NULL CHECK (length(reason) BETWEEN 3 AND 2000),
      payment           text NOT NULL CHECK (payment IN ('instant', 'next_batch')),
      -- Advance: deducted from each leefgeld payment until repaid (capped, see the policy); gift: none.
      instalment_cents  bigint CHECK (instalment_cents > 0),
      status            text NOT NULL CHECK (status IN ('requested', 'approved', 'refused')),
      four_eyes         boolean NOT NULL,
      requested_by      text NOT NULL CHECK (length(requested_by) BETWEEN 1 AND 200),
      requested_on      date NOT NULL,
      decided_by        text CHECK (length(decided_by) BETWEEN 1 AND 200),
      decided_on        date,
      decided_at        timestamptz,
      refusal_reason    text CHECK (length(refusal_reason) BETWEEN 3 AND 2000),
      instruction_id    bigint REFERENCES payment_instruction (id),
      -- An advance still open when ontzorgen ended, handed to the gemeente as a claim (rule 12).
      handed_over_on    date,
      idempotency_key   text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      request_hash      text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
      created_at        timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      CHECK ((kind = 'advance') = (instalment_cents IS NOT NULL)),
      CHECK ((status = 'requested') = (decided_by IS NULL)),
      CHECK ((status = 'refused') = (refusal_reason IS NOT NULL)),
      CHECK (status <> 'approved' OR instruction_id IS NOT NULL),
      -- Four eyes: above the threshold the one who asked never decides.
      CHECK (NOT four_eyes OR status = 'requested' OR decided_by <> requested_by),
      CHECK (handed_over_on IS NULL OR (kind = 'advance' AND status = 'approved'))
    )
  `,
  sql`CREATE INDEX noodvoorziening_grant_client_idx ON noodvoorziening_grant (client_id, id)`,
  sql`CREATE INDEX noodvoorziening_grant_status_idx ON noodvoorziening_grant (gemeente_id, status, id)`,
  sql`
    CREATE TABLE noodvoorziening_repayment (
      grant_id          bigint NOT NULL REFERENCES noodvoorziening_grant (id),
      -- The ledger booking (available → advances receivable); one booking may repay several grants.
      ledger_key        text NOT NULL CHECK (length(ledger_key) BETWEEN 1 AND 200),
      client_id         bigint NOT NULL,
      kind              text NOT NULL CHECK (kind IN ('instalment', 'early_repayment', 'settlement')),
      amount_cents      bigint NOT NULL CHECK (amount_cents > 0),
      booked_on         date NOT NULL,
      -- Instalment: the leefgeld payment it was deducted from.
      leefgeld_date     date,
      decided_by        text CHECK (length(decided_by) BETWEEN 1 AND 200),
      reason            text CHECK (length(reason) BETWEEN 3 AND 2000),
      created_at        timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (ledger_key, grant_id),
      CHECK ((kind = 'instalment') = (leefgeld_date IS NOT NULL)),
      CHECK (kind <> 'early_repayment' OR (decided_by IS NOT NULL AND reason IS NOT NULL))
    )
  `,
  sql`CREATE INDEX noodvoorziening_repayment_grant_idx ON noodvoorziening_repayment (grant_id)`,
  sql`
    CREATE FUNCTION noodvoorziening_repayment_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION '% on noodvoorziening_repayment is not allowed: a repayment is a fact, corrected only by a new booking', TG_OP
        USING ERRCODE = 'restrict_violation';
    END
    $fn$
  `,
  sql`CREATE TRIGGER noodvoorziening_repayment_append_only BEFORE UPDATE OR DELETE ON noodvoorziening_repayment FOR EACH ROW EXECUTE FUNCTION noodvoorziening_repayment_refuse_change()`,
  sql`CREATE TRIGGER noodvoorziening_repayment_no_truncate BEFORE TRUNCATE ON noodvoorziening_repayment FOR EACH STATEMENT EXECUTE FUNCTION noodvoorziening_repayment_refuse_change()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE noodvoorziening_repayment`.execute(db);
  await sql`DROP FUNCTION noodvoorziening_repayment_refuse_change()`.execute(db);
  await sql`DROP TABLE noodvoorziening_grant`.execute(db);
  await sql`DROP TABLE noodvoorziening_policy`.execute(db);
  await sql`DELETE FROM account_purpose WHERE id = 'noodvoorziening_budget'`.execute(db);
}
