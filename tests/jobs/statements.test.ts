import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { QueueEvents, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { enqueueStatements, inlineMonthlyStatements, STATEMENTS_QUEUE, statementsJobDays, statementsJobId, statementsQueue, statementsWorker, type StatementsJobResult } from '../../jobs/statements.js';
import { availableAccountCode } from '../../src/clients/accounts.js';
import { runStatementsCli } from '../../src/cli/statements.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { balanceOnDate, findAccountByCode } from '../../src/ledger/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite, freshPostgres } from '../support/db.js';
import { TEST_REDIS_URL } from '../support/services.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, GEMEENTE, singleAdultObligations, type TestClient } from '../batch/support.js';

const unavailable = inject('redisUnavailable') || inject('pgUnavailable');

/** Four single adults of domain.md, each with March's bijstand (€1,334.23 on the 24th), and the batches of 25 and 26 March. */
async function aMarch(db: DatabaseHandle['db']): Promise<TestClient[]> {
  await aServiceRegion(db);
  const clients: TestClient[] = [];
  for (let i = 0; i < 4; i += 1) clients.push(await aClient(db, { obligations: singleAdultObligations('2026-04-01') }));
  await bankCredits(db, '2026-03-24', clients.map((c) => bijstandFor(c, '1334.23', '2026-03')));
  await batch(db, '2026-03-25');
  await batch(db, '2026-03-26');
  return clients;
}

async function closingOnLedger(db: DatabaseHandle['db'], clientId: bigint, day: string): Promise<string> {
  const account = (await findAccountByCode(db, availableAccountCode(clientId)))!;
  return (await balanceOnDate(db, account.id, day)).posted.toString();
}

function filesIn(dir: string): Record<string, Buffer> {
  return Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));
}

async function waitForState(job: Job, states: readonly string[], timeoutMs = 30_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const state = await job.getState();
    if (states.includes(state)) return state;
    if (Date.now() > until) throw new Error(`job ${job.id} is still ${state}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('the month and "now" of a statements job', () => {
  it('are its own, or last month and the Amsterdam day it was made', () => {
    expect(statementsJobDays({ gemeenteId: GEMEENTE, month: '2026-02', asOf: '2026-03-10' }, Date.parse('2026-04-01T10:00:00Z'))).toEqual({ month: '2026-02', asOf: '2026-03-10' });
    // 31 December 23:30 UTC is already 1 January in Amsterdam: the month before is December.
    expect(statementsJobDays({ gemeenteId: GEMEENTE }, Date.parse('2026-12-31T23:30:00Z'))).toEqual({ month: '2026-12', asOf: '2027-01-01' });
  });
});

describe.skipIf(unavailable !== '')('the statements queue on PostgreSQL and Redis', () => {
  let handle: DatabaseHandle;
  let clients: TestClient[];
  const prefix = `test-statements-${process.pid}-${Date.now()}`;
  const out = mkdtempSync(join(tmpdir(), 'ontzorg-statements-'));
  beforeAll(async () => {
    handle = await freshPostgres();
    clients = await aMarch(handle.db);
  }, 120_000);
  afterAll(async () => {
    await handle.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('writes a gemeente\'s statements of a month once, reports progress, and writes the same bytes when run again', async () => {
    const connection = connectRedis(TEST_REDIS_URL);
    const queue = statementsQueue({ connection, prefix });
    const workers = [statementsWorker({ connection, prefix }, handle.db, createLogger({ level: 'silent' }), { baseDir: out }), statementsWorker({ connection, prefix }, handle.db, createLogger({ level: 'silent' }), { baseDir: out })];
    const events = new QueueEvents(STATEMENTS_QUEUE, { connection: connectRedis(TEST_REDIS_URL), prefix });
    await events.waitUntilReady();
    const progress: unknown[] = [];
    events.on('progress', ({ data }) => progress.push(data));
    try {
      const data = { gemeenteId: GEMEENTE, month: '2026-03', asOf: '2026-04-01' };
      const ids = await Promise.all([enqueueStatements(queue, data), enqueueStatements(queue, data)]);
      expect(ids).toEqual([statementsJobId(GEMEENTE, '2026-03', '2026-04-01'), statementsJobId(GEMEENTE, '2026-03', '2026-04-01')]);
      const job = (await queue.getJob(ids[0]!))!;
      const first = (await job.waitUntilFinished(events, 60_000)) as StatementsJobResult;
      const folder = join(out, GEMEENTE, '2026-03');
      expect(first).toEqual({ gemeenteId: GEMEENTE, month: '2026-03', asOf: '2026-04-01', folder, clients: 4, written: 8, unchanged: 0 });
      expect(await queue.getCompletedCount()).toBe(1);
      expect(progress.at(-1)).toEqual({ done: 4, total: 4 });
      expect((await queue.getJob(ids[0]!))!.progress).toEqual({ done: 4, total: 4 });

      const written = filesIn(folder);
      expect(Object.keys(written)).toEqual(clients.flatMap((c) => ['csv', 'html'].map((ext) => `statement-${c.reference}-2026-03-01-2026-03-31.${ext}`)).sort());
      for (const c of clients) {
        // March: the bijstand of the 24th came in; the leefgeld of 30 March is reserved, not yet paid: it is no line.
        expect(await closingOnLedger(handle.db, c.id, '2026-03-31')).toBe('1334.23');
        const csv = written[`statement-${c.reference}-2026-03-01-2026-03-31.csv`]!.toString('utf8').replace(/^\ufeff/, '').trim().split('\r\n');
        expect(csv).toHaveLength(2);
        expect(csv[1]!.split(';').slice(0, 8)).toEqual([c.reference, GEMEENTE, '2026-03', '2026-03-24', 'income', 'Bijstand ontvangen', '1334.23', '1334.23']);
        expect(written[`statement-${c.reference}-2026-03-01-2026-03-31.html`]!.toString('utf8')).toContain('<data value="1334.23" class="closing">');
      }
      const modified = readdirSync(folder).map((f) => statSync(join(folder, f)).mtimeMs);

      // Another job for the same month and day (a manual rerun): the same bytes, no file replaced.
      const again = await queue.add('write-statements', data, { jobId: 'manual-rerun' });
      expect(await again.waitUntilFinished(events, 60_000)).toMatchObject({ clients: 4, written: 0, unchanged: 8 });
      expect(filesIn(folder)).toEqual(written);
      expect(readdirSync(folder).map((f) => statSync(join(folder, f)).mtimeMs)).toEqual(modified);
    } finally {
      await events.close();
      for (const w of workers) await w.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });

  it('fails a job for a month that is not one at once, with its error, writing nothing', async () => {
    const connection = connectRedis(TEST_REDIS_URL);
    const queue = statementsQueue({ connection, prefix: `${prefix}-bad` });
    const worker = statementsWorker({ connection, prefix: `${prefix}-bad` }, handle.db, createLogger({ level: 'silent' }), { baseDir: out });
    try {
      const job = await queue.add('write-statements', { gemeenteId: GEMEENTE, month: '2026-13', asOf: '2026-04-01' }, { jobId: 'bad-month' });
      expect(await waitForState(job, ['failed', 'completed'])).toBe('failed');
      const failed = (await queue.getJob('bad-month'))!;
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toBe('month "2026-13" is not a month written as YYYY-MM');
      expect(readdirSync(join(out, GEMEENTE))).toEqual(['2026-03']);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});

describe('statements written without Redis [pglite]', () => {
  let handle: DatabaseHandle;
  let clients: TestClient[];
  const out = mkdtempSync(join(tmpdir(), 'ontzorg-statements-inline-'));
  beforeAll(async () => {
    handle = await freshPGlite();
    clients = await aMarch(handle.db);
  }, 120_000);
  afterAll(async () => {
    await handle.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('the embedded mode writes last month\'s statements on the first of the month from 07:00, once', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const monthly = inlineMonthlyStatements(handle.db, createLogger({ level: 'info', destination }), join(out, 'inline'));
    await monthly.tick(new Date('2026-03-31T10:00:00Z'));
    await monthly.tick(new Date('2026-04-01T04:59:00Z')); // 06:59 in Amsterdam
    expect(lines).toHaveLength(0);
    await monthly.tick(new Date('2026-04-01T05:01:00Z'));
    await monthly.tick(new Date('2026-04-01T05:02:00Z'));
    expect(lines.filter((l) => l.includes('statements written'))).toHaveLength(1);
    expect(readdirSync(join(out, 'inline', GEMEENTE, '2026-03'))).toHaveLength(8);
    // Counts only in the log: no names, references or amounts (rule 13).
    for (const c of clients) expect(lines.join('')).not.toContain(c.reference);
    expect(lines.join('')).not.toContain('Amira');
  });

  it('ontzorg statements writes the same layout, in the language asked, and refuses wrong usage with exit 2', async () => {
    const printed: string[] = [];
    const print = (line: string) => printed.push(line);
    expect(await runStatementsCli(handle.db, { month: 'maart', gemeente: undefined, out, language: undefined }, print)).toBe(2);
    expect(await runStatementsCli(handle.db, { month: '2026-03', gemeente: 'Dordrecht', out, language: undefined }, print)).toBe(2);
    expect(await runStatementsCli(handle.db, { month: '2026-03', gemeente: undefined, out, language: 'xx' }, print)).toBe(2);
    expect(printed).toEqual([
      'statements needs --month YYYY-MM, and optionally --gemeente GMxxxx, --out DIR and --language',
      '--gemeente "Dordrecht" is not a CBS gemeente code (GM and four digits)',
      expect.stringMatching(/^--language "xx": the statements are written in .*nl/),
    ]);
    printed.length = 0;
    expect(await runStatementsCli(handle.db, { month: '2026-03', gemeente: GEMEENTE, out: join(out, 'cli'), language: 'en' }, print, new Date('2026-04-02T09:00:00Z'))).toBe(0);
    expect(printed).toEqual([expect.stringMatching(new RegExp(`^${GEMEENTE} 2026-03: 4 statement\\(s\\) in .*cli/${GEMEENTE}/2026-03 \\(8 file\\(s\\) written, 0 unchanged\\)`))]);
    const html = readFileSync(join(out, 'cli', GEMEENTE, '2026-03', `statement-${clients[0]!.reference}-2026-03-01-2026-03-31.html`), 'utf8');
    expect(html).toContain('<html lang="en" dir="ltr">');
    expect(html).toContain('<data value="1334.23" class="closing">');
  });
});
