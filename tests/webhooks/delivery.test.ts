import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inlineWebhooks } from '../../jobs/webhooks.js';
import { inTransaction } from '../../src/db/transaction.js';
import { createLogger } from '../../src/logging/logger.js';
import {
  deliverNotice,
  dueNoticeIds,
  listDeliveries,
  recordSignalNotices,
  redeliverNotice,
  removeWebhook,
  setWebhook,
  checkedWebhookUrl,
  WEBHOOK_HEADERS,
  type DeliveryOptions,
} from '../../src/webhooks/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { AS_OF, LOCAL, PERSONAL, SECRET, aMaatwerkDecision, aSignalScene, aWebhook, startReceiver, type Receiver, type Scene } from './support.js';

/**
 * The outbox and its delivery, through the core functions, against a real receiver on 127.0.0.1 that
 * checks every signature. Each test has its own organisation's webhook (and so its own notices).
 */
describeOnEachDatabase('signal notices to an organisation\'s webhook', (handle) => {
  let scene: Scene;
  let receiver: Receiver;
  const options: DeliveryOptions = { settings: LOCAL, backoffMs: 1_000, timeoutMs: 1_000 };

  beforeAll(async () => {
    scene = await aSignalScene(handle().db, 'delivery');
    receiver = await startReceiver();
  });
  afterAll(async () => receiver?.close());

  /** VWN (or another organisation, to keep tests apart) with a fresh webhook; answers its notices. */
  async function freshWebhook(organisation: string, overrides: { kinds?: string[]; active?: boolean } = {}) {
    const { db } = handle();
    // Every test's organisation guides Amira too: her signals are theirs.
    if (organisation !== 'VWN') await db.insertInto('caseworker_assignment').values({ client_id: scene.amira, organisation, caseworker_id: `${organisation}-cw` }).execute();
    const webhookId = await aWebhook(db, receiver.url, { organisation, ...overrides });
    const notices = () => db.selectFrom('webhook_notice').selectAll().where('webhook_id', '=', webhookId).orderBy('id').execute();
    const attempts = (noticeId: bigint) => db.selectFrom('webhook_delivery').selectAll().where('notice_id', '=', noticeId).orderBy('round').orderBy('attempt').execute();
    return { webhookId, notices, attempts };
  }

  it('records a notice once per signal however often the signals are recomputed, and only for the organisation\'s own clients in its gemeenten', async () => {
    const { db } = handle();
    const { notices } = await freshWebhook('VWN');
    const first = await recordSignalNotices(db, 'GM0505', AS_OF);
    // The batch run again, the sweep, and two workers at once: nothing new.
    const again = await Promise.all([recordSignalNotices(db, 'GM0505', AS_OF), recordSignalNotices(db, 'GM0505', AS_OF), recordSignalNotices(db, 'GM0642', AS_OF)]);
    expect(first).toEqual({ recorded: 1, webhooks: 1 });
    expect(again.map((r) => r.recorded)).toEqual([0, 0, 0]);
    const rows = await notices();
    // Amira only: Hiba is Humanitas's, Dawit has no caseworker, Sara is in Zwijndrecht, which the webhook does not carry.
    expect(rows.map((n) => [n.client_id, n.signal_kind, n.gemeente_id, n.status])).toEqual([[scene.amira, 'period_ending', 'GM0505', 'pending']]);
    expect(rows[0]!.signal_key).toBe(`period_ending/${scene.amira}/2026-06-01/art56a`);
    expect(rows[0]!.arose_on).toBe('2026-11-30');
  });

  it('delivers a signal that arises exactly once, signed, however often the job runs and even when two workers race for it', async () => {
    const { db } = handle();
    const { notices, attempts } = await freshWebhook('Race');
    await recordSignalNotices(db, 'GM0505', AS_OF);
    await aMaatwerkDecision(db, scene.amira, 'MW-RACE-1');
    await recordSignalNotices(db, 'GM0505', AS_OF);
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const decision = (await notices()).find((n) => n.signal_kind === 'maatwerk_decision')!;
    expect(decision).toBeDefined();
    const outcomes = await Promise.all([deliverNotice(db, decision.id, options), deliverNotice(db, decision.id, options), deliverNotice(db, decision.id, options)]);
    expect(outcomes.filter((o) => o.kind === 'delivered')).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind !== 'delivered').every((o) => o.kind === 'busy' || o.kind === 'done')).toBe(true);
    // The job again, later: done, nothing sent.
    expect(await deliverNotice(db, decision.id, options)).toEqual({ kind: 'done', status: 'delivered' });
    const requests = receiver.forEvent(decision.event_id);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.signature).toEqual({ ok: true });
    expect(requests[0]!.headers[WEBHOOK_HEADERS.attempt]).toBe('1');
    expect(requests[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(await attempts(decision.id)).toMatchObject([{ round: 1, attempt: 1, status_code: 200, outcome: 'delivered', response_excerpt: 'ok' }]);
    expect((await notices()).find((n) => n.id === decision.id)).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, lease_until: null });
  });

  it('sends no personal data: ids, the kind, the gemeente, dates and links into the API, nothing else', async () => {
    const { db } = handle();
    const { notices } = await freshWebhook('Privacy');
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const [notice] = await notices();
    await deliverNotice(db, notice!.id, options);
    const [request] = receiver.forEvent(notice!.event_id);
    for (const value of Object.values(PERSONAL)) expect(request!.body).not.toContain(value);
    expect(request!.body).not.toContain('art56a');
    expect(request!.json).toEqual({
      id: notice!.event_id,
      type: 'signal',
      organisation: 'Privacy',
      gemeente: 'GM0505',
      client: { id: scene.amira.toString() },
      signal: { kind: 'period_ending', aroseOn: '2026-11-30' },
      recordedAt: notice!.recorded_at.toISOString(),
      links: { client: `/api/clients/${scene.amira}`, statement: `/api/clients/${scene.amira}/statement`, signals: '/api/signals?kind=period_ending&gemeente=GM0505' },
    });
  });

  it('retries a 500 and delivers on the 200 that follows, once, with the same event id', async () => {
    const { db } = handle();
    const { notices, attempts } = await freshWebhook('Retry');
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const [notice] = await notices();
    receiver.script([500, 200]);
    const before = Date.now();
    const first = await deliverNotice(db, notice!.id, options);
    expect(first).toMatchObject({ kind: 'retry', attempt: 1, error: 'HTTP 500' });
    expect(first.kind === 'retry' && first.nextAttemptAt.getTime()).toBeGreaterThanOrEqual(before + 1_000);
    // Not due yet for the inline loop: the backoff holds it back.
    expect(await dueNoticeIds(db, new Date(), 100)).not.toContain(notice!.id);
    expect(await deliverNotice(db, notice!.id, options)).toMatchObject({ kind: 'delivered', attempt: 2, statusCode: 200 });
    expect(await deliverNotice(db, notice!.id, options)).toEqual({ kind: 'done', status: 'delivered' });
    const requests = receiver.forEvent(notice!.event_id);
    expect(requests.map((r) => r.headers[WEBHOOK_HEADERS.attempt])).toEqual(['1', '2']);
    expect(requests[0]!.body).toBe(requests[1]!.body);
    const log = await attempts(notice!.id);
    expect(log.map((a) => [a.attempt, a.status_code, a.outcome])).toEqual([
      [1, 500, 'retry'],
      [2, 200, 'delivered'],
    ]);
    expect(log[0]!.response_excerpt!.length).toBeLessThanOrEqual(200);
    expect(log.every((a) => a.duration_ms >= 0 && a.duration_ms < 1_000)).toBe(true);
  });

  it('fails a 400 at once, shows it among the deliveries, and delivers it when an administrator redelivers it (once, however often asked)', async () => {
    const { db } = handle();
    const { webhookId, notices, attempts } = await freshWebhook('Refusing');
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const [notice] = await notices();
    receiver.script([400]);
    expect(await deliverNotice(db, notice!.id, options)).toMatchObject({ kind: 'failed', attempt: 1, error: 'HTTP 400' });
    expect(await deliverNotice(db, notice!.id, options)).toEqual({ kind: 'done', status: 'failed' });
    const failed = await listDeliveries(db, webhookId, { status: 'failed', limit: 10 });
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ id: notice!.id, status: 'failed', lastStatusCode: 400, lastError: 'HTTP 400', round: 1, attempts: 1 });
    expect(failed[0]!.log).toMatchObject([{ round: 1, attempt: 1, statusCode: 400, outcome: 'failed' }]);
    expect(failed[0]!.log[0]!.responseExcerpt).toMatch(/^refused with 400: x+$/);
    expect(failed[0]!.log[0]!.responseExcerpt!.length).toBe(200);

    const redelivered = await inTransaction(db, (trx) => redeliverNotice(trx, webhookId, notice!.id));
    const twice = await inTransaction(db, (trx) => redeliverNotice(trx, webhookId, notice!.id));
    expect([redelivered.started, twice.started]).toEqual([true, false]);
    expect(twice.delivery).toMatchObject({ status: 'pending', round: 2, attempts: 0 });
    expect(await deliverNotice(db, notice!.id, { ...options, round: 1 })).toEqual({ kind: 'done', status: 'pending' });
    expect(await deliverNotice(db, notice!.id, { ...options, round: 2 })).toMatchObject({ kind: 'delivered', attempt: 1 });
    expect((await attempts(notice!.id)).map((a) => [a.round, a.attempt, a.outcome])).toEqual([
      [1, 1, 'failed'],
      [2, 1, 'delivered'],
    ]);
    expect(receiver.forEvent(notice!.event_id)).toHaveLength(2);
  });

  it('gives up after the last attempt and says so; a timeout counts as an answer to retry', async () => {
    const { db } = handle();
    const { notices } = await freshWebhook('Down');
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const [notice] = await notices();
    receiver.script([503, 'slow', 429]);
    const tight = { ...options, maxAttempts: 3, timeoutMs: 300 };
    expect(await deliverNotice(db, notice!.id, tight)).toMatchObject({ kind: 'retry', error: 'HTTP 503' });
    expect(await deliverNotice(db, notice!.id, tight)).toMatchObject({ kind: 'retry', error: 'no answer within 0.3 s' });
    expect(await deliverNotice(db, notice!.id, tight)).toMatchObject({ kind: 'failed', attempt: 3, error: 'gave up after 3 attempts: HTTP 429' });
    expect((await notices())[0]).toMatchObject({ status: 'failed', attempts: 3, last_status_code: 429 });
  });

  it('holds notices while the webhook is off and sends them once it is on; cancels one whose client left the organisation; removal cancels the rest and forgets the secret', async () => {
    const { db } = handle();
    const { webhookId, notices } = await freshWebhook('Paused', { active: false });
    // Switched off, nothing is recorded; on again, the signals current then are.
    expect((await recordSignalNotices(db, 'GM0505', AS_OF)).recorded).toBe(0);
    const on = async (active: boolean) => {
      const url = await checkedWebhookUrl(receiver.url, LOCAL);
      await inTransaction(db, (trx) => setWebhook(trx, 'Paused', { url, gemeenten: ['GM0505'], active }, { by: 'admin-1', scope: ['GM0505'], settings: LOCAL }));
    };
    await on(true);
    await aMaatwerkDecision(db, scene.amira, 'MW-PAUSE-1');
    expect((await recordSignalNotices(db, 'GM0505', AS_OF)).recorded).toBeGreaterThanOrEqual(2);
    await on(false);
    const [first, second] = await notices();
    expect(await deliverNotice(db, first!.id, options)).toEqual({ kind: 'paused' });
    expect(await dueNoticeIds(db, new Date(Date.now() + 60_000), 100)).not.toContain(first!.id);
    await on(true);
    expect(await dueNoticeIds(db, new Date(Date.now() + 60_000), 100)).toContain(first!.id);
    expect(await deliverNotice(db, first!.id, options)).toMatchObject({ kind: 'delivered' });

    // The organisation stops guiding Amira: what was not sent yet is not sent.
    await db.updateTable('caseworker_assignment').set({ ended_at: new Date() }).where('client_id', '=', scene.amira).where('organisation', '=', 'Paused').execute();
    expect(await deliverNotice(db, second!.id, options)).toEqual({ kind: 'cancelled', reason: 'the client is no longer assigned to the organisation' });
    expect(receiver.forEvent(second!.event_id)).toHaveLength(0);

    const third = (await notices())[2];
    const removed = await inTransaction(db, (trx) => removeWebhook(trx, 'Paused', { by: 'admin-1', scope: ['GM0505'] }));
    expect(removed.cancelled).toBe(third ? 1 : 0);
    const row = await db.selectFrom('organisation_webhook').selectAll().where('id', '=', webhookId).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ secret: null, active: false, deleted_by: 'admin-1' });
    expect((await notices()).filter((n) => n.status === 'pending')).toEqual([]);
  });

  it('runs inline in the embedded mode: the tick records the signals and delivers what is due, quietly when there is nothing', async () => {
    const { db } = handle();
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const { notices } = await freshWebhook('Inline');
    const jobs = inlineWebhooks(db, createLogger({ level: 'info', destination }), { settings: LOCAL, backoffMs: 1_000 });
    // The real clock: notices are due from when they were recorded.
    await jobs.tick(new Date());
    const rows = await notices();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((n) => [n.signal_kind, n.status, n.last_error]), lines.join("")).toEqual(rows.map((n) => [n.signal_kind, "delivered", null]));
    for (const n of rows) expect(receiver.forEvent(n.event_id)).toHaveLength(1);
    const logged = lines.length;
    await jobs.tick(new Date(Date.now() + 60_000));
    expect(lines.length).toBe(logged);
    expect(lines.join('')).not.toContain(PERSONAL.name);
  });

  it('keeps the delivery log as evidence: it cannot be changed or removed', async () => {
    const { db } = handle();
    const row = await db.selectFrom('webhook_delivery').select('id').executeTakeFirstOrThrow();
    await expect(db.deleteFrom('webhook_delivery').where('id', '=', row.id).execute()).rejects.toThrow(/append-only/);
    await expect(db.updateTable('webhook_delivery').set({ status_code: 200 }).where('id', '=', row.id).execute()).rejects.toThrow(/append-only/);
  });

  it('signs with the organisation\'s secret: a receiver with another secret refuses', async () => {
    const stranger = await startReceiver(`${SECRET}-other`);
    try {
      const { db } = handle();
      const webhookId = await aWebhook(db, stranger.url, { organisation: 'Stranger' });
      await db.insertInto('caseworker_assignment').values({ client_id: scene.amira, organisation: 'Stranger', caseworker_id: 's-1' }).execute();
      await recordSignalNotices(db, 'GM0505', AS_OF);
      const [notice] = await db.selectFrom('webhook_notice').selectAll().where('webhook_id', '=', webhookId).execute();
      expect(await deliverNotice(db, notice!.id, options)).toMatchObject({ kind: 'failed', error: 'HTTP 401' });
      expect(stranger.received[0]!.signature).toEqual({ ok: false, reason: 'mismatch' });
    } finally {
      await stranger.close();
    }
  });
});
