import { Queue, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { dueAt } from '../../jobs/due-at.js';
import { amsterdamWallClock } from '../../src/schedule/index.js';
import { dailyBatchProcessor, dailyBatchQueue, runDateOf, scheduleDailyBatches } from '../../jobs/batch.js';
import { createLogger } from '../../src/logging/logger.js';
import { statementsJobDays } from '../../jobs/statements.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { aServiceRegion, GEMEENTE } from '../batch/support.js';

const unavailable = inject('redisUnavailable');

/**
 * BullMQ makes a scheduler's next job when the previous one starts, so `job.timestamp` of the batch that
 * fires at 06:30 on 2 December is 06:30 on 1 December. Taken as "the day it fires on", every scheduled
 * batch ran for yesterday and the statements of 1 December were those of October.
 */
describe('the day a scheduled job runs for', () => {
  it('is the day it was due, not the day it was made (calendar)', () => {
    const madeYesterday = { id: 'repeat:daily-batch-GM0505:1796189400000', repeatJobKey: 'daily-batch-GM0505', timestamp: Date.parse('2026-12-01T05:30:00.004Z'), opts: { delay: 86_399_996 } };
    expect(new Date(1796189400000).toISOString()).toBe('2026-12-02T05:30:00.000Z');
    expect(runDateOf({ gemeenteId: GEMEENTE }, dueAt(madeYesterday))).toBe('2026-12-02');
    // Run late (the workers were down on its day): for the day it runs on, never for a day before its due day.
    expect(runDateOf({ gemeenteId: GEMEENTE }, dueAt(madeYesterday), Date.parse('2026-12-03T08:00:00Z'))).toBe('2026-12-03');
    expect(runDateOf({ gemeenteId: GEMEENTE }, dueAt(madeYesterday), Date.parse('2026-12-02T05:30:01Z'))).toBe('2026-12-02');
    const statements = { id: 'repeat:statements-GM0505:1796104800000', repeatJobKey: 'statements-GM0505', timestamp: Date.parse('2026-11-01T06:00:00.010Z'), opts: { delay: 2_678_399_990 } };
    expect(new Date(1796104800000).toISOString()).toBe('2026-12-01T06:00:00.000Z');
    expect(statementsJobDays({ gemeenteId: GEMEENTE }, dueAt(statements))).toEqual({ month: '2026-11', asOf: '2026-12-01' });
    // A job added by hand, with or without a delay: when it was added plus the delay.
    expect(dueAt({ timestamp: 1_000, opts: {} })).toBe(1_000);
    expect(dueAt({ id: '17', timestamp: 1_000, opts: { delay: 500 } })).toBe(1_500);
  });

  describe.skipIf(unavailable !== '')('on Redis', () => {
    let handle: DatabaseHandle;
    const prefix = `test-due-at-${process.pid}-${Date.now()}`;
    beforeAll(async () => {
      handle = await freshPGlite();
      await aServiceRegion(handle.db);
    });
    afterAll(async () => handle.close());

    it('the worker runs a scheduled batch made yesterday for today', async () => {
      // The job of 06:30 on 26 March 2026, made when the batch of 25 March started.
      const job = { id: 'repeat:daily-batch-GM0505:1774503000000', repeatJobKey: 'daily-batch-GM0505', timestamp: Date.parse('2026-03-25T05:30:00.020Z'), opts: { delay: 86_399_980 }, data: { gemeenteId: GEMEENTE } };
      expect(new Date(1774503000000).toISOString()).toBe('2026-03-26T05:30:00.000Z');
      const result = await dailyBatchProcessor(handle.db, createLogger({ level: 'silent' }), () => new Date('2026-03-26T05:30:02Z'))(job);
      expect(result.report.runDate).toBe('2026-03-26');
      expect(await handle.db.selectFrom('batch_run').select(['run_date', 'started_by']).execute()).toEqual([{ run_date: '2026-03-26', started_by: `job:${job.id}` }]);
    });

    it('the daily batch job waiting in Redis runs for the day of its batch time, whatever the time it was made', async () => {
      const connection = connectRedis(TEST_REDIS_URL);
      const queue = dailyBatchQueue({ connection, prefix });
      try {
        await scheduleDailyBatches(queue, handle.db);
        const [job] = await queue.getDelayed();
        expect(job).toBeDefined();
        const due = dueAt(job!);
        expect(due).toBeGreaterThan(Date.now());
        // 06:30 in Amsterdam, the gemeente's batch time, and the run date is that day.
        expect(amsterdamWallClock(new Date(due)).time).toBe('06:30');
        expect(runDateOf(job!.data, due)).toBe(amsterdamWallClock(new Date(due)).date);
      } finally {
        await queue.obliterate({ force: true });
        await queue.close();
        connection.disconnect();
      }
    });

    it('each job of a running scheduler is due when its id says, though it was made a whole interval earlier, and stays so on a retry', async () => {
      const connection = connectRedis(TEST_REDIS_URL);
      const queue = new Queue('due-at', { connection, prefix, defaultJobOptions: { attempts: 2, backoff: { type: 'fixed', delay: 300 } } });
      const seen: { id: string; made: number; due: number; attempt: number }[] = [];
      const worker = new Worker(
        'due-at',
        async (job: Job) => {
          seen.push({ id: job.id!, made: job.timestamp, due: dueAt(job), attempt: job.attemptsMade });
          if (job.attemptsMade === 0) throw new Error('fails once');
        },
        { connection, prefix },
      );
      try {
        await queue.upsertJobScheduler('every-second', { every: 1_000 }, { name: 'tick', data: {} });
        const until = Date.now() + 15_000;
        while (seen.filter((s) => s.attempt === 1).length < 3 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
        const later = seen.filter((s) => s.id !== seen[0]!.id);
        expect(later.length).toBeGreaterThanOrEqual(4);
        for (const s of later) {
          expect(s.due).toBe(Number(s.id.split(':').pop()));
          // Made when the job before it started: most of an interval before it was due.
          expect(s.due - s.made).toBeGreaterThan(300);
        }
        // The retry of a job is due at the same moment as its first attempt.
        for (const retry of later.filter((s) => s.attempt === 1)) expect(retry.due).toBe(later.find((s) => s.id === retry.id && s.attempt === 0)!.due);
      } finally {
        await worker.close();
        await queue.obliterate({ force: true });
        await queue.close();
        connection.disconnect();
      }
    });
  });
});
