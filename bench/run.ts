/**
 * `npm run bench`: throughput of the ledger on PostgreSQL and on PGlite.
 *
 *   1. bookBatch in batches (transfers; and a mix with reservations and their payments)
 *   2. LedgerWriter with many concurrent single callers; the naive path for comparison
 *   3. the COPY floor for the same number of posting rows
 *   4. after every run: verifyLedger ok and exactly the submitted bookings in the journal
 *   5. a phase profile (where the time goes) and ablations of the database checks
 *   6. bank files: reading a camt.053 and building + validating pain.001 at the same scale
 *
 * Env: BENCH_SCALE=small|full (default full), BENCH_SUITES=ledger,bank-files,camt,pain001,ingest (default: all), BENCH_DRIVERS=postgres,pglite,
 * BENCH_DATABASE_URL (admin connection; default postgres://root@127.0.0.1:5432/postgres),
 * BENCH_PROFILE=0 to skip the profile and ablations. Never fails on timing; exits 1
 * only when a correctness check fails.
 */
import os from 'node:os';
import { sql, type Kysely } from 'kysely';
import type { Driver } from '../src/db/connect.js';
import type { Database } from '../src/db/schema.js';
import { inTransaction } from '../src/db/transaction.js';
import { book, bookBatch, LedgerWriter, verifyLedger, type LedgerRequest, type LedgerResult } from '../src/ledger/index.js';
import { copyFloorPGlite, copyFloorPostgres, describeYardstick, type CopyResult } from './copy.js';
import { mixed, postingsOf, setUpChart, transfers, type BenchChart } from './data.js';
import { cpuMark, cpuSince, databaseName, type CpuSpent } from './cpu.js';
import { freshDatabase, postgresVersion, type BenchDatabase } from './db.js';
import { describeMachineSpeed } from './machine.js';
import { PHASES, PhaseProfile } from './profile.js';
import { canonicalRequest, contentHash, validateRequest } from '../src/ledger/requests.js';
import { bankFileTable, runBankFileBench } from './bank-files.js';

interface Sizes {
  readonly clients: number;
  readonly batchTx: Record<Driver, number>;
  readonly batchSizes: readonly number[];
  readonly mixedTx: Record<Driver, number>;
  readonly writerTx: Record<Driver, number>;
  readonly writerCallers: Record<Driver, number>;
  readonly naiveTx: Record<Driver, number>;
  readonly naiveCallers: number;
  readonly profileTx: number;
}

const SCALES: Record<string, Sizes> = {
  full: {
    clients: 10_000,
    batchTx: { postgres: 100_000, pglite: 50_000 },
    batchSizes: [1_000, 5_000],
    mixedTx: { postgres: 50_000, pglite: 20_000 },
    writerTx: { postgres: 50_000, pglite: 20_000 },
    writerCallers: { postgres: 500, pglite: 200 },
    naiveTx: { postgres: 5_000, pglite: 1_000 },
    naiveCallers: 16,
    profileTx: 10_000,
  },
  small: {
    clients: 1_000,
    batchTx: { postgres: 10_000, pglite: 5_000 },
    batchSizes: [1_000, 5_000],
    mixedTx: { postgres: 5_000, pglite: 2_000 },
    writerTx: { postgres: 5_000, pglite: 2_000 },
    writerCallers: { postgres: 200, pglite: 100 },
    naiveTx: { postgres: 2_000, pglite: 500 },
    naiveCallers: 16,
    profileTx: 5_000,
  },
};

const scaleName = process.env.BENCH_SCALE ?? 'full';
const sizes = SCALES[scaleName];
if (!sizes) throw new Error(`BENCH_SCALE must be one of ${Object.keys(SCALES).join(', ')}`);
const drivers = (process.env.BENCH_DRIVERS ?? 'postgres,pglite').split(',').map((d) => d.trim()) as Driver[];
const withProfile = process.env.BENCH_PROFILE !== '0';
const suites = (process.env.BENCH_SUITES ?? 'ledger,bank-files,camt,pain001,ingest').split(',').map((s) => s.trim());

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const dec = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const one = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const rate = (count: number, ms: number): string => int.format((count * 1000) / ms);
/** What the run would do if node and the backend had the CPU to themselves, one after the other. */
const cpuRate = (count: number, cpu: CpuSpent): string => (Number.isNaN(cpu.serverMs) ? '?' : rate(count, cpu.nodeMs + cpu.serverMs));

interface Row {
  readonly driver: Driver;
  readonly scenario: string;
  readonly requests: number;
  readonly postings: number;
  readonly ms: number;
  readonly commits: number | undefined;
  readonly latency: string;
  readonly verified: string;
  readonly load: string;
  readonly cpu: CpuSpent;
}

const rows: Row[] = [];
/** The 1-minute load average: this machine is shared, so every figure says how busy it was. */
const load = (): string => one.format(os.loadavg()[0] ?? 0);
const copies = new Map<Driver, CopyResult & { postingRows: number; transactionRows: number }>();
let failures = 0;

function log(message: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${message}\n`);
}

/** verifyLedger ok, every request booked once (none replayed, refused or rejected), and the journal holds exactly that many. */
async function verify(db: Kysely<Database>, chart: BenchChart, requests: readonly LedgerRequest[], results: readonly (LedgerResult | undefined)[], prefix: string) {
  const report = await verifyLedger(db);
  const problems: string[] = [];
  if (!report.ok) problems.push(...report.problems.slice(0, 5));
  const booked = results.filter((r) => r?.outcome === 'booked' && !r.replayed).length;
  if (booked !== requests.length) problems.push(`${booked} of ${requests.length} requests answered booked`);
  const expected = BigInt(requests.length + chart.fundingTransactions);
  if (report.transactions !== expected) problems.push(`journal holds ${report.transactions} booked transactions, expected ${expected}`);
  if (report.refusals !== 0n) problems.push(`${report.refusals} refusals`);
  const expectedPostings = BigInt(postingsOf(requests) + chart.fundingPostings);
  if (report.postings !== expectedPostings) problems.push(`journal holds ${report.postings} postings, expected ${expectedPostings}`);
  const { rows: commitRows } = await sql<{ n: bigint }>`
    SELECT count(DISTINCT created_xid)::bigint AS n FROM ledger_transaction WHERE idempotency_key LIKE ${`${prefix}/%`}
  `.execute(db);
  if (problems.length > 0) {
    failures++;
    log(`VERIFY FAILED (${prefix}): ${problems.join('; ')}`);
  }
  return { verified: problems.length === 0 ? 'ok' : 'FAILED', commits: Number(commitRows[0]!.n) };
}

async function withDatabase<T>(driver: Driver, poolSize: number, work: (bench: BenchDatabase, chart: BenchChart) => Promise<T>): Promise<T> {
  const bench = await freshDatabase(driver, { poolSize });
  try {
    const chart = await setUpChart(bench.handle.db, sizes!.clients, 'bench');
    return await work(bench, chart);
  } finally {
    await bench.dispose();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * `inFlight` batches at once, each on its own connection: while the server writes one, node validates and hashes
 * the next. Their accounts overlap (random transfers), so the second waits for the first's locks (one sorted lock
 * order: it queues, it cannot deadlock) and the batches still commit one after another.
 */
async function runBatches(driver: Driver, label: string, requests: (chart: BenchChart) => LedgerRequest[], batchSize: number, prefix: string, inFlight = 1): Promise<void> {
  await withDatabase(driver, 4, async (bench, chart) => {
    const db = bench.handle.db;
    const list = requests(chart);
    const chunks: LedgerResult[][] = [];
    log(`${driver}: ${label}, ${int.format(list.length)} requests in batches of ${int.format(batchSize)}, ${inFlight} in flight`);
    const mark = await cpuMark(databaseName(bench.url));
    const t0 = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const n = next++;
        if (n * batchSize >= list.length) return;
        const chunk = list.slice(n * batchSize, (n + 1) * batchSize);
        chunks[n] = await inTransaction(db, (trx) => bookBatch(trx, chunk));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const ms = performance.now() - t0;
    const results = chunks.flat();
    const cpu = await cpuSince(mark, databaseName(bench.url));
    const loadAfter = load();
    const check = await verify(db, chart, list, results, prefix);
    rows.push({ driver, scenario: label, requests: list.length, postings: postingsOf(list), ms, commits: check.commits, latency: '', verified: check.verified, load: loadAfter, cpu });
  });
}

async function runCallers(
  driver: Driver,
  label: string,
  total: number,
  callers: number,
  poolSize: number,
  prefix: string,
  submitter: (db: Kysely<Database>) => { submit: (r: LedgerRequest) => Promise<LedgerResult>; close: () => Promise<void> },
): Promise<void> {
  await withDatabase(driver, poolSize, async (bench, chart) => {
    const db = bench.handle.db;
    const list = transfers(chart, total, prefix, 7);
    const results: (LedgerResult | undefined)[] = new Array<LedgerResult | undefined>(list.length);
    const latencies: number[] = [];
    const { submit, close } = submitter(db);
    log(`${driver}: ${label}, ${int.format(total)} transfers from ${callers} concurrent callers`);
    let next = 0;
    const caller = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= list.length) return;
        const started = performance.now();
        results[i] = await submit(list[i]!);
        latencies.push(performance.now() - started);
      }
    };
    const mark = await cpuMark(databaseName(bench.url));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: callers }, caller));
    const ms = performance.now() - t0;
    await close();
    const cpu = await cpuSince(mark, databaseName(bench.url));
    const loadAfter = load();
    latencies.sort((a, b) => a - b);
    const check = await verify(db, chart, list, results, prefix);
    rows.push({
      driver,
      scenario: label,
      requests: list.length,
      postings: postingsOf(list),
      ms,
      commits: check.commits,
      latency: `${one.format(percentile(latencies, 50))} / ${one.format(percentile(latencies, 99))}`,
      verified: check.verified,
      load: loadAfter,
      cpu,
    });
  });
}

async function runCopy(driver: Driver): Promise<void> {
  const postingRows = 2 * sizes!.batchTx[driver];
  const transactionRows = sizes!.batchTx[driver];
  log(`${driver}: COPY floor, ${int.format(postingRows)} posting rows (+ ${int.format(transactionRows)} transaction rows)`);
  if (driver === 'postgres') {
    const bench = await freshDatabase('postgres', { poolSize: 1 });
    try {
      copies.set(driver, { ...(await copyFloorPostgres(bench.url!, postingRows, transactionRows, sizes!.clients)), postingRows, transactionRows });
    } finally {
      await bench.dispose();
    }
  } else {
    copies.set(driver, { ...(await copyFloorPGlite(postingRows, transactionRows, sizes!.clients)), postingRows, transactionRows });
  }
}

// ---- where the time goes --------------------------------------------------------------------

type BookBatch = typeof bookBatch;

interface Ablation {
  readonly name: string;
  readonly statements: readonly string[];
  readonly book?: BookBatch;
  /** Also on PGlite (slow there, so only the telling ones). */
  readonly pglite?: boolean;
}

const WITHOUT_CHECKS = [
  'ALTER TABLE ledger_transaction DISABLE TRIGGER ledger_transaction_postings_check',
  'ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_check',
];

// What each database-level guarantee costs: the same work with one check switched off at a time.
const ABLATIONS: readonly Ablation[] = [
  { name: 'as migrated', statements: [], pglite: true },
  { name: 'without the has-postings check', statements: ['ALTER TABLE ledger_transaction DISABLE TRIGGER ledger_transaction_postings_check'] },
  { name: 'without the posting statement check', statements: ['ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_check'] },
  { name: 'without both', statements: WITHOUT_CHECKS, pglite: true },
];

interface ProfileRow {
  readonly driver: Driver;
  readonly ablation: string;
  readonly requests: number;
  readonly batches: number;
  readonly ms: number;
  readonly phases: Map<string, number>;
  readonly load: string;
  readonly verified: string;
  readonly cpu: CpuSpent;
}
const profiles: ProfileRow[] = [];

async function runProfile(driver: Driver, ablation: Ablation, batchSize: number): Promise<void> {
  const profile = new PhaseProfile();
  const bench = await freshDatabase(driver, { poolSize: 2, log: profile.log });
  try {
    const db = bench.handle.db;
    for (const statement of ablation.statements) await sql.raw(statement).execute(db);
    const chart = await setUpChart(db, sizes!.clients, 'bench');
    const prefix = 'profile';
    const list = transfers(chart, sizes!.profileTx, prefix, 3);
    const results: LedgerResult[] = [];
    log(`${driver}: profile ${ablation.name}, ${int.format(list.length)} transfers in batches of ${int.format(batchSize)}`);
    const mark = await cpuMark(databaseName(bench.url));
    profile.enabled = true;
    const t0 = performance.now();
    for (let i = 0; i < list.length; i += batchSize) {
      const chunk = list.slice(i, i + batchSize);
      results.push(...(await inTransaction(db, (trx) => (ablation.book ?? bookBatch)(trx, chunk))));
    }
    const ms = performance.now() - t0;
    profile.enabled = false;
    const cpu = await cpuSince(mark, databaseName(bench.url));
    const loadAfter = load();
    const check = await verify(db, chart, list, results, prefix);
    if (check.verified !== 'ok') log(`${driver}: profile run ${ablation.name} failed verification`);
    const phases = new Map<string, number>();
    for (const phase of PHASES) phases.set(phase, profile.ms.get(phase) ?? 0);
    phases.set('JavaScript (validate, hash, plan, build SQL)', ms - profile.sqlMs());
    profiles.push({ driver, ablation: ablation.name, requests: list.length, batches: Math.ceil(list.length / batchSize), ms, phases, load: loadAfter, verified: check.verified, cpu });
  } finally {
    await bench.dispose();
  }
}

/** CPU cost in JS per request, before any SQL: validate, canonical form, SHA-256 of it. */
function requestCpuMicros(): number {
  const chart: BenchChart = { bank: 1n, inTransit: 2n, clients: Array.from({ length: 1_000 }, (_, i) => BigInt(i + 3)), fundingTransactions: 0, fundingPostings: 0 };
  const list = transfers(chart, 20_000, 'cpu', 9);
  const t0 = performance.now();
  for (const r of list) {
    validateRequest(r);
    contentHash(JSON.stringify(canonicalRequest(r)));
  }
  return ((performance.now() - t0) * 1000) / list.length;
}

// ---- report ---------------------------------------------------------------------------------

function table(header: readonly string[], body: readonly (readonly string[])[], right: readonly boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right[i] ? `${'-'.repeat(w + 1)}:` : `:${'-'.repeat(w + 1)}`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

async function machine(): Promise<string[]> {
  const cpus = os.cpus();
  const lines = [
    `machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown cpu'}), ${int.format(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}`,
    `node ${process.version}`,
    describeMachineSpeed(),
  ];
  if (drivers.includes('postgres')) lines.push(await postgresVersion());
  if (drivers.includes('pglite')) {
    const bench = await freshDatabase('pglite');
    try {
      const { rows: v } = await sql<{ v: string }>`SELECT current_setting('server_version') AS v`.execute(bench.handle.db);
      lines.push(`PGlite (PostgreSQL ${v[0]!.v}, WASM, in-memory)`);
    } finally {
      await bench.dispose();
    }
  }
  lines.push(
    `sizes (${scaleName}): ${int.format(sizes!.clients)} client accounts (+ bank, payments in transit), ${int.format(sizes!.batchTx.postgres)} (pg) / ${int.format(sizes!.batchTx.pglite)} (pglite) transfers per batch run, ` +
      `${int.format(sizes!.mixedTx.postgres)} / ${int.format(sizes!.mixedTx.pglite)} requests in the mix, writer ${int.format(sizes!.writerTx.postgres)} (pg) / ${int.format(sizes!.writerTx.pglite)} (pglite) transfers, ` +
      `naive ${int.format(sizes!.naiveTx.postgres)} / ${int.format(sizes!.naiveTx.pglite)}, profile ${int.format(sizes!.profileTx)}`,
  );
  return lines;
}

function report(header: readonly string[]): void {
  const out: string[] = [...header, ''];
  out.push(
    table(
      ['driver', 'scenario', 'requests', 'postings', 'seconds', 'tx/s', 'postings/s', 'commits', 'p50/p99 ms', 'CPU s node+pg', 'CPU-bound tx/s', 'WAL MB (full pages)', 'checkpoints', 'verified', 'load'],
      rows.map((r) => [
        r.driver,
        r.scenario,
        int.format(r.requests),
        int.format(r.postings),
        dec.format(r.ms / 1000),
        rate(r.requests, r.ms),
        rate(r.postings, r.ms),
        r.commits === undefined ? '' : int.format(r.commits),
        r.latency,
        r.driver === 'pglite' ? dec.format(r.cpu.nodeMs / 1000) : `${dec.format(r.cpu.nodeMs / 1000)}+${dec.format(r.cpu.serverMs / 1000)}`,
        cpuRate(r.requests, r.cpu),
        r.cpu.wal ? `${one.format(r.cpu.wal.bytes / 1e6)} (${int.format(r.cpu.wal.fullPages)})` : '',
        r.cpu.wal ? int.format(r.cpu.wal.checkpoints) : '',
        r.verified,
        r.load,
      ]),
      [false, false, true, true, true, true, true, true, true, true, true, true, true, false, true],
    ),
  );
  out.push('');
  const floor: string[][] = [];
  for (const [driver, c] of copies) {
    const batch = rows.filter((r) => r.driver === driver && r.scenario.startsWith('bookBatch transfers'));
    const best = batch.reduce<Row | undefined>((a, r) => (!a || r.ms < a.ms ? r : a), undefined);
    floor.push([
      driver,
      c.method,
      int.format(c.postingRows),
      dec.format(c.postingMs / 1000),
      rate(c.postingRows, c.postingMs),
      Number.isNaN(c.transactionMs) ? '' : dec.format((c.postingMs + c.transactionMs) / 1000),
      best ? `${one.format(best.ms / c.postingMs)}×` : '',
      best && !Number.isNaN(c.transactionMs) ? `${one.format(best.ms / (c.postingMs + c.transactionMs))}×` : '',
      c.ledgerShapedMs === undefined ? '' : dec.format(c.ledgerShapedMs / 1000),
      best && c.ledgerShapedMs !== undefined ? `${one.format(best.ms / c.ledgerShapedMs)}×` : '',
    ]);
  }
  if (floor.length > 0) {
    out.push(
      table(
        ['driver', 'floor', 'posting rows', 'COPY s', 'rows/s', '+tx rows s', 'best batch ÷ COPY postings', 'best batch ÷ COPY both', 'COPY both, ledger-shaped s', 'best batch ÷ that'],
        floor,
        [false, false, true, true, true, true, true, true, true, true],
      ),
    );
    out.push('');
  }
  for (const driver of drivers) {
    const mine = profiles.filter((p) => p.driver === driver);
    if (mine.length === 0) continue;
    const base = mine[0]!;
    out.push(`${driver}: where the time goes (${int.format(base.requests)} transfers, ${base.batches} batches, ms per batch of ${int.format(base.requests / base.batches)})`);
    const names = [...base.phases.keys()];
    out.push(
      table(
        ['phase', ...mine.map((p) => p.ablation)],
        [
          ...names.map((name) => [name, ...mine.map((p) => dec.format((p.phases.get(name) ?? 0) / p.batches))]),
          ['total per batch', ...mine.map((p) => dec.format(p.ms / p.batches))],
          ['tx/s', ...mine.map((p) => rate(p.requests, p.ms))],
          ['CPU ms per batch: node', ...mine.map((p) => dec.format(p.cpu.nodeMs / p.batches))],
          ['CPU ms per batch: postgres backend', ...mine.map((p) => (driver === 'pglite' ? '(in node)' : dec.format(p.cpu.serverMs / p.batches)))],
          ['CPU-bound tx/s (node + backend CPU)', ...mine.map((p) => cpuRate(p.requests, p.cpu))],
          ['verified', ...mine.map((p) => p.verified)],
          ['load', ...mine.map((p) => p.load)],
        ],
        [false, ...mine.map(() => true)],
      ),
    );
    out.push('');
  }
  out.push(`JS per request before any SQL (validate + canonical form + SHA-256): ${one.format(requestCpuMicros())} µs`);
  out.push(
    'targets: batches ≥ 10,000 tx/s and within 3× of the COPY floor; concurrent single callers ≥ 1,000 tx/s. ' +
      'pgledger reference on this machine kind: ~740 transfers/s for one client, 2,750/s with 4 (no idempotency keys, no reservations).',
  );
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<void> {
  const header = await machine();
  for (const line of header) log(line);
  for (const driver of suites.includes('ledger') ? drivers : []) {
    for (const batchSize of sizes!.batchSizes) {
      await runBatches(driver, `bookBatch transfers ×${int.format(batchSize)}`, (c) => transfers(c, sizes!.batchTx[driver], `b${batchSize}`, 1), batchSize, `b${batchSize}`);
    }
    // PGlite has one connection: a second batch in flight would only queue behind the first.
    if (driver === 'postgres') {
      const batchSize = Math.max(...sizes!.batchSizes);
      await runBatches(driver, `bookBatch transfers ×${int.format(batchSize)}, 2 in flight`, (c) => transfers(c, sizes!.batchTx[driver], `p${batchSize}`, 1), batchSize, `p${batchSize}`, 2);
    }
    await runBatches(driver, 'bookBatch mix 60/20/20 ×1,000', (c) => mixed(c, sizes!.mixedTx[driver], 'mix', 2, 1_500), 1_000, 'mix');
    const writerConcurrency = driver === 'pglite' ? 1 : 2;
    await runCallers(driver, `LedgerWriter, ${sizes!.writerCallers[driver]} callers`, sizes!.writerTx[driver], sizes!.writerCallers[driver], 10, 'writer', (db) => {
      const writer = new LedgerWriter(db, { concurrency: writerConcurrency });
      return { submit: (r) => writer.submit(r), close: () => writer.close() };
    });
    await runCallers(driver, `naive book(), ${sizes!.naiveCallers} callers`, sizes!.naiveTx[driver], sizes!.naiveCallers, sizes!.naiveCallers, 'naive', (db) => ({
      submit: (r) => inTransaction(db, (trx) => book(trx, r)),
      close: async () => undefined,
    }));
    await runCopy(driver);
    if (withProfile) {
      for (const ablation of ABLATIONS) if (driver === 'postgres' || ablation.pglite) await runProfile(driver, ablation, 1_000);
    }
  }
  if (suites.includes('ledger')) report(header);
  if (drivers.includes('postgres')) process.stdout.write(`${await describeYardstick()}\n`);
  const n = scaleName === 'small' ? 10_000 : 100_000;
  if (suites.includes('bank-files')) {
    const bank = runBankFileBench(n, log);
    failures += bank.failures;
    process.stdout.write(`\n${bankFileTable(bank.rows)}\n`);
  }
  if (suites.includes('camt')) {
    const { runCamtBench } = await import('./camt.js');
    const camt = await runCamtBench(n, { log });
    failures += camt.failures;
    process.stdout.write(`\n${camt.table}\n`);
  }
  if (suites.includes('pain001')) {
    const { runPain001Bench } = await import('./pain001.js');
    runPain001Bench(n, { log });
  }
  if (suites.includes('ingest')) {
    const { ingestTable, runIngestBench } = await import('./ingest.js');
    const ingest = await runIngestBench(n, log);
    process.stdout.write(`\n${ingestTable(ingest)}\n`);
  }
  if (failures > 0) {
    process.stderr.write(`${failures} correctness check(s) failed\n`);
    process.exitCode = 1;
  }
}

await main();
