import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(process.cwd(), 'dist/src/cli/main.js');

function ontzorg(args: string[], env: Record<string, string>): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: '', ...env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

/** The README's first command, as a newcomer runs it: on the embedded database, twice. */
describe('the first-run demo on the embedded database', () => {
  it('books a month, verifies the books, and books nothing twice when run again', () => {
    if (!existsSync(CLI)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json']);
    const dir = mkdtempSync(join(tmpdir(), 'ontzorg-demo-'));
    try {
      const env = { ONTZORG_DATA_DIR: join(dir, 'data') };
      const first = ontzorg(['demo'], env);
      expect(first.code).toBe(0);
      expect(first.out).toContain('31 bookings made.');
      expect(first.out).toContain('receipts (bijstand, toeslagen): € 4407.26');
      expect(first.out).toContain('fixed costs paid (rent, energy, water, insurance): € 2430.90');
      expect(first.out).toContain('leefgeld paid: € 1976.36');
      expect(first.out).toMatch(/exceptions: 2\n {2}! demo\/2026-12\/DEMO-0003\/reserve\/rent: insufficient funds/);
      expect(first.out).toContain('books verified');

      const second = ontzorg(['demo'], env);
      expect(second.code).toBe(0);
      expect(second.out).toContain('The demo data was already there');
      expect(second.out).toContain('leefgeld paid: € 1976.36');

      const verify = ontzorg(['verify', '--seal'], env);
      expect(verify).toMatchObject({ code: 0 });
      expect(verify.out).toContain('31 transactions, 2 refusals, 78 postings, 1 seals');
      expect(verify.out).toContain('the books add up and every seal holds');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('exits 2 on a wrong command and 3 on a wrong setting, saying what is wrong', () => {
    expect(ontzorg(['pay-everyone'], {})).toMatchObject({ code: 2 });
    const bad = ontzorg(['migrate'], { PORT: 'eighty' });
    expect(bad.code).toBe(3);
    expect(bad.out).toContain('PORT must be a whole number');
  });
});
