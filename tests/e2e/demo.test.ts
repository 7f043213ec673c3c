import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { availableAccountCode } from '../../src/clients/accounts.js';
import { connectPGlite } from '../../src/db/connect.js';
import { DEMO_CLIENTS } from '../../src/demo/region.js';
import { balanceOnDate, findAccountByCode, getBalance } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { validatePain001 } from '../../src/sepa/index.js';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

function ontzorg(args: string[], env: Record<string, string>, cwd?: string): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: '', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    return { code: 0, out };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

/** The README's first command, as a newcomer runs it: in a fresh folder, on the embedded database, twice. */
describe('the first-run demo on the embedded database', () => {
  it('simulates five weeks end to end, leaves valid files behind, and books nothing twice when run again', async () => {
    if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json']);
    const dir = mkdtempSync(join(tmpdir(), 'ontzorg-demo-'));
    try {
      const env = { ONTZORG_DATA_DIR: join(dir, 'data') };
      const first = ontzorg(['demo'], env, dir);
      expect(first.code, first.out).toBe(0);
      expect(first.out).toContain('28 bank statements ingested');
      expect(first.out).toMatch(/pain\.001 files: \d+, all valid against the XSD and the business rules/);
      expect(first.out).toMatch(/exceptions: 1 returned, 4 held/);
      expect(first.out).toContain('books verified');
      expect(first.out).toContain('statements: 4 clients, HTML and CSV each (ar, ti, nl, en)');

      // What it leaves behind: every pain.001 validates again, read from disk; the summary's totals are the ledger's.
      const painDir = join(dir, 'out', 'pain001');
      const files = readdirSync(painDir);
      expect(files.length).toBeGreaterThan(5);
      for (const f of files) expect(validatePain001(readFileSync(join(painDir, f)), '09', { today: '2026-11-23' }).errors, f).toEqual([]);
      expect(readdirSync(join(dir, 'out', 'bank'))).toHaveLength(28);
      const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as { paidOut: string; verified: boolean; statements: { reference: string; closingBalance: string; html: string; csv: string }[] };
      expect(summary.verified).toBe(true);
      const db = await connectPGlite({ dataDir: join(dir, 'data') });
      try {
        const released = await db.db.selectFrom('payment_instruction').select('amount_cents').where('status', 'in', ['released', 'settled', 'returned']).execute();
        expect(Money.sum(released.map((r) => Money.fromCents(r.amount_cents))).toString()).toBe(summary.paidOut);
        const fileTotals = await db.db.selectFrom('payment_file').select('total_cents').execute();
        expect(Money.sum(fileTotals.map((r) => Money.fromCents(r.total_cents))).toString()).toBe(summary.paidOut);

        // Each client's statement of the period, HTML and CSV, in the household's language; it reconciles with the ledger.
        const statementDir = join(dir, 'out', 'statements');
        expect(readdirSync(statementDir).sort()).toEqual(DEMO_CLIENTS.flatMap((c) => ['csv', 'html'].map((ext) => `statement-${c.reference}-2026-11-23-2026-12-31.${ext}`)).sort());
        expect(summary.statements.map((f) => f.reference)).toEqual(DEMO_CLIENTS.map((c) => c.reference));
        for (const c of DEMO_CLIENTS) {
          const client = await db.db.selectFrom('client').select('id').where('reference', '=', c.reference).executeTakeFirstOrThrow();
          const account = (await findAccountByCode(db.db, availableAccountCode(client.id)))!;
          const closing = (await balanceOnDate(db.db, account.id, '2026-12-31')).posted.toString();
          const opening = (await balanceOnDate(db.db, account.id, '2026-11-22')).posted.toString();
          // Nothing is booked after the simulated period, so the closing balance is also today's.
          expect((await getBalance(db.db, account.id)).posted.toString()).toBe(closing);
          const html = readFileSync(join(statementDir, `statement-${c.reference}-2026-11-23-2026-12-31.html`), 'utf8');
          const monthClosings = [...html.matchAll(/<data value="(-?\d+\.\d{2})" class="closing">/g)].map((m) => m[1]);
          expect(monthClosings.at(-1), c.reference).toBe(closing);
          expect(html).toContain(`<html lang="${c.language === 'tr' ? 'nl' : c.language}"`);
          expect(summary.statements.find((f) => f.reference === c.reference)?.closingBalance).toBe(closing);
          // The CSV's lines: opening plus every amount is the closing balance; each running balance follows from the one before.
          const rows = readFileSync(join(statementDir, `statement-${c.reference}-2026-11-23-2026-12-31.csv`), 'utf8').replace(/^\ufeff/, '').trim().split('\r\n').slice(1).map((line) => line.split(';'));
          expect(rows.length, c.reference).toBeGreaterThan(5);
          let running = Money.parse(opening);
          for (const row of rows) {
            expect(row[0]).toBe(c.reference);
            running = running.plus(Money.parse(row[6]!));
            expect(row[7], `${c.reference} ${row.join(';')}`).toBe(running.toString());
          }
          expect(running.toString(), c.reference).toBe(closing);
        }
      } finally {
        await db.close();
      }

      const statementBytes = readdirSync(join(dir, 'out', 'statements')).map((f) => readFileSync(join(dir, 'out', 'statements', f)));
      const second = ontzorg(['demo'], env, dir);
      expect(second.code, second.out).toBe(0);
      expect(readdirSync(join(dir, 'out', 'statements')).map((f) => readFileSync(join(dir, 'out', 'statements', f)))).toEqual(statementBytes);
      expect(second.out).toContain('The demo data was already there');
      expect(second.out).toContain(`€ ${summary.paidOut}`);

      const verify = ontzorg(['verify', '--seal'], env, dir);
      expect(verify).toMatchObject({ code: 0 });
      expect(verify.out).toContain('the books add up and every seal holds');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('exits 2 on a wrong command and 3 on a wrong setting, saying what is wrong', () => {
    expect(ontzorg(['pay-everyone'], {})).toMatchObject({ code: 2 });
    const bad = ontzorg(['migrate'], { PORT: 'eighty' });
    expect(bad.code).toBe(3);
    expect(bad.out).toContain('PORT must be a whole number');
  });
});
