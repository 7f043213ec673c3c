import { Queue, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 3), issuer: 'ontzorg', audience: 'ontzorg-api' };

describe.skipIf(inject('redisUnavailable') !== '')('the queue dashboard', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  let queue: Queue;
  const connection = connectRedis(TEST_REDIS_URL);
  const prefix = `test-dash-${process.pid}-${Date.now()}`;
  beforeAll(async () => {
    handle = await freshPGlite();
    queue = new Queue('ingest', { connection, prefix });
    app = await buildApp({ db: handle.db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), queues: [queue] });
  });
  afterAll(async () => {
    await app.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    await handle.close();
  });

  it('is closed without a token and to roles other than administrator', async () => {
    expect((await app.inject({ method: 'GET', url: '/admin/queues/' })).statusCode).toBe(401);
    const approver = await mintLocalToken(settings, { userId: 'a', role: 'approver', gemeenten: ['GM0505'] });
    expect((await app.inject({ method: 'GET', url: '/admin/queues/', headers: { authorization: `Bearer ${approver}` } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'POST', url: '/admin/session', payload: { token: approver } })).statusCode).toBe(403);
  });

  it('shows a job that failed, with its error, and retries it from the dashboard (cookie session)', async () => {
    const administrator = await mintLocalToken(settings, { userId: 'admin', role: 'administrator', gemeenten: ['GM0505'] });
    const session = await app.inject({ method: 'POST', url: '/admin/session', payload: { token: administrator } });
    const cookie = String(session.headers['set-cookie']).split(';')[0]!;
    expect(String(session.headers['set-cookie'])).toContain('HttpOnly');
    expect((await app.inject({ method: 'GET', url: '/admin/queues/', headers: { cookie } })).statusCode).toBe(200);

    const events = new QueueEvents('ingest', { connection: connectRedis(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
    const worker = new Worker('ingest', () => Promise.reject(new UnrecoverableError('bank file 7 could not be read')), { connection, prefix });
    const job = await queue.add('ingest-bank-file', { fileId: '7' }, { jobId: 'ingest-7' });
    await job.waitUntilFinished(events, 10_000).catch(() => undefined);
    await worker.close();
    await events.close();

    const listed = await app.inject({ method: 'GET', url: '/admin/queues/api/queues?activeQueue=ingest&status=failed', headers: { cookie } });
    expect(listed.statusCode).toBe(200);
    const body = listed.json() as { queues: { name: string; counts: { failed: number }; jobs: { id: string; failedReason: string }[] }[] };
    const ingest = body.queues.find((q) => q.name === 'ingest')!;
    expect(ingest.counts.failed).toBe(1);
    expect(ingest.jobs[0]!.failedReason).toContain('could not be read');
    const retry = await app.inject({ method: 'PUT', url: '/admin/queues/api/queues/ingest/ingest-7/retry', headers: { cookie } });
    expect(retry.statusCode).toBeLessThan(300);
    expect(await queue.getFailedCount()).toBe(0);
  });
});
