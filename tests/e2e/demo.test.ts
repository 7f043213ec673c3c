import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { connectPGlite } from '../../src/db/connect.js';
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

      // What it leaves behind: every pain.001 validates again, read from disk; the summary's totals are the ledger's.
      const painDir = join(dir, 'out', 'pain001');
      const files = readdirSync(painDir);
      expect(files.length).toBeGreaterThan(5);
      for (const f of files) expect(validatePain001(readFileSync(join(painDir, f)), '09', { today: '2026-11-23' }).errors, f).toEqual([]);
      expect(readdirSync(join(dir, 'out', 'bank'))).toHaveLength(28);
      const summary = JSON.parse(readFileSync(join(dir, 'out', 'summary.json'), 'utf8')) as { paidOut: string; verified: boolean };
      expect(summary.verified).toBe(true);
      const db = await connectPGlite({ dataDir: join(dir, 'data') });
      try {
        const released = await db.db.selectFrom('payment_instruction').select('amount_cents').where('status', 'in', ['released', 'settled', 'returned']).execute();
        expect(Money.sum(released.map((r) => Money.fromCents(r.amount_cents))).toString()).toBe(summary.paidOut);
        const fileTotals = await db.db.selectFrom('payment_file').select('total_cents').execute();
        expect(Money.sum(fileTotals.map((r) => Money.fromCents(r.total_cents))).toString()).toBe(summary.paidOut);
      } finally {
        await db.close();
      }

      const second = ontzorg(['demo'], env, dir);
      expect(second.code, second.out).toBe(0);
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
