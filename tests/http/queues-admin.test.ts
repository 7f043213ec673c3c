import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { buildApp } from '../../src/http/app.js';
import { queueActionOf } from '../../src/http/routes/queues.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 41), issuer: 'ontzorg', audience: 'ontzorg-api' };

interface AuditItem {
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  gemeenteId: string | null;
  at: string;
  details: Record<string, unknown>;
}

it('names a dashboard request by its action, queue and job, never by the body', () => {
  expect(queueActionOf('/admin/queues/api/queues/:queueName/:jobId/retry', { queueName: 'release', jobId: 'release-12' })).toEqual({
    action: 'queues.job.retry',
    subject: 'queue/release/job/release-12',
    details: { route: '/api/queues/:queueName/:jobId/retry', queue: 'release', job: 'release-12' },
  });
  expect(queueActionOf('/admin/queues/api/queues/:queueName/clean/:queueStatus', { queueName: 'ingest', queueStatus: 'failed' })).toMatchObject({ action: 'queues.clean', subject: 'queue/ingest', details: { queue: 'ingest', status: 'failed' } });
  expect(queueActionOf('/admin/queues/api/queues/pause', {})).toMatchObject({ action: 'queues.pause', subject: 'queue/all' });
});

/**
 * The queues hold every gemeente's jobs (bank files, releases, batches, statements): an operator of one gemeente
 * must not pause, empty, retry or remove them, and what an administrator does there is evidence like any change.
 */
describe.skipIf(inject('redisUnavailable') !== '')('the queue dashboard is the administrators\', and audited', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  let queue: Queue;
  const connection = connectRedis(TEST_REDIS_URL);
  const prefix = `test-dash-admin-${process.pid}-${Date.now()}`;
  const tokens = { operator: '', administrator: '', auditor: '' };
  const bearer = (who: keyof typeof tokens) => ({ authorization: `Bearer ${tokens[who]}` });
  const auditLog = async (): Promise<AuditItem[]> => {
    const response = await app.inject({ method: 'GET', url: '/api/audit?actor=admin-1', headers: bearer('auditor') });
    expect(response.statusCode).toBe(200);
    return response.json<{ items: AuditItem[] }>().items;
  };

  /** A bank file's ingestion job that failed for good, as the back office finds it in the dashboard. */
  async function failedJob(id: string): Promise<void> {
    const events = new QueueEvents('ingest', { connection: connectRedis(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
    const worker = new Worker('ingest', () => Promise.reject(new UnrecoverableError('bank file could not be read')), { connection, prefix });
    const job = await queue.add('ingest-bank-file', { fileId: '7', note: 'secret job data' }, { jobId: id });
    await job.waitUntilFinished(events, 10_000).catch(() => undefined);
    await worker.close();
    await events.close();
  }

  beforeAll(async () => {
    handle = await freshPGlite();
    queue = new Queue('ingest', { connection, prefix });
    app = await buildApp({ db: handle.db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), queues: [queue] });
    tokens.operator = await mintLocalToken(settings, { userId: 'operator-1', role: 'operator', gemeenten: ['GM0505', 'GM0642'] });
    tokens.administrator = await mintLocalToken(settings, { userId: 'admin-1', role: 'administrator', gemeenten: ['GM0505'] });
    tokens.auditor = await mintLocalToken(settings, { userId: 'auditor-9', role: 'auditor', gemeenten: ['GM0642'] });
  });
  afterAll(async () => {
    await app.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    await handle.close();
  });

  it('answers an operator 403 (problem+json) for the page, a retry, a clean and a session, and the failed job stays as it was', async () => {
    await failedJob('ingest-op-1');
    for (const [method, url] of [['GET', '/admin/queues/'], ['GET', '/admin/queues/api/queues'], ['PUT', '/admin/queues/api/queues/ingest/ingest-op-1/retry'], ['PUT', '/admin/queues/api/queues/ingest/clean/failed'], ['PUT', '/admin/queues/api/queues/ingest/pause'], ['PUT', '/admin/queues/api/queues/ingest/empty']] as const) {
      const response = await app.inject({ method, url, headers: bearer('operator') });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    expect((await app.inject({ method: 'POST', url: '/admin/session', payload: { token: tokens.operator } })).statusCode).toBe(403);
    expect(await queue.getFailedCount()).toBe(1);
    expect(await queue.isPaused()).toBe(false);
    expect(await auditLog()).toEqual([]);
  });

  it('lets an administrator retry a job and clean a queue, each written to the audit log the auditor reads: who, when, action, queue, no job data', async () => {
    const session = await app.inject({ method: 'POST', url: '/admin/session', payload: { token: tokens.administrator } });
    expect(session.statusCode).toBe(200);
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    // Reading is not a change: the page and the list of failed jobs leave no entry.
    expect((await app.inject({ method: 'GET', url: '/admin/queues/api/queues?activeQueue=ingest&status=failed', headers: { cookie } })).statusCode).toBe(200);
    expect(await auditLog()).toEqual([]);

    const before = Date.now();
    const retry = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/ingest/ingest-op-1/retry', headers: { cookie } });
    expect(retry.statusCode).toBeLessThan(300);
    expect(await queue.getFailedCount()).toBe(0);
    await failedJob('ingest-op-2');
    const clean = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/ingest/clean/failed', headers: bearer('administrator') });
    expect(clean.statusCode).toBeLessThan(300);

    const entries = await auditLog();
    expect(entries.map(({ actor, role, action, subject, gemeenteId, details }) => ({ actor, role, action, subject, gemeenteId, details }))).toEqual([
      { actor: 'admin-1', role: 'administrator', action: 'queues.clean', subject: 'queue/ingest', gemeenteId: null, details: { method: 'PUT', route: '/api/queues/:queueName/clean/:queueStatus', queue: 'ingest', status: 'failed' } },
      { actor: 'admin-1', role: 'administrator', action: 'queues.job.retry', subject: 'queue/ingest/job/ingest-op-1', gemeenteId: null, details: { method: 'PUT', route: '/api/queues/:queueName/:jobId/retry', queue: 'ingest', job: 'ingest-op-1' } },
    ]);
    for (const entry of entries) expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(before - 1_000);

    // Making or editing jobs by hand would go round the checks that make them (a release only after four eyes).
    const job = await queue.add('ingest-bank-file', { fileId: '8' }, { jobId: 'ingest-op-3', delay: 60_000 });
    for (const [method, url, payload] of [
      ['POST', '/admin/queues/api/queues/ingest/add', { name: 'release-batch', data: { batchId: '1', releasedBy: 'someone-else' } }],
      ['PATCH', '/admin/queues/api/queues/ingest/ingest-op-3/update-data', { jobData: { fileId: '999' } }],
      ['PATCH', '/admin/queues/api/queues/ingest/job-schedulers/daily-batch-GM0505', { repeat: { pattern: '* * * * *' } }],
      ['PUT', '/admin/queues/api/queues/ingest/obliterate', {}],
    ] as const) {
      const refused = await app.inject({ method, url, payload, headers: bearer('administrator') });
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(refused.json<{ detail: string }>().detail).toContain('jobs are made by the service itself');
    }
    expect((await queue.getJob(job.id!))!.data).toEqual({ fileId: '8' });
    expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 1 });
    expect((await auditLog()).length).toBe(2);
    expect(JSON.stringify(entries)).not.toContain('secret job data');
  });
});
