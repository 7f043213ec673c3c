import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../src/db/schema.js';
import { amsterdamWallClock } from '../src/schedule/index.js';
import { inlineDailyBatches } from './batch.js';
import { inlineMonthlyStatements } from './statements.js';
import { verifyLedgerJob } from './verify-ledger.js';
import { inlineWebhooks } from './webhooks.js';
import type { WebhookSettings } from '../src/webhooks/index.js';

export interface InlineJobs {
  /** Runs what is due at `now`; the timer calls it every minute, tests call it directly. */
  tick(now: Date): Promise<void>;
  close(): void;
}

/**
 * The embedded mode has no Redis, so the daily jobs run in the API process: the
 * same core functions as the BullMQ workers, once per Amsterdam day from 06:00.
 * A failure is logged as an error and tried again the next minute.
 */
export function startInlineJobs(options: { db: Kysely<Database>; logger: Logger; at?: string; timer?: boolean; statementsDir?: string; webhooks?: WebhookSettings }): InlineJobs {
  const at = options.at ?? '06:00';
  let lastRun: string | undefined;
  let running = false;
  // The daily batch of each gemeente, at its own batch time (jobs/batch.ts).
  const batches = inlineDailyBatches(options.db, options.logger);
  // Each gemeente's statements of last month, on the first of the month (jobs/statements.ts).
  const statements = inlineMonthlyStatements(options.db, options.logger, options.statementsDir ?? './out/statements');
  // Signal notices to the organisations' webhooks: recorded every 15 minutes, delivered when due (jobs/webhooks.ts).
  const webhooks = inlineWebhooks(options.db, options.logger, options.webhooks ? { settings: options.webhooks } : {});
  const tick = async (now: Date): Promise<void> => {
    await verifyTick(now);
    await batches.tick(now);
    await statements.tick(now);
    await webhooks.tick(now);
  };
  const verifyTick = async (now: Date): Promise<void> => {
    const { date, time } = amsterdamWallClock(now);
    if (running || lastRun === date || time < at) return;
    running = true;
    try {
      const result = await verifyLedgerJob(options.db);
      lastRun = date;
      options.logger.info({ job: 'verify-ledger', date, ...result }, 'ledger verified');
    } catch (error) {
      options.logger.error({ job: 'verify-ledger', date, err: error }, 'ledger verification failed');
    } finally {
      running = false;
    }
  };
  const interval = options.timer === false ? undefined : setInterval(() => void tick(new Date()), 60_000);
  interval?.unref();
  return { tick, close: () => clearInterval(interval) };
}
