/**
 * The daily batch at national scale: N clients (default 100,000) with 4 obligations each (rent 720,
 * electricity 120, water 25, basic premium 159) and a bijstand of 1,334.23 on the 24th, on a throwaway
 * PostgreSQL database. Runs the batch of five consecutive business days and reports, per day, the
 * seconds, the SQL round trips (statements sent plus BEGIN/COMMIT of each transaction), what the day
 * did (reservations, instructions, batches) and CPU. Target: ≤ 30 s for any day. Never fails on timing;
 * exits 1 only when the books do not add up afterwards.
 *
 *   npm run build && node dist/bench/batch.js [clients]
 *   BENCH_DATABASE_URL=postgres://root@127.0.0.1:5432/postgres (admin connection; the default)
 *   BENCH_BATCH_CPUPROF=/tmp/day (a CPU profile of each day: /tmp/day-<date>.cpuprofile)
 *   BENCH_BATCH_HEAPPROF=/tmp/day (sampled allocations of each day: /tmp/day-<date>.heapprofile)
 *   BENCH_BATCH_VACUUM=0 (no VACUUM between days, only ANALYZE; see `settle`)
 *   BENCH_KEEP_DATABASE=1 (the database is kept afterwards, for reading query plans)
 *   BENCH_BATCH_CHUNK=2000 (clients per chunk: one transaction each)
 *   BENCH_BATCH_FROM=<database> BENCH_BATCH_START=2026-03-30 (no set-up: run the days from START on a copy of a database
 *     an earlier run kept with BENCH_KEEP_DATABASE=1 after the days before START; the same state for every run compared)
 */
import os from 'node:os';
import { sql, type Kysely, type LogEvent } from 'kysely';
import { pathToFileURL } from 'node:url';
import { runDailyBatch, type DailyBatchResult } from '../src/batch/run.js';
import { availableAccounts } from '../src/clients/accounts.js';
import { ensureGemeente } from '../src/clients/clients.js';
import { setGemeentePolicy } from '../src/clients/policy.js';
import type { Database } from '../src/db/schema.js';
import { inTransaction } from '../src/db/transaction.js';
import { registerBankAccount } from '../src/ingest/setup.js';
import { bookBatch, findAccountByCode, transferBetween, type LedgerRequest } from '../src/ledger/index.js';
import { Money } from '../src/money/money.js';
import { registerPaymentAccount } from '../src/payments/accounts.js';
import pg from 'pg';
import { backendTicks, cpuMark, cpuSince, databaseName, TICK_MS, type CpuMark } from './cpu.js';
import { ADMIN_URL, freshDatabase, postgresVersion } from './db.js';
import { describeYardstick } from './copy.js';
import { cpuProfileTo, heapProfileTo } from './profile-files.js';
import { QueryTimes } from './query-times.js';

const int = new Intl.NumberFormat('en-US');
const secs = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

const GEMEENTE = 'GM0505';
const MANAGED = 'NL91ABNA0417164300';
const BENEFITS = 'NL20INGB0001234567';
const OBLIGATIONS = [
  { type: 'rent', name: 'Woonbron', iban: 'NL69INGB0123456789', cents: 72_000n },
  { type: 'electricity', name: 'Eneco', iban: 'NL44RABO0123456789', cents: 12_000n },
  { type: 'water', name: 'Evides', iban: 'NL02ABNA0123456789', cents: 2_500n },
  { type: 'basic_health_insurance', name: 'Zilveren Kruis', iban: 'NL85BNGH0285059999', cents: 15_900n },
] as const;
const BIJSTAND_CENTS = 133_423n;
/** The days measured: bijstand usable (reserve), Thursday (leefgeld of Monday 30 March), Friday, Monday (the April costs), Tuesday. */
const ALL_DAYS = ['2026-03-25', '2026-03-26', '2026-03-27', '2026-03-30', '2026-03-31'] as const;
/** BENCH_BATCH_CHUNK: clients per chunk (default 2,000). */
const CHUNK_SIZE = Math.max(1, Number(process.env.BENCH_BATCH_CHUNK ?? '2000') || 2_000);

/** BENCH_BATCH_DAYS=3 runs the first three days only (the fourth creates 4 × N obligation payments in one batch). */
const daysAsked = Number(process.env['BENCH_BATCH_DAYS'] ?? ALL_DAYS.length);
/** BENCH_BATCH_DAYS=0: the set-up only (with BENCH_KEEP_DATABASE=1, a database for BENCH_BATCH_FROM to start on the first day). */
const LAST = Number.isInteger(daysAsked) ? Math.max(0, Math.min(ALL_DAYS.length, daysAsked)) : ALL_DAYS.length;
/** BENCH_BATCH_FROM: a kept bench database to copy instead of setting up; its run continues at BENCH_BATCH_START. */
const FROM = process.env['BENCH_BATCH_FROM'];
const FIRST = FROM === undefined ? 0 : ALL_DAYS.indexOf(process.env['BENCH_BATCH_START'] as (typeof ALL_DAYS)[number]);
if (FIRST < 0) throw new Error(`BENCH_BATCH_START must be one of ${ALL_DAYS.join(', ')} with BENCH_BATCH_FROM`);
const DAYS = LAST === 0 ? [] : ALL_DAYS.slice(FIRST, Math.max(FIRST + 1, LAST));

export interface BatchBenchDay {
  readonly day: string;
  readonly seconds: number;
  /** Of which: allocation + instructions, grouping into payment batches (payments module), the report. */
  readonly allocateSeconds: number;
  readonly groupSeconds: number;
  readonly reportSeconds: number;
  readonly roundTrips: number;
  readonly statements: number;
  readonly transactions: number;
  readonly reservations: number;
  readonly instructions: number;
  readonly batches: number;
  readonly nodeCpuMs: number;
  readonly serverCpuMs: number;
}

export interface BatchBenchResult {
  readonly clients: number;
  readonly setupSeconds: number;
  readonly days: readonly BatchBenchDay[];
  readonly ok: boolean;
  readonly problems: readonly string[];
}

/** Everything the batch reads, inserted in bulk (not timed): the clients, their records, periods, obligations, machtigingen. */
async function setUp(db: Kysely<Database>, clients: number, log: (line: string) => void): Promise<void> {
  await inTransaction(db, async (trx) => {
    await ensureGemeente(trx, { id: GEMEENTE, name: 'Dordrecht' });
    await registerBankAccount(trx, { iban: MANAGED, name: 'beheerrekening' });
    await registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst', initiatingPartyName: 'Sociale Dienst', painVersion: '09' });
    await setGemeentePolicy(trx, GEMEENTE, { debtorIban: MANAGED, bijstandPayday: '24th' }, 'bench');
  });
  const types = sql.join(OBLIGATIONS.map((o) => sql`(${o.type}, ${o.name}, ${o.iban}, ${o.cents.toString()}::bigint)`));
  const statements = [
    sql`INSERT INTO client (gemeente_id, reference, name, latin_name, own_iban, household_type, bijstand_start, inburgeringsplichtig_wi2021, fixed_term_asylum_permit, registered_at)
        SELECT ${GEMEENTE}, 'B-' || g, 'Client ' || g, 'Client ' || g, 'NL22SNSB0912345678', 'single', DATE '2026-03-01', true, true, now() FROM generate_series(1, ${clients}::int) g`,
    sql`INSERT INTO client_income (client_id, classification, monthly_cents) SELECT id, 'bijstand', ${BIJSTAND_CENTS.toString()}::bigint FROM client`,
    sql`INSERT INTO ontzorg_period (client_id, basis, first_day, last_day) SELECT id, 'art56a', DATE '2026-03-01', DATE '2026-08-31' FROM client`,
    sql`INSERT INTO obligation (client_id, gemeente_id, type, frequency, payee_name, payee_iban) SELECT c.id, c.gemeente_id, t.type, 'monthly', t.name, t.iban FROM client c CROSS JOIN (VALUES ${types}) t(type, name, iban, cents)`,
    sql`INSERT INTO obligation_version (obligation_id, version, effective_from, amount_cents, due_day, basis, recorded_by)
        SELECT o.id, 1, DATE '2026-04-01', t.cents, 1, 'art56a', 'bench' FROM obligation o JOIN (VALUES ${types}) t(type, name, iban, cents) ON t.type = o.type`,
    sql`INSERT INTO machtiging (client_id, gemeente_id, document_reference, signed_on) SELECT id, gemeente_id, 'M-' || id, DATE '2026-02-20' FROM client`,
    sql`INSERT INTO machtiging_payee (machtiging_id, payee_iban, payee_name) SELECT m.id, t.iban, t.name FROM machtiging m CROSS JOIN (VALUES ${types}) t(type, name, iban, cents)`,
    // One bank file with one statement carrying every client's bijstand, as ingestion would have stored it.
    sql`INSERT INTO bank_file (sha256, file_name, byte_size, status, received_by) VALUES (repeat('a', 64), 'bench.xml', 1, 'ingested', 'bench')`,
    sql`INSERT INTO bank_file_part (file_id, part, bytes, has_nul) SELECT id, 0, '\\x00'::bytea, true FROM bank_file`,
    sql`INSERT INTO bank_statement (file_id, statement_index, report_kind, report_key, iban, statement_id, balance_check, entries) SELECT id, 0, 'statement', 'bench', ${MANAGED}, 'S1', 'skipped', ${clients}::int FROM bank_file`,
    sql`INSERT INTO bank_entry (iban, fingerprint, signature, occurrence, generation, file_id, statement_row, entry_index, booking_date, value_date, credit_debit, amount_cents, amount_text, currency, reversal, outcome)
        SELECT ${MANAGED}, 'bench-' || c.id, 'bench', 1, 1, f.id, s.id, c.id, DATE '2026-03-24', DATE '2026-03-24', 'CRDT', ${BIJSTAND_CENTS.toString()}::bigint, '1334.23', 'EUR', false, 'booked'
          FROM client c, bank_file f, bank_statement s`,
    sql`INSERT INTO bank_entry_item (entry_id, item_index, amount_cents, credit_debit, booking_date, counterparty_iban, destination, match_rule, match_detail, client_id, gemeente_id, income_type, ledger_key)
        SELECT e.id, 0, e.amount_cents, 'CRDT', e.booking_date, ${BENEFITS}, 'client', 'known_payer', '{}'::jsonb, c.id, c.gemeente_id, 'bijstand', 'bench/bijstand/' || c.id
          FROM bank_entry e JOIN client c ON e.fingerprint = 'bench-' || c.id`,
  ];
  for (const statement of statements) await statement.execute(db);
  const ids = (await db.selectFrom('client').select('id').orderBy('id').execute()).map((r) => r.id);
  const bank = (await findAccountByCode(db, `bank/${MANAGED}`))!;
  for (let n = 0; n < ids.length; n += 5_000) {
    const part = ids.slice(n, n + 5_000);
    await inTransaction(db, async (trx) => {
      const accounts = await availableAccounts(trx, part);
      const requests: LedgerRequest[] = part.map((id) =>
        transferBetween({ idempotencyKey: `bench/bijstand/${id.toString()}`, bookingDate: '2026-03-24', description: 'bijstand', debit: bank.id, credit: accounts.get(id)!, amount: Money.fromCents(BIJSTAND_CENTS) }),
      );
      const results = await bookBatch(trx, requests);
      if (results.some((r) => r.outcome !== 'booked')) throw new Error('bench set-up: a bijstand booking failed');
    });
    if ((n / 5_000) % 5 === 4) log(`  set-up: ${int.format(n + part.length)} bijstand receipts booked`);
  }
  await settle(db);
}

/**
 * What PostgreSQL's autovacuum does in the night between two daily runs: this machine's server has it switched off
 * (its CI configuration), so without it every day would read the previous days' dead row versions and unset hint
 * bits, which a production server has long cleaned. Not timed. BENCH_BATCH_VACUUM=0 leaves it out (ANALYZE only).
 */
async function settle(db: Kysely<Database>): Promise<void> {
  await sql.raw(process.env['BENCH_BATCH_VACUUM'] === '0' ? 'ANALYZE' : 'VACUUM ANALYZE').execute(db);
}

/**
 * The CPU of backends that exit during a day (the service's pool keeps its connections, but a connection the server
 * drops is replaced, and its CPU would leave `cpuSince` with it). Sampled every
 * half second, a backend's last reading is counted when it is gone by the day's end.
 */
function exitedBackends(database: string | undefined, mark: CpuMark): { stop: () => Promise<number> } {
  if (!database) return { stop: async () => 0 };
  const last = new Map<number, number>();
  const client = new pg.Client({ connectionString: ADMIN_URL });
  const connected = client.connect();
  let running = true;
  const sample = async () => {
    await connected;
    while (running) {
      const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
      for (const { pid } of rows) {
        const ticks = backendTicks(pid);
        if (ticks !== undefined) last.set(pid, ticks);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  // A failed sample loses only what it would have added.
  const sampling = sample().catch(() => undefined);
  return {
    stop: async () => {
      running = false;
      await sampling;
      await client.end();
      let ticks = 0;
      for (const [pid, value] of last) if (backendTicks(pid) === undefined) ticks += value - (mark.server.get(pid) ?? 0);
      return ticks * TICK_MS;
    },
  };
}

async function checkBooks(db: Kysely<Database>, clients: number): Promise<string[]> {
  const problems: string[] = [];
  const { rows } = await sql<{ free: bigint; pending: bigint; posted: bigint }>`
    SELECT sum(credits_posted - debits_posted - debits_pending)::bigint AS free, sum(debits_pending)::bigint AS pending, sum(credits_posted - debits_posted)::bigint AS posted
      FROM account WHERE purpose = 'client_available'
  `.execute(db);
  const totals = rows[0]!;
  const received = BIJSTAND_CENTS * BigInt(clients);
  if (totals.posted !== received) problems.push(`client money posted ${Money.fromCents(totals.posted).toString()} ≠ received ${Money.fromCents(received).toString()}`);
  if (totals.free < 0n) problems.push('a client account is overdrawn');
  const instructed = await sql<{ cents: bigint | null }>`SELECT sum(amount_cents)::bigint AS cents FROM payment_instruction`.execute(db);
  const reservedOpen = await sql<{ cents: bigint | null }>`SELECT sum(amount_cents)::bigint AS cents FROM allocation_reservation WHERE status = 'open'`.execute(db);
  // Money is conserved: what is reserved is exactly what is in instructions plus what waits reserved for a later payment.
  const expected = (instructed.rows[0]!.cents ?? 0n) + (reservedOpen.rows[0]!.cents ?? 0n);
  if (totals.pending !== expected) problems.push(`reserved ${Money.fromCents(totals.pending).toString()} ≠ instructed + open reservations ${Money.fromCents(expected).toString()}`);
  return problems;
}

export async function runBatchBench(clients: number, log: (line: string) => void = (line) => console.log(line)): Promise<BatchBenchResult> {
  let statements = 0;
  let counting = false;
  // BENCH_QUERIES=1: per day, the kinds of statement that took the most time (they overlap with two chunks in flight).
  const timing = process.env['BENCH_QUERIES'] === '1' ? new QueryTimes() : undefined;
  const database = await freshDatabase('postgres', {
    ...(FROM === undefined ? {} : { template: FROM }),
    log: (event: LogEvent) => {
      if (!counting) return;
      statements += 1;
      timing?.log(event);
    },
  });
  const db = database.handle.db;
  try {
    log(`daily batch bench: ${int.format(clients)} clients × ${OBLIGATIONS.length} obligations on ${await postgresVersion()}, ${os.cpus().length} cores, load ${secs.format(os.loadavg()[0]!)}`);
    let started = Date.now();
    if (FROM === undefined) await setUp(db, clients, log);
    else {
      const copied = Number((await db.selectFrom('client').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      if (copied !== clients) throw new Error(`bench: ${FROM} has ${copied} clients, not ${clients}`);
      await settle(db);
    }
    const setupSeconds = (Date.now() - started) / 1000;
    log(`  set-up ${FROM === undefined ? 'done' : `copied from ${FROM}`} in ${secs.format(setupSeconds)} s (not timed)`);
    const days: BatchBenchDay[] = [];
    const dbName = databaseName(database.url);
    for (const [index, day] of DAYS.entries()) {
      if (index > 0) await settle(db);
      const mark = await cpuMark(dbName);
      const exited = exitedBackends(dbName, mark);
      statements = 0;
      timing?.clear();
      if (timing) timing.on = true;
      counting = true;
      started = Date.now();
      let chunks = 0;
      // BENCH_BATCH_CPUPROF=<prefix>: a CPU profile of each day, written to <prefix>-<day>.cpuprofile.
      const profile = await cpuProfileTo(process.env['BENCH_BATCH_CPUPROF'] && `${process.env['BENCH_BATCH_CPUPROF']}-${day}.cpuprofile`);
      // BENCH_BATCH_HEAPPROF=<prefix>: where each day allocates (sampled), written to <prefix>-<day>.heapprofile.
      const heap = await heapProfileTo(process.env['BENCH_BATCH_HEAPPROF'] && `${process.env['BENCH_BATCH_HEAPPROF']}-${day}.heapprofile`);
      const result: DailyBatchResult = await runDailyBatch(db, { gemeenteId: GEMEENTE, runDate: day, startedBy: 'bench', chunkSize: CHUNK_SIZE, onChunk: () => void (chunks += 1) });
      const seconds = (Date.now() - started) / 1000;
      await heap?.stop();
      await profile?.stop();
      counting = false;
      const live = await cpuSince(mark, dbName);
      const cpu = { nodeMs: live.nodeMs, serverMs: live.serverMs + (await exited.stop()) };
      // Each chunk is one transaction, grouping one more, the run-row updates outside: BEGIN and COMMIT are round trips too.
      const transactions = chunks + 1;
      const report = result.report;
      const instructions = report.payments.obligation.count + report.payments.leefgeld.count + report.payments.pass_on.count + report.payments.closing.count;
      days.push({
        day,
        seconds,
        allocateSeconds: result.timings.allocateMs / 1000,
        groupSeconds: result.timings.groupMs / 1000,
        reportSeconds: result.timings.reportMs / 1000,
        roundTrips: statements + 2 * transactions,
        statements,
        transactions,
        reservations: report.reservationsBooked,
        instructions,
        batches: result.batchesCreated,
        nodeCpuMs: cpu.nodeMs,
        serverCpuMs: cpu.serverMs,
      });
      log(
        `  ${day}: ${secs.format(seconds)} s (allocate + instruct ${secs.format(result.timings.allocateMs / 1000)}, group ${secs.format(result.timings.groupMs / 1000)}, report ${secs.format(result.timings.reportMs / 1000)}), ${int.format(statements + 2 * transactions)} round trips (${int.format(statements)} statements, ${transactions} transactions); ` +
          `${int.format(report.reservationsBooked)} reservations, ${int.format(instructions)} instructions, ${result.batchesCreated} batches; CPU node ${secs.format(cpu.nodeMs / 1000)} s + server ${secs.format(cpu.serverMs / 1000)} s`,
      );
      if (timing) {
        timing.on = false;
        for (const q of timing.top(12)) log(`    ${secs.format(q.ms / 1000)} s in ${int.format(q.count)}× ${q.kind}`);
      }
    }
    if (DAYS.length === 0) return { clients, setupSeconds, days, ok: true, problems: [] };
    started = Date.now();
    const rerun = await runDailyBatch(db, { gemeenteId: GEMEENTE, runDate: DAYS[DAYS.length - 1]!, startedBy: 'bench-rerun', chunkSize: CHUNK_SIZE });
    log(`  rerun of ${DAYS[DAYS.length - 1]}: ${secs.format((Date.now() - started) / 1000)} s, ${rerun.created} instructions created (0 expected)`);
    const problems = await checkBooks(db, clients);
    if (rerun.created !== 0) problems.push(`a rerun created ${rerun.created} instructions`);
    log(problems.length === 0 ? '  books add up: money received = free + reserved; reserved = instructed + open reservations' : `  PROBLEMS:\n    ${problems.join('\n    ')}`);
    return { clients, setupSeconds, days, ok: problems.length === 0, problems };
  } finally {
    await database.dispose();
  }
}

export function batchBenchTable(result: BatchBenchResult): string {
  const head = '| day | s | allocate + instruct s | group s | report s | round trips | statements | transactions | reservations | instructions | batches | CPU s node+pg |\n|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const rows = result.days.map(
    (d) => `| ${d.day} | ${secs.format(d.seconds)} | ${secs.format(d.allocateSeconds)} | ${secs.format(d.groupSeconds)} | ${secs.format(d.reportSeconds)} | ${int.format(d.roundTrips)} | ${int.format(d.statements)} | ${d.transactions} | ${int.format(d.reservations)} | ${int.format(d.instructions)} | ${d.batches} | ${secs.format(d.nodeCpuMs / 1000)}+${secs.format(d.serverCpuMs / 1000)} |`,
  );
  return [head, ...rows].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const clients = Number(process.argv[2] ?? '100000');
  const main = async (): Promise<void> => {
    const result = await runBatchBench(Number.isInteger(clients) && clients > 0 ? clients : 100_000);
    // Not in runBatchBench: the test that runs it at 30 clients has no use for a million-row COPY.
    if (result.days.length > 0) console.log(`  ${await describeYardstick()}`);
    console.log(`\n${batchBenchTable(result)}`);
    process.exitCode = result.ok ? 0 : 1;
  };
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
