import { performance } from 'node:perf_hooks';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { parseWebhookUrl, type WebhookSettings } from './address.js';
import { WebhookError } from './errors.js';
import { noticeBody } from './payload.js';
import { PostFailed, postNotice, type PostAnswer } from './post.js';
import type { AttemptOutcome, OrganisationWebhookTable, WebhookNoticeTable } from './rows.js';
import { signNotice, WEBHOOK_HEADERS } from './signature.js';
import { signingSecret } from './webhooks.js';

/**
 * Delivering one notice: one POST, logged, and the notice moved on. 2xx: delivered. 408, 429, 5xx,
 * a timeout or no connection: tried again later with exponential backoff, until the last attempt,
 * which fails it. Any other answer (4xx, and 3xx: redirects are not followed): failed at once, for
 * an administrator to see and redeliver once the receiver is fixed.
 *
 * Exactly one delivery: a worker first claims the notice (a lease in the row, taken in one UPDATE),
 * so two workers, or a queued job and the inline loop, never send it at the same time; a delivered
 * notice is never claimed again. The one gap is a process dying after the receiver answered and
 * before the answer was recorded: the lease then runs out and the notice is sent again, with the
 * same event id, which is why receivers deduplicate by `Ontzorg-Event-Id`.
 */

export const DELIVERY_ATTEMPTS = 10;
/** The first retry after 30 s, then 1, 2, 4 … minutes: ten attempts span about four hours. */
export const DELIVERY_BACKOFF_MS = 30_000;
export const DELIVERY_TIMEOUT_MS = 5_000;
/** How long a claim holds: far longer than one request may take. */
const LEASE_MS = 60_000;

export interface DeliveryOptions {
  readonly settings: WebhookSettings;
  readonly now?: () => Date;
  readonly timeoutMs?: number;
  readonly maxAttempts?: number;
  readonly backoffMs?: number;
  /** The delivery round a queued job was made for: a job of another round does nothing. */
  readonly round?: number;
}

export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly attempt: number; readonly statusCode: number }
  | { readonly kind: 'retry'; readonly attempt: number; readonly nextAttemptAt: Date; readonly error: string }
  | { readonly kind: 'failed'; readonly attempt: number; readonly error: string }
  | { readonly kind: 'cancelled'; readonly reason: string }
  /** The webhook is switched off: the notice waits, and is sent once it is on again. */
  | { readonly kind: 'paused' }
  /** Another worker holds the claim right now. */
  | { readonly kind: 'busy' }
  /** Nothing to do: the notice is no longer pending (or was redelivered in a newer round). */
  | { readonly kind: 'done'; readonly status: string };

/** The wait before attempt `attempt + 1`: base × 2^(attempt − 1), as BullMQ's exponential backoff counts. */
export function backoffDelay(attempt: number, baseMs: number): number {
  return baseMs * 2 ** Math.max(0, attempt - 1);
}

/** What an HTTP status means for a notice. */
export function classifyAnswer(statusCode: number): AttemptOutcome {
  if (statusCode >= 200 && statusCode < 300) return 'delivered';
  if (statusCode === 408 || statusCode === 429 || statusCode >= 500) return 'retry';
  return 'failed';
}

type NoticeRow = Selectable<WebhookNoticeTable>;
type WebhookRow = Selectable<OrganisationWebhookTable>;

/** Why a notice may no longer go out (the webhook changed, the client moved on), or null. */
async function reasonToCancel(db: Kysely<Database>, notice: NoticeRow, webhook: WebhookRow): Promise<string | null> {
  if (webhook.deleted_at !== null || (webhook.secret === null && webhook.secret_sealed === null)) return 'the webhook was removed';
  if (!webhook.gemeenten.includes(notice.gemeente_id)) return `the webhook no longer carries signals of ${notice.gemeente_id}`;
  if (!webhook.kinds.includes(notice.signal_kind)) return `the webhook no longer carries ${notice.signal_kind} signals`;
  const assigned = await db
    .selectFrom('caseworker_assignment')
    .select('client_id')
    .where('client_id', '=', notice.client_id)
    .where('organisation', '=', notice.organisation)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return assigned ? null : 'the client is no longer assigned to the organisation';
}

/** Delivers one notice once: claim, check, POST, record. See the module comment for what each answer means. */
export async function deliverNotice(db: Kysely<Database>, noticeId: bigint, options: DeliveryOptions): Promise<DeliveryOutcome> {
  const now = options.now ?? (() => new Date());
  const notice = await db.selectFrom('webhook_notice').selectAll().where('id', '=', noticeId).executeTakeFirst();
  if (!notice) return { kind: 'done', status: 'unknown' };
  if (notice.status !== 'pending' || (options.round !== undefined && notice.round !== options.round)) return { kind: 'done', status: notice.status };
  const webhook = await db.selectFrom('organisation_webhook').selectAll().where('id', '=', notice.webhook_id).executeTakeFirstOrThrow();
  const cancel = await reasonToCancel(db, notice, webhook);
  if (cancel !== null) {
    await db
      .updateTable('webhook_notice')
      .set({ status: 'cancelled', finished_at: now(), last_error: cancel, lease_until: null })
      .where('id', '=', noticeId)
      .where('status', '=', 'pending')
      .execute();
    return { kind: 'cancelled', reason: cancel };
  }
  if (!webhook.active) {
    // Queued again by the relay once the webhook is switched back on.
    await db.updateTable('webhook_notice').set({ queued_at: null }).where('id', '=', noticeId).where('status', '=', 'pending').execute();
    return { kind: 'paused' };
  }

  const started = now();
  const claimed = await db
    .updateTable('webhook_notice')
    .set({ attempts: sql<number>`attempts + 1`, lease_until: new Date(started.getTime() + LEASE_MS) })
    .where('id', '=', noticeId)
    .where('status', '=', 'pending')
    .where('round', '=', notice.round)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', started)]))
    .returningAll()
    .executeTakeFirst();
  if (!claimed) {
    const current = await db.selectFrom('webhook_notice').select(['status', 'round']).where('id', '=', noticeId).executeTakeFirstOrThrow();
    return current.status === 'pending' && current.round === notice.round ? { kind: 'busy' } : { kind: 'done', status: current.status };
  }

  const attempt = claimed.attempts;
  const { verdict, statusCode, excerpt, error, durationMs } = await send(claimed, webhook, started, attempt, options);
  const maxAttempts = options.maxAttempts ?? DELIVERY_ATTEMPTS;
  const gaveUp = verdict === 'retry' && attempt >= maxAttempts;
  const outcome: AttemptOutcome = gaveUp ? 'failed' : verdict;
  const lastError = error === null ? null : (gaveUp ? `gave up after ${attempt} attempts: ${error}` : error).slice(0, 500);
  const nextAttemptAt = new Date(now().getTime() + backoffDelay(attempt, options.backoffMs ?? DELIVERY_BACKOFF_MS));
  await inTransaction(db, async (trx) => {
    await trx
      .insertInto('webhook_delivery')
      .values({ notice_id: noticeId, round: claimed.round, attempt, started_at: started, duration_ms: durationMs, status_code: statusCode, outcome, error: error?.slice(0, 500) ?? null, response_excerpt: excerpt })
      .execute();
    const finished = now();
    await trx
      .updateTable('webhook_notice')
      .set({
        status: outcome === 'retry' ? 'pending' : outcome,
        lease_until: null,
        last_status_code: statusCode,
        last_error: lastError,
        ...(outcome === 'retry' ? { next_attempt_at: nextAttemptAt } : { finished_at: finished }),
        ...(outcome === 'delivered' ? { delivered_at: finished } : {}),
      })
      .where('id', '=', noticeId)
      .where('round', '=', claimed.round)
      .execute();
  });
  if (outcome === 'delivered') return { kind: 'delivered', attempt, statusCode: statusCode! };
  if (outcome === 'retry') return { kind: 'retry', attempt, nextAttemptAt, error: lastError ?? '' };
  return { kind: 'failed', attempt, error: lastError ?? '' };
}

interface Sent {
  readonly verdict: AttemptOutcome;
  readonly statusCode: number | null;
  readonly excerpt: string | null;
  readonly error: string | null;
  readonly durationMs: number;
}

async function send(notice: NoticeRow, webhook: WebhookRow, started: Date, attempt: number, options: DeliveryOptions): Promise<Sent> {
  const body = noticeBody({
    eventId: notice.event_id,
    organisation: notice.organisation,
    gemeenteId: notice.gemeente_id,
    clientId: notice.client_id,
    signalKind: notice.signal_kind,
    aroseOn: notice.arose_on,
    recordedAt: notice.recorded_at,
  });
  const timestamp = Math.floor(started.getTime() / 1000);
  const clock = performance.now();
  const elapsed = () => Math.round(performance.now() - clock);
  let secret: string;
  try {
    secret = signingSecret(webhook, options.settings);
  } catch (error) {
    // The data key is missing or another one: a setting to fix, so tried again later, as an answer that may change.
    if (error instanceof WebhookError) return { verdict: 'retry', statusCode: null, excerpt: null, error: error.message, durationMs: elapsed() };
    throw error;
  }
  const headers = {
    'content-type': 'application/json; charset=utf-8',
    'user-agent': 'ontzorg-webhooks/1',
    [WEBHOOK_HEADERS.eventId]: notice.event_id,
    [WEBHOOK_HEADERS.timestamp]: String(timestamp),
    [WEBHOOK_HEADERS.signature]: signNotice(secret, timestamp, body),
    [WEBHOOK_HEADERS.attempt]: String(attempt),
  };
  let answer: PostAnswer;
  try {
    // The URL is checked again here: a webhook set with ONTZORG_WEBHOOK_ALLOW_LOCAL on does not reach a local address once it is off.
    const url = parseWebhookUrl(webhook.url, options.settings);
    answer = await postNotice(url, body, headers, { timeoutMs: options.timeoutMs ?? DELIVERY_TIMEOUT_MS, settings: options.settings });
  } catch (error) {
    if (error instanceof PostFailed) return { verdict: error.reason === 'address_not_public' ? 'failed' : 'retry', statusCode: null, excerpt: null, error: error.message, durationMs: elapsed() };
    if (error instanceof WebhookError) return { verdict: 'failed', statusCode: null, excerpt: null, error: error.message, durationMs: elapsed() };
    return { verdict: 'retry', statusCode: null, excerpt: null, error: `could not send: ${error instanceof Error ? error.name : 'unknown error'}`, durationMs: elapsed() };
  }
  const verdict = classifyAnswer(answer.statusCode);
  const error = verdict === 'delivered' ? null : answer.statusCode >= 300 && answer.statusCode < 400 ? `HTTP ${answer.statusCode}: redirects are not followed` : `HTTP ${answer.statusCode}`;
  return { verdict, statusCode: answer.statusCode, excerpt: answer.excerpt === '' ? null : answer.excerpt, error, durationMs: elapsed() };
}

/** Notices the inline loop may deliver now: pending, due, not claimed, of an active webhook; oldest due first. */
export async function dueNoticeIds(db: Kysely<Database>, now: Date, limit: number): Promise<bigint[]> {
  const rows = await db
    .selectFrom('webhook_notice as n')
    .innerJoin('organisation_webhook as w', 'w.id', 'n.webhook_id')
    .select('n.id')
    .where('n.status', '=', 'pending')
    .where('n.next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('n.lease_until', 'is', null), eb('n.lease_until', '<', now)]))
    .where('w.active', '=', true)
    .where('w.deleted_at', 'is', null)
    .orderBy('n.next_attempt_at')
    .orderBy('n.id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** How late a queued notice may be before the relay assumes its job was lost (Redis emptied, a job failed by stalls). */
export const OVERDUE_MS = 15 * 60_000;

/**
 * Notices the relay hands to the queue: never queued (new, redelivered, or back from a pause), or
 * overdue by a quarter of an hour although queued.
 */
export async function noticesToQueue(db: Kysely<Database>, now: Date, limit: number): Promise<{ id: bigint; round: number; overdue: boolean }[]> {
  const overdue = new Date(now.getTime() - OVERDUE_MS);
  const rows = await db
    .selectFrom('webhook_notice as n')
    .innerJoin('organisation_webhook as w', 'w.id', 'n.webhook_id')
    .select(['n.id', 'n.round', 'n.queued_at'])
    .where('n.status', '=', 'pending')
    .where('w.active', '=', true)
    .where('w.deleted_at', 'is', null)
    .where((eb) => eb.or([eb('n.queued_at', 'is', null), eb.and([eb('n.queued_at', '<', overdue), eb('n.next_attempt_at', '<', overdue)])]))
    .orderBy('n.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({ id: r.id, round: r.round, overdue: r.queued_at !== null }));
}

export async function markQueued(db: Kysely<Database>, ids: readonly bigint[], now: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('webhook_notice').set({ queued_at: now }).where('id', 'in', [...ids]).where('status', '=', 'pending').execute();
}
