import type { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { noticeJobId, relayNotices, scheduleWebhookJobs, webhooksQueue, webhooksWorker, type WebhookJobData } from '../../jobs/webhooks.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { createLogger } from '../../src/logging/logger.js';
import { recordSignalNotices, redeliverNotice } from '../../src/webhooks/index.js';
import { freshPostgres } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { AS_OF, LOCAL, aSignalScene, aWebhook, startReceiver, type Receiver, type Scene } from './support.js';

const unavailable = inject('redisUnavailable') || inject('pgUnavailable');

/**
 * The `webhooks` queue on PostgreSQL and Redis: the relay hands notices to the queue (job id: the
 * notice and its round), two workers take them, BullMQ waits between attempts, the database decides.
 */
describe.skipIf(unavailable !== '')('the webhooks queue on PostgreSQL and Redis', () => {
  let handle: DatabaseHandle;
  let scene: Scene;
  let receiver: Receiver;
  const prefix = `test-webhooks-${process.pid}-${Date.now()}`;
  const connection = connectRedis(TEST_REDIS_URL);
  const jobOptions = { settings: LOCAL, attempts: 4, backoffMs: 100, timeoutMs: 1_000 };
  const queue = webhooksQueue({ connection, prefix }, jobOptions);
  const logger = createLogger({ level: 'silent' });
  const workers: Worker<WebhookJobData>[] = [];

  beforeAll(async () => {
    handle = await freshPostgres();
    scene = await aSignalScene(handle.db, 'queue');
    receiver = await startReceiver();
    // Two workers, each with its own Redis connection, as on two machines.
    for (let i = 0; i < 2; i++) workers.push(webhooksWorker({ connection: connectRedis(TEST_REDIS_URL), prefix }, handle.db, logger, { ...jobOptions, queue }));
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await w.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    await receiver?.close();
    await handle?.close();
  });

  async function webhookFor(organisation: string) {
    await handle.db.insertInto('caseworker_assignment').values({ client_id: scene.amira, organisation, caseworker_id: `${organisation}-cw` }).execute();
    const webhookId = await aWebhook(handle.db, receiver.url, { organisation });
    await recordSignalNotices(handle.db, 'GM0505', AS_OF);
    const [notice] = await handle.db.selectFrom('webhook_notice').selectAll().where('webhook_id', '=', webhookId).execute();
    return { webhookId, notice: notice! };
  }

  /** The notice once it is no longer pending (or still pending after the timeout). */
  async function settled(noticeId: bigint, timeoutMs = 20_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const row = await handle.db.selectFrom('webhook_notice').selectAll().where('id', '=', noticeId).executeTakeFirstOrThrow();
      if (row.status !== 'pending' || Date.now() > until) return row;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('retries with exponential backoff, a little longer than the database, and keeps failed jobs in sight', () => {
    expect(webhooksQueue({ connection, prefix }).defaultJobOptions).toMatchObject({ attempts: 12, backoff: { type: 'exponential', delay: 30_000 }, removeOnComplete: true, removeOnFail: false });
    expect(noticeJobId(42n, 1)).toBe('notice-42-1');
  });

  it('sends a notice once although the relay runs twice at once, the job is added again by hand and two workers race', async () => {
    const { notice } = await webhookFor('Q-Once');
    const relayed = await Promise.all([relayNotices(handle.db, queue), relayNotices(handle.db, queue)]);
    expect(relayed.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    await queue.add('deliver-notice', { noticeId: notice.id.toString(), round: 1 }, { jobId: noticeJobId(notice.id, 1) });
    expect(await settled(notice.id)).toMatchObject({ status: 'delivered', attempts: 1 });
    // Once more after it was delivered (the completed job is gone): the database says done.
    await queue.add('deliver-notice', { noticeId: notice.id.toString(), round: 1 }, { jobId: noticeJobId(notice.id, 1) });
    expect(await relayNotices(handle.db, queue)).toBe(0);
    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.forEvent(notice.event_id)).toHaveLength(1);
    expect(receiver.forEvent(notice.event_id)[0]!.signature).toEqual({ ok: true });
  });

  it('retries a 500 through BullMQ\'s backoff and delivers on the 200, once', async () => {
    const { notice } = await webhookFor('Q-Retry');
    receiver.script([500, 200]);
    await relayNotices(handle.db, queue);
    expect(await settled(notice.id)).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 200 });
    const log = await handle.db.selectFrom('webhook_delivery').select(['attempt', 'status_code', 'outcome']).where('notice_id', '=', notice.id).orderBy('attempt').execute();
    expect(log).toEqual([
      { attempt: 1, status_code: 500, outcome: 'retry' },
      { attempt: 2, status_code: 200, outcome: 'delivered' },
    ]);
    expect(receiver.forEvent(notice.event_id).filter((r) => r.signature.ok)).toHaveLength(2);
  });

  it('fails the job on a 400 without retrying, and a redelivery goes out as a new job once the relay sees it', async () => {
    const { webhookId, notice } = await webhookFor('Q-Refused');
    receiver.script([400]);
    await relayNotices(handle.db, queue);
    expect(await settled(notice.id)).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 400 });
    const job = await queue.getJob(noticeJobId(notice.id, 1));
    for (let i = 0; i < 100 && !(await job!.isFailed()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(await job!.isFailed()).toBe(true);
    expect(job!.attemptsMade).toBe(1);
    expect(job!.failedReason).toBe('not delivered: HTTP 400');

    await inTransaction(handle.db, (trx) => redeliverNotice(trx, webhookId, notice.id));
    expect(await relayNotices(handle.db, queue)).toBe(1);
    expect(await settled(notice.id)).toMatchObject({ status: 'delivered', round: 2, attempts: 1 });
    expect(await (await queue.getJob(noticeJobId(notice.id, 1)))!.isFailed()).toBe(true);
    expect(receiver.forEvent(notice.event_id)).toHaveLength(2);
  });

  it('gives up after the database\'s last attempt: the notice and the job both say failed', async () => {
    const { notice } = await webhookFor('Q-Down');
    receiver.script([503, 503, 503, 503, 503, 503]);
    await relayNotices(handle.db, queue);
    expect(await settled(notice.id)).toMatchObject({ status: 'failed', attempts: 4, last_error: 'gave up after 4 attempts: HTTP 503' });
    const job = await queue.getJob(noticeJobId(notice.id, 1));
    for (let i = 0; i < 100 && !(await job!.isFailed()); i++) await new Promise((r) => setTimeout(r, 50));
    expect(job!.failedReason).toBe('not delivered: gave up after 4 attempts: HTTP 503');
    receiver.script([]);
  });

  it('schedules the relay every 10 s and the sweep every 15 minutes, once however often the workers start', async () => {
    const scheduling = webhooksQueue({ connection, prefix: `${prefix}-schedulers` });
    try {
      await scheduleWebhookJobs(scheduling);
      await scheduleWebhookJobs(scheduling);
      const schedulers = await scheduling.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.every]).sort()).toEqual([
        ['webhooks-relay', 10_000],
        ['webhooks-sweep', 900_000],
      ]);
    } finally {
      await scheduling.obliterate({ force: true });
      await scheduling.close();
    }
  });
});
