import { QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { INGEST_QUEUE, ingestQueue, ingestWorker, inlineIngestRunner, queuedIngestRunner, resubmitWaitingFiles } from '../../jobs/ingest.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt } from '../../src/demo/bank-statement.js';
import { bankFileResult, receiveBankFile, type IngestResult } from '../../src/ingest/files.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite, freshPostgres } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { aRegion, available, bijstand, journalSize, statementFile, type Region } from '../ingest/region.js';

const unavailable = inject('redisUnavailable') || inject('pgUnavailable');

describe.skipIf(unavailable !== '')('the ingest queue on PostgreSQL and Redis', () => {
  let handle: DatabaseHandle;
  let region: Region;
  const prefix = `test-ingest-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    handle = await freshPostgres();
    region = await aRegion(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('ingests an uploaded file once, even when it is submitted twice and two workers listen', async () => {
    const connection = connectRedis(TEST_REDIS_URL);
    const queue = ingestQueue({ connection, prefix });
    const runner = queuedIngestRunner(queue);
    const logger = createLogger({ level: 'silent' });
    const workers = [ingestWorker({ connection, prefix }, handle.db, logger), ingestWorker({ connection, prefix }, handle.db, logger)];
    const events = new QueueEvents(INGEST_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
    try {
      const bytes = new TextEncoder().encode(writeCamt(statementFile('Q-1', [bijstand('1334.23', 'BIJ-77002', 'Q-REF-1')])));
      const received = await inTransaction(handle.db, (trx) => receiveBankFile(trx, { bytes, fileName: 'q-1.xml', receivedBy: 'operator' }));
      await runner.submit(received.fileId);
      await runner.submit(received.fileId);
      const job = await queue.getJob(`ingest-${received.fileId.toString()}`);
      const result = (await job!.waitUntilFinished(events, 30_000)) as IngestResult;
      expect(result).toMatchObject({ status: 'ingested', summary: { newEntries: 1, toClients: 1 } });
      expect(await queue.getCompletedCount()).toBe(1);
      expect((await bankFileResult(handle.db, received.fileId)).status).toBe('ingested');
      expect(await available(handle.db, region.dawit)).toBe('1334.23');
      expect(await journalSize(handle.db)).toBe(2); // the opening balance and this receipt
    } finally {
      await events.close();
      for (const w of workers) await w.close();
      await queue.obliterate({ force: true });
      await runner.close();
      connection.disconnect();
    }
  });
});

describe.skipIf(unavailable !== '')('a bank file whose ingestion failed for good on the queue', () => {
  let handle: DatabaseHandle;
  const prefix = `test-ingest-failed-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    handle = await freshPostgres();
    await aRegion(handle.db);
  });
  afterAll(async () => handle.close());

  it('is tried again when it is handed over again (a re-upload, the sweep), not ignored as a known job', async () => {
    const connection = connectRedis(TEST_REDIS_URL);
    const queue = ingestQueue({ connection, prefix });
    const runner = queuedIngestRunner(queue);
    const events = new QueueEvents(INGEST_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
    const logger = createLogger({ level: 'silent' });
    try {
      const bytes = new TextEncoder().encode(writeCamt(statementFile('Q-F', [bijstand('1334.23', 'BIJ-77002', 'Q-REF-F')])));
      const received = await inTransaction(handle.db, (trx) => receiveBankFile(trx, { bytes, fileName: 'q-f.xml', receivedBy: 'operator' }));
      const jobId = `ingest-${received.fileId.toString()}`;
      await queue.add('ingest-bank-file', { fileId: received.fileId.toString() }, { jobId, attempts: 1 });
      // A worker whose database is gone at that moment: the job fails for good and is kept.
      const broken = new Worker(INGEST_QUEUE, () => Promise.reject(new Error('database unreachable')), { connection, prefix });
      await expect((await queue.getJob(jobId))!.waitUntilFinished(events, 30_000)).rejects.toThrow('database unreachable');
      await broken.close();
      expect((await bankFileResult(handle.db, received.fileId)).status).toBe('received');

      const worker = ingestWorker({ connection, prefix }, handle.db, logger);
      try {
        await runner.submit(received.fileId);
        const result = (await (await queue.getJob(jobId))!.waitUntilFinished(events, 30_000)) as IngestResult;
        expect(result).toMatchObject({ status: 'ingested' });
      } finally {
        await worker.close();
      }
    } finally {
      await events.close();
      await queue.obliterate({ force: true });
      await runner.close();
      connection.disconnect();
    }
  });
});

describe('the sweep of bank files that waited unbooked [pglite]', () => {
  it('hands a file received but never ingested to ingestion again, and leaves one still on its way', async () => {
    const handle = await freshPGlite();
    try {
      await aRegion(handle.db);
      const receive = (id: string) =>
        inTransaction(handle.db, (trx) => receiveBankFile(trx, { bytes: new TextEncoder().encode(writeCamt(statementFile(id, [bijstand('1334.23', 'BIJ-77002', `${id}-REF`)]))), fileName: `${id}.xml`, receivedBy: 'operator' }));
      const lost = await receive('SW-1');
      const runner = inlineIngestRunner(handle.db, createLogger({ level: 'silent' }));
      // Ten minutes later: the file waited longer than the two minutes a hand-over takes.
      expect(await resubmitWaitingFiles(handle.db, runner, { olderThanMs: 2 * 60_000, now: new Date(Date.now() + 10 * 60_000) })).toBe(1);
      const fresh = await receive('SW-2');
      expect(await resubmitWaitingFiles(handle.db, runner, { olderThanMs: 2 * 60_000 })).toBe(0);
      await runner.close();
      expect((await bankFileResult(handle.db, lost.fileId)).status).toBe('ingested');
      expect((await bankFileResult(handle.db, fresh.fileId)).status).toBe('received');
    } finally {
      await handle.close();
    }
  });
});
