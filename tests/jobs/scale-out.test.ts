import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectRedis } from '../../jobs/connection.js';
import { dailyBatchQueue } from '../../jobs/batch.js';
import type { BatchReport } from '../../src/batch/report.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { setGemeentePolicy } from '../../src/clients/policy.js';
import { connectPostgres } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { registerKnownPayer } from '../../src/ingest/setup.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, databaseUrl } from '../support/services.js';
import { aClient, aServiceRegion, bankCredits, singleAdultObligations, type TestClient } from '../batch/support.js';

/**
 * Scale-out: several worker processes share one PostgreSQL and one Redis, and no job is done twice or
 * lost. The daily batch is one job per gemeente and run date, so a region of several gemeenten is work
 * several workers can share; within one gemeente a run is serialised by an advisory lock (two workers
 * on the same gemeente wait for each other and the second finds nothing to do).
 *
 * One region (300 clients in four gemeenten, bijstand in on 24 March 2026) is built once and copied
 * into two databases. The batch of 30 March runs on one with ONE worker process, on the other with
 * THREE, every job added by every worker and by the test (duplicate producers), plus a second job for
 * Dordrecht under another id (a scheduler firing next to a manual run). The outcome must be the same:
 * payment instructions, reservations, every account's counters, the journal, the payment batches and
 * the batch reports, apart from generated ids and times.
 */

const unavailable = inject('redisUnavailable') || inject('pgUnavailable');
const CHILD = join(process.cwd(), 'dist/tests/jobs/scale-out-worker.js');
const RUN_DATE = '2026-03-30';
const GEMEENTEN = [
  { id: 'GM0505', name: 'Dordrecht', payer: 'NL20INGB0001234567' },
  { id: 'GM0642', name: 'Zwijndrecht', payer: 'NL67BNGH0285170321' },
  { id: 'GM0590', name: 'Papendrecht', payer: 'NL55INGB0003456789' },
  { id: 'GM0610', name: 'Sliedrecht', payer: 'NL73INGB0004567891' },
] as const;
const CLIENTS_PER_GEMEENTE = 75;
const JOBS = GEMEENTEN.map((g) => ({ gemeenteId: g.id, runDate: RUN_DATE }));
const jobIdOf = (gemeenteId: string): string => `daily-batch-${gemeenteId}-${RUN_DATE}`;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Waits until nobody is connected to `name` any more (pg's pool ends before its sockets are gone). */
async function idle(client: pg.Client, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
    if (rows[0]?.n === '0') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`database ${name} is still in use`);
}

/**
 * Four gemeenten on the SDD management account, 75 single adults each. Every tenth has no machtiging
 * (rule 4: its payments are held), every seventh received only €900.00 (a shortfall), the rest €1,334.23.
 */
async function buildRegion(db: Kysely<Database>): Promise<void> {
  await aServiceRegion(db);
  await inTransaction(db, async (trx) => {
    for (const g of GEMEENTEN.slice(1)) {
      await ensureGemeente(trx, { id: g.id, name: g.name });
      await setGemeentePolicy(trx, g.id, { debtorIban: 'NL91ABNA0417164300', bijstandPayday: '24th' }, 'test-setup');
    }
    for (const g of GEMEENTEN.slice(1)) await registerKnownPayer(trx, { gemeenteId: g.id, iban: g.payer, name: `Gemeente ${g.name} uitkeringen`, kind: 'bijstand' });
  });
  const credits: { amount: string; from: string; name: string; text: string }[] = [];
  for (const g of GEMEENTEN) {
    for (let i = 0; i < CLIENTS_PER_GEMEENTE; i += 1) {
      const client: TestClient = await aClient(db, { gemeenteId: g.id, reference: `${g.id}-${String(i).padStart(3, '0')}`, obligations: singleAdultObligations('2026-04-01'), machtiging: i % 10 !== 3 });
      credits.push({ amount: i % 7 === 5 ? '900.00' : '1334.23', from: g.payer, name: `Gemeente ${g.name}`, text: `Uitkering 2026-03 dossier ${client.caseNumber}` });
    }
  }
  await bankCredits(db, '2026-03-24', credits);
}

/** Everything the batch decided, without generated ids and times. */
async function outcome(db: Kysely<Database>) {
  const instructions = await db
    .selectFrom('payment_instruction')
    .select(['idempotency_key', 'client_id', 'gemeente_id', 'kind', 'period', 'due_date', 'execution_date', 'amount_cents', 'creditor_iban', 'reservation_key', 'status', 'hold_reason'])
    .orderBy('idempotency_key')
    .execute();
  const scheduled = await db
    .selectFrom('scheduled_payment')
    .select(['idempotency_key', 'kind', 'pay_date', 'execution_date', 'amount_cents', 'reservation_key', 'hold_reason', 'late', 'run_date'])
    .orderBy('idempotency_key')
    .execute();
  const reservations = await db.selectFrom('allocation_reservation').select(['ledger_key', 'client_id', 'period_key', 'seq', 'amount_cents', 'due_date', 'execution_date', 'booked_on', 'status']).orderBy('ledger_key').execute();
  const accounts = await db.selectFrom('account').select(['code', 'debits_posted', 'credits_posted', 'debits_pending', 'credits_pending', 'last_seq']).orderBy('code').execute();
  const journal = await db.selectFrom('ledger_transaction').select(['idempotency_key', 'outcome']).orderBy('idempotency_key').execute();
  const batches = await db.selectFrom('payment_batch').select(['gemeente_id', 'debtor_iban', 'execution_date', 'instant', 'status', 'payments', 'total_cents', 'approvals_needed', 'created_by']).orderBy('gemeente_id').orderBy('execution_date').orderBy('total_cents').execute();
  const runs = await db.selectFrom('batch_run').select(['gemeente_id', 'run_date', 'status', 'runs', 'report']).orderBy('gemeente_id').execute();
  // A batch's id comes from a sequence the gemeenten share: which gemeente ran first changes it, nothing else.
  const reports = runs.map(({ report, ...run }) => ({ ...run, report: { ...(report as BatchReport), batches: (report as BatchReport).batches.map(({ id: _id, ...line }) => line) } }));
  return { instructions, scheduled, reservations, accounts, journal, batches, reports };
}

interface Child {
  readonly process: ChildProcessWithoutNullStreams;
  readonly lines: string[];
  waitFor(line: string | RegExp, timeoutMs?: number): Promise<void>;
}

function startWorker(env: Record<string, string>): Child {
  const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buffer += chunk;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return {
    process: child,
    lines,
    async waitFor(line, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      while (!lines.some((l) => (typeof line === 'string' ? l === line : line.test(l)))) {
        if (child.exitCode !== null) throw new Error(`worker exited (${child.exitCode}): ${stderr}`);
        if (Date.now() > until) throw new Error(`worker did not say ${String(line)}; it said ${JSON.stringify(lines)}; stderr ${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
  };
}

async function stop(child: Child): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.process.once('exit', () => resolve()));
  child.process.stdin.write('stop\n');
  await exited;
}

/** Runs the day's batch on `url` with `workers` worker processes; answers which worker finished which job. */
async function runWithWorkers(url: string, workers: number): Promise<{ completedBy: Map<string, number[]>; failed: string[] }> {
  const prefix = `test-scale-${process.pid}-${randomBytes(4).toString('hex')}`;
  const env = { SCALE_DATABASE_URL: url, SCALE_REDIS_URL: TEST_REDIS_URL, SCALE_PREFIX: prefix, SCALE_JOBS: JSON.stringify(JOBS) };
  const children = Array.from({ length: workers }, () => startWorker(env));
  const connection = connectRedis(TEST_REDIS_URL);
  const queue = dailyBatchQueue({ connection, prefix });
  try {
    await Promise.all(children.map((c) => c.waitFor('ready')));
    // Every worker and the test add every job at once; the scheduler's job for Dordrecht comes on top, under its own id.
    for (const c of children) c.process.stdin.write('enqueue\n');
    await Promise.all([
      ...JOBS.map((job) => queue.add('daily-batch', job, { jobId: jobIdOf(job.gemeenteId) })),
      queue.add('daily-batch', { gemeenteId: 'GM0505', runDate: RUN_DATE }, { jobId: `scheduled-GM0505-${RUN_DATE}` }),
    ]);
    await Promise.all(children.map((c) => c.waitFor('enqueued')));
    const expected = JOBS.length + 1;
    const until = Date.now() + 180_000;
    for (;;) {
      const counts = await queue.getJobCounts('completed', 'failed');
      if ((counts.completed ?? 0) + (counts.failed ?? 0) >= expected) break;
      if (Date.now() > until) throw new Error(`jobs not done: ${JSON.stringify(await queue.getJobCounts())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed')).toEqual({ completed: expected, failed: 0, waiting: 0, active: 0, delayed: 0 });
    // Redis counts a job completed before its worker's 'completed' line has come through the pipe: wait for the lines.
    const reported = () => children.reduce((n, c) => n + c.lines.filter((line) => line.startsWith('completed ') || line.startsWith('failed ')).length, 0);
    for (const lineUntil = Date.now() + 30_000; reported() < expected && Date.now() < lineUntil; ) await new Promise((r) => setTimeout(r, 50));
    const completedBy = new Map<string, number[]>();
    const failed: string[] = [];
    children.forEach((c, index) => {
      for (const line of c.lines) {
        const [event, id] = line.split(' ');
        if (event === 'completed') completedBy.set(id!, [...(completedBy.get(id!) ?? []), index]);
        if (event === 'failed') failed.push(line);
      }
    });
    return { completedBy, failed };
  } finally {
    for (const c of children) await stop(c);
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

describe.skipIf(unavailable !== '')('the daily batch with three worker processes on one PostgreSQL and one Redis', () => {
  const base = `ontzorg_${inject('runId')}_scale_${randomBytes(3).toString('hex')}`;
  const names = { seed: `${base}_seed`, one: `${base}_one`, three: `${base}_three` };

  beforeAll(async () => {
    const sources = ['tests/jobs/scale-out-worker.ts', 'jobs/batch.ts', 'src/batch/run.ts', 'src/allocation/run.ts', 'src/batch/instructions.ts'];
    if (!existsSync(CHILD) || sources.some((source) => statSync(CHILD).mtimeMs < statSync(source).mtimeMs)) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    await admin((client) => client.query(`CREATE DATABASE ${names.seed} TEMPLATE ${inject('pgTemplate')}`));
    const seed = connectPostgres({ url: databaseUrl(names.seed), poolSize: 4 });
    try {
      await buildRegion(seed.db);
    } finally {
      await seed.close();
    }
    await admin(async (client) => {
      await idle(client, names.seed);
      await client.query(`CREATE DATABASE ${names.one} TEMPLATE ${names.seed}`);
      await client.query(`CREATE DATABASE ${names.three} TEMPLATE ${names.seed}`);
    });
  }, 300_000);

  afterAll(async () => {
    await admin(async (client) => {
      for (const name of Object.values(names)) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    });
  });

  it('three workers sharing the run, with every job added by several producers, end where one worker ends, and nothing is done twice', async () => {
    const single = await runWithWorkers(databaseUrl(names.one), 1);
    const shared = await runWithWorkers(databaseUrl(names.three), 3);

    // Each job was finished by exactly one worker; no job failed; none was lost.
    const expectedJobs = [...JOBS.map((j) => jobIdOf(j.gemeenteId)), `scheduled-GM0505-${RUN_DATE}`].sort();
    for (const run of [single, shared]) {
      expect(run.failed).toEqual([]);
      expect([...run.completedBy.keys()].sort()).toEqual(expectedJobs);
      for (const [id, by] of run.completedBy) expect(by, id).toHaveLength(1);
    }
    // The three really shared the work: more than one of them finished a gemeente's batch.
    const workersUsed = new Set([...shared.completedBy.values()].flat());
    console.info(`scale-out: jobs per worker ${JSON.stringify([0, 1, 2].map((w) => [...shared.completedBy].filter(([, by]) => by.includes(w)).map(([id]) => id)))}`);
    expect(workersUsed.size).toBeGreaterThanOrEqual(2);

    const one = connectPostgres({ url: databaseUrl(names.one), poolSize: 2 });
    const three = connectPostgres({ url: databaseUrl(names.three), poolSize: 2 });
    try {
      const a = await outcome(one.db);
      const b = await outcome(three.db);
      // The day did real work, the same in both: per gemeente 75 clients' April costs and Monday's leefgeld.
      expect(a.reports.map((r) => [r.gemeente_id, r.status, r.runs, r.report.clients])).toEqual([
        ['GM0505', 'completed', 2, 75],
        ['GM0590', 'completed', 1, 75],
        ['GM0610', 'completed', 1, 75],
        ['GM0642', 'completed', 1, 75],
      ]);
      console.info(`scale-out: ${a.instructions.length} instructions (${a.instructions.filter((i) => i.status === 'held').length} held), ${a.reservations.length} reservations, ${a.journal.length} ledger transactions, ${a.batches.length} payment batches`);
      expect(a.instructions.length).toBeGreaterThan(4 * 75);
      expect(a.instructions.filter((i) => i.status === 'held').length).toBeGreaterThan(0);
      expect(a.reservations.length).toBeGreaterThan(0);
      expect(a.batches.length).toBeGreaterThanOrEqual(4);
      expect(b.instructions).toEqual(a.instructions);
      expect(b.scheduled).toEqual(a.scheduled);
      expect(b.reservations).toEqual(a.reservations);
      expect(b.accounts).toEqual(a.accounts);
      expect(b.journal).toEqual(a.journal);
      expect(b.batches).toEqual(a.batches);
      expect(b.reports).toEqual(a.reports);
      // Nothing twice: one instruction per key, and every batch holds exactly the instructions of its gemeente and day.
      expect(new Set(b.instructions.map((i) => i.idempotency_key)).size).toBe(b.instructions.length);
      const batched = b.instructions.filter((i) => i.status === 'batched');
      expect(Money.sum(batched.map((i) => Money.fromCents(i.amount_cents))).toString()).toBe(Money.sum(b.batches.map((x) => Money.fromCents(x.total_cents))).toString());
      expect(b.journal.filter((t) => t.outcome === 'refused')).toEqual(a.journal.filter((t) => t.outcome === 'refused'));
      expect((await verifyLedger(three.db)).problems).toEqual([]);
      expect((await verifyLedger(one.db)).problems).toEqual([]);
    } finally {
      await one.close();
      await three.close();
    }
  }, 600_000);
});
