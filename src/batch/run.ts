import { sql, type Kysely } from 'kysely';
import { allocateChunk, clientIdsPage, InTransitLockNeeded } from '../allocation/run.js';
import { allocationSummary } from '../allocation/summary.js';
import { getGemeentePolicy, type GemeentePolicy } from '../clients/policy.js';
import { connectionLimit } from '../db/connect.js';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { listSuspense } from '../ingest/suspense.js';
import { Money } from '../money/money.js';
import { openAssembly } from '../payments/assembly.js';
import { groupIntoBatches, type PaymentBatch } from '../payments/batches.js';
import { addBusinessDays, amsterdamToday, businessDayOnOrAfter, checkRentAgainstPayday, isIsoDate, nextBusinessDay, yearMonthOf, type IsoDate } from '../schedule/index.js';
import { BatchError } from './errors.js';
import { moveOverduePayments, reviewHolds } from './holds.js';
import { instructPayments } from './instructions.js';
import { batchLines, ReportCollector, type BatchReport } from './report.js';

export interface DailyBatchOptions {
  readonly gemeenteId: string;
  readonly runDate: IsoDate;
  /** Who runs it (`job:<id>`, `cli:<user>`, `inline`): kept on the run and on the payment batches. */
  readonly startedBy: string;
  /** Clients per database transaction (default 1,000). */
  readonly chunkSize?: number;
  /** The moment the payment batches are prepared at (their files' creation time); default now. */
  readonly now?: Date;
  /** Told after each chunk (progress for the CLI and the bench). */
  readonly onChunk?: (done: number) => void;
}

export interface DailyBatchResult {
  readonly report: BatchReport;
  /** Instructions this run created (0 on a rerun). */
  readonly created: number;
  readonly batchesCreated: number;
  /** Wall-clock milliseconds per step: allocation and instructions (all chunks), grouping into batches, the report. */
  readonly timings: { readonly allocateMs: number; readonly groupMs: number; readonly reportMs: number };
}

/**
 * Per database object, what this process's runs hold of its pool: connections pinned (one per run, for its lock, also
 * while waiting for it) and chunk transactions on pooled connections. A chunk takes a pooled connection only when one
 * is left over after these, so runs waiting for each other's lock can never take the last one a run needs.
 */
const poolUse = new WeakMap<Kysely<Database>, { pinned: number; chunks: number }>();

/** Serialises runs of one gemeente's batch, across processes: the second waits for the first, then finds nothing left to do. */
const BATCH_LOCK = 7270512;

/**
 * The daily batch for run date D and one gemeente:
 * 1. allocate what arrived and reserve what falls due (rules 5, 6, 8), per chunk of clients in one
 *    database transaction each;
 * 2. in the same transaction, create the payment instructions whose execution date falls between D
 *    and the look-ahead (obligations from their reservation, held when no machtiging covers the
 *    payee (rule 4); leefgeld; pass-ons; closing payments (rule 12)), each once by its key;
 * 3. judge rule 4 again for the payments not yet in a batch (a hold lifted or made since), then group the
 *    ready instructions into payment batches awaiting approval;
 * 4. store and answer the report.
 * Runs of the same gemeente are serialised by an advisory lock held on one connection; every step is
 * idempotent, so a rerun, a crash half-way or two workers at once end in one result.
 */
export async function runDailyBatch(db: Kysely<Database>, options: DailyBatchOptions): Promise<DailyBatchResult> {
  if (!isIsoDate(options.runDate ?? '')) throw new BatchError('invalid_run_date', `run date "${String(options.runDate)}" is not a day written as YYYY-MM-DD`);
  const use = poolUse.get(db) ?? { pinned: 0, chunks: 0 };
  poolUse.set(db, use);
  return db.connection().execute(async (conn) => {
    use.pinned += 1;
    await sql`SELECT pg_advisory_lock(${BATCH_LOCK}, hashtext(${options.gemeenteId}))`.execute(conn).catch((error: unknown) => {
      use.pinned -= 1;
      throw error;
    });
    try {
      return await runLocked(db, conn, options);
    } catch (error) {
      await conn
        .updateTable('batch_run')
        .set({ status: 'failed', error: error instanceof Error ? error.message.slice(0, 2_000) : String(error), finished_at: new Date() })
        .where('gemeente_id', '=', options.gemeenteId)
        .where('run_date', '=', options.runDate)
        .execute()
        .catch(() => undefined);
      throw error;
    } finally {
      use.pinned -= 1;
      await sql`SELECT pg_advisory_unlock(${BATCH_LOCK}, hashtext(${options.gemeenteId}))`.execute(conn);
    }
  });
}

async function runLocked(db: Kysely<Database>, conn: Kysely<Database>, options: DailyBatchOptions): Promise<DailyBatchResult> {
  const { gemeenteId, runDate } = options;
  const policy = await getGemeentePolicy(conn, gemeenteId);
  const account = await conn.selectFrom('payment_account').select(['in_transit_account_id']).where('iban', '=', policy.debtorIban).executeTakeFirstOrThrow();
  const previous = await conn.selectFrom('batch_run').select(['report']).where('gemeente_id', '=', gemeenteId).where('run_date', '=', runDate).executeTakeFirst();
  await conn
    .insertInto('batch_run')
    .values({ gemeente_id: gemeenteId, run_date: runDate, status: 'running', started_by: options.startedBy, report: null })
    .onConflict((oc) => oc.columns(['gemeente_id', 'run_date']).doUpdateSet((eb) => ({ status: 'running', runs: eb('batch_run.runs', '+', 1), started_at: new Date(), started_by: options.startedBy, error: null, finished_at: null })))
    .execute();

  const window = { from: runDate, to: addBusinessDays(runDate, policy.lookAheadBusinessDays) };
  // The window of the latest run before this date that completed (its report is stored): leefgeld dates executed
  // after it and passed by now were seen by no run (an outage), and are paid late now. Null on a first run.
  const last = await conn
    .selectFrom('batch_run')
    .select(sql<IsoDate | null>`report -> 'window' ->> 'to'`.as('window_to'))
    .where('gemeente_id', '=', gemeenteId)
    .where('run_date', '<', runDate)
    .where('report', 'is not', null)
    .orderBy('run_date', 'desc')
    .limit(1)
    .executeTakeFirst();
  // The batches this run's payments go straight into, one per execution date it can give them (today or the next
  // business day, up to the window's end); what a crashed run left assembling goes back to waiting for grouping.
  const executionDates: IsoDate[] = [];
  for (let date = businessDayOnOrAfter(runDate); date <= window.to; date = nextBusinessDay(date)) executionDates.push(date);
  const assembly = await inTransaction(conn, (trx) => openAssembly(trx, { gemeenteId, debtorIban: policy.debtorIban, executionDates, createdBy: `batch:${runDate}` }));
  const ctx = { asOf: runDate, windowEnd: window.to, policy, inTransitAccountId: account.in_transit_account_id, withPayments: true, lastWindowEnd: last?.window_to ?? null };
  const collector = new ReportCollector();
  const chunkSize = options.chunkSize ?? 1_000;
  let created = 0;
  const started = Date.now();
  // Step 1 and 2 per chunk, in one transaction each, two chunks in flight: one reads and decides while the other
  // books and commits, so node and the server work at the same time. They are disjoint sets of clients and meet only
  // on the in-transit account, which a chunk locks (in the ledger's sorted order) only while booking against it.
  // A chunk runs on a pooled connection when one is to be had without waiting on this process's other runs (each
  // keeps a connection pinned for its lock, and one waiting for another's lock would never give it back), else on
  // this run's own connection. PGlite has one connection: there every chunk runs on it, one after the other.
  const use = poolUse.get(db)!;
  let pinnedBusy = false;
  const poolFree = () => connectionLimit(db) - use.pinned - use.chunks >= 1;
  const runChunk = async (page: readonly bigint[]) => {
    const onPool = poolFree();
    if (onPool) use.chunks += 1;
    else pinnedBusy = true;
    const attempt = (inTransit: 'always' | 'when_booked') =>
      inTransaction(onPool ? db : conn, async (trx) => {
        const chunk = await allocateChunk(trx, ctx, page, { inTransit });
        const instructed = await instructPayments(trx, runDate, assembly, chunk.plans.flatMap((plan) => plan.payments), chunk.accounts);
        return { chunk, instructed };
      });
    try {
      return await attempt('when_booked');
    } catch (error) {
      // Rare: a client's account moved between the reads and the locks, and the chunk decided again needs in transit.
      if (error instanceof InTransitLockNeeded) return await attempt('always');
      throw error;
    } finally {
      if (onPool) use.chunks -= 1;
      else pinnedBusy = false;
    }
  };
  type Outcome = Awaited<ReturnType<typeof runChunk>>;
  // Settled at once, so a chunk failing while an earlier one is awaited is not an unhandled rejection.
  const pending: Promise<{ ok: true; outcome: Outcome } | { ok: false; error: unknown }>[] = [];
  // In page order, whatever order the chunks finish in: the report is the same as one chunk at a time.
  const collect = async (): Promise<void> => {
    const settled = await pending.shift()!;
    if (!settled.ok) {
      // The run fails as it would one chunk at a time, but only once the chunk still in flight has committed or
      // rolled back: nothing of this run is then still writing, and a rerun does the rest (every chunk is idempotent).
      await Promise.all(pending.splice(0));
      throw settled.error;
    }
    collector.add(settled.outcome.chunk.plans, settled.outcome.chunk.periodSignals, settled.outcome.chunk.failures);
    created += settled.outcome.instructed.created;
    options.onChunk?.(collector.clients);
  };
  let afterId = 0n;
  // Once a chunk has failed no other starts: the run stops as soon as it would one chunk at a time.
  let failed = false;
  try {
    while (!failed) {
      const page = await clientIdsPage(conn, gemeenteId, runDate, afterId, chunkSize);
      if (page.length === 0) break;
      afterId = page[page.length - 1]!;
      while (pending.length >= 2 || (pinnedBusy && !poolFree())) await collect();
      pending.push(
        runChunk(page).then(
          (outcome) => ({ ok: true as const, outcome }),
          (error: unknown) => {
            failed = true;
            return { ok: false as const, error };
          },
        ),
      );
    }
    while (pending.length > 0) await collect();
  } catch (error) {
    // The next page could not be read: the chunks in flight still end before the run reports failure.
    await Promise.all(pending.splice(0));
    throw error;
  }

  const allocated = Date.now();
  const batches = await inTransaction(conn, async (trx) => {
    await moveOverduePayments(trx, gemeenteId, runDate);
    // Rule 4 again for what is not batched yet: a machtiging recorded or revoked since the payment was made.
    await reviewHolds(trx, gemeenteId, runDate, new Date(started));
    return groupIntoBatches(trx, { gemeenteId, createdBy: `batch:${runDate}`, executionUntil: window.to, now: options.now ?? momentOf(runDate), assembled: [...assembly.batchByDate.values()] });
  });
  const grouped = Date.now();
  const report = await buildReport(conn, policy, runDate, window, collector, batches, previous?.report as BatchReport | null | undefined);
  await conn
    .updateTable('batch_run')
    .set({ status: 'completed', finished_at: new Date(), report: JSON.stringify(report) })
    .where('gemeente_id', '=', gemeenteId)
    .where('run_date', '=', runDate)
    .execute();
  return { report, created, batchesCreated: batches.length, timings: { allocateMs: allocated - started, groupMs: grouped - allocated, reportMs: Date.now() - grouped } };
}

async function buildReport(
  conn: Kysely<Database>,
  policy: GemeentePolicy,
  runDate: IsoDate,
  window: BatchReport['window'],
  collector: ReportCollector,
  batches: readonly PaymentBatch[],
  previous: BatchReport | null | undefined,
): Promise<BatchReport> {
  const summary = await allocationSummary(conn, policy.gemeenteId, runDate);
  const suspense = await listSuspense(conn, { olderThanDays: policy.suspenseAgeDays, asOf: runDate, limit: 1_000 });
  const payday = checkRentAgainstPayday(policy.bijstandPayday, yearMonthOf(runDate), {
    months: 2,
    adjust: policy.paydayAdjust,
    bookingDelayBusinessDays: policy.bookingDelayBusinessDays,
    leadBusinessDays: policy.leadBusinessDays,
  });
  // The batches of this date: those made by earlier runs of it (kept in their report) and by this one.
  const lines = [...(previous?.batches ?? []), ...batchLines(batches)].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  return {
    gemeenteId: policy.gemeenteId,
    runDate,
    window,
    clients: collector.clients,
    receipts: summary.receipts,
    reservationsBooked: summary.reservationsBooked,
    payments: summary.payments,
    latePayments: summary.latePayments,
    batches: lines,
    shortfalls: collector.shortfalls,
    shortfallCount: collector.shortfallCount,
    arrearsCount: collector.arrearsCount,
    held: summary.held,
    awaitingRetry: summary.awaitingRetry,
    leefgeldBelowFloor: collector.leefgeldBelowFloor,
    periods: collector.periods,
    ended: collector.ended,
    suspense: {
      olderThanDays: policy.suspenseAgeDays,
      count: suspense.length,
      total: Money.sum(suspense.map((s) => Money.parse(s.amount))).toString(),
      items: suspense.map((s) => ({ itemId: s.itemId, bookingDate: s.bookingDate, amount: s.amount, ageDays: s.ageDays, reason: s.reason })),
    },
    payday: { feasible: payday.feasible, message: payday.message },
    signals: Object.fromEntries(Object.entries(collector.signals).sort(([a], [b]) => (a < b ? -1 : 1))),
    failures: collector.failures,
  };
}

/** Now, when the run date is today in Amsterdam; else midday of the run date (a catch-up or a test run). */
function momentOf(runDate: IsoDate): Date {
  const now = new Date();
  return amsterdamToday(now) === runDate ? now : new Date(`${runDate}T11:00:00Z`);
}

/** The stored report of a gemeente's batch for a date, or null when it has not run. */
export async function batchReport(db: Kysely<Database>, gemeenteId: string, runDate: IsoDate): Promise<BatchReport | null> {
  const row = await db.selectFrom('batch_run').select(['report']).where('gemeente_id', '=', gemeenteId).where('run_date', '=', runDate).executeTakeFirst();
  return (row?.report as BatchReport | null | undefined) ?? null;
}
