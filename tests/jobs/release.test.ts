import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents, type Job } from 'bullmq';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { enqueueRelease, RELEASE_QUEUE, releaseJobId, releaseQueue, releaseWorker, type ReleaseJobResult } from '../../jobs/release.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import { buildApp } from '../../src/http/app.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { freshPostgres } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { MANAGED, aRegion, bijstand, ingest, posted, statementFile, type Region } from '../ingest/region.js';

const unavailable = inject('redisUnavailable') || inject('pgUnavailable');
/** The release's "now": 28 December 2026, before every execution date used here. */
const NOW = () => new Date('2026-12-28T08:00:00Z');

async function waitForState(job: Job, states: readonly string[], timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const state = await job.getState();
    if (states.includes(state)) return state;
    if (Date.now() > until) throw new Error(`job ${job.id} is still ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(unavailable !== '')('the release queue on PostgreSQL and Redis', () => {
  let handle: DatabaseHandle;
  let region: Region;
  const prefix = `test-release-${process.pid}-${Date.now()}`;
  const outbox = mkdtempSync(join(tmpdir(), 'ontzorg-release-outbox-'));
  const connection = connectRedis(TEST_REDIS_URL);
  const queue = releaseQueue({ connection, prefix });
  const logger = createLogger({ level: 'silent' });
  let events: QueueEvents;

  /** A batch of `count` leefgeld payments of Dawit executing on `day` (January 2027), optionally approved. */
  async function aBatch(tag: string, day: string, count: number, approve = true): Promise<{ id: bigint; total: Money }> {
    const drafts = Array.from({ length: count }, (_, n) => ({
      idempotencyKey: `release-job/${tag}/${n}`, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld' as const, period: `2027-01-${day}/${tag}/${n}`,
      dueDate: `2027-01-${day}`, executionDate: `2027-01-${day}`, amount: Money.parse(`${20 + n}.00`), debtorIban: MANAGED,
      creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: `Leefgeld ${n}`,
    }));
    await inTransaction(handle.db, (trx) => createPaymentInstructions(trx, drafts));
    const [batch] = await inTransaction(handle.db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: `2027-01-${day}`, now: new Date('2026-12-27T09:00:00Z') }));
    if (approve) await inTransaction(handle.db, (trx) => approveBatch(trx, batch!.id, 'approver-1'));
    return { id: batch!.id, total: drafts.reduce((sum, d) => sum.plus(d.amount), Money.ZERO) };
  }

  beforeAll(async () => {
    handle = await freshPostgres();
    region = await aRegion(handle.db, '0.00');
    await inTransaction(handle.db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD' }));
    await ingest(handle.db, statementFile('RJ-1', [bijstand('100000.00', 'BIJ-77002', 'RJ-REF', '2026-12-24')]));
    events = new QueueEvents(RELEASE_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
  }, 120_000);
  afterAll(async () => {
    await events.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    await handle.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('retries with exponential backoff and keeps a failed job in sight', () => {
    expect(queue.defaultJobOptions).toMatchObject({ attempts: 5, backoff: { type: 'exponential', delay: 5_000 }, removeOnFail: false });
  });

  it('releases a batch enqueued twice by two producers, with two workers listening, exactly once', async () => {
    const workers = [releaseWorker({ connection, prefix }, handle.db, logger, { outboxDir: outbox, now: NOW }), releaseWorker({ connection, prefix }, handle.db, logger, { outboxDir: outbox, now: NOW })];
    try {
      const batch = await aBatch('double', '04', 12);
      const inTransitBefore = Money.parse(await posted(handle.db, `in-transit/${MANAGED}`));
      const otherProducer = releaseQueue({ connection: connectRedis(TEST_REDIS_URL), prefix });
      const ids = await Promise.all([enqueueRelease(queue, batch.id, 'operator-1'), enqueueRelease(otherProducer, batch.id, 'operator-1'), enqueueRelease(queue, batch.id, 'operator-2')]);
      await otherProducer.close();
      expect(new Set(ids)).toEqual(new Set([releaseJobId(batch.id)]));
      const job = (await queue.getJob(releaseJobId(batch.id)))!;
      const result = (await job.waitUntilFinished(events, 30_000)) as ReleaseJobResult;
      // The first enqueue's data won: the release is recorded as operator-1's.
      expect((await handle.db.selectFrom('payment_batch').select(['status', 'released_by']).where('id', '=', batch.id).executeTakeFirstOrThrow())).toEqual({ status: 'released', released_by: 'operator-1' });
      expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'delayed', 'active')).toEqual({ completed: 1, failed: 0, waiting: 0, delayed: 0, active: 0 });
      expect(result.files).toHaveLength(1);
      const file = result.files[0]!;
      expect(file).toMatchObject({ payments: 12, total: batch.total.toString() });
      expect(createHash('sha256').update(readFileSync(join(outbox, file.fileName))).digest('hex')).toBe(file.sha256);
      const released = await handle.db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', batch.id).execute();
      expect(released).toHaveLength(12);
      const events_ = await handle.db.selectFrom('payment_event').select('kind').where('batch_id', '=', batch.id).where('kind', '=', 'released').execute();
      expect(events_).toHaveLength(1);
      // The batch's money left the clients' reservations for payments in transit once: 12 × 20.00 + (0 + … + 11) = 306.00.
      expect(batch.total.toString()).toBe('306.00');
      expect(Money.parse(await posted(handle.db, `in-transit/${MANAGED}`)).minus(inTransitBefore).toString()).toBe('306.00');
      expect((await verifyLedger(handle.db)).problems).toEqual([]);
    } finally {
      for (const w of workers) await w.close();
    }
  });

  it('fails a release that no retry can make possible at once, with the refusal as its error, and changes nothing; asked again once possible, it releases', async () => {
    const worker = releaseWorker({ connection, prefix }, handle.db, logger, { outboxDir: outbox, now: NOW });
    try {
      const batch = await aBatch('unapproved', '05', 3, false);
      await enqueueRelease(queue, batch.id, 'operator-1');
      const job = (await queue.getJob(releaseJobId(batch.id)))!;
      expect(await waitForState(job, ['failed', 'completed'])).toBe('failed');
      const failed = (await queue.getJob(releaseJobId(batch.id)))!;
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toContain('batch_not_approved');
      expect(failed.failedReason).toContain(`payment batch ${batch.id} is awaiting approval`);
      expect(await handle.db.selectFrom('payment_batch').select('status').where('id', '=', batch.id).executeTakeFirstOrThrow()).toEqual({ status: 'awaiting_approval' });
      expect(await handle.db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', batch.id).execute()).toEqual([]);
      // Approved after all, and asked again: the failed job does not swallow the new request.
      await inTransaction(handle.db, (trx) => approveBatch(trx, batch.id, 'approver-1'));
      await enqueueRelease(queue, batch.id, 'operator-2');
      expect(await waitForState((await queue.getJob(releaseJobId(batch.id)))!, ['failed', 'completed'])).toBe('completed');
      expect(await handle.db.selectFrom('payment_batch').select(['status', 'released_by']).where('id', '=', batch.id).executeTakeFirstOrThrow()).toEqual({ status: 'released', released_by: 'operator-2' });
    } finally {
      await worker.close();
    }
  });

  it('through the API with Redis: an approved batch is handed to the queue (202), a batch not approved is refused at once (409)', async () => {
    const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 5), issuer: 'ontzorg', audience: 'ontzorg-api' };
    const operator = { authorization: `Bearer ${await mintLocalToken(settings, { userId: 'operator-7', role: 'operator', gemeenten: ['GM0505'] })}` };
    const app = await buildApp({ db: handle.db, logger, verify: tokenVerifier(settings), outboxDir: outbox, submitRelease: async (id, by) => void (await enqueueRelease(queue, id, by)) });
    const worker = releaseWorker({ connection, prefix }, handle.db, logger, { outboxDir: outbox, now: NOW });
    try {
      const waiting = await aBatch('api-unapproved', '07', 2, false);
      const refused = await app.inject({ method: 'POST', url: `/api/batches/${waiting.id}/release`, headers: operator });
      expect(refused.statusCode).toBe(409);
      expect(refused.json()).toMatchObject({ code: 'batch_not_approved' });
      expect(await queue.getJob(releaseJobId(waiting.id))).toBeUndefined();

      const approved = await aBatch('api-approved', '08', 2);
      const accepted = await app.inject({ method: 'POST', url: `/api/batches/${approved.id}/release`, headers: operator });
      expect(accepted.statusCode).toBe(202);
      expect(accepted.json()).toMatchObject({ id: approved.id.toString(), status: 'approved' });
      await (await queue.getJob(releaseJobId(approved.id)))!.waitUntilFinished(events, 30_000);
      const shown = await app.inject({ method: 'GET', url: `/api/batches/${approved.id}`, headers: operator });
      expect(shown.json()).toMatchObject({ status: 'released', releasedBy: 'operator-7' });
      // Asked again once released: answered at once, nothing enqueued or booked again.
      const again = await app.inject({ method: 'POST', url: `/api/batches/${approved.id}/release`, headers: operator });
      expect(again.statusCode).toBe(200);
      expect(again.json()).toMatchObject({ status: 'released' });
      expect(await handle.db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', approved.id).execute()).toHaveLength(2);
      const audited = await handle.db.selectFrom('audit_log').select('action').where('actor', '=', 'operator-7').where('action', '=', 'batch.release').execute();
      expect(audited).toHaveLength(2);
    } finally {
      await worker.close();
      await app.close();
    }
  });

  it('a release that keeps failing ends failed with its error after its attempts; retried once the cause is fixed, it finishes without doubling', async () => {
    // The outbox is a file, not a folder: the release commits, writing the file to the outbox fails, every attempt.
    const broken = join(outbox, 'not-a-folder');
    writeFileSync(broken, 'x');
    const worker = releaseWorker({ connection, prefix }, handle.db, logger, { outboxDir: broken, now: NOW });
    try {
      const batch = await aBatch('stubborn', '06', 4);
      await queue.add('release-batch', { batchId: batch.id.toString(), releasedBy: 'operator-1' }, { jobId: releaseJobId(batch.id), attempts: 3, backoff: { type: 'exponential', delay: 50 } });
      const job = (await queue.getJob(releaseJobId(batch.id)))!;
      expect(await waitForState(job, ['failed', 'completed'])).toBe('failed');
      const failed = (await queue.getJob(releaseJobId(batch.id)))!;
      expect(failed.attemptsMade).toBe(3);
      expect(failed.failedReason).toMatch(/EEXIST|ENOTDIR/);
      // The database part was done once, on the first attempt; the retries found it done.
      expect(await handle.db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', batch.id).execute()).toHaveLength(4);
      expect(await handle.db.selectFrom('payment_event').select('kind').where('batch_id', '=', batch.id).where('kind', '=', 'released').execute()).toHaveLength(1);
      await worker.close();

      // Fixed, and retried from the dashboard (Bull Board calls job.retry()): the files reach the outbox.
      rmSync(broken);
      const fixed = releaseWorker({ connection, prefix }, handle.db, logger, { outboxDir: broken, now: NOW });
      try {
        await failed.retry();
        expect(await waitForState(failed, ['failed', 'completed'])).toBe('completed');
        const result = (await queue.getJob(releaseJobId(batch.id)))!.returnvalue as ReleaseJobResult;
        expect(readdirSync(broken)).toEqual([result.files[0]!.fileName]);
        expect(await handle.db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', batch.id).execute()).toHaveLength(4);
        expect((await verifyLedger(handle.db)).problems).toEqual([]);
      } finally {
        await fixed.close();
      }
    } finally {
      await worker.close();
    }
  });

  it('a release that fails for good is shown on its batch, where the back office looks; a release that succeeds afterwards clears it', async () => {
    const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 6), issuer: 'ontzorg', audience: 'ontzorg-api' };
    const operator = { authorization: `Bearer ${await mintLocalToken(settings, { userId: 'operator-8', role: 'operator', gemeenten: ['GM0505'] })}` };
    const app = await buildApp({ db: handle.db, logger, verify: tokenVerifier(settings), outboxDir: outbox, submitRelease: async (id, by) => void (await enqueueRelease(queue, id, by)) });
    const worker = releaseWorker({ connection, prefix }, handle.db, logger, { outboxDir: outbox, now: NOW });
    const shown = async (id: bigint) => (await app.inject({ method: 'GET', url: `/api/batches/${id}`, headers: operator })).json() as { status: string; releaseFailure: { at: string; reason: string } | null };
    const until = async (check: () => Promise<boolean>) => {
      for (const stop = Date.now() + 30_000; !(await check()); ) {
        if (Date.now() > stop) throw new Error('waited 30 s in vain');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      // Not approved: refused by the release itself, which no retry can change.
      const waiting = await aBatch('shown-unapproved', '11', 2, false);
      await queue.add('release-batch', { batchId: waiting.id.toString(), releasedBy: 'operator-8' }, { jobId: releaseJobId(waiting.id) });
      await until(async () => (await shown(waiting.id)).releaseFailure !== null);
      expect(await shown(waiting.id)).toMatchObject({ status: 'awaiting_approval', releaseFailure: { reason: expect.stringContaining('batch_not_approved') } });

      // Approved, but the database refuses the release on every attempt (a trigger stands in for an outage).
      const approved = await aBatch('shown-refused', '12', 3);
      await sql`CREATE FUNCTION test_refuse_release() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'release refused for this test'; END $$`.execute(handle.db);
      await sql`CREATE TRIGGER test_refuse_release BEFORE INSERT ON payment_release FOR EACH ROW EXECUTE FUNCTION test_refuse_release()`.execute(handle.db);
      try {
        await queue.add('release-batch', { batchId: approved.id.toString(), releasedBy: 'operator-8' }, { jobId: releaseJobId(approved.id), attempts: 2, backoff: { type: 'fixed', delay: 50 } });
        const job = (await queue.getJob(releaseJobId(approved.id)))!;
        expect(await waitForState(job, ['failed', 'completed'])).toBe('failed');
        await until(async () => (await shown(approved.id)).releaseFailure !== null);
        const failed = await shown(approved.id);
        expect(failed).toMatchObject({ status: 'approved', releaseFailure: { reason: expect.stringContaining('release refused for this test') } });
        expect(Date.parse(failed.releaseFailure!.at)).toBeGreaterThan(Date.now() - 60_000);
        expect(await handle.db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', approved.id).execute()).toEqual([]);
      } finally {
        await sql`DROP TRIGGER test_refuse_release ON payment_release`.execute(handle.db);
        await sql`DROP FUNCTION test_refuse_release()`.execute(handle.db);
      }

      // The cause gone, released again through the API: sent once, and the batch no longer shows the failure.
      const again = await app.inject({ method: 'POST', url: `/api/batches/${approved.id}/release`, headers: operator });
      expect(again.statusCode).toBe(202);
      await until(async () => (await shown(approved.id)).status === 'released');
      expect(await shown(approved.id)).toMatchObject({ status: 'released', releasedBy: 'operator-8', releaseFailure: null });
      expect(await handle.db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', approved.id).execute()).toHaveLength(3);
      expect((await verifyLedger(handle.db)).problems).toEqual([]);
    } finally {
      await worker.close();
      await app.close();
    }
  });
});
