import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectPGlite, type DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { bookBatch, verifyLedger } from '../../src/ledger/index.js';
import { freshPGlite, freshPostgres, postgresSkipReason } from '../support/db.js';
import { crashWorkload, openWorkloadAccounts } from '../support/crash-workload.js';

const CHILD = join(process.cwd(), 'dist/tests/support/crash-child.js');

/** The compiled child must match the source under test; rebuild when it is older. */
function ensureBuilt(): void {
  const newestSource = ['src/ledger/book.ts', 'src/ledger/journal.ts', 'src/db/transaction.ts', 'tests/support/crash-workload.ts', 'tests/support/crash-child.ts']
    .map((f) => statSync(f).mtimeMs)
    .reduce((a, b) => Math.max(a, b));
  if (!existsSync(CHILD) || statSync(CHILD).mtimeMs < newestSource) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  }
}

/** Starts the child, waits for `afterCommits` committed batches (or the end), then SIGKILLs it mid-work. */
function runAndKill(env: Record<string, string>, afterCommits: number | 'never'): Promise<{ commits: number; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let commits = 0;
    let finished = false;
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        if (line.startsWith('committed')) commits++;
        if (line === 'done') finished = true;
      }
      if (afterCommits !== 'never' && commits >= afterCommits && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`child failed (${code}): ${stderr}`));
      else resolve({ commits, finished });
    });
  });
}

/** The same work, uninterrupted, on a fresh embedded database: what the books must look like. */
async function referenceBooks(): Promise<Map<string, string>> {
  const handle = await freshPGlite();
  const accounts = await openWorkloadAccounts(handle.db);
  for (const batch of crashWorkload(accounts)) await inTransaction(handle.db, (trx) => bookBatch(trx, batch));
  const books = await snapshot(handle);
  await handle.close();
  return books;
}

async function snapshot(handle: DatabaseHandle): Promise<Map<string, string>> {
  const rows = await handle.db.selectFrom('account').select(['code', 'debits_posted', 'credits_posted', 'debits_pending', 'credits_pending']).where('code', 'like', 'crash/%').execute();
  const keys = await handle.db.selectFrom('ledger_transaction').select(['outcome']).select((eb) => eb.fn.countAll<bigint>().as('n')).where('idempotency_key', 'like', 'crash/%').groupBy('outcome').execute();
  const books = new Map(rows.map((r) => [r.code, `${r.debits_posted}/${r.credits_posted}/${r.debits_pending}/${r.credits_pending}`]));
  for (const k of keys) books.set(`keys:${k.outcome}`, String(k.n));
  return books;
}

/**
 * A process killed with SIGKILL at arbitrary points in a day's bookings, then
 * restarted from the beginning, must end with books identical to a run that was
 * never interrupted: nothing lost, nothing doubled.
 */
describe('a crash at any moment loses and doubles nothing', () => {
  let reference: Map<string, string>;
  beforeAll(async () => {
    ensureBuilt();
    reference = await referenceBooks();
  }, 180_000);

  it.skipIf(postgresSkipReason() !== '')('on PostgreSQL: killed four times mid-run, then finished', async () => {
    const db = await freshPostgres(2);
    try {
      const env = { CRASH_DATABASE_URL: db.url };
      for (const after of [1, 3, 7, 12]) {
        const run = await runAndKill(env, after);
        expect(run.finished).toBe(false);
      }
      const last = await runAndKill(env, 'never');
      expect(last.finished).toBe(true);
      expect(await snapshot(db)).toEqual(reference);
      expect((await verifyLedger(db.db)).problems).toEqual([]);
    } finally {
      await db.close();
    }
  }, 180_000);

  it('on the embedded PGlite with its data on disk: killed mid-run, reopened, finished', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ontzorg-crash-'));
    try {
      const env = { CRASH_DATA_DIR: dir };
      for (const after of [2, 5]) await runAndKill(env, after);
      const last = await runAndKill(env, 'never');
      expect(last.finished).toBe(true);
      const handle = await connectPGlite({ dataDir: dir });
      try {
        expect(await snapshot(handle)).toEqual(reference);
        expect((await verifyLedger(handle.db)).problems).toEqual([]);
      } finally {
        await handle.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
