import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../src/db/schema.js';
import { connectRedis } from './connection.js';
import { dailyBatchQueue, dailyBatchWorker, scheduleDailyBatches } from './batch.js';
import { ingestWorker } from './ingest.js';
import { releaseWorker } from './release.js';
import { scheduleMonthlyStatements, statementsQueue, statementsWorker } from './statements.js';
import type { IngestOptions } from '../src/ingest/files.js';
import { scheduleDailyVerification, verifyLedgerQueue, verifyLedgerWorker } from './verify-ledger.js';
import { scheduleWebhookJobs, webhooksQueue, webhooksWorker } from './webhooks.js';
import type { WebhookSettings } from '../src/webhooks/index.js';

export interface RunningWorkers {
  close(): Promise<void>;
}

/**
 * Schedules are made from the gemeenten's policies, which change while workers run: a gemeente set up,
 * or its batch time moved, through the API. Synced at start and every `everyMs` after (upserting is
 * idempotent), so a new gemeente's first batch runs at its batch time, not after the next restart.
 */
export function keepSchedulesInStep(sync: () => Promise<unknown>, logger: Logger, everyMs = 5 * 60_000): { stop(): Promise<void> } {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = sync().catch((error: unknown) => logger.error({ err: error }, 'syncing the job schedules with the gemeenten failed; the next try follows'));
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}

/** Starts every queue's worker and its schedule. Each worker is a thin call into one core function. */
export async function startWorkers(options: {
  db: Kysely<Database>;
  redisUrl: string;
  logger: Logger;
  ingest?: IngestOptions;
  /** Where released pain.001 files go (a volume every worker shares with the bank-upload software). */
  outboxDir?: string;
  /** Where the monthly statements are written. */
  statementsDir?: string;
  /** Where organisation webhooks may point (ONTZORG_WEBHOOK_ALLOW_LOCAL); default strict. */
  webhooks?: WebhookSettings;
  /** How often the schedules are synced with the gemeenten's policies (default 5 minutes). */
  scheduleSyncMs?: number;
}): Promise<RunningWorkers> {
  const connection = connectRedis(options.redisUrl);
  const queue = verifyLedgerQueue({ connection });
  await scheduleDailyVerification(queue);
  const worker = verifyLedgerWorker({ connection }, options.db, options.logger);
  const ingest = ingestWorker({ connection }, options.db, options.logger, options.ingest ?? {});
  const batchQueue = dailyBatchQueue({ connection });
  await scheduleDailyBatches(batchQueue, options.db);
  const batch = dailyBatchWorker({ connection }, options.db, options.logger);
  const release = releaseWorker({ connection }, options.db, options.logger, { outboxDir: options.outboxDir ?? './out/outbox' });
  const monthly = statementsQueue({ connection });
  await scheduleMonthlyStatements(monthly, options.db);
  const statements = statementsWorker({ connection }, options.db, options.logger, { baseDir: options.statementsDir ?? './out/statements' });
  const hooksQueue = webhooksQueue({ connection });
  await scheduleWebhookJobs(hooksQueue);
  const schedules = keepSchedulesInStep(async () => {
    await scheduleDailyBatches(batchQueue, options.db);
    await scheduleMonthlyStatements(monthly, options.db);
  }, options.logger, options.scheduleSyncMs);
  const hooks = webhooksWorker({ connection }, options.db, options.logger, { queue: hooksQueue, ...(options.webhooks ? { settings: options.webhooks } : {}) });
  return {
    async close() {
      await schedules.stop();
      await worker.close();
      await ingest.close();
      await batch.close();
      await release.close();
      await statements.close();
      await hooks.close();
      await hooksQueue.close();
      await monthly.close();
      await batchQueue.close();
      await queue.close();
      connection.disconnect();
    },
  };
}
