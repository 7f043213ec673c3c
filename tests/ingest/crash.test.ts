import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/schema.js';
import { writeCamt, type SimulatedEntry } from '../../src/demo/bank-statement.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { freshPGlite, freshPostgres, postgresSkipReason } from '../support/db.js';
import { SOMEONE, aRegion, bijstand, ingest, statementFile } from './region.js';

const CHILD = join(process.cwd(), 'dist/tests/support/ingest-crash-child.js');

function day(n: number, size: number): string {
  const date = `2026-12-${String(n).padStart(2, '0')}`;
  const entries: SimulatedEntry[] = [];
  for (let i = 0; i < size; i++) {
    entries.push(i % 3 === 0 ? bijstand('1334.23', 'BIJ-77002', `C${n}-${i % 50}`, date) : { amount: `${(i % 90) + 10}.00`, creditDebit: 'CRDT', bookingDate: date, accountServicerReference: `C${n}-${i % 50}`, details: [{ counterpartyIban: SOMEONE, unstructured: i % 2 ? 'DR-0001' : 'gift' }] });
  }
  return writeCamt(statementFile(`CRASH-${n}`, entries, { electronicSequence: n }));
}

function runAndKill(env: Record<string, string>, killAfterMs: number | 'never'): Promise<{ finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let finished = false;
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (finished ||= chunk.includes('done')));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = killAfterMs === 'never' ? undefined : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve({ finished });
    });
  });
}

async function books(db: Kysely<Database>): Promise<Record<string, string>> {
  const rows = await sql<{ code: string; dp: string; cp: string }>`SELECT code, debits_posted::text AS dp, credits_posted::text AS cp FROM account ORDER BY code`.execute(db);
  return Object.fromEntries(rows.rows.map((r) => [r.code, `${r.dp}/${r.cp}`]));
}

describe.skipIf(postgresSkipReason() !== '')('ingestion killed at random moments [postgres]', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ontzorg-ingest-crash-'));
  const files = [day(11, 1500), day(12, 3000), day(13, 1500)].map((xml, i) => {
    const path = join(dir, `day-${i + 1}.xml`);
    writeFileSync(path, xml);
    return path;
  });
  beforeAll(() => {
    // `npm test` builds first (pretest); this keeps a direct vitest run honest too.
    if (!existsSync(CHILD) || statSync(CHILD).mtimeMs < statSync('src/ingest/files.ts').mtimeMs) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ends, after SIGKILLs and reruns, in exactly the books of one uninterrupted run', async () => {
    const reference = await freshPGlite();
    await aRegion(reference.db);
    for (const path of files) await ingest(reference.db, readFileSync(path, 'utf8'));
    const expected = await books(reference.db);
    await reference.close();

    const target = await freshPostgres();
    try {
      await aRegion(target.db);
      const env = { CRASH_DATABASE_URL: target.url, CRASH_FILES: files.join(',') };
      let kills = 0;
      for (const ms of [400, 900, 1500, 2200, 3000]) {
        const run = await runAndKill(env, ms);
        if (!run.finished) kills++;
      }
      expect((await runAndKill(env, 'never')).finished).toBe(true);
      expect(kills).toBeGreaterThan(0);
      expect(await books(target.db)).toEqual(expected);
      const statuses = await target.db.selectFrom('bank_file').select(['status']).execute();
      expect(statuses.map((s) => s.status)).toEqual(['ingested', 'ingested', 'ingested']);
      expect((await verifyLedger(target.db)).problems).toEqual([]);
    } finally {
      await target.close();
    }
  }, 240_000);
});
