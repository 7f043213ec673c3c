import { sql, type Kysely } from 'kysely';

/**
 * 0005: the client's record and what art. 56a withholding runs on. The client row (from 0001)
 * gains its record: names, BSN (encrypted, with a keyed lookup hash), own IBAN, household,
 * bijstand dates, the two facts of art. 56a lid 1, toeslagen consent and the leefgeld rhythm.
 * New: expected income, machtigingen and the payees they cover, ontzorg periods with their
 * legal basis, obligations with append-only versions, the gemeente's policy, floor decisions,
 * the allocation's bookkeeping (receipts allocated, reservations booked), back-office signals,
 * the payments the daily batch scheduled, and the batch runs with their reports.
 */
// One statement each: the embedded database's extended protocol takes one at a time.
const statements = [
  sql`ALTER TABLE client ADD COLUMN name text CHECK (length(name) BETWEEN 1 AND 200)`,
  sql`ALTER TABLE client ADD COLUMN latin_name text CHECK (length(latin_name) BETWEEN 1 AND 70)`,
  sql`ALTER TABLE client ADD COLUMN bsn_encrypted text`,
  sql`ALTER TABLE client ADD COLUMN bsn_hash text CHECK (bsn_hash ~ '^[0-9a-f]{64}$')`,
  sql`ALTER TABLE client ADD COLUMN own_iban text CHECK (own_iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$')`,
  sql`ALTER TABLE client ADD COLUMN household_type text CHECK (household_type IN ('single', 'single_parent', 'couple', 'couple_with_children'))`,
  sql`ALTER TABLE client ADD COLUMN bijstand_start date`,
  sql`ALTER TABLE client ADD COLUMN bijstand_end date`,
  sql`ALTER TABLE client ADD COLUMN inburgeringsplichtig_wi2021 boolean NOT NULL DEFAULT false`,
  sql`ALTER TABLE client ADD COLUMN fixed_term_asylum_permit boolean NOT NULL DEFAULT false`,
  sql`ALTER TABLE client ADD COLUMN toeslagen_consent boolean NOT NULL DEFAULT false`,
  sql`ALTER TABLE client ADD COLUMN toeslagen_consent_reference text`,
  sql`ALTER TABLE client ADD COLUMN leefgeld_rhythm jsonb NOT NULL DEFAULT '{"kind": "weekly", "weekday": "monday"}'::jsonb`,
  sql`ALTER TABLE client ADD COLUMN leefgeld_fixed_cents bigint CHECK (leefgeld_fixed_cents >= 0)`,
  sql`ALTER TABLE client ADD COLUMN ontzorgen_ended_on date`,
  sql`ALTER TABLE client ADD COLUMN registered_at timestamptz`,
  sql`ALTER TABLE client ADD COLUMN updated_at timestamptz`,
  sql`ALTER TABLE client ADD CONSTRAINT client_bsn_pair CHECK ((bsn_encrypted IS NULL) = (bsn_hash IS NULL))`,
  sql`ALTER TABLE client ADD CONSTRAINT client_bijstand_dates CHECK (bijstand_end IS NULL OR bijstand_end >= bijstand_start)`,
  sql`ALTER TABLE client ADD CONSTRAINT client_consent_recorded CHECK (NOT toeslagen_consent OR toeslagen_consent_reference IS NOT NULL)`,
  sql`
    -- One client record per BSN: the keyed hash is the lookup (the BSN itself is stored encrypted only).
    CREATE UNIQUE INDEX client_bsn_hash_idx ON client (bsn_hash) WHERE bsn_hash IS NOT NULL
  `,
  sql`CREATE INDEX client_gemeente_idx ON client (gemeente_id, id)`,
  sql`
    CREATE TABLE client_income (
      client_id       bigint NOT NULL REFERENCES client (id),
      classification  text NOT NULL CHECK (classification IN ('bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other')),
      monthly_cents   bigint NOT NULL CHECK (monthly_cents >= 0),
      PRIMARY KEY (client_id, classification)
    )
  `,
  sql`
    CREATE TABLE machtiging (
      id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      client_id           bigint NOT NULL,
      gemeente_id         text NOT NULL,
      document_reference  text NOT NULL CHECK (length(document_reference) BETWEEN 1 AND 100),
      signed_on           date NOT NULL,
      valid_until         date,
      revoked_on          date,
      revoked_reason      text,
      created_at          timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      UNIQUE (client_id, document_reference),
      CHECK (valid_until IS NULL OR valid_until >= signed_on),
      CHECK ((revoked_on IS NULL) = (revoked_reason IS NULL))
    )
  `,
  sql`
    CREATE TABLE machtiging_payee (
      machtiging_id  bigint NOT NULL REFERENCES machtiging (id),
      payee_iban     text NOT NULL CHECK (payee_iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
      payee_name     text NOT NULL CHECK (length(payee_name) BETWEEN 1 AND 140),
      PRIMARY KEY (machtiging_id, payee_iban)
    )
  `,
  sql`
    CREATE TABLE ontzorg_period (
      id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      client_id           bigint NOT NULL REFERENCES client (id),
      basis               text NOT NULL CHECK (basis IN ('art56a', 'art57', 'voluntary', 'budgetbeheer')),
      first_day           date NOT NULL,
      last_day            date,
      review_date         date,
      decision_reference  text,
      ended_early_on      date,
      ended_reason        text,
      created_at          timestamptz NOT NULL DEFAULT now(),
      CHECK (last_day IS NULL OR last_day >= first_day),
      CHECK (ended_early_on IS NULL OR ended_early_on >= first_day),
      CHECK ((ended_early_on IS NULL) = (ended_reason IS NULL)),
      -- Rule 2: only the 56a period goes without a decision and a review date.
      CHECK (basis = 'art56a' OR (review_date IS NOT NULL AND decision_reference IS NOT NULL)),
      CHECK (basis <> 'art56a' OR last_day IS NOT NULL)
    )
  `,
  sql`
    -- One statutory period per client: art. 56a gives six months once.
    CREATE UNIQUE INDEX ontzorg_period_one_56a ON ontzorg_period (client_id) WHERE basis = 'art56a'
  `,
  sql`CREATE INDEX ontzorg_period_client_idx ON ontzorg_period (client_id)`,
  sql`
    CREATE TABLE obligation (
      id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      client_id         bigint NOT NULL,
      gemeente_id       text NOT NULL,
      type              text NOT NULL CHECK (type IN ('rent', 'gas', 'electricity', 'water', 'basic_health_insurance', 'supplementary_insurance', 'municipal_taxes', 'other')),
      frequency         text NOT NULL CHECK (frequency IN ('monthly', 'quarterly')),
      payee_name        text NOT NULL CHECK (length(payee_name) BETWEEN 1 AND 140),
      payee_iban        text NOT NULL CHECK (payee_iban ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$'),
      payee_reference   text CHECK (length(payee_reference) BETWEEN 1 AND 100),
      reference_kind    text NOT NULL DEFAULT 'unstructured' CHECK (reference_kind IN ('unstructured', 'CUR', 'ISO')),
      description       text CHECK (length(description) BETWEEN 1 AND 140),
      valid_until       date,
      created_at        timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      CHECK (reference_kind = 'unstructured' OR payee_reference IS NOT NULL)
    )
  `,
  sql`CREATE INDEX obligation_client_idx ON obligation (client_id)`,
  sql`
    CREATE TABLE obligation_version (
      obligation_id   bigint NOT NULL REFERENCES obligation (id),
      version         integer NOT NULL CHECK (version > 0),
      effective_from  date NOT NULL,
      amount_cents    bigint NOT NULL CHECK (amount_cents > 0 AND amount_cents <= 99999999999),
      due_day         integer NOT NULL CHECK (due_day BETWEEN 1 AND 31),
      basis           text NOT NULL CHECK (basis IN ('art56a', 'art57', 'voluntary', 'budgetbeheer')),
      recorded_by     text NOT NULL CHECK (length(recorded_by) BETWEEN 1 AND 200),
      created_at      timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (obligation_id, version)
    )
  `,
  sql`
    -- Rule 3 in the database too: a type outside the statutory list never rests on 56a.
    CREATE FUNCTION obligation_version_check_basis() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      IF NEW.basis = 'art56a' AND NOT EXISTS (
        SELECT 1 FROM obligation WHERE id = NEW.obligation_id AND type IN ('rent', 'gas', 'electricity', 'water', 'basic_health_insurance')
      ) THEN
        RAISE EXCEPTION 'art. 56a covers only rent, gas, electricity, water and the basic health-insurance premium (rule 3)'
          USING ERRCODE = 'check_violation', CONSTRAINT = 'obligation_version_basis';
      END IF;
      RETURN NEW;
    END
    $fn$
  `,
  sql`
    CREATE TRIGGER obligation_version_basis BEFORE INSERT ON obligation_version
      FOR EACH ROW EXECUTE FUNCTION obligation_version_check_basis()
  `,
  sql`
    CREATE FUNCTION clients_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION '% on % is not allowed: history is never rewritten; record a new version from its effective date', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
    END
    $fn$
  `,
  sql`
    CREATE TRIGGER obligation_version_append_only BEFORE UPDATE OR DELETE ON obligation_version
      FOR EACH ROW EXECUTE FUNCTION clients_refuse_change()
  `,
  sql`
    CREATE TRIGGER obligation_version_no_truncate BEFORE TRUNCATE ON obligation_version
      FOR EACH STATEMENT EXECUTE FUNCTION clients_refuse_change()
  `,
  sql`
    CREATE TABLE gemeente_policy (
      gemeente_id                  text PRIMARY KEY REFERENCES gemeente (id),
      priority                     text[] NOT NULL CHECK (priority <@ ARRAY['rent', 'energy', 'water', 'health_insurance', 'other']::text[] AND cardinality(priority) = 5),
      leefgeld_rule                text NOT NULL CHECK (leefgeld_rule IN ('fixed', 'income_minus_obligations')),
      leefgeld_floor_cents         bigint NOT NULL CHECK (leefgeld_floor_cents >= 0),
      partial_payment              boolean NOT NULL,
      lead_business_days           integer NOT NULL CHECK (lead_business_days BETWEEN 1 AND 10),
      bijstand_payday              text NOT NULL CHECK (bijstand_payday IN ('24th', 'last_working_day', 'first_working_day_next_month', '15th_next_month')),
      payday_adjust                text NOT NULL CHECK (payday_adjust IN ('following', 'preceding')),
      booking_delay_business_days  integer NOT NULL CHECK (booking_delay_business_days BETWEEN 0 AND 5),
      batch_time                   text NOT NULL CHECK (batch_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
      look_ahead_business_days     integer NOT NULL CHECK (look_ahead_business_days BETWEEN 0 AND 10),
      debtor_iban                  text NOT NULL REFERENCES payment_account (iban),
      suspense_age_days            integer NOT NULL CHECK (suspense_age_days BETWEEN 0 AND 365),
      updated_by                   text NOT NULL,
      updated_at                   timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`
    CREATE TABLE floor_decision (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      client_id        bigint NOT NULL REFERENCES client (id),
      reference        text NOT NULL CHECK (length(reference) BETWEEN 1 AND 100),
      floor_cents      bigint NOT NULL CHECK (floor_cents >= 0),
      effective_from   date NOT NULL,
      effective_until  date,
      reason           text NOT NULL CHECK (length(reason) BETWEEN 3 AND 1000),
      decided_by       text NOT NULL CHECK (length(decided_by) BETWEEN 1 AND 200),
      created_at       timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, reference),
      CHECK (effective_until IS NULL OR effective_until >= effective_from)
    )
  `,
  sql`
    -- A receipt (a booking that brought money to a client) once allocated; its key is that booking's ledger key.
    CREATE TABLE allocation_receipt (
      receipt_key     text PRIMARY KEY,
      client_id       bigint NOT NULL REFERENCES client (id),
      classification  text NOT NULL,
      amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
      outcome         text NOT NULL CHECK (outcome IN ('pooled', 'passed_on')),
      allocated_on    date NOT NULL,
      pass_on_key     text,
      allocated_at    timestamptz NOT NULL DEFAULT now(),
      CHECK ((outcome = 'passed_on') = (pass_on_key IS NOT NULL))
    )
  `,
  sql`CREATE INDEX allocation_receipt_client_idx ON allocation_receipt (client_id)`,
  sql`
    -- The reservation (a ledger pending transfer) held for one obligation's period; a top-up voids the
    -- previous one and books the sum under the next sequence number, so one reservation pays one payment.
    CREATE TABLE allocation_reservation (
      ledger_key      text PRIMARY KEY,
      client_id       bigint NOT NULL REFERENCES client (id),
      obligation_id   bigint NOT NULL REFERENCES obligation (id),
      period_key      text NOT NULL CHECK (period_key ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
      seq             integer NOT NULL CHECK (seq > 0),
      amount_cents    bigint NOT NULL CHECK (amount_cents > 0),
      due_date        date NOT NULL,
      execution_date  date NOT NULL,
      booked_on       date NOT NULL,
      -- open: waiting for its payment; scheduled: its payment instruction exists; voided: released or replaced.
      status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'scheduled', 'voided')),
      created_at      timestamptz NOT NULL DEFAULT now(),
      UNIQUE (client_id, obligation_id, period_key, seq)
    )
  `,
  sql`CREATE INDEX allocation_reservation_open_idx ON allocation_reservation (client_id) WHERE status = 'open'`,
  sql`
    CREATE TABLE back_office_signal (
      id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      signal_key    text NOT NULL UNIQUE,
      gemeente_id   text NOT NULL REFERENCES gemeente (id),
      client_id     bigint REFERENCES client (id),
      kind          text NOT NULL,
      message       text NOT NULL,
      details       jsonb NOT NULL DEFAULT '{}'::jsonb,
      first_seen_on date NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now()
    )
  `,
  sql`CREATE INDEX back_office_signal_gemeente_idx ON back_office_signal (gemeente_id, first_seen_on)`,
  sql`
    -- What the daily batch decided to pay, once per (client, obligation or leefgeld, period): the instruction's key.
    CREATE TABLE scheduled_payment (
      idempotency_key        text PRIMARY KEY,
      gemeente_id            text NOT NULL,
      client_id              bigint NOT NULL,
      kind                   text NOT NULL CHECK (kind IN ('obligation', 'leefgeld', 'pass_on', 'closing')),
      obligation_id          bigint REFERENCES obligation (id),
      period_key             text NOT NULL,
      pay_date               date NOT NULL,
      execution_date         date NOT NULL,
      amount_cents           bigint NOT NULL CHECK (amount_cents > 0),
      reservation_key        text,
      hold_reason            text,
      late                   boolean NOT NULL DEFAULT false,
      leefgeld_target_cents  bigint,
      leefgeld_floor_cents   bigint,
      floor_decision         text,
      instruction_id         bigint,
      run_date               date NOT NULL,
      created_at             timestamptz NOT NULL DEFAULT now(),
      FOREIGN KEY (client_id, gemeente_id) REFERENCES client (id, gemeente_id),
      CHECK ((kind = 'obligation') = (obligation_id IS NOT NULL))
    )
  `,
  sql`CREATE INDEX scheduled_payment_client_idx ON scheduled_payment (client_id, kind, pay_date)`,
  sql`CREATE INDEX scheduled_payment_run_idx ON scheduled_payment (gemeente_id, run_date)`,
  sql`
    CREATE TABLE batch_run (
      gemeente_id   text NOT NULL REFERENCES gemeente (id),
      run_date      date NOT NULL,
      status        text NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
      runs          integer NOT NULL DEFAULT 1 CHECK (runs > 0),
      started_at    timestamptz NOT NULL DEFAULT now(),
      finished_at   timestamptz,
      started_by    text NOT NULL,
      error         text,
      report        jsonb,
      PRIMARY KEY (gemeente_id, run_date)
    )
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0005 is not reversible: client records, decisions and allocations are records');
}
