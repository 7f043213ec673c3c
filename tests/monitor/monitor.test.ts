import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import { buildApp } from '../../src/http/app.js';
import { toProblem } from '../../src/http/problem.js';
import { createLogger } from '../../src/logging/logger.js';
import { gemeenteMonitor, MONITOR_ERRORS, MonitorError, percent, renderMonitorCsv } from '../../src/monitor/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { EXPECTED, threeMonthsOfDordrecht } from './history.js';
import { readFileSync } from 'node:fs';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 21), issuer: 'ontzorg', audience: 'ontzorg-api' };
const TODAY = new Date('2026-11-25T10:00:00Z');

describeOnEachDatabase('the monitor per gemeente', (handle) => {
  beforeAll(async () => {
    await threeMonthsOfDordrecht(handle().db);
  }, 120_000);

  it('counts every figure of three months as worked out by hand', async () => {
    const monitor = await gemeenteMonitor(handle().db, { gemeenteId: 'GM0505', from: '2026-08', to: '2026-10', asOf: '2026-11-25' });
    expect(monitor.gemeente).toEqual({ id: 'GM0505', name: 'Dordrecht' });
    expect(monitor.months).toEqual(EXPECTED);
  });

  it('answers the same months whatever range they are asked in, and zeros (or nothing to measure) outside the history', async () => {
    const wide = await gemeenteMonitor(handle().db, { gemeenteId: 'GM0505', from: '2026-07', to: '2026-12', asOf: '2026-11-25' });
    expect(wide.months.map((m) => m.month)).toEqual(['2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12']);
    expect(wide.months.slice(1, 4)).toEqual(EXPECTED);
    const one = await gemeenteMonitor(handle().db, { gemeenteId: 'GM0505', from: '2026-09', to: '2026-09', asOf: '2026-11-25' });
    expect(one.months).toEqual([EXPECTED[1]]);
    // July: Amal and Dawit served; nothing else happened.
    expect(wide.months[0]).toMatchObject({ clientMonths: 2, newClients: 0, endedClients: 0, rent: { due: 0, onTimePercent: null } });
    // November: Bilal, Dawit (art. 57), Eden; the 12.50 is still open on 25 November (36 days old); December has not begun.
    expect(wide.months[4]).toMatchObject({ clientMonths: 3, suspense: { openAtMonthEnd: 1, openMaxAgeDays: 36 } });
    expect(wide.months[5]!.suspense).toMatchObject({ openAtMonthEnd: null, openAverageAgeDays: null });
  });

  it('shows Zwijndrecht only its own client and nothing of Dordrecht', async () => {
    const monitor = await gemeenteMonitor(handle().db, { gemeenteId: 'GM0642', from: '2026-08', to: '2026-10', asOf: '2026-11-25' });
    expect(monitor.months.map((m) => [m.clientMonths, m.newClients, m.arrears.clients, m.rent.due, m.returns.count, m.suspense.assigned])).toEqual([
      [1, 1, 0, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
      [1, 0, 1, 1, 0, 0],
    ]);
  });

  it('refuses a period that is not usable and a gemeente that does not exist, reading nothing', async () => {
    const db = handle().db;
    for (const [from, to] of [['2026-13', '2026-12'], ['2026-1', '2026-02'], ['2026-05', '2026-04'], ['2024-01', '2027-01'], ['', '2026-01']] as const) {
      await expect(gemeenteMonitor(db, { gemeenteId: 'GM0505', from, to }), `${from}…${to}`).rejects.toMatchObject({ code: 'invalid_monitor_period' });
    }
    await expect(gemeenteMonitor(db, { gemeenteId: 'GM0999', from: '2026-01', to: '2026-02' })).rejects.toMatchObject({ code: 'gemeente_not_found' });
    // 36 months is the most.
    expect((await gemeenteMonitor(db, { gemeenteId: 'GM0505', from: '2024-01', to: '2026-12', asOf: '2026-11-25' })).months).toHaveLength(36);
  });

  it('writes the CSV for the back office: semicolons, a header, a BOM, CRLF, empty where nothing was measured', async () => {
    const monitor = await gemeenteMonitor(handle().db, { gemeenteId: 'GM0505', from: '2026-08', to: '2026-10', asOf: '2026-11-25' });
    expect(renderMonitorCsv(monitor)).toBe(
      '\ufeff' +
        [
          'gemeente;month;client_months;new_clients;ended_clients;maatwerk_full_opt_out;maatwerk_partial;maatwerk_hand_over_plan;maatwerk_revoked;noodvoorzieningen;noodvoorzieningen_amount;noodvoorzieningen_advances;noodvoorzieningen_gifts;noodvoorzieningen_recovered;rent_due;rent_on_time;rent_on_time_percent;returns;returns_amount;clients_in_arrears;suspense_assigned;suspense_average_wait_days;suspense_max_wait_days;suspense_open_at_month_end;suspense_open_average_age_days;suspense_open_max_age_days',
          'GM0505;2026-08;3;1;1;0;0;0;0;0;0.00;0;0;0.00;0;0;;0;0.00;0;0;;;0;;',
          'GM0505;2026-09;3;1;0;1;0;0;0;1;300.00;1;0;25.00;2;1;50.0;0;0.00;1;1;10.0;10;1;2.0;2',
          'GM0505;2026-10;4;1;1;0;0;0;1;1;150.00;0;1;50.00;3;1;33.3;1;720.00;1;1;14.0;14;1;11.0;11',
        ].join('\r\n') +
        '\r\n',
    );
  });

  describe('through HTTP', () => {
    let app: FastifyInstance;
    let operator: string;
    let auditor: string;
    beforeAll(async () => {
      app = await buildApp({ db: handle().db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => TODAY });
      operator = await mintLocalToken(settings, { userId: 'operator-dordrecht', role: 'operator', gemeenten: ['GM0505'] });
      auditor = await mintLocalToken(settings, { userId: 'auditor-zwijndrecht', role: 'auditor', gemeenten: ['GM0642'] });
    });
    afterAll(async () => app?.close());

    it('answers JSON, and CSV for Accept: text/csv or format=csv', async () => {
      const headers = { authorization: `Bearer ${operator}` };
      const json = await app.inject({ method: 'GET', url: '/api/monitor?gemeente=GM0505&from=2026-08&to=2026-10', headers });
      expect(json.statusCode).toBe(200);
      expect(json.json()).toMatchObject({ gemeente: { id: 'GM0505', name: 'Dordrecht' }, from: '2026-08', to: '2026-10', asOf: '2026-11-25', months: EXPECTED });
      const monitor = await gemeenteMonitor(handle().db, { gemeenteId: 'GM0505', from: '2026-08', to: '2026-10', asOf: '2026-11-25' });
      for (const csv of [
        await app.inject({ method: 'GET', url: '/api/monitor?gemeente=GM0505&from=2026-08&to=2026-10', headers: { ...headers, accept: 'text/csv' } }),
        await app.inject({ method: 'GET', url: '/api/monitor?gemeente=GM0505&from=2026-08&to=2026-10&format=csv', headers }),
      ]) {
        expect(csv.statusCode).toBe(200);
        expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
        expect(csv.headers['content-disposition']).toBe('attachment; filename="monitor-GM0505-2026-08-2026-10.csv"');
        expect(csv.body).toBe(renderMonitorCsv(monitor));
      }
    });

    it('answers 404 for another gemeente, 400 invalid_monitor_period for a bad period, and 403 to a caseworker', async () => {
      const other = await app.inject({ method: 'GET', url: '/api/monitor?gemeente=GM0505&from=2026-08&to=2026-10', headers: { authorization: `Bearer ${auditor}` } });
      expect(other.statusCode).toBe(404);
      expect(other.json()).toMatchObject({ code: 'gemeente_not_found' });
      const page = await app.inject({ method: 'GET', url: '/monitor?gemeente=GM0505&from=2026-08&to=2026-10', headers: { authorization: `Bearer ${auditor}` } });
      expect(page.statusCode).toBe(404);
      const bad = await app.inject({ method: 'GET', url: '/api/monitor?gemeente=GM0505&from=2026-10&to=2026-08', headers: { authorization: `Bearer ${operator}` } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toMatchObject({ code: 'invalid_monitor_period', type: 'https://ontzorg.example/errors#invalid_monitor_period' });
      const caseworker = await mintLocalToken(settings, { userId: 'cw', role: 'caseworker', organisation: 'VWN', gemeenten: ['GM0505'] });
      expect((await app.inject({ method: 'GET', url: '/api/monitor?gemeente=GM0505&from=2026-08&to=2026-10', headers: { authorization: `Bearer ${caseworker}` } })).statusCode).toBe(403);
    });

    it('opens the page with the cookie POST /monitor/session sets, for /monitor only', async () => {
      expect((await app.inject({ method: 'GET', url: '/monitor?gemeente=GM0505&from=2026-08&to=2026-10' })).statusCode).toBe(401);
      const session = await app.inject({ method: 'POST', url: '/monitor/session', headers: { authorization: `Bearer ${operator}` } });
      expect(session.statusCode).toBe(200);
      const cookie = String(session.headers['set-cookie']);
      expect(cookie).toMatch(/^ontzorg_monitor=[^;]+; Path=\/monitor; HttpOnly; SameSite=Strict; Max-Age=28800$/);
      const page = await app.inject({ method: 'GET', url: '/monitor?gemeente=GM0505&from=2026-08&to=2026-10', headers: { cookie: cookie.split(';')[0]! } });
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<html lang="nl">');
      expect(page.body).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
    });
  });
});

describe('the monitor error catalogue and percentages', () => {
  it('documents every monitor error code with the HTTP status the problem answer carries', () => {
    const catalogue = readFileSync('docs/errors.md', 'utf8');
    for (const [code, { status }] of Object.entries(MONITOR_ERRORS)) {
      const row = catalogue.split('\n').find((line) => line.startsWith(`| \`${code}\` |`));
      expect(row, code).toBeDefined();
      expect(row!.split('|')[2]!.trim(), code).toBe(String(status));
      expect(toProblem(new MonitorError(code as keyof typeof MONITOR_ERRORS, 'm'))).toMatchObject({ status, code, type: `https://ontzorg.example/errors#${code}` });
    }
  });

  it('writes a percentage with one decimal, half up, exactly, and nothing when nothing was due', () => {
    expect([percent(1, 2), percent(1, 3), percent(2, 3), percent(1, 8), percent(0, 5), percent(5, 5), percent(0, 0)]).toEqual(['50.0', '33.3', '66.7', '12.5', '0.0', '100.0', null]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), (whole, n) => {
        const part = n % (whole + 1);
        const shown = percent(part, whole)!;
        expect(shown).toMatch(/^\d{1,3}\.\d$/);
        // Within half a tenth of the exact fraction: |tenths / 10 - part * 100 / whole| <= 0.05.
        const tenths = BigInt(shown.replace('.', ''));
        const gap = tenths * BigInt(whole) - BigInt(part) * 1000n;
        expect((gap < 0n ? -gap : gap) * 2n <= BigInt(whole)).toBe(true);
        if (part === whole) expect(shown).toBe('100.0');
      }),
    );
  });
});
