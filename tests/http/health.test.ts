import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { describeOnEachDatabase } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { inject } from 'vitest';

describeOnEachDatabase('health and readiness', (handle) => {
  let app: FastifyInstance;
  let redis: Redis | undefined;
  beforeAll(async () => {
    if (!inject('redisUnavailable')) redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    app = await buildApp({ db: handle().db, logger: createLogger({ level: 'silent' }), ...(redis ? { redis } : {}) });
  });
  afterAll(async () => {
    await app.close();
    redis?.disconnect();
  });

  it('/healthz answers while the process runs', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('/readyz checks the database and Redis', async () => {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ready', checks: { database: 'ok' } });
  });

  it('an unknown address is a problem+json 404 a person can read', async () => {
    const response = await app.inject({ method: 'GET', url: '/nothing-here' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, code: 'not_found', detail: 'There is nothing at GET /nothing-here.' });
  });
});

it('/readyz says not ready, and which service, when Redis is gone; the driver\'s text (host, port, user) only in the log', async () => {
  const { freshPGlite } = await import('../support/db.js');
  const db = await freshPGlite();
  const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  const lines: string[] = [];
  const logger = createLogger({ level: 'error', destination: new Writable({ write: (chunk: Buffer, _enc, done) => { lines.push(chunk.toString()); done(); } }) });
  const app = await buildApp({ db: db.db, logger, redis: deadRedis });
  try {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ status: 'not ready', checks: { database: 'ok', redis: 'unavailable' } });
    expect(response.body).not.toContain('127.0.0.1');
    expect(lines.join('\n')).toContain('readiness: Redis is not reachable');
  } finally {
    await app.close();
    deadRedis.disconnect();
    await db.close();
  }
});
