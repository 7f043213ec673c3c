import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import type { GemeenteMonitor } from '../../src/monitor/index.js';
import { freshPGlite } from '../support/db.js';
import { UNDER_CI } from '../support/services.js';
import { threeMonthsOfDordrecht } from './history.js';

/**
 * The monitor page in a real headless Chromium (Debian's, through playwright-core): opened the way a
 * browser user opens it (the session cookie, no bearer header), its five charts are there, the numbers
 * table shows exactly the JSON's figures, nothing is fetched from elsewhere, and axe finds no
 * accessibility violation. Skipped (saying why) only when Chromium is missing outside CI.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present && !UNDER_CI) console.warn(`\n⚠ Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install chromium): the monitor page tests are SKIPPED on this machine.\n`);

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 8), issuer: 'ontzorg', audience: 'ontzorg-api' };
const QUERY = 'gemeente=GM0505&from=2026-08&to=2026-10';

/** The table's value for a field of a month, as the JSON writes it ("–" on the page is null). */
function fromJson(monitor: GemeenteMonitor, month: string, field: string): string {
  let value: unknown = monitor.months.find((m) => m.month === month);
  for (const part of field.split('.')) value = (value as Record<string, unknown>)[part];
  return value === null ? '–' : String(value);
}

describe.skipIf(!present && !UNDER_CI)('the monitor page in headless Chromium [pglite]', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;
  let monitor: GemeenteMonitor;
  const requested: string[] = [];

  beforeAll(async () => {
    if (!present) throw new Error(`CI=true but Chromium is missing at ${CHROMIUM}: under CI the browser tests never skip`);
    handle = await freshPGlite();
    await threeMonthsOfDordrecht(handle.db);
    const token = await mintLocalToken(settings, { userId: 'auditor-dordrecht', role: 'auditor', gemeenten: ['GM0505'] });
    app = await buildApp({ db: handle.db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => new Date('2026-11-25T10:00:00Z') });
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    monitor = (await app.inject({ method: 'GET', url: `/api/monitor?${QUERY}`, headers: { authorization: `Bearer ${token}` } })).json();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    context.on('request', (request) => requested.push(request.url()));
    // The login step a portal (or a script) does: the bearer token in, the cookie for /monitor out.
    const session = await context.request.post(`${base}/monitor/session`, { headers: { authorization: `Bearer ${token}` } });
    expect(session.status()).toBe(200);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await handle?.close();
  });

  it('opens with the session cookie and shows the five charts, each with a title and a description', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${base}/monitor?${QUERY}`);
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('Monitor ontzorgen — Dordrecht (GM0505), 2026-08 t/m 2026-10');
    expect(await page.locator('html').getAttribute('lang')).toBe('nl');
    const charts = page.locator('figure svg[role="img"]');
    expect(await charts.count()).toBe(5);
    expect(await page.locator('figure svg > title').allTextContents()).toEqual([
      'Cliëntmaanden (Q van P×Q)',
      'Nieuwe en beëindigde cliënten',
      'Huur op tijd betaald (%)',
      'Teruggekomen betalingen',
      'Noodvoorzieningen',
    ]);
    for (const id of await charts.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('aria-labelledby')))) expect(id).toMatch(/^chart-[a-z-]+-title chart-[a-z-]+-desc$/);
    // The bars carry the figures they draw: client-months 3, 3, 4; rent on time: no point in August, 50 and 33.3.
    expect(await page.locator('#chart-client-months rect.bar').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-value')))).toEqual(['3', '3', '4']);
    expect(await page.locator('#chart-rent-on-time circle.point').evaluateAll((nodes) => nodes.map((n) => `${n.getAttribute('data-month')} ${n.getAttribute('data-value')}`))).toEqual(['2026-09 50', '2026-10 33.3']);
    expect(await page.locator('#chart-returns rect.bar').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-value')))).toEqual(['0', '0', '1']);
    await page.close();
  });

  it('shows in its table exactly the figures of the JSON, month by month', async () => {
    const page = await context.newPage();
    await page.goto(`${base}/monitor?${QUERY}`);
    const cells = await page.locator('tbody td').evaluateAll((nodes) => nodes.map((n) => ({ month: n.closest('tr')!.getAttribute('data-month')!, field: n.getAttribute('data-field')!, text: n.textContent ?? '' })));
    expect(cells.length).toBe(3 * 22);
    for (const cell of cells) expect(cell.text, `${cell.month} ${cell.field}`).toBe(fromJson(monitor, cell.month, cell.field));
    expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-month')))).toEqual(['2026-08', '2026-09', '2026-10']);
    await page.close();
  });

  it('fetches nothing but the page itself, and axe finds no accessibility violation', async () => {
    requested.length = 0;
    const page = await context.newPage();
    await page.goto(`${base}/monitor?${QUERY}`);
    expect(requested.filter((url) => !url.startsWith(`${base}/monitor?`))).toEqual([]);
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    await page.close();
  });

  it('refuses the page without the cookie', async () => {
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    const response = await page.goto(`${base}/monitor?${QUERY}`);
    expect(response?.status()).toBe(401);
    await stranger.close();
  });
});
