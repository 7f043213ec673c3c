import { QueueEvents } from 'bullmq';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { DAILY_BATCH_QUEUE, dailyBatchQueue, dailyBatchWorker, inlineDailyBatches, runDateOf, scheduleDailyBatches } from '../../jobs/batch.js';
import type { DailyBatchResult } from '../../src/batch/run.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite, freshPostgres } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, GEMEENTE, singleAdultObligations } from '../batch/support.js';

const unavailable = inject('redisUnavailable') || inject('pgUnavailable');

describe('the run date of a job', () => {
  it('is its own, or the Amsterdam day the scheduler fired on', () => {
    expect(runDateOf({ gemeenteId: GEMEENTE, runDate: '2026-03-25' }, Date.parse('2026-04-01T10:00:00Z'))).toBe('2026-03-25');
    expect(runDateOf({ gemeenteId: GEMEENTE }, Date.parse('2026-03-24T23:30:00Z'))).toBe('2026-03-25');
  });
});

describe.skipIf(unavailable !== '')('the daily batch queue on PostgreSQL and Redis', () => {
  let handle: DatabaseHandle;
  const prefix = `test-batch-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    handle = await freshPostgres();
    await aServiceRegion(handle.db);
    const clients = [];
    for (let i = 0; i < 6; i += 1) clients.push(await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') }));
    await bankCredits(handle.db, '2026-03-24', clients.map((c) => bijstandFor(c, '1334.23', '2026-03')));
  }, 120_000);
  afterAll(async () => handle.close());

  it('schedules one repeatable job per gemeente at its batch time; two workers running the same batch at once give one result', async () => {
    const connection = connectRedis(TEST_REDIS_URL);
    const queue = dailyBatchQueue({ connection, prefix });
    const logger = createLogger({ level: 'silent' });
    const workers = [dailyBatchWorker({ connection, prefix }, handle.db, logger), dailyBatchWorker({ connection, prefix }, handle.db, logger)];
    const events = new QueueEvents(DAILY_BATCH_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
    try {
      expect(await scheduleDailyBatches(queue, handle.db)).toEqual([GEMEENTE]);
      expect(await scheduleDailyBatches(queue, handle.db)).toEqual([GEMEENTE]);
      const schedulers = await queue.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.pattern, s.tz])).toEqual([[`daily-batch-${GEMEENTE}`, '30 6 * * *', 'Europe/Amsterdam']]);
      // The scheduled run and a manual one for the same gemeente and date, picked up by two workers at once.
      const results: DailyBatchResult[] = [];
      for (const day of ['2026-03-25', '2026-03-26']) {
        const jobs = await Promise.all([
          queue.add('daily-batch', { gemeenteId: GEMEENTE, runDate: day }, { jobId: `scheduled-${day}` }),
          queue.add('daily-batch', { gemeenteId: GEMEENTE, runDate: day }, { jobId: `manual-${day}` }),
        ]);
        const [a, b] = (await Promise.all(jobs.map((job) => job.waitUntilFinished(events, 60_000)))) as DailyBatchResult[];
        expect(b!.report).toEqual(a!.report);
        results.push(a!, b!);
      }
      // 25 March reserved (no payments yet); 26 March made each client's leefgeld for 30 March, once.
      expect(results[0]!.report.reservationsBooked).toBe(30);
      expect(results[2]!.report.payments.leefgeld).toEqual({ count: 6, total: '372.24' });
      expect(results[2]!.created + results[3]!.created).toBe(6);
      const leefgeld = await handle.db.selectFrom('payment_instruction').select('idempotency_key').where('kind', '=', 'leefgeld').execute();
      expect(leefgeld).toHaveLength(6);
      const runs = await handle.db.selectFrom('batch_run').select(['run_date', 'runs', 'status']).orderBy('run_date').execute();
      expect(runs).toEqual([
        { run_date: '2026-03-25', runs: 2, status: 'completed' },
        { run_date: '2026-03-26', runs: 2, status: 'completed' },
      ]);
    } finally {
      await events.close();
      for (const w of workers) await w.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('the daily batch inline in the embedded mode [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
  });
  afterAll(async () => handle.close());

  it('runs each gemeente once per Amsterdam day, from its batch time (06:30), not before', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const batches = inlineDailyBatches(handle.db, createLogger({ level: 'info', destination }));
    await batches.tick(new Date('2026-03-25T05:00:00Z')); // 06:00 in Amsterdam
    expect(lines).toHaveLength(0);
    await batches.tick(new Date('2026-03-25T05:31:00Z'));
    await batches.tick(new Date('2026-03-25T05:32:00Z'));
    expect(lines.filter((l) => l.includes('daily batch done'))).toHaveLength(1);
    expect(await handle.db.selectFrom('batch_run').select(['run_date', 'started_by']).execute()).toEqual([{ run_date: '2026-03-25', started_by: 'inline' }]);
  });
});
