import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
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

it('/readyz says not ready, with the reason, when Redis is gone', async () => {
  const { freshPGlite } = await import('../support/db.js');
  const db = await freshPGlite();
  const deadRedis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  const app = await buildApp({ db: db.db, logger: createLogger({ level: 'silent' }), redis: deadRedis });
  try {
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ status: 'not ready', checks: { database: 'ok', redis: expect.stringMatching(/^unavailable/) } });
  } finally {
    await app.close();
    deadRedis.disconnect();
    await db.close();
  }
});
