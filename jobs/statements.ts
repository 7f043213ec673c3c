import { join } from 'node:path';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { gemeentePolicies } from '../src/clients/policy.js';
import type { Database } from '../src/db/schema.js';
import { addMonths, amsterdamToday, amsterdamWallClock, firstDayOf, isIsoDate, lastDayOf } from '../src/schedule/index.js';
import { LANGUAGE_CODES, writeStatementFiles } from '../src/statements/index.js';
import { dueAt } from './due-at.js';
import type { QueueConnection } from './verify-ledger.js';

export const STATEMENTS_QUEUE = 'statements';

export interface StatementsJobData {
  readonly gemeenteId: string;
  /** `YYYY-MM`; absent for the scheduled job, which writes the month before the day it fires on. */
  readonly month?: string;
  /** The day "now" means on the statements; absent: the Amsterdam day the job was due (`dueAt`), so a retry writes the same bytes. */
  readonly asOf?: string;
  /** Default nl (no language is recorded per client yet). */
  readonly language?: string;
}

export interface StatementsJobResult {
  readonly gemeenteId: string;
  readonly month: string;
  readonly asOf: string;
  readonly folder: string;
  readonly clients: number;
  readonly written: number;
  readonly unchanged: number;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The month and "now" of a job: its own, or from the Amsterdam day it was due (`dueAt`). */
export function statementsJobDays(data: StatementsJobData, dueAtMillis: number): { month: string; asOf: string } {
  const today = amsterdamToday(new Date(dueAtMillis));
  return { month: data.month ?? addMonths(today.slice(0, 7), -1), asOf: data.asOf ?? today };
}

/** One job per gemeente, month and day of writing: a double enqueue is one job; a later day may write again. */
export const statementsJobId = (gemeenteId: string, month: string, asOf: string): string => `statements-${gemeenteId}-${month}-${asOf}`;

export function statementsQueue({ connection, prefix }: QueueConnection): Queue<StatementsJobData, StatementsJobResult> {
  return new Queue<StatementsJobData, StatementsJobResult>(STATEMENTS_QUEUE, {
    connection,
    ...(prefix ? { prefix } : {}),
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 30_000 }, removeOnComplete: 500, removeOnFail: false },
  });
}

export async function enqueueStatements(queue: Queue<StatementsJobData, StatementsJobResult>, data: Required<Pick<StatementsJobData, 'gemeenteId' | 'month' | 'asOf'>> & StatementsJobData): Promise<string> {
  const jobId = statementsJobId(data.gemeenteId, data.month, data.asOf);
  await queue.add('write-statements', data, { jobId });
  return jobId;
}

/**
 * Writes the statements of a gemeente's clients for a month, HTML and CSV, into
 * `<baseDir>/<gemeente>/<YYYY-MM>/`. Idempotent: the same ledger and day give the same bytes and a
 * rerun replaces no file. A month or language that is not one fails at once, without retries.
 */
export async function statementsJob(
  db: Kysely<Database>,
  data: StatementsJobData,
  dueAtMillis: number,
  options: { baseDir: string; progress?: (done: number, total: number) => Promise<void> | void },
): Promise<StatementsJobResult> {
  const { month, asOf } = statementsJobDays(data, dueAtMillis);
  if (!MONTH.test(month)) throw new UnrecoverableError(`month "${month}" is not a month written as YYYY-MM`);
  if (!isIsoDate(asOf)) throw new UnrecoverableError(`asOf "${asOf}" is not a day written as YYYY-MM-DD`);
  if (data.language !== undefined && !LANGUAGE_CODES.includes(data.language)) throw new UnrecoverableError(`there are no statement texts in language "${data.language}" (${LANGUAGE_CODES.join(', ')})`);
  const folder = join(options.baseDir, data.gemeenteId, month);
  let reported = 0;
  const pending: Promise<void>[] = [];
  const result = await writeStatementFiles(db, {
    gemeenteId: data.gemeenteId,
    period: { from: firstDayOf(month), to: lastDayOf(month) },
    asOf,
    outDir: folder,
    ...(data.language ? { language: data.language } : {}),
    onProgress: (done, total) => {
      // About a hundred progress updates per job, whatever its size: each one is a Redis round trip.
      if (options.progress && (done === total || done - reported >= Math.max(1, Math.floor(total / 100)))) {
        reported = done;
        pending.push(Promise.resolve(options.progress(done, total)));
      }
    },
  });
  await Promise.all(pending);
  return { gemeenteId: data.gemeenteId, month, asOf, folder, clients: result.clients, written: result.written, unchanged: result.unchanged };
}

export function statementsWorker(
  { connection, prefix }: QueueConnection,
  db: Kysely<Database>,
  logger: Logger,
  options: { baseDir: string },
): Worker<StatementsJobData, StatementsJobResult> {
  const run = (job: Job<StatementsJobData, StatementsJobResult>) =>
    statementsJob(db, job.data, dueAt(job), { baseDir: options.baseDir, progress: (done, total) => job.updateProgress({ done, total }) });
  const worker = new Worker<StatementsJobData, StatementsJobResult>(STATEMENTS_QUEUE, run, { connection, concurrency: 1, ...(prefix ? { prefix } : {}) });
  // Counts only: statements are full of names and amounts.
  worker.on('failed', (job, error) => logger.error({ job: job?.id, queue: STATEMENTS_QUEUE, gemeente: job?.data.gemeenteId, err: error }, 'writing statements failed'));
  worker.on('completed', (job, r) => logger.info({ job: job.id, queue: STATEMENTS_QUEUE, gemeente: r.gemeenteId, month: r.month, clients: r.clients, written: r.written }, 'statements written'));
  return worker;
}

/** On the first of every month at 07:00 Amsterdam, each gemeente's statements of the month before. */
export async function scheduleMonthlyStatements(queue: Queue<StatementsJobData, StatementsJobResult>, db: Kysely<Database>): Promise<string[]> {
  const policies = await gemeentePolicies(db);
  for (const policy of policies) {
    await queue.upsertJobScheduler(`statements-${policy.gemeenteId}`, { pattern: '0 7 1 * *', tz: 'Europe/Amsterdam' }, { name: 'write-statements', data: { gemeenteId: policy.gemeenteId } });
  }
  return policies.map((p) => p.gemeenteId);
}

/** Embedded mode: the same job in the API process, on the first of the month from 07:00. Call `tick` every minute. */
export function inlineMonthlyStatements(db: Kysely<Database>, logger: Logger, baseDir: string): { tick(now: Date): Promise<void> } {
  let lastRun: string | undefined;
  let running = false;
  return {
    async tick(now) {
      const { date, time } = amsterdamWallClock(now);
      if (running || lastRun === date || !date.endsWith('-01') || time < '07:00') return;
      running = true;
      try {
        for (const policy of await gemeentePolicies(db)) {
          const r = await statementsJob(db, { gemeenteId: policy.gemeenteId }, now.getTime(), { baseDir });
          logger.info({ job: STATEMENTS_QUEUE, gemeente: r.gemeenteId, month: r.month, clients: r.clients, written: r.written }, 'statements written');
        }
        lastRun = date;
      } catch (error) {
        logger.error({ job: STATEMENTS_QUEUE, date, err: error }, 'writing statements failed');
      } finally {
        running = false;
      }
    },
  };
}
