import { QueueEvents, type Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { DAILY_BATCH_QUEUE, dailyBatchQueue, dailyBatchWorker, type DailyBatchJobData } from '../../jobs/batch.js';
import { INGEST_QUEUE, ingestQueue, ingestWorker, queuedIngestRunner, type IngestJobData } from '../../jobs/ingest.js';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DailyBatchResult } from '../../src/batch/run.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { writeCamt, type SimulatedEntry } from '../../src/demo/bank-statement.js';
import { buildApp } from '../../src/http/app.js';
import type { IngestResult } from '../../src/ingest/files.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { releaseBatch } from '../../src/payments/release.js';
import { freshPostgres } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { PAYEES, aClient, aServiceRegion, bijstandFor, freeOf, GEMEENTE, reservedOf, singleAdultObligations, type TestClient } from '../batch/support.js';
import { MANAGED, journalSize, posted, statementFile } from '../ingest/region.js';

/**
 * The proof, on the real PostgreSQL and Redis: a statement uploaded through the API and
 * ingested by the BullMQ worker → the daily batch run by its queue's worker → batches approved
 * (four eyes, through the API) and released (operator) → a second statement with the bank's
 * batch debits (PmtInfId, count and total, no details) and one return (AC04) → payments settled
 * and returned, the return's money reserved again, every balance exact to the cent, and nothing
 * doubled when the second statement comes in twice.
 */

const unavailable = inject('redisUnavailable') || inject('pgUnavailable');
if (unavailable !== '') console.warn(`lifecycle on PostgreSQL and Redis SKIPPED on this machine: ${unavailable}`);

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 21), issuer: 'ontzorg', audience: 'ontzorg-api' };
const RUN_DAYS = ['2026-03-25', '2026-03-26', '2026-03-27', '2026-03-30', '2026-03-31'];

describe.skipIf(unavailable !== '')('a month of payments end to end on PostgreSQL and Redis', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  let connection: Redis;
  let ingestJobs: Queue<IngestJobData>;
  let batchJobs: Queue<DailyBatchJobData>;
  let ingestEvents: QueueEvents;
  let batchEvents: QueueEvents;
  const workers: { close(): Promise<void> }[] = [];
  const prefix = `test-e2e-${process.pid}-${Date.now()}`;
  let amira: TestClient;
  let bilal: TestClient;
  const token = (role: 'operator' | 'approver', user: string) => mintLocalToken(settings, { userId: user, role, gemeenten: [GEMEENTE] }).then((t) => ({ authorization: `Bearer ${t}` }));

  beforeAll(async () => {
    handle = await freshPostgres();
    await aServiceRegion(handle.db);
    amira = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    bilal = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01'), name: 'Bilal Nouri' });
    connection = connectRedis(TEST_REDIS_URL);
    const logger = createLogger({ level: 'silent' });
    ingestJobs = ingestQueue({ connection, prefix });
    batchJobs = dailyBatchQueue({ connection, prefix });
    workers.push(ingestWorker({ connection, prefix }, handle.db, logger), dailyBatchWorker({ connection, prefix }, handle.db, logger));
    ingestEvents = new QueueEvents(INGEST_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    batchEvents = new QueueEvents(DAILY_BATCH_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    await Promise.all([ingestEvents.waitUntilReady(), batchEvents.waitUntilReady()]);
    app = await buildApp({ db: handle.db, logger, verify: tokenVerifier(settings), submitIngest: queuedIngestRunner(ingestJobs).submit });
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await ingestEvents?.close();
    await batchEvents?.close();
    for (const worker of workers) await worker.close();
    await ingestJobs?.obliterate({ force: true });
    await batchJobs?.obliterate({ force: true });
    await ingestJobs?.close();
    await batchJobs?.close();
    connection?.disconnect();
    await handle?.close();
  });

  /** Uploads a statement through the API; waits for the ingest worker when the upload is new. */
  async function upload(xml: string, name: string): Promise<{ fileId: string; alreadyReceived: boolean; result: IngestResult | null }> {
    const response = await app.inject({ method: 'POST', url: `/api/bank-files?fileName=${name}`, headers: { ...(await token('operator', 'operator-1')), 'content-type': 'application/xml' }, payload: xml });
    expect(response.statusCode).toBe(202);
    const { fileId, alreadyReceived } = response.json() as { fileId: string; alreadyReceived: boolean };
    if (alreadyReceived) return { fileId, alreadyReceived, result: null };
    const job = await ingestJobs.getJob(`ingest-${fileId}`);
    const result = (await job!.waitUntilFinished(ingestEvents, 60_000)) as IngestResult;
    return { fileId, alreadyReceived, result };
  }

  it('ingests the bijstand statement through the API and the ingest worker', async () => {
    const entries = [bijstandFor(amira, '1334.23', '2026-03'), bijstandFor(bilal, '1334.23', '2026-03')].map(
      (e, n): SimulatedEntry => ({ amount: e.amount, creditDebit: 'CRDT', bookingDate: '2026-03-24', accountServicerReference: `E2E-BIJ-${n}`, bankCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'ESCT' }, details: [{ endToEndId: `UITK-${n}`, counterpartyName: e.name, counterpartyIban: e.from, unstructured: e.text }] }),
    );
    const statement = statementFile('E2E-1', entries, { opening: { amount: '0.00', date: '2026-03-23' }, closing: { amount: '2668.46', date: '2026-03-24' } });
    const { result } = await upload(writeCamt(statement), 'e2e-1.xml');
    expect(result).toMatchObject({ status: 'ingested', summary: { newEntries: 2, toClients: 2, toSuspense: 0 }, alerts: [] });
    expect(await freeOf(handle.db, amira.id)).toBe('1334.23');
    expect(await freeOf(handle.db, bilal.id)).toBe('1334.23');
    // 2 × 1,334.23 on the management account.
    expect(await posted(handle.db, `bank/${MANAGED}`)).toBe('2668.46');
  });

  it('runs the daily batch through its queue each business day, and approves and releases what it made', async () => {
    const released: string[] = [];
    for (const day of RUN_DAYS) {
      const job = await batchJobs.add('daily-batch', { gemeenteId: GEMEENTE, runDate: day }, { jobId: `e2e-${day}` });
      const run = (await job.waitUntilFinished(batchEvents, 120_000)) as DailyBatchResult;
      expect(run.report.runDate).toBe(day);
      const waiting = await handle.db.selectFrom('payment_batch').select(['id', 'approvals_needed']).where('status', '=', 'awaiting_approval').orderBy('id').execute();
      for (const batch of waiting) {
        for (const approver of ['approver-1', 'approver-2'].slice(0, batch.approvals_needed)) {
          const approved = await app.inject({ method: 'POST', url: `/api/batches/${batch.id}/approve`, headers: await token('approver', approver) });
          expect(approved.statusCode).toBe(200);
        }
        const files = await releaseBatch(handle.db, batch.id, { releasedBy: 'operator-1', now: new Date(`${day}T08:00:00Z`) });
        released.push(...files.map((f) => `${day} ${f.payments} payments € ${f.total}`));
      }
    }
    // Each client: April's fixed costs 720 + 55 + 65 + 25 + 159 = 1,024.00 reserved on the 25th; 1,334.23 − 1,024.00
    // = 310.23 free for the five Mondays 30 March – 27 April: 62.04 a week. Released by the 31st (by the run that
    // made them): the leefgeld of 30 March (executed Friday 27 March), the fixed costs 2 × 1,024.00 (executed
    // 31 March) and the leefgeld of 6 April (executed Wednesday 1 April: Good Friday and Easter Monday are TARGET2
    // closing days).
    expect(released).toEqual(['2026-03-26 2 payments € 124.08', '2026-03-30 10 payments € 2048.00', '2026-03-31 2 payments € 124.08']);
    const statuses = await handle.db.selectFrom('payment_instruction').select('status').distinct().execute();
    expect(statuses).toEqual([{ status: 'released' }]);
    // 1,334.23 − 1,024.00 − 2 × 62.04 = 186.15 free; nothing reserved any more; 2 × 1,148.08 with the bank.
    for (const client of [amira, bilal]) expect([await freeOf(handle.db, client.id), await reservedOf(handle.db, client.id)]).toEqual(['186.15', '0.00']);
    expect(await posted(handle.db, `in-transit/${MANAGED}`)).toBe('2296.16');
    expect(await posted(handle.db, `bank/${MANAGED}`)).toBe('2668.46');
  });

  it('settles from the bank\'s batch debits, gives back the AC04 return, and books nothing twice when the statement comes in again', async () => {
    const blocks = await handle.db.selectFrom('payment_block as b').innerJoin('payment_batch as t', 't.id', 'b.batch_id').select(['b.payment_info_id', 'b.payments', 'b.total_cents', 'b.execution_date']).where('t.status', '=', 'released').orderBy('b.payment_info_id').execute();
    const water = await handle.db.selectFrom('payment_instruction').select(['end_to_end_id', 'amount_cents']).where('client_id', '=', amira.id).where('creditor_iban', '=', PAYEES.water.iban).executeTakeFirstOrThrow();
    const amount = (cents: bigint) => `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
    const entries: SimulatedEntry[] = [
      ...blocks.map((b): SimulatedEntry => ({ amount: amount(b.total_cents), creditDebit: 'DBIT', bookingDate: b.execution_date, accountServicerReference: `E2E-DEBIT-${b.payment_info_id}`, bankCode: { domain: 'PMNT', family: 'ICDT', subFamily: 'ESCT' }, batch: { paymentInformationId: b.payment_info_id, count: b.payments, total: amount(b.total_cents) } })),
      { amount: '25.00', creditDebit: 'CRDT', bookingDate: '2026-04-01', accountServicerReference: 'E2E-RETURN-1', bankCode: { domain: 'PMNT', family: 'ICDT', subFamily: 'RRTN' }, details: [{ endToEndId: water.end_to_end_id!, returnReason: 'AC04', counterpartyName: PAYEES.water.name, counterpartyIban: PAYEES.water.iban }] },
    ];
    // The bank: 2,668.46 − 124.08 − 2,048.00 − 124.08 + 25.00 = 397.30 at the end of 1 April.
    const balances = { opening: { amount: '2668.46', date: '2026-03-25' }, closing: { amount: '397.30', date: '2026-04-01' } };
    const second = writeCamt(statementFile('E2E-2', entries, balances));
    const { result } = await upload(second, 'e2e-2.xml');
    expect(result).toMatchObject({ status: 'ingested', summary: { newEntries: 4, settlements: 3, returns: 1, toSuspense: 0, debited: '2296.16', credited: '25.00' } });
    expect(result!.alerts).toEqual([{ code: 'payment_returned', severity: 'warning', message: expect.stringContaining('the account is closed (AC04); the money is reserved again for a retry') as unknown }]);

    const byStatus = await handle.db.selectFrom('payment_instruction').select(['end_to_end_id', 'status', 'return_reason']).orderBy('id').execute();
    expect(byStatus.filter((p) => p.status === 'settled')).toHaveLength(13);
    expect(byStatus.filter((p) => p.status !== 'settled')).toEqual([{ end_to_end_id: water.end_to_end_id, status: 'returned', return_reason: 'AC04' }]);
    const exact = async () => ({
      amira: [await freeOf(handle.db, amira.id), await reservedOf(handle.db, amira.id)],
      bilal: [await freeOf(handle.db, bilal.id), await reservedOf(handle.db, bilal.id)],
      inTransit: await posted(handle.db, `in-transit/${MANAGED}`),
      bank: await posted(handle.db, `bank/${MANAGED}`),
      suspense: await posted(handle.db, `suspense/${MANAGED}`),
      journal: await journalSize(handle.db),
    });
    const after = await exact();
    // Amira's water (25.00) came back and is reserved again for a retry: free unchanged, 25.00 reserved.
    // Everything else left: nothing in transit, nothing in suspense.
    expect(after).toMatchObject({ amira: ['186.15', '25.00'], bilal: ['186.15', '0.00'], inTransit: '0.00', bank: '397.30', suspense: '0.00' });

    // The same statement again: the same bytes answer the first upload; the bank's resend (new message id) books nothing new.
    const again = await upload(second, 'e2e-2-again.xml');
    expect(again).toMatchObject({ alreadyReceived: true, fileId: result!.fileId });
    const resent = await upload(writeCamt({ ...statementFile('E2E-2', entries, balances), messageId: 'MSG-E2E-2-RESENT' }), 'e2e-2-resent.xml');
    expect(resent.result).toMatchObject({ status: 'ingested', summary: { newEntries: 0, alreadyKnown: 4, settlements: 0, returns: 0 } });
    expect(await exact()).toEqual(after);
    expect((await verifyLedger(handle.db)).problems).toEqual([]);
  });
});
