import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { WebhookError } from './errors.js';
import type { AttemptOutcome, NoticeStatus, WebhookDeliveryTable, WebhookNoticeTable } from './rows.js';

/**
 * What an administrator sees of a webhook's work: each notice (a "delivery") with its status and
 * every attempt (when, how long, the status code, a short excerpt of the answer), newest first; and
 * a redelivery, which starts a new round of attempts for a notice that failed (or was delivered and
 * lost by the receiver).
 */
export interface DeliveryAttempt {
  readonly round: number;
  readonly attempt: number;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly statusCode: number | null;
  readonly outcome: AttemptOutcome;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
}

export interface Delivery {
  readonly id: bigint;
  readonly eventId: string;
  readonly signalKind: string;
  readonly clientId: bigint;
  readonly gemeenteId: string;
  readonly aroseOn: string;
  readonly recordedAt: Date;
  readonly status: NoticeStatus;
  readonly round: number;
  /** Attempts in the current round. */
  readonly attempts: number;
  /** While pending: when the next attempt is due. */
  readonly nextAttemptAt: Date | null;
  readonly deliveredAt: Date | null;
  readonly finishedAt: Date | null;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly log: readonly DeliveryAttempt[];
}

type NoticeRow = Selectable<WebhookNoticeTable>;

function toAttempt(row: Selectable<WebhookDeliveryTable>): DeliveryAttempt {
  return {
    round: row.round,
    attempt: row.attempt,
    startedAt: row.started_at,
    durationMs: row.duration_ms,
    statusCode: row.status_code,
    outcome: row.outcome,
    error: row.error,
    responseExcerpt: row.response_excerpt,
  };
}

function toDelivery(row: NoticeRow, log: readonly DeliveryAttempt[]): Delivery {
  return {
    id: row.id,
    eventId: row.event_id,
    signalKind: row.signal_kind,
    clientId: row.client_id,
    gemeenteId: row.gemeente_id,
    aroseOn: row.arose_on,
    recordedAt: row.recorded_at,
    status: row.status,
    round: row.round,
    attempts: row.attempts,
    nextAttemptAt: row.status === 'pending' ? row.next_attempt_at : null,
    deliveredAt: row.delivered_at,
    finishedAt: row.finished_at,
    lastStatusCode: row.last_status_code,
    lastError: row.last_error,
    log,
  };
}

async function withLogs(db: Kysely<Database> | Trx, rows: readonly NoticeRow[]): Promise<Delivery[]> {
  if (rows.length === 0) return [];
  const attempts = await db
    .selectFrom('webhook_delivery')
    .selectAll()
    .where('notice_id', 'in', rows.map((r) => r.id))
    .orderBy('notice_id')
    .orderBy('round')
    .orderBy('attempt')
    .execute();
  const byNotice = new Map<bigint, DeliveryAttempt[]>();
  for (const a of attempts) byNotice.set(a.notice_id, [...(byNotice.get(a.notice_id) ?? []), toAttempt(a)]);
  return rows.map((r) => toDelivery(r, byNotice.get(r.id) ?? []));
}

/** A page of a webhook's deliveries, newest first; `after` is the last id of the previous page. */
export async function listDeliveries(db: Kysely<Database>, webhookId: bigint, query: { status?: NoticeStatus; limit: number; after?: bigint }): Promise<Delivery[]> {
  let select = db.selectFrom('webhook_notice').selectAll().where('webhook_id', '=', webhookId).orderBy('id', 'desc').limit(query.limit);
  if (query.status) select = select.where('status', '=', query.status);
  if (query.after !== undefined) select = select.where('id', '<', query.after);
  return withLogs(db, await select.execute());
}

/**
 * Sends a notice again, as a new round of attempts: for a failed one once the receiver is fixed, or a
 * delivered one the receiver lost. Same event id, so a receiver that did get it can tell. A notice
 * still pending is left as it is (already on its way): asking twice starts one round, not two.
 */
export async function redeliverNotice(trx: Trx, webhookId: bigint, noticeId: bigint): Promise<{ delivery: Delivery; started: boolean }> {
  const row = await trx.selectFrom('webhook_notice').selectAll().where('id', '=', noticeId).where('webhook_id', '=', webhookId).forUpdate().executeTakeFirst();
  if (!row) throw new WebhookError('webhook_notice_not_found', `the webhook has no delivery ${noticeId}`);
  if (row.status === 'pending') return { delivery: (await withLogs(trx, [row]))[0]!, started: false };
  const updated = await trx
    .updateTable('webhook_notice')
    .set({
      status: 'pending',
      round: sql<number>`round + 1`,
      attempts: 0,
      next_attempt_at: sql<Date>`now()`,
      queued_at: null,
      lease_until: null,
      delivered_at: null,
      finished_at: null,
      last_status_code: null,
      last_error: null,
    })
    .where('id', '=', noticeId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { delivery: (await withLogs(trx, [updated]))[0]!, started: true };
}
