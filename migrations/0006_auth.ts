import { sql, type Kysely } from 'kysely';

/**
 * 0006: who may see whom, and what was done. Caseworker assignments (a Vluchtelingenwerk
 * caseworker or their team guides a client), the audit log (every change, and every read of a
 * client's data by a caseworker or the client), and the stored answers of HTTP writes by their
 * Idempotency-Key.
 */
const statements = [
  sql`
    CREATE TABLE caseworker_assignment (
      client_id      bigint NOT NULL REFERENCES client (id),
      organisation   text NOT NULL CHECK (length(organisation) BETWEEN 1 AND 100),
      caseworker_id  text,
      team           text,
      assigned_at    timestamptz NOT NULL DEFAULT now(),
      ended_at       timestamptz,
      CHECK (caseworker_id IS NOT NULL OR team IS NOT NULL)
    )
  `,
  sql`
    CREATE INDEX caseworker_assignment_client_idx ON caseworker_assignment (client_id) WHERE ended_at IS NULL
  `,
  sql`
    CREATE TABLE audit_log (
      id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      at           timestamptz NOT NULL DEFAULT clock_timestamp(),
      actor        text NOT NULL,
      role         text NOT NULL,
      action       text NOT NULL,
      subject      text,
      gemeente_id  text,
      client_id    bigint,
      request_id   text,
      details      jsonb NOT NULL DEFAULT '{}'::jsonb
    )
  `,
  sql`
    CREATE INDEX audit_log_client_idx ON audit_log (client_id, at) WHERE client_id IS NOT NULL
  `,
  sql`
    CREATE INDEX audit_log_at_idx ON audit_log (at)
  `,
  sql`
    -- The audit log is evidence: never changed, never removed.
    CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
    BEGIN
      RAISE EXCEPTION 'the audit log is append-only: % is not allowed', TG_OP USING ERRCODE = 'restrict_violation';
    END
    $fn$
  `,
  sql`
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()
  `,
  sql`
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()
  `,
  sql`
    CREATE TABLE http_idempotency (
      actor         text NOT NULL,
      key           text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
      route         text NOT NULL,
      request_hash  text NOT NULL,
      status        integer NOT NULL,
      body          jsonb NOT NULL,
      created_at    timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (actor, key)
    )
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('0006 is not reversible: the audit log is kept');
}
