import { sql, type Kysely } from 'kysely';

/**
 * 0015: an organisation's webhook signing secret is kept encrypted (issue 7).
 *
 * 0013 kept the secret as given, so a database dump or a read-only database account carried every
 * organisation's signing secret, enough to send their receivers forged signal notices. A secret now
 * goes in `secret_sealed`: AES-256-GCM under a key derived from the service's data key, bound to the
 * organisation (src/webhooks/secret-seal.ts). A secret stored in clear before this migration stays
 * usable until the service starts with the key and seals it (`sealStoredWebhookSecrets`); a live
 * webhook has exactly one of the two, a removed one neither.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    ALTER TABLE organisation_webhook
      ADD COLUMN secret_sealed text CHECK (secret_sealed IS NULL OR secret_sealed ~ '^v1\\.[A-Za-z0-9_-]{1,32}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43,}$' AND length(secret_sealed) <= 400)
  `.execute(db);
  await sql`ALTER TABLE organisation_webhook DROP CONSTRAINT organisation_webhook_check`.execute(db);
  await sql`
    ALTER TABLE organisation_webhook
      ADD CONSTRAINT organisation_webhook_secret_while_live
      CHECK (num_nonnulls(secret, secret_sealed) = CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END)
  `.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE organisation_webhook DROP CONSTRAINT organisation_webhook_secret_while_live`.execute(db);
  await sql`ALTER TABLE organisation_webhook DROP COLUMN secret_sealed`.execute(db);
  await sql`ALTER TABLE organisation_webhook ADD CONSTRAINT organisation_webhook_check CHECK ((deleted_at IS NULL) = (secret IS NOT NULL))`.execute(db);
}
