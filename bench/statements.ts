/**
 * Statements under load (issue 7): clients with two years of history on the real PostgreSQL, made by
 * the real flow (bank files ingested, the daily batch every business day, its payment batches
 * approved and released), beside a few million postings of other accounts; then the JSON statement
 * of this month served by the real HTTP app, with load from a second process (a small open-loop
 * generator on node:http: requests leave on a fixed schedule, and each latency counts from the moment
 * its request was due, so a slow answer cannot hide the queue behind it). Reports p50/p90/p99/max at
 * 500 requests/s for the back office (not audited) and for the client (every read audited: one insert
 * per request), the CPU spent, and EXPLAIN ANALYZE of every query a statement sends.
 *
 *   npm run build && node dist/bench/statements.js
 *   BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/postgres   (admin connection; the default)
 *   BENCH_RATE=500 BENCH_SECONDS=20 BENCH_CLIENTS=20 BENCH_BACKGROUND=3000000 BENCH_MONTHS=24
 *   BENCH_ROUNDS=2 (both scenarios again on the same data), BENCH_SERVER_FLAGS / BENCH_LOAD_FLAGS (node flags)
 *   BENCH_WAITS=1 (PostgreSQL's backends sampled every 10 ms during each load: what they waited on in the slow windows)
 *   BENCH_SERVER_POOL=10 (the server's connections to PostgreSQL)
 *   BENCH_SERVER_PROCESSES=1 (HTTP processes sharing the port through node:cluster; an experiment: on 2 cores it is slower, see docs/performance.md)
 *
 * The server runs in a process of its own, as in production; for each load the bench also reports its
 * event-loop delay and garbage collection, the blocks PostgreSQL read from outside its buffers, and
 * where in the run the slowest 1 % of requests were due (a queue, or a few stalls).
 *
 * Never fails on timing; exits 1 only when a statement does not reconcile with the ledger.
 */
import { fork } from 'node:child_process';
import cluster from 'node:cluster';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../src/auth/tokens.js';
import { runDailyBatch } from '../src/batch/run.js';
import { availableAccounts } from '../src/clients/accounts.js';
import { ensureGemeente } from '../src/clients/clients.js';
import { recordMachtiging } from '../src/clients/machtigingen.js';
import { addObligation } from '../src/clients/obligations.js';
import { recordFollowUpPeriod } from '../src/clients/ontzorg-periods.js';
import { setGemeentePolicy } from '../src/clients/policy.js';
import { registerClient } from '../src/clients/registry.js';
import type { Database } from '../src/db/schema.js';
import { inTransaction } from '../src/db/transaction.js';
import { writeCamt, type SimulatedEntry } from '../src/demo/bank-statement.js';
import { connectPostgres } from '../src/db/connect.js';
import { buildApp } from '../src/http/app.js';
import { ingestBankFile, receiveBankFile } from '../src/ingest/files.js';
import { registerBankAccount, registerKnownPayer } from '../src/ingest/setup.js';
import { balanceOnDate, getBalance } from '../src/ledger/index.js';
import { createLogger } from '../src/logging/logger.js';
import { Money } from '../src/money/money.js';
import { registerPaymentAccount } from '../src/payments/accounts.js';
import { approveBatch } from '../src/payments/batches.js';
import { releaseBatch } from '../src/payments/release.js';
import { addDays, addMonths, firstDayOf, isBusinessDay, yearMonthOf } from '../src/schedule/index.js';
import { amsterdamToday, clientStatement, EXPECTED_DAYS_AHEAD, monthsOf } from '../src/statements/index.js';
import { backendTicks, cpuMark, cpuSince, databaseName, TICK_MS } from './cpu.js';
import { describeYardstick } from './copy.js';
import { freshDatabase, postgresVersion } from './db.js';
import { describeMachineSpeed } from './machine.js';
import { describeWaits, startWaitSampler } from './wait-sampler.js';

const GEMEENTE = 'GM0505';
const MANAGED = 'NL91ABNA0417164300';
const BENEFITS = 'NL20INGB0001234567';
const TOESLAGEN = 'NL86INGB0002445588';
const PAYEES = {
  rent: { name: 'Woonbron', iban: 'NL69INGB0123456789', amount: '720.00' },
  gas: { name: 'Eneco', iban: 'NL44RABO0123456789', amount: '55.00' },
  electricity: { name: 'Eneco', iban: 'NL44RABO0123456789', amount: '65.00' },
  water: { name: 'Evides', iban: 'NL02ABNA0123456789', amount: '25.00' },
  basic_health_insurance: { name: 'Zilveren Kruis', iban: 'NL85BNGH0285059999', amount: '159.00' },
} as const;

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name]);
  return Number.isFinite(value) && value > 0 ? value : fallback;
};
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const two = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const log = (line: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

// ---------------------------------------------------------------- the load generator (second process)

interface LoadPlan {
  readonly port: number;
  readonly rate: number;
  readonly seconds: number;
  /** Requests go round-robin over these (path + bearer token). */
  readonly targets: readonly { readonly path: string; readonly token: string }[];
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  readonly achievedRate: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly errors: number;
  readonly statuses: Record<string, number>;
  readonly bytes: number;
  readonly cpuMs: number;
  /** The generator's own event-loop delay, max ms: a stall here makes answers look late that were not. */
  readonly generatorLoopMaxMs: number;
  /** Where in the run the slowest 1 % were due: 100 ms windows, the worst first (offset s, how many, slowest ms). */
  readonly slowWindows: readonly { at: number; count: number; worst: number }[];
  /** When the run's time 0 was, in epoch milliseconds (the windows' `at` counts from it). */
  readonly startedAtEpochMs: number;
  /** The slowest 1 %: request number, and when (epoch ms) it was due, sent and answered in full. */
  readonly slowest: readonly { seq: number; due: number; sent: number; end: number }[];
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Open loop: request n is due at start + n / rate, whatever happened to the ones before it. */
async function generateLoad(agent: http.Agent, plan: LoadPlan, seconds: number): Promise<LoadResult> {
  const total = Math.round(plan.rate * seconds);
  const latencies: number[] = [];
  const dueAt: number[] = [];
  const times: { seq: number; due: number; sent: number; end: number }[] = [];
  const epoch = (t: number) => performance.timeOrigin + t;
  const statuses: Record<string, number> = {};
  let errors = 0;
  let bytes = 0;
  let sent = 0;
  let done = 0;
  const cpu = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const start = performance.now() + 20;
  await new Promise<void>((resolve) => {
    const finish = () => {
      done += 1;
      if (done === total) resolve();
    };
    const fire = (n: number) => {
      const due = start + (n * 1000) / plan.rate;
      const target = plan.targets[n % plan.targets.length]!;
      const sent = performance.now();
      const request = http.get({ agent, host: '127.0.0.1', port: plan.port, path: target.path, headers: { authorization: `Bearer ${target.token}`, 'accept-language': 'nl', 'x-bench-seq': String(n) } }, (response) => {
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => {
          const end = performance.now();
          latencies.push(end - due);
          times.push({ seq: n, due: epoch(due), sent: epoch(sent), end: epoch(end) });
          dueAt.push(due - start);
          statuses[String(response.statusCode)] = (statuses[String(response.statusCode)] ?? 0) + 1;
          if (response.statusCode !== 200) errors += 1;
          finish();
        });
      });
      request.on('error', () => {
        errors += 1;
        statuses.error = (statuses.error ?? 0) + 1;
        finish();
      });
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - start) * plan.rate) / 1000) + 1);
      while (sent < due) fire(sent++);
      if (sent < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 20);
  });
  const elapsed = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  loop.disable();
  const byLatency = latencies.map((ms, i) => ({ ms, at: dueAt[i]! })).sort((a, b) => b.ms - a.ms);
  const windows = new Map<number, { at: number; count: number; worst: number }>();
  for (const slow of byLatency.slice(0, Math.ceil(latencies.length / 100))) {
    const key = Math.floor(slow.at / 100);
    const window = windows.get(key) ?? { at: key / 10, count: 0, worst: 0 };
    window.count += 1;
    window.worst = Math.max(window.worst, slow.ms);
    windows.set(key, window);
  }
  latencies.sort((a, b) => a - b);
  return {
    requests: total,
    seconds: elapsed,
    achievedRate: total / elapsed,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    errors,
    statuses,
    bytes,
    cpuMs: (used.user + used.system) / 1000,
    generatorLoopMaxMs: loop.max / 1e6,
    slowWindows: [...windows.values()].sort((a, b) => b.count - a.count),
    startedAtEpochMs: performance.timeOrigin + start,
    slowest: times.sort((a, b) => b.end - b.due - (a.end - a.due)).slice(0, Math.ceil(times.length / 100)),
  };
}

/**
 * The generator's node flags: it is the measuring instrument, and a scavenge in it delays the requests
 * due meanwhile, which then count as slow answers. BENCH_LOAD_FLAGS='' for V8's defaults.
 */
const LOAD_FLAGS = (process.env.BENCH_LOAD_FLAGS ?? '--max-semi-space-size=32').split(/\s+/).filter(Boolean);

interface LoadGenerator {
  /** One load; the next reuses the process and its keep-alive connections. */
  run(plan: LoadPlan): Promise<LoadResult>;
  stop(): void;
}

/**
 * The load generator in a child process, so its CPU is not the server's. One process serves a warm-up and then the
 * measured load on the same connections, as a client that keeps calling would: a fresh process opening fresh
 * sockets (and compiling its own code) at the start of the measured load is the generator's start, not the service's.
 */
function startLoadGenerator(): LoadGenerator {
  const child = fork(fileURLToPath(import.meta.url), ['--load'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: LOAD_FLAGS });
  let failed: Error | undefined;
  child.once('exit', (code) => (failed = code === 0 ? undefined : new Error(`the load generator exited with ${code}`)));
  return {
    run: (plan) =>
      new Promise((resolve, reject) => {
        if (failed) return reject(failed);
        const onExit = (code: number | null) => reject(new Error(`the load generator exited with ${code}`));
        child.once('exit', onExit);
        child.once('message', (message) => {
          child.off('exit', onExit);
          resolve(message as LoadResult);
        });
        child.send(plan);
      }),
    stop: () => void child.send('stop'),
  };
}

/**
 * Medians and maxima of where the slowest requests' time went: due → sent (the generator late), sent → seen by the
 * server (the socket, the kernel, the server's loop before it read the request), in the server (to its answer
 * written), and back to the generator.
 */
function describePhases(slowest: LoadResult['slowest'], seen: ServerPauses['requests']): string {
  const phases = { late: [] as number[], toServer: [] as number[], inServer: [] as number[], back: [] as number[] };
  for (const r of slowest) {
    const s = seen[String(r.seq)];
    if (!s) continue;
    phases.late.push(r.sent - r.due);
    phases.toServer.push(s[0] - r.sent);
    phases.inServer.push(s[1] - s[0]);
    phases.back.push(r.end - s[1]);
  }
  const show = (xs: number[]) => {
    xs.sort((a, b) => a - b);
    return `median ${one.format(percentile(xs, 50))}, max ${one.format(xs[xs.length - 1] ?? Number.NaN)}`;
  };
  return `${phases.late.length} requests; sending late ${show(phases.late)}; to the server ${show(phases.toServer)}; in the server ${show(phases.inServer)}; back ${show(phases.back)} ms`;
}

// ---------------------------------------------------------------- the server, in a process of its own

/**
 * The server's node flags: none by default, as the service runs (Dockerfile, `npm start`).
 * BENCH_SERVER_FLAGS='--max-semi-space-size=32' tries a larger young generation.
 */
const SERVER_FLAGS = (process.env.BENCH_SERVER_FLAGS ?? '').split(/\s+/).filter(Boolean);

/** BENCH_SERVER_POOL: connections per server process (default 10, the service's DATABASE_POOL_SIZE default). */
const SERVER_POOL = Math.max(1, Math.floor(Number(process.env.BENCH_SERVER_POOL ?? '10')) || 10);

type ServerCommand = { kind: 'start'; url: string; secret: string } | { kind: 'profile-start' } | { kind: 'profile-stop' } | { kind: 'pauses-start' } | { kind: 'pauses-stop' } | { kind: 'stop' };
type ServerReply = { kind: 'listening'; port: number; pids?: number[] } | { kind: 'profiling' } | { kind: 'profile'; summary: string } | { kind: 'watching' } | { kind: 'pauses'; pauses: ServerPauses } | { kind: 'stopped' };

/** What stopped the server's event loop during one load: its delay, and garbage collection. */
interface ServerPauses {
  readonly loopDelayP99Ms: number;
  readonly loopDelayMaxMs: number;
  readonly gcCount: number;
  readonly gcTotalMs: number;
  readonly gcMaxMs: number;
  readonly gcOver10Ms: number;
  /** Per request number (the generator's `x-bench-seq`): when (epoch ms) the server saw it, and when its answer was written. */
  readonly requests: Record<string, readonly [number, number]>;
}

/** BENCH_SERVER_PROCESSES: HTTP processes sharing one port (node:cluster), each with its own pool (an experiment). */
const SERVER_PROCESSES = Math.max(1, Math.floor(Number(process.env.BENCH_SERVER_PROCESSES ?? '1')) || 1);

interface ServerProcess {
  readonly port: number;
  /** The server's processes: the one forked, and its cluster workers when there are several. */
  readonly pids: readonly number[];
  /** Sends a command and waits for the server's answer. */
  ask(command: ServerCommand): Promise<ServerReply>;
}

/**
 * The HTTP app as production runs it: its own process, its own connection pool, the service's node
 * flags, and none of the garbage of building the history (which ran in this process).
 */
function startServerProcess(url: string, secret: Buffer): Promise<ServerProcess> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: SERVER_FLAGS });
  const ask = (command: ServerCommand) =>
    new Promise<ServerReply>((resolve, reject) => {
      child.once('message', (message) => resolve(message as ServerReply));
      child.send(command, (error) => error && reject(error));
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    void ask({ kind: 'start', url, secret: secret.toString('base64') }).then((reply) => {
      if (reply.kind !== 'listening') reject(new Error(`the server answered ${reply.kind}`));
      else resolve({ port: reply.port, pids: [child.pid!, ...(reply.pids ?? [])], ask });
    }, reject);
  });
}

function watchPauses(server: http.Server): () => ServerPauses {
  const requests: Record<string, [number, number]> = {};
  const now = () => performance.timeOrigin + performance.now();
  const onRequest = (request: http.IncomingMessage, response: http.ServerResponse) => {
    const seq = request.headers['x-bench-seq'];
    if (typeof seq !== 'string') return;
    const times: [number, number] = [now(), Number.NaN];
    requests[seq] = times;
    response.once('finish', () => (times[1] = now()));
  };
  server.prependListener('request', onRequest);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const gc: number[] = [];
  const observer = new PerformanceObserver((list) => gc.push(...list.getEntries().map((e) => e.duration)));
  observer.observe({ entryTypes: ['gc'] });
  return () => {
    loop.disable();
    observer.disconnect();
    server.off('request', onRequest);
    return {
      requests,
      loopDelayP99Ms: loop.percentile(99) / 1e6,
      loopDelayMaxMs: loop.max / 1e6,
      gcCount: gc.length,
      gcTotalMs: gc.reduce((a, b) => a + b, 0),
      gcMaxMs: Math.max(0, ...gc),
      gcOver10Ms: gc.filter((ms) => ms > 10).length,
    };
  };
}

async function serve(): Promise<void> {
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  let handle: ReturnType<typeof connectPostgres> | undefined;
  let profiler: (() => Promise<string>) | undefined;
  let watch: (() => ServerPauses) | undefined;
  const reply = (message: ServerReply) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
  process.on('message', (command: ServerCommand) => {
    void (async () => {
      switch (command.kind) {
        case 'start': {
          handle = connectPostgres({ url: command.url, poolSize: SERVER_POOL, applicationName: 'ontzorg-bench-server' });
          const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.from(command.secret, 'base64'), issuer: 'ontzorg', audience: 'ontzorg-api' };
          app = await buildApp({ db: handle.db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings) });
          await app.listen({ host: '127.0.0.1', port: 0 });
          return reply({ kind: 'listening', port: (app.server.address() as AddressInfo).port });
        }
        case 'profile-start':
          profiler = await startProfile();
          return reply({ kind: 'profiling' });
        case 'profile-stop':
          return reply({ kind: 'profile', summary: profiler ? await profiler() : '' });
        case 'pauses-start':
          watch = watchPauses(app!.server);
          return reply({ kind: 'watching' });
        case 'pauses-stop':
          return reply({ kind: 'pauses', pauses: watch!() });
        case 'stop':
          await app?.close();
          await handle?.close();
          await reply({ kind: 'stopped' });
          process.exit(0);
      }
    })();
  });
  // A cluster worker tells its primary it now hears commands.
  if (cluster.isWorker) process.send!('ready');
}

/**
 * Several HTTP processes on one port, the usual way to use more cores with node: this process forks them (node:cluster,
 * which hands each new connection to the next worker) and passes every command on to all of them, merging what they
 * answer. An experiment: on this 2-core machine two processes made every request dearer (docs/performance.md), so the
 * service runs one.
 */
function serveInProcesses(count: number): void {
  const workers = Array.from({ length: count }, () => cluster.fork());
  // A worker's commands wait until it listens for them: a message sent before that is lost.
  const ready = Promise.all(workers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve()))));
  const askOne = (worker: (typeof workers)[number], command: ServerCommand) =>
    new Promise<ServerReply>((resolve) => {
      worker.once('message', (message) => resolve(message as ServerReply));
      worker.send(command);
    });
  const reply = (message: ServerReply) => new Promise<void>((resolve) => process.send!(message, () => resolve()));
  process.on('message', (command: ServerCommand) => {
    void (async () => {
      await ready;
      const replies = await Promise.all(workers.map((w) => askOne(w, command)));
      const first = replies[0]!;
      if (first.kind === 'listening') return reply({ kind: 'listening', port: first.port, pids: workers.map((w) => w.process.pid!) });
      if (first.kind === 'profile') return reply({ kind: 'profile', summary: replies.map((r, i) => `    process ${i + 1}:\n${r.kind === 'profile' ? r.summary : ''}`).join('\n') });
      if (first.kind === 'pauses') {
        const all = replies.flatMap((r) => (r.kind === 'pauses' ? [r.pauses] : []));
        return reply({
          kind: 'pauses',
          pauses: {
            requests: Object.assign({}, ...all.map((p) => p.requests)) as ServerPauses['requests'],
            loopDelayP99Ms: Math.max(...all.map((p) => p.loopDelayP99Ms)),
            loopDelayMaxMs: Math.max(...all.map((p) => p.loopDelayMaxMs)),
            gcCount: all.reduce((n, p) => n + p.gcCount, 0),
            gcTotalMs: all.reduce((n, p) => n + p.gcTotalMs, 0),
            gcMaxMs: Math.max(...all.map((p) => p.gcMaxMs)),
            gcOver10Ms: all.reduce((n, p) => n + p.gcOver10Ms, 0),
          },
        });
      }
      await reply(first);
      if (first.kind === 'stopped') process.exit(0);
    })();
  });
}

// ---------------------------------------------------------------- two years of history, through the real flow

interface History {
  readonly clients: readonly { id: bigint; reference: string }[];
  readonly postings: number;
  readonly seconds: number;
}

async function ingest(db: Kysely<Database>, id: string, entries: readonly SimulatedEntry[]): Promise<void> {
  const bytes = new TextEncoder().encode(writeCamt({ kind: 'camt.053', messageId: `MSG-${id}`, createdAt: `${entries[0]!.bookingDate}T06:00:00`, statements: [{ id, iban: MANAGED, entries }] }));
  const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: `${id}.xml`, receivedBy: 'bench' }));
  const result = await ingestBankFile(db, received.fileId);
  if (result.status !== 'ingested') throw new Error(`bench: bank file ${id} was not ingested: ${JSON.stringify(result.error)}`);
}

async function twoYears(db: Kysely<Database>, clientCount: number, months: number, until: string): Promise<History> {
  const t0 = performance.now();
  const first = firstDayOf(addMonths(yearMonthOf(until), -(months - 1)));
  await inTransaction(db, async (trx) => {
    await ensureGemeente(trx, { id: GEMEENTE, name: 'Dordrecht' });
    await registerBankAccount(trx, { iban: MANAGED, name: 'SDD beheerrekening' });
    await registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' });
    await registerKnownPayer(trx, { gemeenteId: GEMEENTE, iban: BENEFITS, name: 'Gemeente Dordrecht uitkeringen', kind: 'bijstand' });
    await registerKnownPayer(trx, { gemeenteId: GEMEENTE, iban: TOESLAGEN, name: 'Belastingdienst Toeslagen', kind: 'toeslagen' });
    await setGemeentePolicy(trx, GEMEENTE, { debtorIban: MANAGED, bijstandPayday: '24th' }, 'bench');
  });
  const clients: { id: bigint; reference: string }[] = [];
  for (let n = 1; n <= clientCount; n++) {
    clients.push(
      await inTransaction(db, async (trx) => {
        const record = await registerClient(trx, {
          gemeenteId: GEMEENTE, reference: `BENCH-${n}`, name: `Client ${n}`, ownIban: 'NL22SNSB0912345678', householdType: 'single', bijstandStart: first,
          inburgeringsplichtigWi2021: false, fixedTermAsylumPermit: true, caseNumbers: [`BIJ-${90000 + n}`], toeslagenReference: `TS-${5000 + n}`, toeslagenConsentReference: `TC-${n}`,
          expectedIncome: [{ classification: 'bijstand', monthly: Money.parse('1334.23') }, { classification: 'huurtoeslag', monthly: Money.parse('380.00') }, { classification: 'zorgtoeslag', monthly: Money.parse('129.00') }],
        });
        // Not inburgeringsplichtig under the Wi2021 (rule 1), so served on the client's voluntary consent, for the whole two years.
        await recordFollowUpPeriod(trx, record.id, { basis: 'voluntary', firstDay: first, lastDay: null, reviewDate: addDays(until, 30), decisionReference: `VOL-${n}` });
        for (const [type, payee] of Object.entries(PAYEES)) {
          await addObligation(trx, record.id, { type: type as keyof typeof PAYEES, payee: { name: payee.name, iban: payee.iban }, firstVersion: { effectiveFrom: first, amount: Money.parse(payee.amount), dueDay: 1, basis: 'voluntary' }, recordedBy: 'bench' });
        }
        await recordMachtiging(trx, record.id, { documentReference: `M-${n}`, signedOn: addDays(first, -10), payees: Object.values(PAYEES).map(({ name, iban }) => ({ name, iban })) });
        return { id: record.id, reference: record.reference };
      }),
    );
  }
  let day = addDays(first, -12);
  let lastMonth = '';
  while (day <= until) {
    if (day.endsWith('-20')) {
      await ingest(db, `TS-${day}`, clients.flatMap((c, n) => [
        { amount: '380.00', creditDebit: 'CRDT', bookingDate: day, accountServicerReference: `H-${day}-${n}`, details: [{ counterpartyName: 'Belastingdienst Toeslagen', counterpartyIban: TOESLAGEN, unstructured: `HUURTOESLAG ${day.slice(0, 7)} TS-${5000 + n + 1}` }] },
        { amount: '129.00', creditDebit: 'CRDT', bookingDate: day, accountServicerReference: `Z-${day}-${n}`, details: [{ counterpartyName: 'Belastingdienst Toeslagen', counterpartyIban: TOESLAGEN, unstructured: `ZORGTOESLAG ${day.slice(0, 7)} TS-${5000 + n + 1}` }] },
      ] satisfies SimulatedEntry[]));
    }
    if (day.endsWith('-24')) {
      await ingest(db, `BIJ-${day}`, clients.map((c, n): SimulatedEntry => ({ amount: '1334.23', creditDebit: 'CRDT', bookingDate: day, accountServicerReference: `B-${day}-${n}`, details: [{ counterpartyName: 'Gemeente Dordrecht', counterpartyIban: BENEFITS, unstructured: `Uitkering ${day.slice(0, 7)} dossier BIJ-${90000 + n + 1}` }] })));
    }
    if (isBusinessDay(day)) {
      await runDailyBatch(db, { gemeenteId: GEMEENTE, runDate: day, startedBy: 'bench', now: new Date(`${day}T05:30:00Z`) });
      const waiting = await db.selectFrom('payment_batch').select('id').where('status', '=', 'awaiting_approval').orderBy('id').execute();
      for (const { id } of waiting) {
        await inTransaction(db, (trx) => approveBatch(trx, id, 'bench-approver'));
        await releaseBatch(db, id, { releasedBy: 'bench-operator', now: new Date(`${day}T07:00:00Z`) });
      }
    }
    if (day.slice(0, 7) !== lastMonth) {
      lastMonth = day.slice(0, 7);
      log(`  history: ${lastMonth}`);
    }
    day = addDays(day, 1);
  }
  const { rows } = await sql<{ n: bigint }>`SELECT count(*)::bigint AS n FROM ledger_posting`.execute(db);
  return { clients, postings: Number(rows[0]!.n), seconds: (performance.now() - t0) / 1000 };
}

/**
 * Other accounts' postings, so the indexes are as deep as in a real service: written in bulk, with the
 * ledger's row triggers off for the insert only (a throwaway database; nothing reads these as money).
 */
async function background(db: Kysely<Database>, postings: number, until: string): Promise<void> {
  const accounts = Math.max(1, Math.round(postings / 900));
  await sql`INSERT INTO account (code, name, kind, purpose, balance_rule) SELECT 'bench/bg/' || g, 'background ' || g, 'liability', 'income', 'none' FROM generate_series(1, ${accounts}::int) g`.execute(db);
  await sql`ALTER TABLE ledger_posting DISABLE TRIGGER USER`.execute(db);
  await sql`ALTER TABLE ledger_transaction DISABLE TRIGGER USER`.execute(db);
  try {
    const chunk = 500_000;
    for (let from = 0; from < postings; from += chunk) {
      const to = Math.min(postings, from + chunk);
      await sql`
        INSERT INTO ledger_transaction (id, idempotency_key, type, outcome, booking_date, description, request, content_hash)
        SELECT nextval('ledger_transaction_id_seq'), 'bench/bg/' || g, 'transfer', 'booked', ${until}::date - (g % 730), 'background', '{}'::jsonb, repeat('0', 64)
          FROM generate_series(${from + 1}::int, ${to}::int) g`.execute(db);
      await sql`
        INSERT INTO ledger_posting (transaction_id, account_id, side, phase, amount_cents, account_seq, booking_date, debits_posted_after, credits_posted_after, debits_pending_after, credits_pending_after)
        SELECT t.id, a.id, 'C', 'posted', 100, (g / ${accounts}::int) + 1, t.booking_date, 0, 100, 0, 0
          FROM generate_series(${from + 1}::int, ${to}::int) g
          JOIN ledger_transaction t ON t.idempotency_key = 'bench/bg/' || g
          JOIN account a ON a.code = 'bench/bg/' || ((g % ${accounts}::int) + 1)`.execute(db);
      log(`  background: ${int.format(to)} postings`);
    }
  } finally {
    await sql`ALTER TABLE ledger_posting ENABLE TRIGGER USER`.execute(db);
    await sql`ALTER TABLE ledger_transaction ENABLE TRIGGER USER`.execute(db);
  }
  // Other clients' payment history, so the instruction indexes are not trivially small either.
  const clients = Math.max(1, Math.round(postings / 300));
  await sql`INSERT INTO client (gemeente_id, reference) SELECT ${GEMEENTE}, 'BG-' || g FROM generate_series(1, ${clients}::int) g`.execute(db);
  const { rows } = await sql<{ id: bigint }>`
    INSERT INTO payment_batch (gemeente_id, debtor_iban, execution_date, instant, status, payments, total_cents, approvals_needed, created_by)
    VALUES (${GEMEENTE}, ${MANAGED}, ${until}::date, false, 'released', 1, 100, 1, 'bench') RETURNING id`.execute(db);
  await sql`
    INSERT INTO payment_instruction (idempotency_key, client_id, gemeente_id, kind, period, due_date, execution_date, amount_cents, debtor_iban, creditor_name, creditor_name_latin,
                                     creditor_iban, reservation_key, status, batch_id)
    SELECT 'bg/' || c.id || '/' || m, c.id, c.gemeente_id, 'leefgeld', to_char(${until}::date - m * 7, 'YYYY-MM-DD'), ${until}::date - m * 7, ${until}::date - m * 7, 15000, ${MANAGED},
           'Background', 'Background', 'NL22SNSB0912345678', 'reserve/bg/' || c.id || '/' || m, 'settled', ${rows[0]!.id.toString()}::bigint
      FROM client c CROSS JOIN generate_series(1, 20) m WHERE c.reference LIKE 'BG-%'`.execute(db);
  // …and their obligations and periods, so those lookups are planned as on a real service (by index, not by scanning a tiny table).
  await sql`
    INSERT INTO obligation (client_id, gemeente_id, type, frequency, payee_name, payee_iban)
    SELECT c.id, c.gemeente_id, t.type, 'monthly', 'Background', 'NL69INGB0123456789'
      FROM client c CROSS JOIN (VALUES ('rent'), ('gas'), ('electricity'), ('water'), ('basic_health_insurance')) t(type) WHERE c.reference LIKE 'BG-%'`.execute(db);
  await sql`
    INSERT INTO obligation_version (obligation_id, version, effective_from, amount_cents, due_day, basis, recorded_by)
    SELECT o.id, 1, ${until}::date - 700, 10000, 1, 'voluntary', 'bench' FROM obligation o WHERE o.payee_name = 'Background'`.execute(db);
  await sql`
    INSERT INTO ontzorg_period (client_id, basis, first_day, review_date, decision_reference)
    SELECT c.id, 'voluntary', ${until}::date - 700, ${until}::date + 30, 'VOL-BG-' || c.id FROM client c WHERE c.reference LIKE 'BG-%'`.execute(db);
  await sql`VACUUM ANALYZE`.execute(db);
  // The bulk set-up leaves gigabytes of WAL to flush: write it now, so the load does not share the disk and the
  // cores with a checkpoint a running service would have spread over minutes (BENCH_SETTLE=0 leaves it).
  if (process.env.BENCH_SETTLE !== '0') await sql`CHECKPOINT`.execute(db);
}

// ---------------------------------------------------------------- checks and plans

async function reconciles(db: Kysely<Database>, clientId: bigint, from: string, to: string, today: string): Promise<string[]> {
  const s = await clientStatement(db, clientId, { from, to, asOf: today });
  const problems: string[] = [];
  if (!s) return [`client ${clientId}: no statement`];
  const account = (await availableAccounts(db, [clientId])).get(clientId)!;
  const before = await balanceOnDate(db, account, addDays(from, -1));
  const after = await balanceOnDate(db, account, to);
  const now = await getBalance(db, account);
  const sum = s.months.flatMap((m) => m.lines).reduce((total, l) => total + l.amount.cents, 0n);
  if (!s.opening.equals(before.posted)) problems.push(`client ${clientId}: opening ${s.opening} ≠ ledger ${before.posted}`);
  if (!s.closing.equals(after.posted)) problems.push(`client ${clientId}: closing ${s.closing} ≠ ledger ${after.posted}`);
  if (s.opening.cents + sum !== s.closing.cents) problems.push(`client ${clientId}: opening + lines ≠ closing`);
  if (!s.reserved.total.equals(now.debitsPending) || !s.freeNow.equals(now.available)) problems.push(`client ${clientId}: reserved/free ≠ the counters`);
  return problems;
}

interface Plan {
  readonly sql: string;
  readonly plan: string;
  readonly ms: number;
}

/**
 * The plans of the queries inside `statement_facts`, as PostgreSQL runs them: auto_explain with nested
 * statements, its LOG lines sent to this session as notices. The function runs a few times first, so
 * PL/pgSQL has settled on the plans it keeps for the connection (generic after five executions).
 */
async function nestedPlans(url: string, clientId: bigint, from: string, to: string, months: readonly string[]): Promise<Plan[] | string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const notices: string[] = [];
  client.on('notice', (notice) => notices.push(notice.message ?? ''));
  try {
    try {
      await client.query("LOAD 'auto_explain'");
    } catch (error) {
      return `auto_explain is not available (${error instanceof Error ? error.message : String(error)})`;
    }
    for (const setting of ['log_min_duration = 0', 'log_analyze = on', 'log_buffers = on', 'log_nested_statements = on', 'log_timing = on']) await client.query(`SET auto_explain.${setting}`);
    await client.query('SET client_min_messages = log');
    for (let run = 0; run < 7; run++) {
      notices.length = 0;
      await client.query('SELECT statement_facts($1::bigint, $2::date, $3::date, $4::text[])', [clientId.toString(), from, to, [...months]]);
    }
    return notices
      .map((message) => {
        const ms = Number(/duration: ([\d.]+) ms/.exec(message)?.[1] ?? Number.NaN);
        const rows = message.split('\n').slice(1);
        const first = rows.findIndex((row) => /\((?:cost|actual)[= ]/.test(row));
        const text = rows.slice(0, Math.max(0, first)).join(' ').replace(/^Query Text:/, '');
        return { sql: text.replace(/\s+/g, ' ').trim(), plan: rows.slice(Math.max(0, first)).join('\n'), ms };
      })
      .filter((p) => !/^SELECT statement_facts/.test(p.sql));
  } finally {
    await client.end();
  }
}

/** What one statement costs the database, alone: one connection, calls in a row, the backend's own CPU from /proc. */
async function databaseCost(url: string, clients: readonly bigint[], from: string, to: string, months: readonly string[]): Promise<{ wallMs: number; cpuMs: number | null }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    const ticks = (): number | null => {
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return Number(fields[11]) + Number(fields[12]);
      } catch {
        return null;
      }
    };
    const calls = 2_000;
    for (let n = 0; n < 50; n++) await client.query('SELECT statement_facts($1::bigint, $2::date, $3::date, $4::text[])', [clients[n % clients.length]!.toString(), from, to, [...months]]);
    const before = ticks();
    const t0 = performance.now();
    for (let n = 0; n < calls; n++) await client.query('SELECT statement_facts($1::bigint, $2::date, $3::date, $4::text[])', [clients[n % clients.length]!.toString(), from, to, [...months]]);
    const wallMs = (performance.now() - t0) / calls;
    const after = ticks();
    return { wallMs, cpuMs: before === null || after === null ? null : ((after - before) * 10) / calls };
  } finally {
    await client.end();
  }
}

/** BENCH_PROFILE=1: a CPU profile of the server process during the load, summarised by function (self time). */
async function startProfile(): Promise<() => Promise<string>> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples?.length ?? 1) / 1000;
    const self = new Map<string, number>();
    let total = 0;
    for (const node of profile.nodes) {
      const ms = (node.hitCount ?? 0) * interval;
      total += ms;
      const where = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/dist\//, '')}:${node.callFrame.lineNumber}`;
      self.set(where, (self.get(where) ?? 0) + ms);
    }
    return [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([where, ms]) => `    ${one.format((100 * ms) / total).padStart(5)} %  ${where}`).join('\n');
  };
}

// ---------------------------------------------------------------- the bench

export interface StatementBenchResult {
  readonly markdown: string;
  readonly ok: boolean;
}

export async function runStatementBench(): Promise<StatementBenchResult> {
  const rate = env('BENCH_RATE', 500);
  const seconds = env('BENCH_SECONDS', 20);
  const clientCount = env('BENCH_CLIENTS', 20);
  const backgroundPostings = env('BENCH_BACKGROUND', 3_000_000);
  const months = env('BENCH_MONTHS', 24);
  const today = amsterdamToday(new Date());
  const bench = await freshDatabase('postgres', { poolSize: 10 });
  const lines: string[] = [];
  let ok = true;
  try {
    const db = bench.handle.db;
    log(`statements bench: ${clientCount} clients, ${months} months of history up to ${today}, then ${int.format(backgroundPostings)} background postings`);
    const history = await twoYears(db, clientCount, months, today);
    const own = history.postings;
    await background(db, backgroundPostings, today);
    const { rows: sizes } = await sql<{ postings: bigint; transactions: bigint; mine: bigint; instructions: bigint }>`
      SELECT (SELECT count(*) FROM ledger_posting)::bigint AS postings, (SELECT count(*) FROM ledger_transaction)::bigint AS transactions,
             (SELECT count(*) FROM ledger_posting p JOIN account a ON a.id = p.account_id WHERE a.client_id = ${history.clients[0]!.id.toString()}::bigint AND a.purpose = 'client_available')::bigint AS mine,
             (SELECT count(*) FROM payment_instruction)::bigint AS instructions`.execute(db);
    const size = sizes[0]!;

    const problems: string[] = [];
    const month = monthsOf({ from: `${today.slice(0, 7)}-01`, to: today })[0]!;
    for (const client of history.clients) problems.push(...(await reconciles(db, client.id, month.from, month.to, today)), ...(await reconciles(db, client.id, addDays(today, -months * 30), today, today)));
    if (problems.length > 0) {
      ok = false;
      log(`RECONCILIATION FAILED: ${problems.slice(0, 5).join('; ')}`);
    }

    // In-process: the statement alone, one after the other.
    const direct: number[] = [];
    for (let n = 0; n < 500; n++) {
      const t = performance.now();
      await clientStatement(db, history.clients[n % history.clients.length]!.id, { ...month, asOf: today });
      direct.push(performance.now() - t);
    }
    direct.sort((a, b) => a - b);
    const sample = await clientStatement(db, history.clients[0]!.id, { ...month, asOf: today });
    const database = await databaseCost(bench.url!, history.clients.map((c) => c.id), month.from, month.to, monthsOf({ from: today, to: addDays(today, EXPECTED_DAYS_AHEAD) }).map((m) => m.month));
    const explained = await nestedPlans(bench.url!, history.clients[0]!.id, month.from, month.to, monthsOf({ from: today, to: addDays(today, EXPECTED_DAYS_AHEAD) }).map((m) => m.month));

    const secret = Buffer.alloc(32, 3);
    const settings: AuthSettings = { jwksUrl: undefined, secret, issuer: 'ontzorg', audience: 'ontzorg-api' };
    const speedBefore = describeMachineSpeed();
    const server = await startServerProcess(bench.url!, secret);
    const port = server.port;
    // The server's own CPU (its process) and PostgreSQL's backends, over one load.
    // Pages PostgreSQL had to fetch from outside its buffers during a load (the OS cache or the disk):
    // a stall of every request at once is more often that than anything in the statement.
    const blocksRead = async () =>
      Number((await sql<{ n: string }>`SELECT blks_read::text AS n FROM pg_stat_database WHERE datname = current_database()`.execute(db)).rows[0]?.n ?? 0);
    // Backends started during a load: a new one loads catalogs and plans every query of its first statement afresh.
    const sessionsOpened = async () =>
      Number((await sql<{ n: string }>`SELECT sessions::text AS n FROM pg_stat_database WHERE datname = current_database()`.execute(db)).rows[0]?.n ?? 0);
    const cpuOver = async <T>(run: () => Promise<T>) => {
      const serverTicks = () => server.pids.reduce((sum, pid) => sum + (backendTicks(pid) ?? Number.NaN), 0);
      const before = serverTicks();
      const mark = await cpuMark(databaseName(bench.url));
      const read = await blocksRead();
      const sessions = await sessionsOpened();
      const result = await run();
      const spent = await cpuSince(mark, databaseName(bench.url));
      // The statistics reach pg_stat_database when a backend goes idle; give them a moment.
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      return {
        result,
        serverMs: (serverTicks() - before) * TICK_MS,
        pgMs: spent.serverMs,
        blocksRead: (await blocksRead()) - read,
        sessions: (await sessionsOpened()) - sessions,
      };
    };
    const operator = await mintLocalToken(settings, { userId: 'bench-operator', role: 'operator', gemeenten: [GEMEENTE] });
    const scenarios = [
      { name: 'back office: GET /api/clients/{id}/statement (JSON, this month)', targets: history.clients.map((c) => ({ path: `/api/clients/${c.id}/statement`, token: operator })) },
      {
        name: 'client: GET /api/me/statement (JSON, this month, audited)',
        targets: await Promise.all(history.clients.map(async (c) => ({ path: '/api/me/statement', token: await mintLocalToken(settings, { userId: `client-${c.id}`, role: 'client', clientId: c.id }) }))),
      },
    ];
    const results: { name: string; rate: number; load: LoadResult; serverCpuMs: number; pgCpuMs: number; loadAvg: number }[] = [];
    try {
      // BENCH_ROUNDS=3: both scenarios again, on the same data, to see how far one run is from the next.
      for (const scenario of Array.from({ length: env('BENCH_ROUNDS', 1) }, () => scenarios).flat()) {
        log(`load: ${scenario.name}, warm-up 5 s, then ${seconds} s at ${rate}/s`);
        const profiling = process.env.BENCH_PROFILE === '1';
        const generator = startLoadGenerator();
        let sampler: Awaited<ReturnType<typeof startWaitSampler>> | undefined;
        const measured = await (async () => {
          try {
            await generator.run({ port, rate, seconds: 5, targets: scenario.targets });
            if (profiling) await server.ask({ kind: 'profile-start' });
            await server.ask({ kind: 'pauses-start' });
            if (process.env.BENCH_WAITS === '1') sampler = await startWaitSampler(bench.url!);
            return await cpuOver(() => generator.run({ port, rate, seconds, targets: scenario.targets }));
          } catch (error) {
            await sampler?.stop();
            throw error;
          } finally {
            generator.stop();
          }
        })();
        const { result: load, serverMs, pgMs, blocksRead: read, sessions } = measured;
        const samples = await sampler?.stop();
        log(`  PostgreSQL read ${int.format(read)} blocks from outside its shared buffers during the load; sessions opened: ${int.format(sessions)}`);
        const watched = await server.ask({ kind: 'pauses-stop' });
        if (watched.kind === 'pauses') {
          const p = watched.pauses;
          log(`  server: event-loop delay p99 ${two.format(p.loopDelayP99Ms)} ms, max ${two.format(p.loopDelayMaxMs)} ms; GC ${p.gcCount}× (${int.format(p.gcTotalMs)} ms in all, longest ${two.format(p.gcMaxMs)} ms, ${p.gcOver10Ms} over 10 ms)`);
        }
        log(`  the load generator's event loop: longest delay ${two.format(load.generatorLoopMaxMs)} ms`);
        log(`  the slowest 1 % were due in ${load.slowWindows.length} windows of 100 ms; the worst: ${load.slowWindows.slice(0, 4).map((w) => `${one.format(w.at)} s (${w.count}, up to ${int.format(w.worst)} ms)`).join(', ')}`);
        if (watched.kind === 'pauses') log(`  where the slowest 1 % spent their time: ${describePhases(load.slowest, watched.pauses.requests)}`);
        if (samples) {
          const t0 = load.startedAtEpochMs;
          log(`  backends over the whole load: ${describeWaits(samples, t0, t0 + seconds * 1000)}`);
          // A request due in the window waited for what happened from its start until the worst answer came.
          for (const w of load.slowWindows.slice(0, 4)) log(`  around ${one.format(w.at)} s: ${describeWaits(samples, t0 + w.at * 1000 - 50, t0 + w.at * 1000 + 100 + w.worst)}`);
        }
        if (profiling) {
          const reply = await server.ask({ kind: 'profile-stop' });
          if (reply.kind === 'profile') log(`  where the server's CPU went:\n${reply.summary}`);
        }
        results.push({ name: scenario.name, rate, load, serverCpuMs: serverMs, pgCpuMs: pgMs, loadAvg: os.loadavg()[0] ?? 0 });
        log(`  p50 ${two.format(load.p50)} ms, p99 ${two.format(load.p99)} ms, max ${two.format(load.max)} ms, ${int.format(load.achievedRate)}/s, errors ${load.errors}`);
      }
      // BENCH_LADDER=100,200,300: the back-office scenario at lower rates too, to show where this machine's knee is today.
      for (const step of (process.env.BENCH_LADDER ?? '').split(',').map(Number).filter((n) => Number.isFinite(n) && n > 0)) {
        const scenario = scenarios[0]!;
        log(`load: ${scenario.name} at ${step}/s for ${seconds} s`);
        const generator = startLoadGenerator();
        const { result: load, serverMs, pgMs } = await (async () => {
          try {
            await generator.run({ port, rate: step, seconds: 5, targets: scenario.targets });
            return await cpuOver(() => generator.run({ port, rate: step, seconds, targets: scenario.targets }));
          } finally {
            generator.stop();
          }
        })();
        results.push({ name: scenario.name, rate: step, load, serverCpuMs: serverMs, pgCpuMs: pgMs, loadAvg: os.loadavg()[0] ?? 0 });
        log(`  p50 ${two.format(load.p50)} ms, p99 ${two.format(load.p99)} ms, ${int.format(load.achievedRate)}/s`);
      }
    } finally {
      await server.ask({ kind: 'stop' });
    }

    const cpus = os.cpus();
    lines.push(`machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? '?'}), ${int.format(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}; ${await postgresVersion()}`);
    lines.push(speedBefore);
    lines.push(await describeYardstick());
    lines.push(`server: the HTTP app in ${SERVER_PROCESSES === 1 ? 'a process of its own' : `${SERVER_PROCESSES} processes sharing its port (node:cluster)`} with a pool of ${SERVER_POOL} each, node flags: ${SERVER_FLAGS.join(' ') || '(V8 defaults)'}`);
    lines.push(`data: ${clientCount} clients with ${months} months of history through the real flow (${two.format(history.seconds)} s to build; ${int.format(own)} postings), ` +
      `${int.format(backgroundPostings)} background postings; ledger_posting ${int.format(size.postings)} rows, ledger_transaction ${int.format(size.transactions)}, payment_instruction ${int.format(size.instructions)}; ` +
      `one client's free-money account: ${int.format(size.mine)} postings; this month's statement: ${sample!.months[0]!.lines.length} lines, ${sample!.reserved.items.length} reservations, ${sample!.nextPayments.length} next payments`);
    lines.push(`reconciliation (every client, this month and ${months} months): ${problems.length === 0 ? 'ok' : `FAILED (${problems.length})`}`);
    lines.push(`statement assembly in-process, one at a time (500 calls): p50 ${two.format(direct[249]!)} ms, p99 ${two.format(percentile(direct, 99))} ms`);
    lines.push(`statement_facts alone on one connection, 2,000 calls in a row: ${two.format(database.wallMs)} ms wall and ${database.cpuMs === null ? '?' : two.format(database.cpuMs)} ms backend CPU per call`);
    lines.push('');
    lines.push(`| scenario | rate asked | achieved | requests | p50 ms | p90 ms | p99 ms | max ms | errors | server CPU ms/req | PostgreSQL CPU ms/req | load generator CPU ms/req | load avg |`);
    lines.push(`|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|`);
    for (const r of results) {
      const per = (ms: number) => (Number.isNaN(ms) ? '?' : two.format(ms / r.load.requests));
      lines.push(`| ${r.name} | ${r.rate}/s | ${int.format(r.load.achievedRate)}/s | ${int.format(r.load.requests)} | ${two.format(r.load.p50)} | ${two.format(r.load.p90)} | **${two.format(r.load.p99)}** | ${two.format(r.load.max)} | ${r.load.errors} | ${per(r.serverCpuMs)} | ${per(r.pgCpuMs)} | ${per(r.load.cpuMs)} | ${one.format(r.loadAvg)} |`);
    }
    lines.push('');
    const cores = os.cpus().length;
    for (const r of results.filter((x) => x.rate === rate)) {
      const perRequest = (r.serverCpuMs + r.pgCpuMs) / r.load.requests;
      if (!Number.isNaN(perRequest)) lines.push(`CPU-bound capacity, ${r.name}: ${two.format(perRequest)} ms of CPU per request (server + PostgreSQL) → ${int.format((cores * 1000) / perRequest)}/s on ${cores} idle cores, ${int.format((cores * 1000) / (perRequest + r.load.cpuMs / r.load.requests))}/s with this load generator on the same cores.`);
    }
    lines.push(`target: p99 ≤ 25 ms at ${rate} requests/s.`);
    lines.push('');
    if (typeof explained === 'string') lines.push(`query plans: ${explained}`);
    const planned = typeof explained === 'string' ? [] : explained;
    const scanned = [...new Set(planned.flatMap((p) => [...p.plan.matchAll(/Seq Scan on (\w+)/g)].map((m) => m[1]!)))].sort();
    const { rows: tableRows } = await sql<{ name: string; n: string }>`SELECT relname AS name, reltuples::bigint::text AS n FROM pg_class WHERE relname = ANY(${scanned}::text[])`.execute(bench.handle.db);
    const indexes = [...new Set(planned.flatMap((p) => [...p.plan.matchAll(/(?:Index(?: Only)? Scan(?: Backward)? using|Bitmap Index Scan on) (\w+)/g)].map((m) => m[1]!)))].sort();
    if (planned.length > 0) {
      lines.push(`query plans inside statement_facts (auto_explain, nested, after the plans settled): ${planned.length} queries, ${two.format(planned.reduce((sum, p) => sum + p.ms, 0))} ms in all.`);
      lines.push(`indexes used: ${indexes.join(', ')}.`);
      lines.push(`sequential scans: ${scanned.length === 0 ? 'none' : scanned.map((t) => `${t} (${int.format(Number(tableRows.find((r) => r.name === t)?.n ?? 0))} rows)`).join(', ')}.`);
    }
    for (const p of planned) {
      lines.push('');
      lines.push(`\`${p.sql.slice(0, 160)}${p.sql.length > 160 ? ' …' : ''}\` — ${two.format(p.ms)} ms`);
      lines.push('```');
      lines.push(p.plan);
      lines.push('```');
    }
  } finally {
    await bench.dispose();
  }
  return { markdown: lines.join('\n'), ok };
}

async function main(): Promise<void> {
  if (process.argv.includes('--serve')) return SERVER_PROCESSES > 1 && cluster.isPrimary ? serveInProcesses(SERVER_PROCESSES) : serve();
  if (process.argv.includes('--load')) {
    // FIFO: each request takes the connection idle longest, so the load spreads over connections as many callers' would.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'fifo' });
    process.on('message', (message: LoadPlan | 'stop') => {
      if (message === 'stop') {
        agent.destroy();
        process.exit(0);
      }
      void generateLoad(agent, message, message.seconds).then((result) => process.send!(result));
    });
    return;
  }
  const result = await runStatementBench();
  process.stdout.write(`${result.markdown}\n`);
  if (!result.ok) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
