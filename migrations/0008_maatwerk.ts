import { sql, type Kysely } from 'kysely';

/**
 * 0008: maatwerk decisions (issue 6, domain rule 10). A decision per client changes what is withheld from
 * its effective date: a full opt-out (nothing withheld, all income passed on), a partial one (a chosen set
 * of obligations stays withheld) or a graduated hand-over plan (obligations handed to the client one by one
 * on planned dates). Append-only: a decision is never edited; a revocation or a replacement is a new row
 * pointing at the decision it ends (`replaces_id`, unique: a decision is ended once). Idempotent by key,
 * with the hash of what was asked, so a retry answers the stored decision and a reused key is refused.
 */
const statements = [
  sql`
    CREATE TABLE maatwerk_decision (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      client_id        bigint NOT NULL,
      gemeente_id      text NOT NULL,
      action           text NOT NULL CHECK (action IN ('decide', 'revoke')),
      scope            text CHECK (scope IN ('full_opt_out', 'partial', 'hand_over_plan')),
      replaces_id      bigint UNIQUE REFERENCES maatwerk_decision (id),
      reason_category  text CHECK (reason_category IN ('financially_self_reliant', 'own_account_automatic_payments', 'counter_productive', 'learning_to_pay', 'other')),
      reason           text NOT NULL CHECK (length(reason) BETWEEN 3 AND 2000),
      assessment       text CHECK (length(assessment) BETWEEN 3 AND 2000),
      effective_date   date NOT NULL,
      review_date      date,
      -- What happens to money already reserved for periods not yet paid of an obligation handed over.
      reserved_money   text CHECK (reserved_money IN ('pay_due_release_rest', 'pay_all_reserved', 'release_all')),
      -- Rule 6: toeslagen go to the obligations still withheld only with the client's consent.
      toeslagen        text CHECK (toeslagen IN ('applied', 'passed_on')),
      decided_by       text NOT NULL CHECK (length(decided_by) BETWEEN 1 AND 200),
      idempotency_key  text NOT NULL UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
      request_hash     text NOT NULL CHECK (request_hash ~ '^[0-9a-f]{64}$'),
      created_at       timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      CHECK (action <> 'decide' OR (scope IS NOT NULL AND reason_category IS NOT NULL AND assessment IS NOT NULL
                                    AND review_date IS NOT NULL AND reserved_money IS NOT NULL AND toeslagen IS NOT NULL)),
      CHECK (action <> 'revoke' OR (scope IS NULL AND replaces_id IS NOT NULL AND assessment IS NULL AND review_date IS NULL AND reserved_money IS NULL AND toeslagen IS NULL)),
      CHECK (review_date IS NULL OR review_date > effective_date),
      CHECK (scope IS DISTINCT FROM 'full_opt_out' OR toeslagen = 'passed_on')
    )
  `,
  sql`CREATE INDEX maatwerk_decision_client_idx ON maatwerk_decision (client_id, id)`,
  sql`
    -- The obligations a decision names: kept (partial: still withheld) or handed over on a date (a plan's step).
    CREATE TABLE maatwerk_obligation (
      decision_id    bigint NOT NULL REFERENCES maatwerk_decision (id),
      obligation_id  bigint NOT NULL REFERENCES obligation (id),
      treatment      text NOT NULL CHECK (treatment IN ('kept', 'handed_over')),
      hand_over_on   date,
      PRIMARY KEY (decision_id, obligation_id),
      CHECK ((treatment = 'handed_over') = (hand_over_on IS NOT NULL))
    )
  `,
  sql`
    CREATE FUNCTION maatwerk_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION '% on % is not allowed: a maatwerk decision is never edited; revoke it or record a new decision (rule 10)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
    END
    $fn$
  `,
  sql`CREATE TRIGGER maatwerk_decision_append_only BEFORE UPDATE OR DELETE ON maatwerk_decision FOR EACH ROW EXECUTE FUNCTION maatwerk_refuse_change()`,
  sql`CREATE TRIGGER maatwerk_decision_no_truncate BEFORE TRUNCATE ON maatwerk_decision FOR EACH STATEMENT EXECUTE FUNCTION maatwerk_refuse_change()`,
  sql`CREATE TRIGGER maatwerk_obligation_append_only BEFORE UPDATE OR DELETE ON maatwerk_obligation FOR EACH ROW EXECUTE FUNCTION maatwerk_refuse_change()`,
  sql`CREATE TRIGGER maatwerk_obligation_no_truncate BEFORE TRUNCATE ON maatwerk_obligation FOR EACH STATEMENT EXECUTE FUNCTION maatwerk_refuse_change()`,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TABLE maatwerk_obligation`.execute(db);
  await sql`DROP TABLE maatwerk_decision`.execute(db);
  await sql`DROP FUNCTION maatwerk_refuse_change()`.execute(db);
}
