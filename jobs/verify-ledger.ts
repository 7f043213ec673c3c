import { Queue, UnrecoverableError, Worker, type ConnectionOptions } from 'bullmq';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../src/db/schema.js';
import { describeSealStatus, sealLedger, sealStatus, verifyLedger, verifySeals } from '../src/ledger/index.js';

export const VERIFY_LEDGER_QUEUE = 'ledger-verification';

export interface VerifyLedgerResult {
  ok: boolean;
  accounts: string;
  transactions: string;
  postings: string;
  seals: number;
  /** What is not sealed yet and why (a long-running transaction anywhere on the server holds sealing back). */
  sealStatus: string;
}

/**
 * The daily check that the books add up: seal what was booked since the last
 * run, then recompute every balance and every seal. A difference is not
 * something a retry fixes, so it fails the job at once, visibly, with the
 * problems as its error.
 */
export async function verifyLedgerJob(db: Kysely<Database>): Promise<VerifyLedgerResult> {
  await sealLedger(db);
  const report = await verifyLedger(db);
  const seals = await verifySeals(db);
  const problems = [...report.problems, ...seals.problems];
  if (problems.length > 0) throw new UnrecoverableError(`the ledger does not add up:\n${problems.join('\n')}`);
  const status = describeSealStatus(await sealStatus(db));
  return { ok: true, accounts: report.accounts.toString(), transactions: report.transactions.toString(), postings: report.postings.toString(), seals: seals.seals, sealStatus: status };
}

/** Where the queues live in Redis; `prefix` separates deployments (or test runs) sharing one Redis. */
export interface QueueConnection {
  readonly connection: ConnectionOptions;
  readonly prefix?: string;
}

export function verifyLedgerQueue({ connection, prefix }: QueueConnection): Queue {
  return new Queue(VERIFY_LEDGER_QUEUE, {
    connection,
    ...(prefix ? { prefix } : {}),
    defaultJobOptions: { attempts: 3, backoff: { type: 'exponential', delay: 10_000 }, removeOnComplete: 100, removeOnFail: false },
  });
}

export function verifyLedgerWorker({ connection, prefix }: QueueConnection, db: Kysely<Database>, logger: Logger): Worker {
  const worker = new Worker(VERIFY_LEDGER_QUEUE, () => verifyLedgerJob(db), { connection, concurrency: 1, ...(prefix ? { prefix } : {}) });
  worker.on('failed', (job, error) => logger.error({ job: job?.id, queue: VERIFY_LEDGER_QUEUE, err: error }, 'ledger verification failed'));
  worker.on('completed', (job) => logger.info({ job: job.id, queue: VERIFY_LEDGER_QUEUE }, 'ledger verified'));
  return worker;
}

/** Every morning at 06:00 Amsterdam time; upserting the scheduler makes restarts and several workers safe. */
export async function scheduleDailyVerification(queue: Queue): Promise<void> {
  await queue.upsertJobScheduler('daily-ledger-verification', { pattern: '0 6 * * *', tz: 'Europe/Amsterdam' }, { name: 'verify-ledger' });
}
