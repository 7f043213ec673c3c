import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import type { BatchRunDay } from '../../src/batch/runs.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, singleAdultObligations } from '../batch/support.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 31), issuer: 'ontzorg', audience: 'ontzorg-api' };
const PEOPLE: Record<string, LocalTokenClaims> = {
  operator: { userId: 'operator-7', role: 'operator', gemeenten: ['GM0505'] },
  'operator elsewhere': { userId: 'operator-z', role: 'operator', gemeenten: ['GM0642'] },
};

/**
 * Leefgeld goes out only if the daily batch ran. The back office checks each morning which days ran, which
 * failed and why, and which did not run at all (a worker down over a weekend), without reading the logs.
 */
describe('the back office sees which days the daily batch ran [pglite]', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  const tokens = new Map<string, string>();
  const as = (who: string) => ({ authorization: `Bearer ${tokens.get(who)!}` });

  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    for (const [who, claims] of Object.entries(PEOPLE)) tokens.set(who, await mintLocalToken(settings, claims));
    // Tuesday 31 March 2026, morning in Amsterdam.
    app = await buildApp({ db: handle.db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => new Date('2026-03-31T07:00:00Z') });
    const client = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
  }, 120_000);
  afterAll(async () => {
    await app.close();
    await handle.close();
  });

  it('lists completed, failed and missing business days, newest first, and not the weekend', async () => {
    await batch(handle.db, '2026-03-25');
    await batch(handle.db, '2026-03-26');
    // Friday 27 March crashed half-way (as a killed worker leaves it); Monday 30 March did not run at all.
    await handle.db
      .insertInto('batch_run')
      .values({ gemeente_id: 'GM0505', run_date: '2026-03-27', status: 'failed', started_by: 'job:repeat:daily-batch-GM0505:1774589400000', error: 'connection terminated unexpectedly', report: null })
      .execute();
    const response = await app.inject({ method: 'GET', url: '/api/reports/daily-batch/runs?gemeente=GM0505&from=2026-03-25', headers: as('operator') });
    expect(response.statusCode).toBe(200);
    const { gemeente, days } = response.json<{ gemeente: string; days: BatchRunDay[] }>();
    expect(gemeente).toBe('GM0505');
    expect(days.map((d) => [d.runDate, d.status])).toEqual([
      ['2026-03-31', 'not_run'],
      ['2026-03-30', 'not_run'],
      ['2026-03-27', 'failed'],
      ['2026-03-26', 'completed'],
      ['2026-03-25', 'completed'],
    ]);
    expect(days[2]).toMatchObject({ runs: 1, error: 'connection terminated unexpectedly', summary: null });
    expect(days[3]).toMatchObject({ runs: 1, startedBy: 'test', error: null, summary: { batches: 1, latePayments: 0, awaitingRetry: 0, failures: 0 } });
    expect(days[4]!.summary).toMatchObject({ batches: 0 });
    // The default is the last 14 days up to today.
    const recent = (await app.inject({ method: 'GET', url: '/api/reports/daily-batch/runs?gemeente=GM0505', headers: as('operator') })).json<{ days: BatchRunDay[] }>().days;
    expect(recent[0]!.runDate).toBe('2026-03-31');
    expect(recent.at(-1)!.runDate >= '2026-03-18').toBe(true);
  });

  it('refuses a range the wrong way round or too long, and another gemeente, with a message', async () => {
    const backwards = await app.inject({ method: 'GET', url: '/api/reports/daily-batch/runs?gemeente=GM0505&from=2026-03-27&to=2026-03-20', headers: as('operator') });
    expect(backwards.statusCode).toBe(400);
    expect(backwards.headers['content-type']).toContain('application/problem+json');
    expect(backwards.json()).toMatchObject({ code: 'invalid_run_date', detail: expect.stringContaining('lies after') });
    const long = await app.inject({ method: 'GET', url: '/api/reports/daily-batch/runs?gemeente=GM0505&from=2025-01-01&to=2026-03-27', headers: as('operator') });
    expect(long.json()).toMatchObject({ code: 'invalid_run_date', detail: expect.stringContaining('at most 93 days') });
    expect((await app.inject({ method: 'GET', url: '/api/reports/daily-batch/runs?gemeente=GM0505', headers: as('operator elsewhere') })).statusCode).toBe(404);
  });
});
