import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { INGEST_QUEUE, ingestQueue, ingestWorker, queuedIngestRunner } from '../../jobs/ingest.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt } from '../../src/demo/bank-statement.js';
import { bankFileResult, receiveBankFile, type IngestResult } from '../../src/ingest/files.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPostgres } from '../support/db.js';
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
