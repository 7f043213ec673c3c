import { Queue, Worker } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../src/db/schema.js';
import { ingestBankFile, type IngestOptions, type IngestResult } from '../src/ingest/files.js';
import type { QueueConnection } from './verify-ledger.js';
import { amsterdamToday } from '../src/statements/index.js';
import { recordNoticesAfter } from './webhooks.js';

export const INGEST_QUEUE = 'ingest';

export interface IngestJobData {
  /** The bank file's id as text (JSON has no bigint). */
  readonly fileId: string;
}

/**
 * Hands received bank files to ingestion. With Redis the work is a BullMQ job (jobId
 * `ingest-<fileId>`, so a file enqueued twice is ingested once, and ingestion itself answers
 * a second run with the stored result); without Redis it runs inline in this process.
 */
export interface IngestRunner {
  submit(fileId: bigint): Promise<void>;
  close(): Promise<void>;
}

export function ingestQueue({ connection, prefix }: QueueConnection): Queue<IngestJobData> {
  return new Queue<IngestJobData>(INGEST_QUEUE, {
    connection,
    ...(prefix ? { prefix } : {}),
    defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: 1_000, removeOnFail: false },
  });
}

export function queuedIngestRunner(queue: Queue<IngestJobData>): IngestRunner {
  return {
    submit: async (fileId) => {
      const jobId = `ingest-${fileId.toString()}`;
      // A job that failed for good is kept (removeOnFail: false), and adding its id again would do nothing:
      // a file handed over again (a re-upload, the sweep below) is retried instead.
      const kept = await queue.getJob(jobId);
      if (kept && (await kept.isFailed())) await kept.retry();
      else await queue.add('ingest-bank-file', { fileId: fileId.toString() }, { jobId });
    },
    close: async () => queue.close(),
  };
}

/** Embedded mode: the same core function, run in the background of this process. */
export function inlineIngestRunner(db: Kysely<Database>, logger: Logger, options: IngestOptions = {}): IngestRunner {
  const running = new Set<Promise<unknown>>();
  return {
    submit: async (fileId) => {
      const work = ingestBankFile(db, fileId, options).then(
        (result) => ingested(db, logger, result),
        (error: unknown) => logger.error({ job: INGEST_QUEUE, fileId: fileId.toString(), err: error }, 'bank file ingestion failed'),
      );
      running.add(work);
      void work.finally(() => running.delete(work));
    },
    close: async () => {
      await Promise.allSettled([...running]);
    },
  };
}

/**
 * Bank files received but never booked: their hand-over to ingestion was lost (the queue unreachable at
 * upload, the process stopped in between). Handed over again, ingestion books them once; without this a
 * file could wait for ever and the bijstand in it pay no rent and no leefgeld.
 */
export async function resubmitWaitingFiles(db: Kysely<Database>, runner: IngestRunner, options: { olderThanMs: number; now?: Date }): Promise<number> {
  const before = new Date((options.now ?? new Date()).getTime() - options.olderThanMs);
  const waiting = await db.selectFrom('bank_file').select('id').where('status', '=', 'received').where('received_at', '<', before).orderBy('id').limit(1_000).execute();
  for (const file of waiting) await runner.submit(file.id);
  return waiting.length;
}

/** The sweep, at start and every few minutes; `stop` ends it. Files younger than two minutes are still on their way. */
export function startWaitingFileSweep(db: Kysely<Database>, runner: IngestRunner, logger: Logger, everyMs = 5 * 60_000): { stop(): void } {
  const sweep = () =>
    void resubmitWaitingFiles(db, runner, { olderThanMs: 2 * 60_000 }).then(
      (n) => {
        if (n > 0) logger.warn({ job: INGEST_QUEUE, files: n }, 'bank files that waited unbooked were handed to ingestion again');
      },
      (error: unknown) => logger.error({ job: INGEST_QUEUE, err: error }, 'the sweep of waiting bank files failed'),
    );
  sweep();
  const timer = setInterval(sweep, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Logs the result, then records the signal notices the file may have made (a returned payment) for the organisations' webhooks. */
async function ingested(db: Kysely<Database>, logger: Logger, result: IngestResult): Promise<IngestResult> {
  logResult(logger, result);
  if (result.status === 'ingested') await recordNoticesAfter(db, logger, null, amsterdamToday(new Date()));
  return result;
}

function logResult(logger: Logger, result: IngestResult): IngestResult {
  // Counts and codes only: bank files are full of names and IBANs.
  const fields = { job: INGEST_QUEUE, fileId: result.fileId, status: result.status, summary: result.summary, alerts: result.alerts.map((a) => a.code), error: result.error?.code };
  if (result.status === 'refused' || result.alerts.some((a) => a.severity === 'error')) logger.warn(fields, 'bank file needs attention');
  else logger.info(fields, 'bank file ingested');
  return result;
}

export function ingestWorker({ connection, prefix }: QueueConnection, db: Kysely<Database>, logger: Logger, options: IngestOptions = {}): Worker<IngestJobData, IngestResult> {
  const worker = new Worker<IngestJobData, IngestResult>(INGEST_QUEUE, async (job) => ingested(db, logger, await ingestBankFile(db, BigInt(job.data.fileId), options)), {
    connection,
    concurrency: 2,
    ...(prefix ? { prefix } : {}),
  });
  worker.on('failed', (job, error) => logger.error({ job: job?.id, queue: INGEST_QUEUE, err: error }, 'bank file ingestion failed'));
  return worker;
}
