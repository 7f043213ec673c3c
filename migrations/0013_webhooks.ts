import { sql, type Kysely } from 'kysely';

/**
 * 0013: a webhook per organisation for caseworker signals (issue 7). The organisation's endpoint and
 * signing secret; a transactional outbox of signal notices (one per webhook, client, signal kind and
 * signal key: recomputing signals never records a second); and a log of every delivery attempt,
 * append-only like the audit log. No personal data: ids, kinds, dates, status codes.
 */
const statements = [
  sql`
    CREATE TABLE organisation_webhook (
      id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      organisation       text NOT NULL CHECK (length(organisation) BETWEEN 1 AND 100),
      url                text NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
      secret             text CHECK (secret IS NULL OR length(secret) BETWEEN 32 AND 200),
      active             boolean NOT NULL DEFAULT true,
      kinds              text[] NOT NULL CHECK (cardinality(kinds) > 0),
      gemeenten          text[] NOT NULL CHECK (cardinality(gemeenten) > 0),
      created_at         timestamptz NOT NULL DEFAULT now(),
      created_by         text NOT NULL,
      updated_at         timestamptz NOT NULL DEFAULT now(),
      updated_by         text NOT NULL,
      secret_changed_at  timestamptz NOT NULL DEFAULT now(),
      deleted_at         timestamptz,
      deleted_by         text,
      -- A removed webhook forgets its secret; a live one always has one.
      CHECK ((deleted_at IS NULL) = (secret IS NOT NULL))
    )
  `,
  sql`
    CREATE UNIQUE INDEX organisation_webhook_live_idx ON organisation_webhook (organisation) WHERE deleted_at IS NULL
  `,
  sql`
    CREATE TABLE webhook_notice (
      id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id          uuid NOT NULL DEFAULT gen_random_uuid() UNIQUE,
      webhook_id        bigint NOT NULL REFERENCES organisation_webhook (id),
      organisation      text NOT NULL,
      gemeente_id       text NOT NULL,
      client_id         bigint NOT NULL REFERENCES client (id),
      signal_kind       text NOT NULL,
      signal_key        text NOT NULL CHECK (length(signal_key) BETWEEN 1 AND 300),
      arose_on          date NOT NULL,
      recorded_at       timestamptz NOT NULL DEFAULT now(),
      status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
      round             integer NOT NULL DEFAULT 1 CHECK (round >= 1),
      attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      next_attempt_at   timestamptz NOT NULL DEFAULT now(),
      lease_until       timestamptz,
      queued_at         timestamptz,
      delivered_at      timestamptz,
      finished_at       timestamptz,
      last_status_code  integer,
      last_error        text CHECK (length(last_error) <= 500),
      CONSTRAINT webhook_notice_once UNIQUE (webhook_id, client_id, signal_kind, signal_key)
    )
  `,
  sql`
    CREATE INDEX webhook_notice_due_idx ON webhook_notice (next_attempt_at) WHERE status = 'pending'
  `,
  sql`
    CREATE INDEX webhook_notice_list_idx ON webhook_notice (webhook_id, id)
  `,
  sql`
    CREATE TABLE webhook_delivery (
      id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      notice_id         bigint NOT NULL REFERENCES webhook_notice (id),
      round             integer NOT NULL,
      attempt           integer NOT NULL CHECK (attempt >= 1),
      started_at        timestamptz NOT NULL,
      duration_ms       integer NOT NULL CHECK (duration_ms >= 0),
      status_code       integer,
      outcome           text NOT NULL CHECK (outcome IN ('delivered', 'retry', 'failed')),
      error             text CHECK (length(error) <= 500),
      response_excerpt  text CHECK (length(response_excerpt) <= 200),
      UNIQUE (notice_id, round, attempt)
    )
  `,
  sql`
    -- The delivery log is evidence of what left the service, and when: never changed, never removed.
    CREATE FUNCTION webhook_delivery_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION 'the webhook delivery log is append-only: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $fn$
  `,
  sql`
    CREATE TRIGGER webhook_delivery_append_only BEFORE UPDATE OR DELETE ON webhook_delivery FOR EACH ROW EXECUTE FUNCTION webhook_delivery_refuse_change()
  `,
  sql`
    CREATE TRIGGER webhook_delivery_no_truncate BEFORE TRUNCATE ON webhook_delivery FOR EACH STATEMENT EXECUTE FUNCTION webhook_delivery_refuse_change()
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0013 is not reversible: the webhook delivery log is kept');
}
