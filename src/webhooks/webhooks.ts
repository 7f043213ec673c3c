import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { SIGNAL_KINDS, type SignalKind } from '../statements/index.js';
import { checkWebhookUrl, parseWebhookUrl, type WebhookSettings } from './address.js';
import { WebhookError } from './errors.js';
import type { OrganisationWebhookTable } from './rows.js';
import { openWebhookSecret, sealWebhookSecret, type WebhookSecretKey } from './secret-seal.js';

/**
 * An organisation's webhook: where its signal notices go, the secret they are signed with, which
 * kinds of signal and which gemeenten' clients it carries, and whether it is on. One live webhook per
 * organisation; removing it keeps the row (without its secret) so the notices and the delivery log
 * keep pointing at what was configured when they were sent.
 *
 * Scope: a webhook carries signals of the gemeenten it names, so only someone who works for every
 * one of them may see or change it (`scope`: the person's gemeenten). Otherwise it answers
 * `webhook_not_found`, as one that does not exist.
 */
export interface WebhookConfig {
  readonly id: bigint;
  readonly organisation: string;
  readonly url: string;
  readonly active: boolean;
  readonly kinds: readonly SignalKind[];
  readonly gemeenten: readonly string[];
  /** Always true for a live webhook; the secret itself is never answered. */
  readonly secretSet: boolean;
  readonly secretChangedAt: Date;
  readonly createdAt: Date;
  readonly createdBy: string;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** A URL that passed `checkWebhookUrl` (DNS included): the only kind `setWebhook` takes. */
export type CheckedWebhookUrl = string & { readonly __checked: 'webhook-url' };

export async function checkedWebhookUrl(text: string, settings: WebhookSettings, resolve?: (host: string) => Promise<string[]>): Promise<CheckedWebhookUrl> {
  await checkWebhookUrl(text, settings, resolve);
  return text as CheckedWebhookUrl;
}

export interface WebhookInput {
  readonly url: CheckedWebhookUrl;
  /** Required for a new webhook; left out on a change, the secret stays as it was. */
  readonly secret?: string;
  /** Default true. */
  readonly active?: boolean;
  /** Default: every kind of signal. */
  readonly kinds?: readonly string[];
  readonly gemeenten: readonly string[];
}

type WebhookRow = Selectable<OrganisationWebhookTable>;

// Printable ASCII without spaces, 32–200 characters: a random token as generators make them.
const SECRET = /^[\x21-\x7e]{32,200}$/;

export function rowToWebhook(row: WebhookRow): WebhookConfig {
  return {
    id: row.id,
    organisation: row.organisation,
    url: row.url,
    active: row.active,
    kinds: SIGNAL_KINDS.filter((k) => row.kinds.includes(k)),
    gemeenten: [...row.gemeenten].sort(),
    secretSet: row.secret !== null || row.secret_sealed !== null,
    secretChangedAt: row.secret_changed_at,
    createdAt: row.created_at,
    createdBy: row.created_by,
    updatedAt: row.updated_at,
    updatedBy: row.updated_by,
  };
}

/** Whether someone working for `scope` may see and change the webhook: it carries only their gemeenten. */
export function coveredBy(webhook: { readonly gemeenten: readonly string[] }, scope: readonly string[]): boolean {
  return webhook.gemeenten.length > 0 && webhook.gemeenten.every((g) => scope.includes(g));
}

const notFound = (organisation: string): WebhookError => new WebhookError('webhook_not_found', `organisation "${organisation}" has no webhook that you may manage`);

/** The live webhook of an organisation, within scope; `webhook_not_found` otherwise. */
export async function webhookOf(db: Kysely<Database> | Trx, organisation: string, scope: readonly string[]): Promise<WebhookConfig> {
  const row = await db.selectFrom('organisation_webhook').selectAll().where('organisation', '=', organisation).where('deleted_at', 'is', null).executeTakeFirst();
  if (!row || !coveredBy(row, scope)) throw notFound(organisation);
  return rowToWebhook(row);
}

export interface WebhookChange {
  readonly webhook: WebhookConfig;
  readonly before: WebhookConfig | null;
  readonly secretChanged: boolean;
}

/**
 * Creates or changes an organisation's webhook. A new one needs its secret; a change keeps the
 * secret unless a new one is given. Kinds must be signal kinds (default all); every gemeente must
 * exist. Run in the caller's transaction, with the audit entry.
 */
export async function setWebhook(trx: Trx, organisation: string, input: WebhookInput, options: { by: string; scope: readonly string[]; settings: WebhookSettings }): Promise<WebhookChange> {
  const invalid = (message: string): never => {
    throw new WebhookError('invalid_webhook', message);
  };
  if (organisation.length < 1 || organisation.length > 100) invalid('the organisation is named in 1–100 characters');
  parseWebhookUrl(input.url, options.settings);
  if (input.secret !== undefined && !SECRET.test(input.secret)) invalid('the secret must be 32–200 printable characters without spaces (for example `openssl rand -hex 32`)');
  const kinds = input.kinds ?? SIGNAL_KINDS;
  const unknownKind = kinds.find((k) => !(SIGNAL_KINDS as readonly string[]).includes(k));
  if (unknownKind !== undefined) invalid(`"${unknownKind}" is not a kind of signal (${SIGNAL_KINDS.join(', ')})`);
  if (kinds.length === 0) invalid('a webhook carries at least one kind of signal');
  const gemeenten = [...new Set(input.gemeenten)].sort();
  if (gemeenten.length === 0) invalid('a webhook carries the signals of at least one gemeente');
  const known = await trx.selectFrom('gemeente').select('id').where('id', 'in', gemeenten).execute();
  const unknown = gemeenten.find((g) => !known.some((k) => k.id === g));
  if (unknown !== undefined) invalid(`there is no gemeente ${unknown}`);

  const live = () => trx.selectFrom('organisation_webhook').selectAll().where('organisation', '=', organisation).where('deleted_at', 'is', null).forUpdate().executeTakeFirst();
  let existing = await live();
  const stored = SIGNAL_KINDS.filter((k) => kinds.includes(k));
  const sealed = input.secret === undefined ? undefined : sealWith(options.settings, organisation, input.secret);
  if (!existing) {
    if (sealed === undefined) invalid('a new webhook needs its signing secret');
    const row = await trx
      .insertInto('organisation_webhook')
      .values({ organisation, url: input.url, secret: null, secret_sealed: sealed!, active: input.active ?? true, kinds: stored, gemeenten, created_by: options.by, updated_by: options.by })
      .onConflict((oc) => oc.column('organisation').where('deleted_at', 'is', null).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (row) return { webhook: rowToWebhook(row), before: null, secretChanged: true };
    // Someone created it at the same moment (the insert waited for them): theirs is changed as any existing one.
    existing = await live();
    if (!existing) throw new Error(`the webhook of "${organisation}" was neither inserted nor found`);
  }
  if (!coveredBy(existing, options.scope)) throw notFound(organisation);
  const secretChanged = input.secret !== undefined && input.secret !== readableSecret(existing, options.settings);
  // A secret still in clear (set before 0015) is sealed by any change made with the key at hand.
  const sealLegacy = input.secret === undefined && existing.secret !== null && options.settings.secretKey !== undefined;
  const row = await trx
    .updateTable('organisation_webhook')
    .set({
      url: input.url,
      active: input.active ?? true,
      kinds: stored,
      gemeenten,
      updated_at: sql<Date>`now()`,
      updated_by: options.by,
      ...(secretChanged ? { secret: null, secret_sealed: sealed!, secret_changed_at: sql<Date>`now()` } : {}),
      ...(sealLegacy ? { secret: null, secret_sealed: sealWith(options.settings, organisation, existing.secret!) } : {}),
    })
    .where('id', '=', existing.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { webhook: rowToWebhook(row), before: rowToWebhook(existing), secretChanged };
}

function sealWith(settings: WebhookSettings, organisation: string, secret: string): string {
  if (!settings.secretKey) {
    throw new WebhookError('webhook_key_missing', 'webhook signing secrets are stored encrypted, and this service has no data key: set ONTZORG_BSN_KEY and ONTZORG_BSN_HASH_KEY');
  }
  return sealWebhookSecret(settings.secretKey, organisation, secret);
}

/** The secret a webhook signs with now, or null when it cannot be read (then any new secret is a change). */
function readableSecret(row: Pick<WebhookRow, 'organisation' | 'secret' | 'secret_sealed'>, settings: WebhookSettings): string | null {
  try {
    return signingSecret(row, settings);
  } catch (error) {
    if (error instanceof WebhookError) return null;
    throw error;
  }
}

/** The secret to sign a webhook's notices with: opened from its seal, or as stored before 0015. */
export function signingSecret(row: Pick<WebhookRow, 'organisation' | 'secret' | 'secret_sealed'>, settings: WebhookSettings): string {
  if (row.secret_sealed !== null) return openWebhookSecret(settings.secretKey, row.organisation, row.secret_sealed);
  if (row.secret !== null) return row.secret;
  throw new WebhookError('webhook_not_found', `the webhook of "${row.organisation}" was removed`);
}

/**
 * Seals every secret still stored in clear (webhooks set before migration 0015). Run at start-up by
 * the service and the worker when they have the key; returns how many were sealed.
 */
export async function sealStoredWebhookSecrets(db: Kysely<Database>, key: WebhookSecretKey): Promise<number> {
  return inTransaction(db, async (trx) => {
    const plain = await trx.selectFrom('organisation_webhook').select(['id', 'organisation', 'secret']).where('secret', 'is not', null).forUpdate().execute();
    for (const row of plain) {
      await trx.updateTable('organisation_webhook').set({ secret: null, secret_sealed: sealWebhookSecret(key, row.organisation, row.secret!) }).where('id', '=', row.id).execute();
    }
    return plain.length;
  });
}

/**
 * Removes an organisation's webhook: its secret is forgotten at once, nothing more is sent, and
 * notices still waiting are cancelled. The notices and the delivery log stay, as the record of what
 * was sent where. Setting a webhook again later starts afresh (its notices are its own).
 */
export async function removeWebhook(trx: Trx, organisation: string, options: { by: string; scope: readonly string[] }): Promise<{ webhook: WebhookConfig; cancelled: number }> {
  const existing = await trx.selectFrom('organisation_webhook').selectAll().where('organisation', '=', organisation).where('deleted_at', 'is', null).forUpdate().executeTakeFirst();
  if (!existing || !coveredBy(existing, options.scope)) throw notFound(organisation);
  await trx.updateTable('organisation_webhook').set({ secret: null, secret_sealed: null, active: false, deleted_at: sql<Date>`now()`, deleted_by: options.by }).where('id', '=', existing.id).execute();
  const cancelled = await trx
    .updateTable('webhook_notice')
    .set({ status: 'cancelled', finished_at: sql<Date>`now()`, last_error: 'the webhook was removed', lease_until: null })
    .where('webhook_id', '=', existing.id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return { webhook: rowToWebhook(existing), cancelled: Number(cancelled.numUpdatedRows) };
}
