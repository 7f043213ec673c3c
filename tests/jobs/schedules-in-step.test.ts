import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { dailyBatchQueue, scheduleDailyBatches } from '../../jobs/batch.js';
import { keepSchedulesInStep } from '../../jobs/worker.js';
import { setGemeentePolicy } from '../../src/clients/policy.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { aServiceRegion, GEMEENTE } from '../batch/support.js';
import { MANAGED } from '../ingest/region.js';

const unavailable = inject('redisUnavailable');

describe.skipIf(unavailable !== '')('the job schedules follow the gemeenten while the workers run', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPGlite();
  });
  afterAll(async () => handle.close());

  it('a gemeente set up after the worker started gets its daily batch at its batch time, and a moved batch time moves it', async () => {
    const connection = connectRedis(TEST_REDIS_URL);
    const queue = dailyBatchQueue({ connection, prefix: `test-schedules-${process.pid}-${Date.now()}` });
    const scheduled = async () => (await queue.getJobSchedulers()).map((s) => [s.key, s.pattern]);
    const until = async (expected: unknown[]) => {
      const deadline = Date.now() + 10_000;
      while (JSON.stringify(await scheduled()) !== JSON.stringify(expected) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return scheduled();
    };
    const sync = keepSchedulesInStep(() => scheduleDailyBatches(queue, handle.db), createLogger({ level: 'silent' }), 100);
    try {
      await scheduleDailyBatches(queue, handle.db);
      expect(await scheduled()).toEqual([]);
      await aServiceRegion(handle.db);
      expect(await until([[`daily-batch-${GEMEENTE}`, '30 6 * * *']])).toEqual([[`daily-batch-${GEMEENTE}`, '30 6 * * *']]);
      await inTransaction(handle.db, (trx) => setGemeentePolicy(trx, GEMEENTE, { debtorIban: MANAGED, bijstandPayday: '24th', batchTime: '05:15' }, 'test'));
      expect(await until([[`daily-batch-${GEMEENTE}`, '15 5 * * *']])).toEqual([[`daily-batch-${GEMEENTE}`, '15 5 * * *']]);
      // One waiting job for the gemeente, at the new time.
      expect(await queue.getDelayed()).toHaveLength(1);
    } finally {
      await sync.stop();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});
