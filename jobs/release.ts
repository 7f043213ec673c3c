import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../src/db/schema.js';
import { PaymentError } from '../src/payments/errors.js';
import type { ReleasedFile } from '../src/payments/files.js';
import { recordReleaseFailure, releaseBatch } from '../src/payments/release.js';
import type { QueueConnection } from './verify-ledger.js';

export const RELEASE_QUEUE = 'release';

export interface ReleaseJobData {
  /** The payment batch's id as text (JSON has no bigint). */
  readonly batchId: string;
  /** Who released it (the user behind the API call); recorded on the batch. */
  readonly releasedBy: string;
}

/** What a finished release job keeps: the files as written, without their bytes (those stay in the database). */
export interface ReleaseJobResult {
  readonly batchId: string;
  readonly files: readonly { fileName: string; messageId: string; sha256: string; payments: number; total: string }[];
}

/** One job per batch: a second enqueue of the same batch (a retried request, two operators) is the same job. */
export const releaseJobId = (batchId: bigint | string): string => `release-${batchId.toString()}`;

/**
 * Releasing an approved batch as a job. The release itself is crash-safe and idempotent (the
 * payments module: one database transaction, then the outbox; a released batch answers its files
 * again), so a retry after a lost connection or a killed worker finishes the work and doubles
 * nothing. Refusals a retry cannot change (not approved, a file no longer valid, no such batch)
 * fail the job at once with the refusal as its error.
 */
export function releaseQueue({ connection, prefix }: QueueConnection): Queue<ReleaseJobData, ReleaseJobResult> {
  return new Queue<ReleaseJobData, ReleaseJobResult>(RELEASE_QUEUE, {
    connection,
    ...(prefix ? { prefix } : {}),
    defaultJobOptions: { attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, removeOnComplete: 1_000, removeOnFail: false },
  });
}

export async function enqueueRelease(queue: Queue<ReleaseJobData, ReleaseJobResult>, batchId: bigint, releasedBy: string): Promise<string> {
  const jobId = releaseJobId(batchId);
  // A release that failed for good is kept (removeOnFail: false) and would swallow a new request under its id:
  // asked again (the machtiging put right, the batch approved after all), it is replaced, with who asks now.
  const kept = await queue.getJob(jobId);
  if (kept && (await kept.isFailed())) await kept.remove();
  await queue.add('release-batch', { batchId: batchId.toString(), releasedBy }, { jobId });
  return jobId;
}

export async function releaseJob(db: Kysely<Database>, data: ReleaseJobData, options: { outboxDir: string; now?: () => Date }): Promise<ReleaseJobResult> {
  let files: ReleasedFile[];
  try {
    files = await releaseBatch(db, BigInt(data.batchId), { releasedBy: data.releasedBy, now: (options.now ?? (() => new Date()))(), outboxDir: options.outboxDir });
  } catch (error) {
    if (error instanceof PaymentError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
    throw error;
  }
  return { batchId: data.batchId, files: files.map((f) => ({ fileName: f.fileName, messageId: f.messageId, sha256: f.sha256, payments: f.payments, total: f.total })) };
}

export function releaseWorker(
  { connection, prefix }: QueueConnection,
  db: Kysely<Database>,
  logger: Logger,
  options: { outboxDir: string; now?: () => Date },
): Worker<ReleaseJobData, ReleaseJobResult> {
  const worker = new Worker<ReleaseJobData, ReleaseJobResult>(RELEASE_QUEUE, (job) => releaseJob(db, job.data, options), {
    connection,
    concurrency: 2,
    ...(prefix ? { prefix } : {}),
  });
  worker.on('failed', (job, error) => {
    logger.error({ job: job?.id, queue: RELEASE_QUEUE, batch: job?.data.batchId, attempts: job?.attemptsMade, err: error }, 'batch release failed');
    // Failed for good: no retry follows, so the batch itself must say so (the back office looks at batches, not at queues).
    const forGood = error instanceof UnrecoverableError || (job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1));
    if (!job || !forGood || !/^[0-9]{1,18}$/.test(job.data.batchId)) return;
    recordReleaseFailure(db, BigInt(job.data.batchId), error.message).catch((err: unknown) =>
      logger.error({ job: job.id, queue: RELEASE_QUEUE, batch: job.data.batchId, err }, 'recording the failed release on its batch failed'),
    );
  });
  worker.on('completed', (job, result) => logger.info({ job: job.id, queue: RELEASE_QUEUE, batch: result.batchId, files: result.files.map((f) => f.messageId) }, 'batch released'));
  return worker;
}
