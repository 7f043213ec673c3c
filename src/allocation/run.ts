import { sql, type Kysely } from 'kysely';
import { availableAccounts, availableAccountStates, type AvailableAccountState } from '../clients/accounts.js';
import { floorDecisionsOf } from '../clients/floor-decisions.js';
import { machtigingenOf } from '../clients/machtigingen.js';
import { obligationsOf } from '../clients/obligations.js';
import { periodsOf, periodsUntil } from '../clients/ontzorg-periods.js';
import { periodsNeedingDecision, type PeriodSignal } from '../clients/periods.js';
import { CLIENT_RECORD_COLUMNS, rowToClientRecord, type ExpectedIncome } from '../clients/registry.js';
import { numberArray, textArray, type ArrayParameter } from '../db/array-parameters.js';
import { insertColumns } from '../db/bulk-insert.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { bookBatch } from '../ledger/index.js';
import { decisionsOf } from '../maatwerk/read.js';
import { Money } from '../money/money.js';
import { handOverAdvances, openAdvancesOf, recordRepayments } from '../noodvoorziening/repayments.js';
import { addDays, addMonths, firstDayOf, yearMonthOf, type IsoDate } from '../schedule/index.js';
import { handBackSignalKey, planClient, type ClientPlan, type ClientState, type OpenReservation, type OwedPassOn, type PlannedPayment, type RunContext, type UnallocatedReceipt } from './plan.js';
import { AllocationFailed } from './errors.js';
import type { IncomeClass } from './types.js';

/**
 * Allocation against the database, a chunk of clients at a time, in the caller's transaction:
 * lock the clients' available accounts (one sorted lock, with the payments-in-transit account),
 * read what allocation needs in bulk (a query per kind of fact, whatever the chunk size), decide
 * per client in memory (`planClient`), book every reservation of the chunk in one ledger batch and
 * record what was allocated. Idempotent and convergent: a second run reads the first one's outcome
 * and books nothing.
 */

export interface ChunkAllocation {
  readonly plans: readonly ClientPlan[];
  readonly periodSignals: readonly PeriodSignal[];
  readonly bookings: number;
  /** Clients whose data could not be allocated (a broken record): skipped this run, signalled, the others go on. */
  readonly failures: readonly { clientId: bigint; message: string }[];
  /** Each client's available-money account (client id → account id), for instructing the chunk's payments without reading them again. */
  readonly accounts: ReadonlyMap<bigint, bigint>;
}

/** JSON as the one parameter of a bulk insert: the statement stays the same size whatever the chunk. Amounts go in as cents. */
function json(rows: readonly Record<string, unknown>[]): string {
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
}


export interface ChunkOptions {
  /**
   * When the payments-in-transit account is locked with the clients' accounts. `always` (the default): whatever the
   * chunk books. `when_booked`: only when the chunk books there (a reservation, a release, any ledger booking of its
   * plans, or a payment that reserves itself when the caller instructs it in this transaction); a chunk booking
   * nothing there (a quiet day, a day paying from reservations) then does not queue behind another chunk holding it.
   * Should the decision made before locking change under the lock and need it after all, `InTransitLockNeeded` is
   * thrown (nothing is kept: the caller's transaction rolls back) and the chunk must be run again with `always`.
   */
  readonly inTransit?: 'always' | 'when_booked';
}

/** A chunk run with `inTransit: 'when_booked'` found, under its locks, that it books against the in-transit account. */
export class InTransitLockNeeded extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InTransitLockNeeded';
  }
}

export async function allocateChunk(trx: Trx, ctx: RunContext, clientIds: readonly bigint[], options: ChunkOptions = {}): Promise<ChunkAllocation> {
  if (clientIds.length === 0) return { plans: [], periodSignals: [], bookings: 0, failures: [], accounts: new Map() };
  // Read and decide first, without locks, then lock and check that no client's account moved in between: every
  // booking for a client (a receipt, a reservation, a release, an advance) adds a posting to its available account,
  // so an unchanged last posting means the reads still stand. The locks are then held only while booking and
  // writing, and another chunk of the run can read and decide meanwhile. When something moved (ingestion booked a
  // receipt in between), the chunk is read and decided again under the locks, as before.
  const accounts = await availableAccounts(trx, clientIds);
  const seen = await availableAccountStates(trx, accounts, { lock: false });
  let decided = await decideChunk(trx, ctx, clientIds, seen);
  const withInTransit = options.inTransit !== 'when_booked' || touchesInTransit(decided.plans);
  // One sorted FOR UPDATE with the in-transit account: the ledger's order, so no deadlock with a booking.
  const locked = await availableAccountStates(trx, accounts, { lock: true, alsoLock: withInTransit ? [ctx.inTransitAccountId] : [] });
  if (!sameStates(seen, locked)) {
    decided = await decideChunk(trx, ctx, clientIds, locked);
    if (!withInTransit && touchesInTransit(decided.plans)) {
      throw new InTransitLockNeeded(`allocation for ${ctx.policy.gemeenteId} on ${ctx.asOf}: a client's account changed while the chunk was read, and it now books against the in-transit account`);
    }
  }
  const { states, plans, failures, periodSignals } = decided;

  const requests = plans.flatMap((plan) => plan.bookings);
  const results = await bookBatch(trx, requests);
  const failed = results.find((result) => result.outcome !== 'booked');
  if (failed) {
    // Never commit a refusal: it would be remembered under the reservation's key and block it for good.
    const why = failed.outcome === 'refused' ? failed.message : failed.outcome === 'rejected' ? failed.error.message : '';
    throw new AllocationFailed(`allocation for ${ctx.policy.gemeenteId} on ${ctx.asOf}: ${failed.idempotencyKey} was not booked (${why}); nothing of this chunk was kept`);
  }
  await recordAllocation(trx, ctx, plans);
  // Rules 11 and 12: which advances this chunk's instalments and settlements repaid, and which were handed over.
  await recordRepayments(trx, plans.flatMap((plan) => plan.repayments));
  const endedOn = new Map(states.map((s) => [s.record.id, s.record.ontzorgenEndedOn]));
  for (const plan of plans) if (plan.handOverGrants.length > 0) await handOverAdvances(trx, plan.handOverGrants, endedOn.get(plan.clientId) ?? ctx.asOf);
  if (failures.length > 0) {
    const signals = failures.map((f) => ({
      signal_key: `allocation_error/${f.clientId.toString()}/${ctx.asOf}`,
      gemeente_id: ctx.policy.gemeenteId,
      client_id: f.clientId,
      kind: 'allocation_error',
      message: `the client could not be allocated on ${ctx.asOf}: ${f.message.slice(0, 500)}`,
      details: {},
      first_seen_on: ctx.asOf,
    }));
    await sql`
      INSERT INTO back_office_signal (signal_key, gemeente_id, client_id, kind, message, details, first_seen_on)
      SELECT signal_key, gemeente_id, client_id, kind, message, details, first_seen_on
        FROM json_populate_recordset(NULL::back_office_signal, ${json(signals)}::json)
      ON CONFLICT (signal_key) DO NOTHING
    `.execute(trx);
  }
  return { plans, periodSignals, bookings: requests.length, failures, accounts };
}

async function decideChunk(trx: Trx, ctx: RunContext, clientIds: readonly bigint[], available: ReadonlyMap<bigint, AvailableAccountState>) {
  const states = await loadStates(trx, ctx, clientIds, available);
  const plans: ClientPlan[] = [];
  const failures: { clientId: bigint; message: string }[] = [];
  for (const state of states) {
    try {
      plans.push(planClient(state, ctx));
    } catch (error) {
      // One client's impossible data (a rule refusing what is recorded) must not stop every other client's payments.
      failures.push({ clientId: state.record.id, message: error instanceof Error ? error.message : String(error) });
    }
  }
  const periodSignals = periodsNeedingDecision(
    states.map((s) => ({ clientId: s.record.id.toString(), periods: s.periods, ontzorgenEndedOn: s.record.ontzorgenEndedOn })),
    ctx.asOf,
    30,
  );
  return { states, plans, failures, periodSignals };
}

/** Whether booking these plans, or instructing their payments, touches the payments-in-transit account. */
function touchesInTransit(plans: readonly ClientPlan[]): boolean {
  // Any ledger booking counts (most are reservations into in transit); a payment without a reservation of its own reserves itself there.
  return plans.some((plan) => plan.bookings.length > 0 || plan.payments.some((payment) => !payment.reservationKey));
}

function sameStates(a: ReadonlyMap<bigint, AvailableAccountState>, b: ReadonlyMap<bigint, AvailableAccountState>): boolean {
  if (a.size !== b.size) return false;
  for (const [clientId, x] of a) {
    const y = b.get(clientId);
    if (!y || y.accountId !== x.accountId || y.freeCents !== x.freeCents || y.lastSeq !== x.lastSeq) return false;
  }
  return true;
}

async function loadStates(trx: Trx, ctx: RunContext, clientIds: readonly bigint[], locked: ReadonlyMap<bigint, { accountId: bigint; freeCents: bigint }>): Promise<ClientState[]> {
  const list = numberArray(clientIds);
  const reservations = await trx
    .selectFrom('allocation_reservation')
    .select(['ledger_key', 'client_id', 'obligation_id', 'period_key', 'seq', 'amount_cents', 'due_date'])
    .where('client_id', '=', sql<bigint>`ANY(${list}::bigint[])`)
    .where('status', '=', 'open')
    .execute();
  // An old open reservation (arrears) pulls the plan's `from` back before month − 3: what was scheduled or
  // reserved for its period must be read too, or the period looks unpaid (and its seq unused).
  const since = reservations.reduce<IsoDate>((min, r) => (r.due_date < min ? r.due_date : min), firstDayOf(addMonths(yearMonthOf(ctx.asOf), -3)));
  const [clients, incomes, periods, obligations, machtigingen, floors, receipts, seqs, scheduled, owed, maatwerk, advances] = [
    // The record's columns only: not the encrypted BSN (the batch never needs it) nor the row's timestamps.
    await trx.selectFrom('client').select(CLIENT_RECORD_COLUMNS).where('id', '=', sql<bigint>`ANY(${list}::bigint[])`).orderBy('id').execute(),
    await trx.selectFrom('client_income').selectAll().where('client_id', '=', sql<bigint>`ANY(${list}::bigint[])`).execute(),
    await periodsOf(trx, clientIds),
    await obligationsOf(trx, clientIds),
    await machtigingenOf(trx, clientIds),
    await floorDecisionsOf(trx, clientIds),
    await unallocatedReceipts(trx, list),
    // Every seq used per period in scope (the period key is the due month), voided and scheduled included.
    await trx
      .selectFrom('allocation_reservation')
      .select((eb) => ['client_id', 'obligation_id', 'period_key', eb.fn.max('seq').as('last_seq')])
      .where('client_id', '=', sql<bigint>`ANY(${list}::bigint[])`)
      .where('period_key', '>=', yearMonthOf(since))
      .groupBy(['client_id', 'obligation_id', 'period_key'])
      .execute(),
    // The key only of pass-ons and closing payments, the ones the plan looks up by key: weekly leefgeld and monthly
    // obligations are most of these rows, and are known by their period.
    await trx
      .selectFrom('scheduled_payment')
      .select(['client_id', 'kind', 'obligation_id', 'period_key', 'pay_date', 'amount_cents'])
      .select(sql<string | null>`CASE WHEN kind IN ('pass_on', 'closing') THEN idempotency_key END`.as('idempotency_key'))
      .where('client_id', '=', sql<bigint>`ANY(${list}::bigint[])`)
      .where('pay_date', '>=', since)
      .execute(),
    await sql<{ receipt_key: string; client_id: bigint; classification: IncomeClass; amount_cents: bigint; pass_on_key: string }>`
      SELECT r.receipt_key, r.client_id, r.classification, r.amount_cents, r.pass_on_key
        FROM allocation_receipt r
       WHERE r.client_id = ANY(${list}::bigint[]) AND r.outcome = 'passed_on'
         AND NOT EXISTS (SELECT 1 FROM scheduled_payment s WHERE s.idempotency_key = r.pass_on_key)
    `.execute(trx),
    await decisionsOf(trx, clientIds),
    await openAdvancesOf(trx, clientIds),
  ];
  const handedBack = await handedBackPeriods(trx, clients, obligations, since, ctx.asOf);
  const group = <T extends { client_id: bigint }>(rows: readonly T[]) => {
    const map = new Map<bigint, T[]>();
    for (const row of rows) {
      const list = map.get(row.client_id);
      if (list) list.push(row);
      else map.set(row.client_id, [row]);
    }
    return map;
  };
  const incomesBy = group(incomes);
  const receiptsBy = group(receipts);
  const reservationsBy = group(reservations);
  const seqsBy = group(seqs);
  const scheduledBy = group(scheduled);
  const owedBy = group(owed.rows);
  const states: ClientState[] = [];
  for (const row of clients) {
    const account = locked.get(row.id);
    if (!row.registered_at || !account) continue;
    const record = rowToClientRecord(row);
    const mine = scheduledBy.get(row.id) ?? [];
    states.push({
      record,
      accountId: account.accountId,
      free: Money.fromCents(account.freeCents),
      incomes: (incomesBy.get(row.id) ?? []).map((i): ExpectedIncome => ({ classification: i.classification, monthly: Money.fromCents(i.monthly_cents) })),
      periods: periodsUntil(periods.get(row.id) ?? [], record.ontzorgenEndedOn),
      obligations: obligations.get(row.id) ?? [],
      machtigingen: machtigingen.get(row.id) ?? [],
      floorDecisions: floors.get(row.id) ?? [],
      receipts: (receiptsBy.get(row.id) ?? []).map((r): UnallocatedReceipt => ({ key: r.key, classification: r.classification, amount: Money.fromCents(r.amount_cents) })),
      reservations: (reservationsBy.get(row.id) ?? []).map(
        (r): OpenReservation => ({ key: r.ledger_key, obligationId: r.obligation_id.toString(), periodKey: r.period_key, seq: r.seq, amount: Money.fromCents(r.amount_cents), dueDate: r.due_date }),
      ),
      lastSeqs: new Map((seqsBy.get(row.id) ?? []).map((r) => [`${r.obligation_id.toString()}|${r.period_key}`, Number(r.last_seq)])),
      scheduledObligations: new Set(mine.filter((s) => s.kind === 'obligation').map((s) => `${s.obligation_id!.toString()}|${s.period_key}`)),
      scheduledAmounts: paidPerPeriod(mine),
      scheduledLeefgeld: new Set(mine.filter((s) => s.kind === 'leefgeld').map((s) => s.pay_date)),
      scheduledKeys: new Set(mine.flatMap((s) => (s.idempotency_key === null ? [] : [s.idempotency_key]))),
      owedPassOns: (owedBy.get(row.id) ?? []).map((o): OwedPassOn => ({ receiptKey: o.receipt_key, passOnKey: o.pass_on_key, classification: o.classification, amount: Money.fromCents(o.amount_cents) })),
      maatwerk: maatwerk.get(row.id) ?? [],
      advances: advances.get(row.id) ?? null,
      handedBack: handedBack.get(row.id) ?? new Set(),
    });
  }
  return states;
}

/**
 * Rule 12: the obligation periods handed back to clients whose ontzorgen ended before the run date, because the money
 * could not cover them. The `arrears_handed_back` signal is the record of that decision; it is read by its key (one
 * per obligation and month from `since` to the end), only for the chunk's ended clients: one query, on the unique index.
 */
async function handedBackPeriods(
  trx: Trx,
  clients: readonly { id: bigint; ontzorgen_ended_on: IsoDate | null }[],
  obligations: ReadonlyMap<bigint, readonly { id: string }[]>,
  since: IsoDate,
  asOf: IsoDate,
): Promise<Map<bigint, Set<string>>> {
  const keys: string[] = [];
  for (const client of clients) {
    const end = client.ontzorgen_ended_on;
    if (end === null || end >= asOf) continue;
    for (let month = yearMonthOf(since); month <= yearMonthOf(end); month = addMonths(month, 1)) {
      for (const obligation of obligations.get(client.id) ?? []) keys.push(handBackSignalKey(client.id, obligation.id, month));
    }
  }
  const result = new Map<bigint, Set<string>>();
  if (keys.length === 0) return result;
  const { rows } = await sql<{ client_id: bigint; obligation: string; period: string }>`
    SELECT client_id, details ->> 'obligation' AS obligation, details ->> 'period' AS period
      FROM back_office_signal WHERE signal_key = ANY(${textArray(keys)}::text[])
  `.execute(trx);
  for (const row of rows) {
    const set = result.get(row.client_id) ?? new Set<string>();
    set.add(`${row.obligation}|${row.period}`);
    result.set(row.client_id, set);
  }
  return result;
}

/** Per obligation period (`obligationId|periodKey`): what its scheduled payments add up to, and how many (paid in part: more than one). */
function paidPerPeriod(rows: readonly { kind: string; obligation_id: bigint | null; period_key: string; amount_cents: bigint }[]): Map<string, { amount: Money; payments: number }> {
  const sums = new Map<string, { cents: bigint; payments: number }>();
  for (const row of rows) {
    if (row.kind !== 'obligation' || row.obligation_id === null) continue;
    const key = `${row.obligation_id.toString()}|${row.period_key}`;
    const sum = sums.get(key) ?? { cents: 0n, payments: 0 };
    sums.set(key, { cents: sum.cents + BigInt(row.amount_cents), payments: sum.payments + 1 });
  }
  return new Map([...sums].map(([key, sum]) => [key, { amount: Money.fromCents(sum.cents), payments: sum.payments }]));
}

/**
 * The credits booked to these clients that no allocation has seen yet: bank items matched to a client,
 * and receipts a person assigned from suspense (rule 9), each known by the ledger key of its booking.
 */
async function unallocatedReceipts(trx: Trx, clientIds: ArrayParameter): Promise<{ key: string; client_id: bigint; classification: IncomeClass; amount_cents: bigint }[]> {
  const { rows } = await sql<{ key: string; client_id: bigint; classification: IncomeClass | null; amount_cents: bigint }>`
    SELECT i.ledger_key AS key, i.client_id, i.income_type AS classification, i.amount_cents
      FROM bank_entry_item i JOIN bank_entry e ON e.id = i.entry_id
     WHERE i.client_id = ANY(${clientIds}::bigint[]) AND i.destination = 'client' AND i.credit_debit = 'CRDT' AND e.undone_at IS NULL
       AND NOT EXISTS (SELECT 1 FROM allocation_receipt r WHERE r.receipt_key = i.ledger_key)
    UNION ALL
    SELECT a.ledger_key, a.client_id, a.income_type, i.amount_cents
      FROM suspense_assignment a JOIN bank_entry_item i ON i.id = a.item_id
     WHERE a.client_id = ANY(${clientIds}::bigint[]) AND a.undone_at IS NULL AND i.credit_debit = 'CRDT'
       AND NOT EXISTS (SELECT 1 FROM allocation_receipt r WHERE r.receipt_key = a.ledger_key)
  `.execute(trx);
  return rows.map((r) => ({ ...r, classification: r.classification ?? 'other' }));
}

/**
 * Every plan's rows of one kind, with each row's client in a parallel column, rather than spread into a copy of every
 * row with its client added (400,000 reservations on a reserve day, and V8 builds such copies property by property).
 */
function rowsWithClients<T>(plans: readonly ClientPlan[], rowsOf: (plan: ClientPlan) => readonly T[]): { rows: T[]; clients: bigint[] } {
  const rows: T[] = [];
  const clients: bigint[] = [];
  for (const plan of plans) {
    for (const row of rowsOf(plan)) {
      rows.push(row);
      clients.push(plan.clientId);
    }
  }
  return { rows, clients };
}

async function recordAllocation(trx: Trx, ctx: RunContext, plans: readonly ClientPlan[]): Promise<void> {
  const { rows: reservations, clients: reservationClients } = rowsWithClients(plans, (plan) => plan.newReservations);
  const { rows: voided, clients: voidedClients } = rowsWithClients(plans, (plan) => plan.voidedKeys);
  await markOpenReservations(trx, 'voided', voided, voidedClients);
  await insertColumns(trx, 'allocation_reservation', {
    ledger_key: { type: 'text', values: reservations.map((r) => r.ledgerKey) },
    client_id: { type: 'bigint', values: reservationClients },
    obligation_id: { type: 'bigint', values: reservations.map((r) => r.obligationId) },
    period_key: { type: 'text', values: reservations.map((r) => r.periodKey) },
    seq: { type: 'integer', values: reservations.map((r) => r.seq) },
    amount_cents: { type: 'bigint', values: reservations.map((r) => r.amount.cents) },
    due_date: { type: 'date', values: reservations.map((r) => r.dueDate) },
    execution_date: { type: 'date', values: reservations.map((r) => r.executionDate) },
    booked_on: { type: 'date', values: reservations.map(() => ctx.asOf) },
  });
  const { rows: receipts, clients: receiptClients } = rowsWithClients(plans, (plan) => plan.allocatedReceipts);
  await insertColumns(trx, 'allocation_receipt', {
    receipt_key: { type: 'text', values: receipts.map((r) => r.key) },
    client_id: { type: 'bigint', values: receiptClients },
    classification: { type: 'text', values: receipts.map((r) => r.classification) },
    amount_cents: { type: 'bigint', values: receipts.map((r) => r.amount.cents) },
    outcome: { type: 'text', values: receipts.map((r) => (r.passOnKey ? 'passed_on' : 'pooled')) },
    allocated_on: { type: 'date', values: receipts.map(() => ctx.asOf) },
    pass_on_key: { type: 'text', values: receipts.map((r) => r.passOnKey ?? null) },
  });
  const seen = new Set<string>();
  const signals = plans.flatMap((plan) =>
    plan.signals
      .filter((s) => !seen.has(s.key) && seen.add(s.key))
      .map((s) => ({ signal_key: s.key, gemeente_id: plan.gemeenteId, client_id: plan.clientId, kind: s.kind, message: s.message, details: s.details, first_seen_on: ctx.asOf })),
  );
  if (signals.length > 0) {
    await sql`
      INSERT INTO back_office_signal (signal_key, gemeente_id, client_id, kind, message, details, first_seen_on)
      SELECT signal_key, gemeente_id, client_id, kind, message, details, first_seen_on
        FROM json_populate_recordset(NULL::back_office_signal, ${json(signals)}::json)
      ON CONFLICT (signal_key) DO NOTHING
    `.execute(trx);
  }
}

/**
 * Records the payments the batch instructed (with their instruction ids) and marks the obligation
 * reservations they pay as scheduled: from then on an obligation period is not reserved again.
 * `instructionIds[n]` is the instruction made for `payments[n]`.
 */
export async function recordScheduledPayments(trx: Trx, runDate: IsoDate, payments: readonly PlannedPayment[], instructionIds: readonly bigint[]): Promise<void> {
  if (payments.length !== instructionIds.length) throw new Error(`recordScheduledPayments: ${payments.length} payments but ${instructionIds.length} instruction ids`);
  if (payments.length === 0) return;
  const column = <T,>(value: (p: (typeof payments)[number]) => T): T[] => payments.map(value);
  // A replay (a rerun of the day) plans the same payments again: what is recorded stays as it was.
  await insertColumns(
    trx,
    'scheduled_payment',
    {
      idempotency_key: { type: 'text', values: column((p) => p.key) },
      gemeente_id: { type: 'text', values: column((p) => p.gemeenteId) },
      client_id: { type: 'bigint', values: column((p) => p.clientId) },
      kind: { type: 'text', values: column((p) => p.kind) },
      obligation_id: { type: 'bigint', values: column((p) => p.obligationId) },
      period_key: { type: 'text', values: column((p) => p.periodKey) },
      pay_date: { type: 'date', values: column((p) => p.payDate) },
      execution_date: { type: 'date', values: column((p) => p.executionDate) },
      amount_cents: { type: 'bigint', values: column((p) => p.amount.cents) },
      reservation_key: { type: 'text', values: column((p) => p.reservationKey) },
      hold_reason: { type: 'text', values: column((p) => p.holdReason) },
      late: { type: 'boolean', values: column((p) => p.late) },
      leefgeld_target_cents: { type: 'bigint', values: column((p) => p.leefgeld?.target.cents ?? null) },
      leefgeld_floor_cents: { type: 'bigint', values: column((p) => p.leefgeld?.floor.cents ?? null) },
      floor_decision: { type: 'text', values: column((p) => p.leefgeld?.floorDecision ?? null) },
      instruction_id: { type: 'bigint', values: instructionIds },
      run_date: { type: 'date', values: column(() => runDate) },
    },
    { skipExisting: ['idempotency_key'] },
  );
  const paid = payments.filter((p) => p.kind === 'obligation' && p.reservationKey);
  await markOpenReservations(
    trx,
    'scheduled',
    paid.map((p) => p.reservationKey!),
    paid.map((p) => p.clientId),
  );
}

/**
 * Open reservations, by key, become voided or scheduled. `clientIds` (the client of each key) is there for the
 * planner: given thousands of keys alone, PostgreSQL 15 at its default costs priced as many index probes above one
 * pass over the table, and read every reservation ever made (400,000 a month at 100,000 clients) once per chunk of
 * 2,000 clients: 137 ms a chunk on a costs day, growing with history. The clients' open reservations come from their
 * partial index (16 ms).
 */
async function markOpenReservations(trx: Trx, status: 'voided' | 'scheduled', keys: readonly string[], clientIds: readonly bigint[]): Promise<void> {
  if (keys.length === 0) return;
  await sql`
    UPDATE allocation_reservation SET status = ${status}
     WHERE client_id = ANY(${numberArray([...new Set(clientIds)])}::bigint[]) AND status = 'open' AND ledger_key = ANY(${textArray(keys)}::text[])
  `.execute(trx);
}

/**
 * The registered clients of a gemeente in id order after `afterId`: those still in ontzorgen, those whose
 * ontzorgen ended in the last three months (rule 12: what fell due is paid, late money reaches them, the end is
 * reported), and those who ended longer ago but have free money (a late back-payment or toeslag, money waiting for
 * an own account): it is theirs and is paid on, or signalled. The three months keep the batch from walking every
 * client who ever left; the free money is read from the client's available account (its index on client_id).
 */
export async function clientIdsPage(db: Kysely<Database> | Trx, gemeenteId: string, asOf: IsoDate, afterId: bigint, limit: number): Promise<bigint[]> {
  const rows = await db
    .selectFrom('client')
    .select('id')
    .where('gemeente_id', '=', gemeenteId)
    .where('registered_at', 'is not', null)
    .where('id', '>', afterId)
    .where((eb) =>
      eb.or([
        eb('ontzorgen_ended_on', 'is', null),
        eb('ontzorgen_ended_on', '>=', addDays(asOf, -92)),
        eb.exists(
          eb
            .selectFrom('account')
            .select(sql`1`.as('one'))
            .whereRef('account.client_id', '=', 'client.id')
            .where('account.purpose', '=', 'client_available')
            .where(sql<boolean>`account.credits_posted - account.debits_posted - account.debits_pending > 0`),
        ),
      ]),
    )
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * The first due date of an obligation not yet reserved or paid, for `addVersion`'s `notBefore`: a
 * change may not reach behind what was already reserved or paid (history is never rewritten).
 */
export async function firstOpenDueDate(db: Kysely<Database> | Trx, obligationId: bigint): Promise<IsoDate | null> {
  const row = await db
    .selectFrom('allocation_reservation')
    .select((eb) => eb.fn.max('due_date').as('last'))
    .where('obligation_id', '=', obligationId)
    .where('status', '<>', 'voided')
    .executeTakeFirst();
  const last = row?.last as string | null | undefined;
  return last ? addDays(last, 1) : null;
}
