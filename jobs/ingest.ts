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
      await queue.add('ingest-bank-file', { fileId: fileId.toString() }, { jobId: `ingest-${fileId.toString()}` });
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
