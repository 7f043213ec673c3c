import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPGlite } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { EXPECTED, threeMonthsOfDordrecht } from './history.js';

/** `ontzorg monitor` as a user runs it: the built CLI in its own process, on an embedded database in a folder. */
const CLI = join(process.cwd(), 'dist/src/cli/main.js');

function ontzorg(args: string[], dataDir: string): { code: number; out: string } {
  try {
    const out = execFileSync(process.execPath, [CLI, ...args], { env: { ...process.env, DATABASE_URL: '', ONTZORG_DATA_DIR: dataDir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { code: 0, out };
  } catch (error) {
    const e = error as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: e.stdout + e.stderr };
  }
}

describe('ontzorg monitor --gemeente --from --to [--format] [--out]', () => {
  let dir: string;
  let data: string;
  beforeAll(async () => {
    // `npm test` builds first (pretest); a run of this file alone builds when the command is missing.
    if (!existsSync(join(process.cwd(), 'dist/src/cli/monitor.js'))) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json']);
    dir = mkdtempSync(join(tmpdir(), 'ontzorg-monitor-'));
    data = join(dir, 'data');
    const handle = await connectPGlite({ dataDir: data });
    try {
      await migrateToLatest(handle.db);
      await threeMonthsOfDordrecht(handle.db);
    } finally {
      await handle.close();
    }
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the monitor as a table, one line per month', () => {
    const { code, out } = ontzorg(['monitor', '--gemeente', 'GM0505', '--from', '2026-08', '--to', '2026-10'], data);
    expect(code, out).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^monitor Dordrecht \(GM0505\) 2026-08…2026-10, as of \d{4}-\d{2}-\d{2}$/);
    expect(lines[1]!.split(/\s{2,}/)).toEqual(['month', 'clients', 'new', 'ended', 'maatwerk', 'revoked', 'nood', 'nood €', 'repaid €', 'rent due', 'on time %', 'returns', 'returns €', 'arrears', 'susp. assigned', 'wait avg', 'open (all)']);
    expect(lines.slice(2).map((line) => line.trim().split(/\s+/))).toEqual([
      ['2026-08', '3', '1', '1', '0', '0', '0', '0.00', '0.00', '0', '-', '0', '0.00', '0', '0', '-', '0'],
      ['2026-09', '3', '1', '0', '1', '0', '1', '300.00', '25.00', '2', '50.0', '0', '0.00', '1', '1', '10.0', '1'],
      ['2026-10', '4', '1', '1', '0', '1', '1', '150.00', '50.00', '3', '33.3', '1', '720.00', '1', '1', '14.0', '1'],
    ]);
  }, 60_000);

  it('prints JSON, and writes CSV and HTML files with --out', () => {
    const json = ontzorg(['monitor', '--gemeente', 'GM0505', '--from', '2026-08', '--to', '2026-10', '--format', 'json'], data);
    expect(json.code, json.out).toBe(0);
    expect((JSON.parse(json.out) as { months: unknown }).months).toEqual(EXPECTED);
    const csvFile = join(dir, 'monitor.csv');
    const csv = ontzorg(['monitor', '--gemeente', 'GM0505', '--from', '2026-08', '--to', '2026-10', '--format', 'csv', '--out', csvFile], data);
    expect(csv.code, csv.out).toBe(0);
    expect(csv.out.trim()).toBe(`monitor GM0505 2026-08…2026-10 written to ${csvFile}`);
    const written = readFileSync(csvFile, 'utf8');
    expect(written.startsWith('\ufeffgemeente;month;client_months;')).toBe(true);
    expect(written).toContain('\r\nGM0505;2026-10;4;1;1;0;0;0;1;1;150.00;0;1;50.00;3;1;33.3;1;720.00;1;1;14.0;14;1;11.0;11\r\n');
    const htmlFile = join(dir, 'monitor.html');
    expect(ontzorg(['monitor', '--gemeente', 'GM0505', '--from', '2026-08', '--to', '2026-10', '--format', 'html', '--out', htmlFile], data).code).toBe(0);
    expect(readFileSync(htmlFile, 'utf8')).toContain('<title>Monitor ontzorgen — Dordrecht (GM0505), 2026-08 t/m 2026-10</title>');
  }, 60_000);

  it('says what is wrong: exit 2 for wrong usage, exit 1 for a refused period or gemeente', () => {
    const usage = ontzorg(['monitor', '--gemeente', 'GM0505', '--from', '2026-08'], data);
    expect(usage.code).toBe(2);
    expect(usage.out).toContain('monitor needs --gemeente GMxxxx, --from YYYY-MM and --to YYYY-MM');
    expect(ontzorg(['monitor', '--gemeente', 'GM0505', '--from', '2026-08', '--to', '2026-10', '--format', 'pdf'], data).code).toBe(2);
    const period = ontzorg(['monitor', '--gemeente', 'GM0505', '--from', '2026-10', '--to', '2026-08'], data);
    expect(period.code).toBe(1);
    expect(period.out).toContain('REFUSED (invalid_monitor_period): from (2026-10) lies after to (2026-08)');
    const gemeente = ontzorg(['monitor', '--gemeente', 'GM0999', '--from', '2026-08', '--to', '2026-10'], data);
    expect(gemeente.code).toBe(1);
    expect(gemeente.out).toContain('REFUSED (gemeente_not_found)');
    expect(ontzorg(['help'], data).out).toContain('monitor --gemeente GMxxxx --from YYYY-MM --to YYYY-MM');
  }, 60_000);
});
