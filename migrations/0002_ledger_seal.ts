import { sql, type Kysely } from 'kysely';

/**
 * 0002: seals, a hash chain over the journal. Each seal covers every ledger
 * transaction written by a database transaction whose id lies in
 * [from_xid, to_xid): the ids below the oldest running transaction are final,
 * so no late commit can ever fall into a range already sealed. Append-only.
 */
const statements = [
  sql`
    CREATE TABLE ledger_seal (
      id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      from_xid           bigint NOT NULL,
      to_xid             bigint NOT NULL CHECK (to_xid >= from_xid),
      transaction_count  bigint NOT NULL CHECK (transaction_count >= 0),
      previous_hash      text NOT NULL CHECK (previous_hash ~ '^[0-9a-f]{64}$'),
      hash               text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
      sealed_at          timestamptz NOT NULL DEFAULT now(),
      UNIQUE (from_xid)
    )
  `,
  sql`CREATE INDEX ledger_transaction_created_xid_idx ON ledger_transaction (created_xid)`,
  sql`
    CREATE TRIGGER ledger_seal_append_only BEFORE UPDATE OR DELETE ON ledger_seal
      FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
  `,
  sql`
    CREATE TRIGGER ledger_seal_no_truncate BEFORE TRUNCATE ON ledger_seal
      FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
  `,
];

export async function up(db: Kysely<any>): Promise<void> {
  for (const statement of statements) await statement.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('seals are kept forever');
}
