import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { runDailyBatch, type DailyBatchResult } from '../src/batch/run.js';
import { ClientError } from '../src/clients/errors.js';
import { gemeentePolicies } from '../src/clients/policy.js';
import type { Database } from '../src/db/schema.js';
import { amsterdamToday, amsterdamWallClock } from '../src/schedule/index.js';
import { dueAt } from './due-at.js';
import type { QueueConnection } from './verify-ledger.js';
import { recordNoticesAfter } from './webhooks.js';

export const DAILY_BATCH_QUEUE = 'daily-batch';

export interface DailyBatchJobData {
  readonly gemeenteId: string;
  /** The run date; absent for the scheduled job, which runs for the Amsterdam day it fires on. */
  readonly runDate?: string;
}

/**
 * The daily batch as a job: one repeatable job per gemeente at the gemeente's batch time
 * (Amsterdam), calling `runDailyBatch`. Two workers picking up the same batch are safe: the core
 * serialises runs of one gemeente and every step is idempotent, so the second finds nothing to do.
 */
export function dailyBatchQueue({ connection, prefix }: QueueConnection): Queue<DailyBatchJobData> {
  return new Queue<DailyBatchJobData>(DAILY_BATCH_QUEUE, {
    connection,
    ...(prefix ? { prefix } : {}),
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 60_000 }, removeOnComplete: 400, removeOnFail: false },
  });
}

/**
 * The job's run date: its own, or the Amsterdam day it runs on, never before the day it was due (`dueAt`; not
 * the day BullMQ made it). A job that runs late, because the workers were down on its day, runs for the day
 * they are back: its payments are dated for a day the bank can still execute, what its own day should have
 * paid is made up as late, and BullMQ makes no separate job for the day it runs on.
 */
export function runDateOf(data: DailyBatchJobData, dueAtMillis: number, nowMillis: number = dueAtMillis): string {
  return data.runDate ?? amsterdamToday(new Date(Math.max(dueAtMillis, nowMillis)));
}

export async function dailyBatchJob(db: Kysely<Database>, data: DailyBatchJobData, firedAt: number, jobId: string | undefined, nowMillis: number = firedAt): Promise<DailyBatchResult> {
  try {
    return await runDailyBatch(db, { gemeenteId: data.gemeenteId, runDate: runDateOf(data, firedAt, nowMillis), startedBy: `job:${jobId ?? 'unknown'}` });
  } catch (error) {
    // A gemeente without a policy will not get one by retrying.
    if (error instanceof ClientError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

/** What the worker does with a job: the batch of the day it was due, then the notices for the webhooks. */
export function dailyBatchProcessor(db: Kysely<Database>, logger: Logger, now: () => Date = () => new Date()): (job: Pick<Job<DailyBatchJobData>, 'data' | 'id' | 'timestamp' | 'repeatJobKey' | 'opts'>) => Promise<DailyBatchResult> {
  return async (job) => {
    const result = await dailyBatchJob(db, job.data, dueAt(job), job.id, now().getTime());
    // The signals the run made (arrears, periods ending) as notices for the organisations' webhooks (jobs/webhooks.ts).
    await recordNoticesAfter(db, logger, result.report.gemeenteId, result.report.runDate);
    return result;
  };
}

export function dailyBatchWorker({ connection, prefix }: QueueConnection, db: Kysely<Database>, logger: Logger): Worker<DailyBatchJobData, DailyBatchResult> {
  const run = dailyBatchProcessor(db, logger);
  const worker = new Worker<DailyBatchJobData, DailyBatchResult>(DAILY_BATCH_QUEUE, run, {
    connection,
    concurrency: 1,
    ...(prefix ? { prefix } : {}),
  });
  worker.on('failed', (job, error) => logger.error({ job: job?.id, queue: DAILY_BATCH_QUEUE, gemeente: job?.data.gemeenteId, err: error }, 'daily batch failed'));
  worker.on('completed', (job, result) =>
    logger.info({ job: job.id, queue: DAILY_BATCH_QUEUE, gemeente: result.report.gemeenteId, runDate: result.report.runDate, created: result.created, batches: result.batchesCreated }, 'daily batch done'),
  );
  return worker;
}

/** One scheduler per gemeente with a policy, at its batch time; upserting makes restarts and several workers safe. */
export async function scheduleDailyBatches(queue: Queue<DailyBatchJobData>, db: Kysely<Database>): Promise<string[]> {
  const policies = await gemeentePolicies(db);
  for (const policy of policies) {
    const [hour, minute] = policy.batchTime.split(':');
    await queue.upsertJobScheduler(
      `daily-batch-${policy.gemeenteId}`,
      { pattern: `${Number(minute)} ${Number(hour)} * * *`, tz: 'Europe/Amsterdam' },
      { name: 'daily-batch', data: { gemeenteId: policy.gemeenteId } },
    );
  }
  return policies.map((p) => p.gemeenteId);
}

/**
 * Embedded mode: the same core, run in the API process once per Amsterdam day per gemeente from its
 * batch time. Call `tick` every minute (jobs/inline.ts does).
 */
export function inlineDailyBatches(db: Kysely<Database>, logger: Logger): { tick(now: Date): Promise<void> } {
  const lastRun = new Map<string, string>();
  let running = false;
  return {
    async tick(now) {
      if (running) return;
      running = true;
      try {
        await runDue(now);
      } finally {
        running = false;
      }
    },
  };
  async function runDue(now: Date): Promise<void> {
    const { date, time } = amsterdamWallClock(now);
    for (const policy of await gemeentePolicies(db)) {
      if (lastRun.get(policy.gemeenteId) === date || time < policy.batchTime) continue;
      try {
        const result = await runDailyBatch(db, { gemeenteId: policy.gemeenteId, runDate: date, startedBy: 'inline' });
        lastRun.set(policy.gemeenteId, date);
        logger.info({ job: DAILY_BATCH_QUEUE, gemeente: policy.gemeenteId, runDate: date, created: result.created, batches: result.batchesCreated }, 'daily batch done');
        await recordNoticesAfter(db, logger, policy.gemeenteId, date);
      } catch (error) {
        logger.error({ job: DAILY_BATCH_QUEUE, gemeente: policy.gemeenteId, runDate: date, err: error }, 'daily batch failed');
      }
    }
  }
}
