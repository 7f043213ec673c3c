import { QueueEvents } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { verifyLedgerQueue, verifyLedgerWorker, VERIFY_LEDGER_QUEUE } from '../../jobs/verify-ledger.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';
import { TEST_REDIS_URL } from '../support/services.js';

describe.skipIf(inject('redisUnavailable') !== '')('the ledger verification job on Redis', () => {
  let handle: DatabaseHandle;
  const prefix = `test-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    handle = await freshPGlite();
  });
  afterAll(async () => {
    await handle.close();
  });

  it('runs once per job id, reports the figures, and fails visibly without retrying when the books do not add up', async () => {
    const connection = connectRedis(TEST_REDIS_URL);
    const q = verifyLedgerQueue({ connection, prefix });
    const w = verifyLedgerWorker({ connection, prefix }, handle.db, createLogger({ level: 'silent' }));
    const events = new QueueEvents(VERIFY_LEDGER_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    // Subscribe before adding, or a fast job finishes before anyone listens.
    await events.waitUntilReady();
    try {
      const chart = await aChart(handle.db);
      const client = await chart.client();
      await bookOne(handle.db, transfer(uniqueKey('in'), chart.bank, client.available, '10.00'));

      const job = await q.add('verify-ledger', {}, { jobId: 'day-2026-11-25' });
      const duplicate = await q.add('verify-ledger', {}, { jobId: 'day-2026-11-25' });
      expect(duplicate.id).toBe(job.id);
      const result = (await job.waitUntilFinished(events, 30_000)) as { ok: boolean; postings: string };
      expect(result.ok).toBe(true);
      expect(Number(result.postings)).toBeGreaterThan(0);
      expect(await q.getCompletedCount()).toBe(1);

      // Corrupt a kept balance behind the ledger's back (bank accounts have no overdraft rule to stop it).
      await sql`UPDATE account SET debits_posted = debits_posted + 1 WHERE id = ${chart.bank}`.execute(handle.db);
      const bad = await q.add('verify-ledger', {}, { jobId: 'day-2026-11-26', attempts: 3 });
      await expect(bad.waitUntilFinished(events, 30_000)).rejects.toThrow(/the ledger does not add up/);
      const failed = await q.getJob(bad.id!);
      expect(failed?.attemptsMade).toBe(1);
      expect(failed?.failedReason).toMatch(/debits posted kept as \d+, the postings say \d+/);
    } finally {
      await w.close();
      await events.close();
      await q.obliterate({ force: true });
      await q.close();
      connection.disconnect();
    }
  });
});
