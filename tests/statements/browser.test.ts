import { existsSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import type { StatementView } from '../../src/statements/index.js';
import { freshPGlite } from '../support/db.js';
import { UNDER_CI } from '../support/services.js';
import { TODAY, twoMonthsOfAmira } from './scenario.js';

/**
 * The printable statement in a real headless Chromium (Debian's, driven by playwright-core; never a
 * downloaded browser): it renders, prints one A4 per month, shows the same numbers as the JSON, reads
 * on a phone without sideways scrolling, right to left in Arabic, and passes axe's automated
 * accessibility checks — in Dutch, English and Arabic. Skipped (saying why) only when Chromium is
 * missing on a developer's machine; under CI a missing Chromium fails the run.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
if (!present && !UNDER_CI) console.warn(`\n⚠ Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH, or apt-get install chromium): the statement browser tests are SKIPPED on this machine.\n`);

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 5), issuer: 'ontzorg', audience: 'ontzorg-api' };

/** The digits and the sign of a displayed amount, whatever the locale writes around them ("€ -720,00", "‏-720.00 €"). */
const digits = (text: string): string => {
  const kept = text.replace(/[^\d-]/g, '');
  return (kept.includes('-') ? '-' : '') + kept.replace(/-/g, '');
};

/** The little of the DOM the page callbacks use (the project compiles without the DOM library); types only, erased before the callbacks go to the browser. */
interface Box {
  getBoundingClientRect(): { x: number; left: number; width: number };
}
interface Element extends Box {
  tagName: string;
  className: string;
  firstElementChild: Box | null;
}
interface Doc {
  documentElement: { lang: string; dir: string; scrollWidth: number; clientWidth: number };
  querySelectorAll(selector: string): Iterable<Element>;
}
type Window = { document: Doc };

interface Shown {
  value: string;
  text: string;
}

async function amounts(page: Page, selector: string): Promise<Shown[]> {
  return page.$$eval(selector, (nodes) => nodes.map((n) => ({ value: n.getAttribute('value') ?? '', text: n.textContent ?? '' })));
}

function expectShown(shown: readonly Shown[], expected: readonly string[], what: string): void {
  expect(shown.map((s) => s.value), what).toEqual(expected);
  for (const s of shown) expect(digits(s.text), `${what}: "${s.text}" shows ${s.value}`).toBe(digits(s.value));
}

describe.skipIf(!present && !UNDER_CI)('the printable statement in headless Chromium [pglite]', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  let browser: Browser;
  let token: string;

  beforeAll(async () => {
    if (!present) throw new Error(`CI=true but Chromium is missing at ${CHROMIUM}: .ci/run installs Debian's chromium; under CI the browser tests never skip`);
    handle = await freshPGlite();
    const scenario = await twoMonthsOfAmira(handle.db);
    token = await mintLocalToken(settings, { userId: 'amira', role: 'client', clientId: scenario.amira.id });
    app = await buildApp({ db: handle.db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => TODAY });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await handle?.close();
  });

  async function fetch(query: string): Promise<{ json: StatementView; html: string }> {
    const headers = { authorization: `Bearer ${token}` };
    const json = await app.inject({ method: 'GET', url: `/api/me/statement?${query}`, headers });
    const html = await app.inject({ method: 'GET', url: `/api/me/statement?${query}&format=html`, headers });
    expect(json.statusCode).toBe(200);
    expect(html.statusCode).toBe(200);
    return { json: json.json(), html: html.body };
  }

  /** A page in a context of its own (axe needs one); closed by closing its context. */
  async function open(html: string, width = 1000): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return page;
  }

  for (const lang of ['nl', 'en', 'ar'] as const) {
    describe(`in ${lang}`, () => {
      let view: StatementView;
      let html: string;
      beforeAll(async () => {
        ({ json: view, html } = await fetch(`from=2026-10-01&to=2026-11-30&lang=${lang}`));
      });

      it('renders, with the language and direction set, and the same numbers on the page as in the JSON', async () => {
        const page = await open(html);
        try {
          expect(await page.evaluate(() => {
            const { documentElement } = (globalThis as unknown as Window).document;
            return [documentElement.lang, documentElement.dir];
          })).toEqual([lang, lang === 'ar' ? 'rtl' : 'ltr']);
          expect(await page.locator('h1').isVisible()).toBe(true);
          expect(await page.title()).toContain(view.client.name!);
          for (const month of view.months) {
            const section = `section[data-month="${month.month}"]`;
            expect(await page.locator(`${section} tbody tr`).count(), month.month).toBe(month.lines.length);
            expectShown(await amounts(page, `${section} data.amount`), month.lines.map((l) => l.amount), `${month.month} amounts`);
            expectShown(await amounts(page, `${section} data.balance`), month.lines.map((l) => l.balance), `${month.month} balances`);
            expectShown(await amounts(page, `${section} dl data`), [month.openingBalance, month.moneyIn, month.moneyOut, month.closingBalance], `${month.month} totals`);
            expect(await page.locator(`${section} tbody tr td:nth-child(2)`).allTextContents()).toEqual(month.lines.map((l) => l.description));
          }
          expectShown(await amounts(page, 'section.now > dl data'), [view.heldNow, view.reserved.total, view.freeNow], 'now');
          expectShown(await amounts(page, 'data.reserved'), view.reserved.items.map((i) => i.amount), 'reserved');
          expectShown(await amounts(page, 'data.next'), view.nextPayments.map((p) => p.amount), 'next payments');
          expectShown(await amounts(page, 'section.advance data'), [view.advance!.lent, view.advance!.repaid, view.advance!.recoveredInPeriod, view.advance!.open], 'advance');
        } finally {
          await page.context().close();
        }
      });

      it('prints one A4 page per month', async () => {
        const page = await open(html);
        try {
          await page.emulateMedia({ media: 'print' });
          const pdf = await page.pdf({ format: 'A4', preferCSSPageSize: true, printBackground: true });
          const pages = pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-z])/g) ?? [];
          expect(pages.length).toBe(view.months.length);
          // Each month begins its own page: in print layout every month section starts a fragment.
          const single = await fetch(`from=2026-11-01&to=2026-11-30&lang=${lang}`);
          const one = await open(single.html);
          try {
            const onePdf = await one.pdf({ format: 'A4', preferCSSPageSize: true });
            expect((onePdf.toString('latin1').match(/\/Type\s*\/Page(?![a-z])/g) ?? []).length).toBe(1);
          } finally {
            await one.context().close();
          }
        } finally {
          await page.context().close();
        }
      });

      it('reads on a phone without sideways scrolling', async () => {
        const page = await open(html, 360);
        try {
          const [scroll, client] = await page.evaluate(() => {
            const { documentElement } = (globalThis as unknown as Window).document;
            return [documentElement.scrollWidth, documentElement.clientWidth];
          });
          const wide = await page.evaluate(() => {
            const document = (globalThis as unknown as Window).document;
            return [...document.querySelectorAll('table, dl, h1, h2, p')]
              .filter((e) => e.getBoundingClientRect().width > document.documentElement.clientWidth + 1)
              .map((e) => `${e.tagName}.${e.className}: ${Math.round(e.getBoundingClientRect().width)}`);
          });
          expect(wide).toEqual([]);
          expect(scroll).toBeLessThanOrEqual(client);
        } finally {
          await page.context().close();
        }
      });

      if (lang === 'ar') {
        it('runs right to left: the first column on the right, amounts aligned to the end', async () => {
          const page = await open(html);
          try {
            const [date, description] = await page.locator('section.month').first().locator('thead th').evaluateAll((ths) => ths.slice(0, 2).map((th) => th.getBoundingClientRect().x));
            expect(date!).toBeGreaterThan(description!);
            const amount = page.locator('section.month').first().locator('td.num').first();
            const [cellRight, textRight] = await amount.evaluate((td) => [td.getBoundingClientRect().left, (td as unknown as Element).firstElementChild!.getBoundingClientRect().left]);
            expect(Math.abs(textRight! - cellRight!)).toBeLessThan(12);
          } finally {
            await page.context().close();
          }
        });
      }

      it('passes the automated accessibility check (axe: WCAG 2.1 A and AA)', async () => {
        const page = await open(html);
        try {
          const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']).analyze();
          expect(result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`)).toEqual([]);
        } finally {
          await page.context().close();
        }
      });
    });
  }
});
