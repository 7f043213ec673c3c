import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../src/db/schema.js';
import type { IsoDate } from '../src/schedule/index.js';
import { amsterdamToday } from '../src/statements/index.js';
import {
  DELIVERY_ATTEMPTS,
  DELIVERY_BACKOFF_MS,
  deliverNotice,
  dueNoticeIds,
  markQueued,
  noticesToQueue,
  recordSignalNotices,
  recordSignalNoticesEverywhere,
  STRICT_WEBHOOKS,
  type DeliveryOptions,
  type DeliveryOutcome,
  type WebhookSettings,
} from '../src/webhooks/index.js';
import type { QueueConnection } from './verify-ledger.js';

export const WEBHOOKS_QUEUE = 'webhooks';

/** A delivery job: one notice in one round (a redelivery is a new round, so a new job). */
export interface WebhookJobData {
  readonly noticeId?: string;
  readonly round?: number;
}

export interface WebhookJobOptions {
  readonly settings?: WebhookSettings;
  /** Tests shorten these; production keeps ten attempts from 30 s. */
  readonly attempts?: number;
  readonly backoffMs?: number;
  readonly timeoutMs?: number;
}

/** The job id: the notice and its round. BullMQ adds a job of a given id once while it waits, runs or retries. */
export const noticeJobId = (noticeId: bigint | string, round: number): string => `notice-${noticeId.toString()}-${round}`;

/** The three kinds of job on the queue: deliver a notice, hand new notices to the queue, record the signals of every webhook's gemeenten. */
const DELIVER = 'deliver-notice';
const RELAY = 'relay-notices';
const SWEEP = 'record-notices';
const RELAY_EVERY_MS = 10_000;
const SWEEP_EVERY_MS = 15 * 60_000;

/**
 * The outbox's delivery queue. The database decides (src/webhooks/delivery.ts: attempts counted in
 * the notice, the last one fails it); BullMQ supplies the waiting between attempts with the same
 * exponential backoff and two spare attempts, so it never gives up before the database does.
 * Completed jobs are removed (the notice and its delivery log are the record); failed ones stay in
 * sight on the dashboard.
 */
export function webhooksQueue({ connection, prefix }: QueueConnection, options: WebhookJobOptions = {}): Queue<WebhookJobData> {
  return new Queue<WebhookJobData>(WEBHOOKS_QUEUE, {
    connection,
    ...(prefix ? { prefix } : {}),
    defaultJobOptions: {
      attempts: (options.attempts ?? DELIVERY_ATTEMPTS) + 2,
      backoff: { type: 'exponential', delay: options.backoffMs ?? DELIVERY_BACKOFF_MS },
      removeOnComplete: true,
      removeOnFail: false,
    },
  });
}

function deliveryOptions(options: WebhookJobOptions, round?: number, now?: Date): DeliveryOptions {
  return {
    settings: options.settings ?? STRICT_WEBHOOKS,
    ...(now !== undefined ? { now: () => now } : {}),
    ...(options.attempts !== undefined ? { maxAttempts: options.attempts } : {}),
    ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(round !== undefined ? { round } : {}),
  };
}

/**
 * One delivery attempt as a job. A retry is an error (BullMQ waits and runs it again); a permanent
 * failure is an `UnrecoverableError`, so the job shows as failed with the receiver's answer.
 */
export async function webhookDeliveryJob(db: Kysely<Database>, data: WebhookJobData, options: WebhookJobOptions = {}): Promise<DeliveryOutcome> {
  if (!data.noticeId || !/^\d{1,18}$/.test(data.noticeId)) throw new UnrecoverableError(`"${String(data.noticeId)}" is not a notice id`);
  const outcome = await deliverNotice(db, BigInt(data.noticeId), deliveryOptions(options, data.round));
  if (outcome.kind === 'retry') throw new Error(`attempt ${outcome.attempt} not delivered (${outcome.error}); tried again from ${outcome.nextAttemptAt.toISOString()}`);
  if (outcome.kind === 'busy') throw new Error('another worker is delivering this notice right now; looking again later');
  if (outcome.kind === 'failed') throw new UnrecoverableError(`not delivered: ${outcome.error}`);
  return outcome;
}

/**
 * The relay: hands notices the queue does not have yet (new, redelivered, back from a pause, or
 * overdue because their job was lost) to it, at most `limit` per run. Adding an id that is waiting
 * or delayed is a no-op; a lost job that ended failed is retried.
 */
export async function relayNotices(db: Kysely<Database>, queue: Queue<WebhookJobData>, options: { now?: Date; limit?: number } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const notices = await noticesToQueue(db, now, options.limit ?? 500);
  const adds: { name: string; data: WebhookJobData; opts: { jobId: string } }[] = [];
  for (const notice of notices) {
    const jobId = noticeJobId(notice.id, notice.round);
    // Only an overdue notice may have a lost job that ended failed (rare): looked up one by one.
    const existing = notice.overdue ? await queue.getJob(jobId) : undefined;
    if (existing && (await existing.isFailed())) await existing.retry('failed');
    else adds.push({ name: DELIVER, data: { noticeId: notice.id.toString(), round: notice.round }, opts: { jobId } });
  }
  // The new ones in one round trip to Redis; an id already waiting or delayed is still a no-op.
  if (adds.length > 0) await queue.addBulk(adds);
  await markQueued(
    db,
    notices.map((n) => n.id),
    now,
  );
  return notices.length;
}

/**
 * Records the signal notices after work that can make signals (the daily batch of a gemeente, a bank
 * file), for one gemeente or, with null, every gemeente a webhook names. A failure here does not undo
 * or fail that work: it is logged as an error, and the sweep every 15 minutes records what was missed.
 */
export async function recordNoticesAfter(db: Kysely<Database>, logger: Logger, gemeenteId: string | null, asOf: IsoDate): Promise<void> {
  try {
    const recorded = gemeenteId === null ? (await recordSignalNoticesEverywhere(db, asOf)).recorded : (await recordSignalNotices(db, gemeenteId, asOf)).recorded;
    if (recorded > 0) logger.info({ job: WEBHOOKS_QUEUE, gemeente: gemeenteId, asOf, recorded }, 'signal notices recorded');
  } catch (error) {
    logger.error({ job: WEBHOOKS_QUEUE, gemeente: gemeenteId, asOf, err: error }, 'recording signal notices failed; the sweep tries again');
  }
}

export function webhooksWorker({ connection, prefix }: QueueConnection, db: Kysely<Database>, logger: Logger, options: WebhookJobOptions & { queue: Queue<WebhookJobData> }): Worker<WebhookJobData> {
  const run = async (job: Job<WebhookJobData>): Promise<unknown> => {
    if (job.name === RELAY) return { queued: await relayNotices(db, options.queue) };
    if (job.name === SWEEP) return recordSignalNoticesEverywhere(db, amsterdamToday(new Date()));
    return webhookDeliveryJob(db, job.data, options);
  };
  // Deliveries wait on other servers: several at once per worker.
  const worker = new Worker<WebhookJobData>(WEBHOOKS_QUEUE, run, { connection, concurrency: 5, ...(prefix ? { prefix } : {}) });
  // Ids, kinds and status codes only: no URL (it may hold the receiver's token), no body.
  worker.on('failed', (job, error) => {
    const final = error instanceof UnrecoverableError || (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
    const fields = { job: job?.id, queue: WEBHOOKS_QUEUE, name: job?.name, attempts: job?.attemptsMade, err: error };
    if (final) logger.error(fields, 'webhook job failed');
    else logger.warn(fields, 'webhook delivery not yet delivered; retried');
  });
  worker.on('completed', (job, result: unknown) => {
    if (job.name === DELIVER) logger.info({ job: job.id, queue: WEBHOOKS_QUEUE, outcome: (result as DeliveryOutcome | undefined)?.kind }, 'webhook notice handled');
  });
  return worker;
}

/** The relay every 10 s and the sweep every 15 minutes; upserting makes restarts and several workers safe. */
export async function scheduleWebhookJobs(queue: Queue<WebhookJobData>): Promise<void> {
  const once = { attempts: 1, removeOnComplete: true, removeOnFail: 50 };
  await queue.upsertJobScheduler('webhooks-relay', { every: RELAY_EVERY_MS }, { name: RELAY, opts: once });
  await queue.upsertJobScheduler('webhooks-sweep', { every: SWEEP_EVERY_MS }, { name: SWEEP, opts: once });
}

/**
 * Embedded mode: the same core in the API process. Each tick (every minute) delivers the notices
 * that are due, a few at once, for at most 45 s; every 15 minutes it first records the signals of
 * every gemeente a webhook names. Quiet when there is nothing to do.
 */
export function inlineWebhooks(db: Kysely<Database>, logger: Logger, options: WebhookJobOptions = {}): { tick(now: Date): Promise<void> } {
  let lastSweep = Number.NEGATIVE_INFINITY;
  let running = false;
  return {
    async tick(now) {
      if (running) return;
      running = true;
      try {
        if (now.getTime() - lastSweep >= SWEEP_EVERY_MS) {
          lastSweep = now.getTime();
          await recordNoticesAfter(db, logger, null, amsterdamToday(now));
        }
        // Notices recorded during this tick are due too (they were recorded after `now`).
        await deliverDue(new Date(Math.max(now.getTime(), Date.now())));
      } catch (error) {
        logger.error({ job: WEBHOOKS_QUEUE, err: error }, 'webhook deliveries failed');
      } finally {
        running = false;
      }
    },
  };
  async function deliverDue(now: Date): Promise<void> {
    const until = Date.now() + 45_000;
    const tried = new Set<bigint>();
    while (Date.now() < until) {
      const due = (await dueNoticeIds(db, now, 20)).filter((id) => !tried.has(id));
      if (due.length === 0) return;
      for (let i = 0; i < due.length; i += 4) {
        await Promise.all(
          due.slice(i, i + 4).map(async (id) => {
            tried.add(id);
            const outcome = await deliverNotice(db, id, deliveryOptions(options, undefined, now));
            const fields = { job: WEBHOOKS_QUEUE, notice: id.toString(), outcome: outcome.kind };
            if (outcome.kind === 'failed') logger.error({ ...fields, error: outcome.error }, 'webhook notice not delivered');
            else if (outcome.kind === 'retry') logger.warn({ ...fields, error: outcome.error }, 'webhook notice not yet delivered; retried');
            else logger.info(fields, 'webhook notice handled');
          }),
        );
      }
    }
  }
}
