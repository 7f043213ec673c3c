import { sql, type Kysely } from 'kysely';
import { ClientError } from '../clients/errors.js';
import type { Database } from '../db/schema.js';
import { Money } from '../money/money.js';
import { REFUND_HOLDS_RECEIPT } from '../payments/refunds.js';
import { addDays, addMonths, amsterdamToday, firstDayOf, isYearMonth, lastDayOf, latestExecutionDate, monthsBetween, type IsoDate } from '../schedule/index.js';
import { MAX_MONITOR_MONTHS, MonitorError } from './errors.js';

/**
 * The monitor per gemeente (issue 8): the figures the municipalities' evaluation and the P*Q financing
 * ask for, one row per calendar month. Read-only; one bulk query per figure over the whole range,
 * grouped by month, so the cost does not grow with the number of months asked for.
 *
 * Definitions (the same words appear in the page and the CSV header):
 * - **client-month** (the Q of P*Q): a client of the gemeente with ontzorgen in force on at least one
 *   day of the month, on any basis (art. 56a, art. 57, voluntary, budgetbeheer). A period is read as
 *   `periodsUntil` reads it: it ends on the first of its last day, its early end and the client's end of
 *   ontzorgen, and a period decided for after that end never starts. A client counts once per month,
 *   however many periods overlap.
 * - **new**: the client's first day of ontzorgen (the earliest period's first day) falls in the month.
 *   **ended**: the client's last day of ontzorgen (the latest period's effective last day, when no period
 *   is open-ended) falls in the month — a scheduled end of a running 56a period counts in its month.
 * - **maatwerk decisions**: recorded decisions by their effective date, per scope (full opt-out, partial,
 *   hand-over plan), and revocations.
 * - **noodvoorzieningen**: grants approved with their decision day in the month (count, amount, advances
 *   and gifts); **recovered**: advance repayments (instalments, early repayments, settlements) booked
 *   in the month.
 * - **rent due**: the rent obligation periods of the month (period key = the due month) that the engine
 *   knew: a payment instruction was made for it, or an arrears signal was raised for it. **On time**:
 *   one of its instructions was released (or settled) with an execution date that makes it arrive by its
 *   due date (rule 7: on or before `latestExecutionDate`, for SCT Inst the due date itself) and was not
 *   returned. The percentage has one decimal, `null` when nothing was due.
 * - **returns**: payments of the gemeente the bank gave back, counted on the day the return was
 *   recorded (Europe/Amsterdam), with their amount.
 * - **arrears**: clients with money missing on the execution date of an obligation due that month
 *   (the allocation's `arrears` signal, by the period it names).
 * - **suspense, assigned**: receipts from suspense assigned in the month (the assignment's booking day)
 *   to the gemeente's clients, with how many days they waited since the bank booked them (average,
 *   maximum). Suspense has no gemeente until someone assigns it, so **suspense, open** is
 *   organisation-wide: the items still unassigned at the month's end (or `asOf` for the running month;
 *   `null` for months that have not begun), with their age then. Items of an undone bank file are left out,
 *   and so are items sent back to their payer by then whose refund still holds them (ingest/suspense.ts).
 */

export interface MonitorQuery {
  readonly gemeenteId: string;
  /** YYYY-MM, inclusive. */
  readonly from: string;
  readonly to: string;
  /** The day the open suspense of the running month is measured on; default today in Europe/Amsterdam. */
  readonly asOf?: IsoDate;
}

export interface MonitorMonth {
  readonly month: string;
  readonly clientMonths: number;
  readonly newClients: number;
  readonly endedClients: number;
  readonly maatwerk: { readonly fullOptOut: number; readonly partial: number; readonly handOverPlan: number; readonly revoked: number };
  readonly noodvoorzieningen: { readonly count: number; readonly amount: string; readonly advances: number; readonly gifts: number; readonly recovered: string };
  readonly rent: { readonly due: number; readonly onTime: number; readonly onTimePercent: string | null };
  readonly returns: { readonly count: number; readonly amount: string };
  readonly arrears: { readonly clients: number };
  readonly suspense: {
    readonly assigned: number;
    readonly averageWaitDays: string | null;
    readonly maxWaitDays: number | null;
    readonly openAtMonthEnd: number | null;
    readonly openAverageAgeDays: string | null;
    readonly openMaxAgeDays: number | null;
  };
}

export interface GemeenteMonitor {
  readonly gemeente: { readonly id: string; readonly name: string };
  readonly from: string;
  readonly to: string;
  readonly asOf: IsoDate;
  readonly months: readonly MonitorMonth[];
}


interface Range {
  readonly gemeenteId: string;
  readonly months: readonly string[];
  readonly start: IsoDate;
  readonly end: IsoDate;
  readonly asOf: IsoDate;
}

/** Checks the period asked for; refuses anything else with `invalid_monitor_period`. */
export function monitorMonths(from: string, to: string): string[] {
  if (!isYearMonth(from) || !isYearMonth(to)) throw new MonitorError('invalid_monitor_period', `from and to must be months written as YYYY-MM (got "${from}" and "${to}")`);
  if (from > to) throw new MonitorError('invalid_monitor_period', `from (${from}) lies after to (${to})`);
  const count = monthsBetween(from, to) + 1;
  if (count > MAX_MONITOR_MONTHS) throw new MonitorError('invalid_monitor_period', `${count} months asked for; at most ${MAX_MONITOR_MONTHS} at a time`);
  return Array.from({ length: count }, (_, n) => addMonths(from, n));
}

export async function gemeenteMonitor(db: Kysely<Database>, query: MonitorQuery): Promise<GemeenteMonitor> {
  const months = monitorMonths(query.from, query.to);
  const gemeente = await db.selectFrom('gemeente').select(['id', 'name']).where('id', '=', query.gemeenteId).executeTakeFirst();
  if (!gemeente) throw new ClientError('gemeente_not_found', `there is no gemeente ${query.gemeenteId}`);
  const range: Range = { gemeenteId: gemeente.id, months, start: firstDayOf(query.from), end: lastDayOf(query.to), asOf: query.asOf ?? amsterdamToday(new Date()) };
  // One after the other: PGlite is one connection, and on PostgreSQL these are short index-driven reads.
  const clients = await clientFigures(db, range);
  const maatwerk = await maatwerkFigures(db, range);
  const nood = await noodvoorzieningFigures(db, range);
  const rent = await rentFigures(db, range);
  const returns = await returnFigures(db, range);
  const arrears = await arrearsFigures(db, range);
  const assigned = await assignedSuspense(db, range);
  const open = await openSuspense(db, range);
  return {
    gemeente: { id: gemeente.id, name: gemeente.name },
    from: query.from,
    to: query.to,
    asOf: range.asOf,
    months: months.map((month) => {
      const c = clients.get(month);
      const m = maatwerk.get(month);
      const n = nood.get(month);
      const r = rent.get(month) ?? { due: 0, onTime: 0 };
      const ret = returns.get(month);
      const a = assigned.get(month);
      const o = open.get(month);
      return {
        month,
        clientMonths: c?.clientMonths ?? 0,
        newClients: c?.newClients ?? 0,
        endedClients: c?.endedClients ?? 0,
        maatwerk: { fullOptOut: m?.full_opt_out ?? 0, partial: m?.partial ?? 0, handOverPlan: m?.hand_over_plan ?? 0, revoked: m?.revoke ?? 0 },
        noodvoorzieningen: {
          count: (n?.advances ?? 0) + (n?.gifts ?? 0),
          amount: Money.fromCents(n?.grantedCents ?? 0n).toString(),
          advances: n?.advances ?? 0,
          gifts: n?.gifts ?? 0,
          recovered: Money.fromCents(n?.recoveredCents ?? 0n).toString(),
        },
        rent: { due: r.due, onTime: r.onTime, onTimePercent: percent(r.onTime, r.due) },
        returns: { count: ret?.count ?? 0, amount: Money.fromCents(ret?.cents ?? 0n).toString() },
        arrears: { clients: arrears.get(month) ?? 0 },
        suspense: {
          assigned: a?.count ?? 0,
          averageWaitDays: a?.average ?? null,
          maxWaitDays: a?.max ?? null,
          openAtMonthEnd: o ? o.count : null,
          openAverageAgeDays: o?.average ?? null,
          openMaxAgeDays: o?.max ?? null,
        },
      };
    }),
  };
}

/** One decimal, half up; null when nothing was due (0 of 0 is not 0 %, nor 100 %). Integer arithmetic: exact. */
export function percent(part: number, whole: number): string | null {
  if (whole === 0) return null;
  const tenths = (BigInt(part) * 2000n + BigInt(whole)) / (2n * BigInt(whole));
  return `${tenths / 10n}.${tenths % 10n}`;
}

const cents = (text: string | null): bigint => (text === null ? 0n : BigInt(text));

/** The months as a relation the queries join on: `m(month, first_day, last_day)`. */
function monthTable(range: Range) {
  return sql`unnest(${range.months.map(firstDayOf)}::date[], ${range.months.map(lastDayOf)}::date[], ${[...range.months]}::text[]) AS m(first_day, last_day, month)`;
}

/** Each period with its effective last day (early end, end of ontzorgen), as `periodsUntil` reads it. */
function effectivePeriods(range: Range) {
  return sql`
    SELECT p.client_id, p.first_day, LEAST(p.last_day, p.ended_early_on, c.ontzorgen_ended_on) AS last_day
      FROM client c
      JOIN ontzorg_period p ON p.client_id = c.id
     WHERE c.gemeente_id = ${range.gemeenteId}
       AND (c.ontzorgen_ended_on IS NULL OR p.first_day <= c.ontzorgen_ended_on)`;
}

async function clientFigures(db: Kysely<Database>, range: Range): Promise<Map<string, { clientMonths: number; newClients: number; endedClients: number }>> {
  const { rows } = await sql<{ month: string; client_months: number; new_clients: number; ended_clients: number }>`
    WITH periods AS (${effectivePeriods(range)}),
    served AS (
      SELECT m.month, count(DISTINCT p.client_id)::int AS n
        FROM ${monthTable(range)}
        JOIN periods p ON p.first_day <= m.last_day AND (p.last_day IS NULL OR p.last_day >= m.first_day)
       GROUP BY m.month
    ),
    lifetimes AS (
      SELECT client_id, min(first_day) AS first_day, CASE WHEN bool_or(last_day IS NULL) THEN NULL ELSE max(last_day) END AS last_day
        FROM periods GROUP BY client_id
    ),
    started AS (
      SELECT to_char(first_day, 'YYYY-MM') AS month, count(*)::int AS n FROM lifetimes
       WHERE first_day BETWEEN ${range.start}::date AND ${range.end}::date GROUP BY 1
    ),
    ended AS (
      SELECT to_char(last_day, 'YYYY-MM') AS month, count(*)::int AS n FROM lifetimes
       WHERE last_day BETWEEN ${range.start}::date AND ${range.end}::date GROUP BY 1
    )
    SELECT m.month, coalesce(s.n, 0) AS client_months, coalesce(st.n, 0) AS new_clients, coalesce(e.n, 0) AS ended_clients
      FROM ${monthTable(range)}
      LEFT JOIN served s ON s.month = m.month
      LEFT JOIN started st ON st.month = m.month
      LEFT JOIN ended e ON e.month = m.month
  `.execute(db);
  return new Map(rows.map((r) => [r.month, { clientMonths: r.client_months, newClients: r.new_clients, endedClients: r.ended_clients }]));
}

type MaatwerkKind = 'full_opt_out' | 'partial' | 'hand_over_plan' | 'revoke';

async function maatwerkFigures(db: Kysely<Database>, range: Range): Promise<Map<string, Partial<Record<MaatwerkKind, number>>>> {
  const { rows } = await sql<{ month: string; kind: MaatwerkKind; n: number }>`
    SELECT to_char(effective_date, 'YYYY-MM') AS month, CASE WHEN action = 'revoke' THEN 'revoke' ELSE scope END AS kind, count(*)::int AS n
      FROM maatwerk_decision
     WHERE gemeente_id = ${range.gemeenteId} AND effective_date BETWEEN ${range.start}::date AND ${range.end}::date
     GROUP BY 1, 2
  `.execute(db);
  const result = new Map<string, Partial<Record<MaatwerkKind, number>>>();
  for (const r of rows) result.set(r.month, { ...result.get(r.month), [r.kind]: r.n });
  return result;
}

interface NoodFigures {
  advances: number;
  gifts: number;
  grantedCents: bigint;
  recoveredCents: bigint;
}

async function noodvoorzieningFigures(db: Kysely<Database>, range: Range): Promise<Map<string, NoodFigures>> {
  const granted = await sql<{ month: string; advances: number; gifts: number; cents: string | null }>`
    SELECT to_char(decided_on, 'YYYY-MM') AS month,
           count(*) FILTER (WHERE kind = 'advance')::int AS advances, count(*) FILTER (WHERE kind = 'gift')::int AS gifts, sum(amount_cents)::text AS cents
      FROM noodvoorziening_grant
     WHERE gemeente_id = ${range.gemeenteId} AND status = 'approved' AND decided_on BETWEEN ${range.start}::date AND ${range.end}::date
     GROUP BY 1
  `.execute(db);
  const recovered = await sql<{ month: string; cents: string | null }>`
    SELECT to_char(r.booked_on, 'YYYY-MM') AS month, sum(r.amount_cents)::text AS cents
      FROM noodvoorziening_repayment r
      JOIN noodvoorziening_grant g ON g.id = r.grant_id
     WHERE g.gemeente_id = ${range.gemeenteId} AND r.booked_on BETWEEN ${range.start}::date AND ${range.end}::date
     GROUP BY 1
  `.execute(db);
  const result = new Map<string, NoodFigures>();
  const of = (month: string) => result.get(month) ?? result.set(month, { advances: 0, gifts: 0, grantedCents: 0n, recoveredCents: 0n }).get(month)!;
  for (const r of granted.rows) Object.assign(of(r.month), { advances: r.advances, gifts: r.gifts, grantedCents: cents(r.cents) });
  for (const r of recovered.rows) of(r.month).recoveredCents = cents(r.cents);
  return result;
}

async function rentFigures(db: Kysely<Database>, range: Range): Promise<Map<string, { due: number; onTime: number }>> {
  // Rule 7 needs the TARGET2 calendar, which lives in code: the latest execution day of every due day in range.
  const dueDays: IsoDate[] = [];
  // A due date lies in its period's month; a week either side covers any rounding of the period key.
  for (let d = addDays(range.start, -7); d <= addDays(range.end, 7); d = addDays(d, 1)) dueDays.push(d);
  const latest = dueDays.map((d) => latestExecutionDate(d));
  // One pass over the gemeente's rent instructions (every attempt of a period decides together), then the
  // periods known only from an arrears signal: nothing was paid for them at all.
  const { rows } = await sql<{ month: string; due: number; on_time: number }>`
    WITH latest AS (SELECT * FROM unnest(${dueDays}::date[], ${latest}::date[]) AS l(due_date, latest_execution)),
    paid AS (
      SELECT i.obligation_id, i.period,
             bool_or(i.status IN ('released', 'settled') AND i.execution_date <= CASE WHEN b.instant THEN i.due_date ELSE l.latest_execution END) AS on_time
        FROM payment_instruction i
        JOIN obligation o ON o.id = i.obligation_id AND o.type = 'rent'
        LEFT JOIN payment_batch b ON b.id = i.batch_id
        LEFT JOIN latest l ON l.due_date = i.due_date
       WHERE i.gemeente_id = ${range.gemeenteId} AND i.kind = 'obligation' AND i.period BETWEEN ${range.months[0]!} AND ${range.months.at(-1)!}
       GROUP BY i.obligation_id, i.period
    ),
    unpaid AS (
      SELECT DISTINCT o.id AS obligation_id, s.details ->> 'period' AS period
        FROM back_office_signal s
        JOIN obligation o ON o.id = CASE WHEN (s.details ->> 'obligation') ~ '^[0-9]{1,18}$' THEN (s.details ->> 'obligation')::bigint END AND o.type = 'rent'
       WHERE s.gemeente_id = ${range.gemeenteId} AND s.kind = 'arrears'
         AND s.first_seen_on >= ${addDays(range.start, -31)}::date
         AND s.details ->> 'period' BETWEEN ${range.months[0]!} AND ${range.months.at(-1)!}
    ),
    dues AS (
      SELECT period, coalesce(on_time, false) AS on_time FROM paid
      UNION ALL
      SELECT u.period, false FROM unpaid u WHERE NOT EXISTS (SELECT 1 FROM paid p WHERE p.obligation_id = u.obligation_id AND p.period = u.period)
    )
    SELECT period AS month, count(*)::int AS due, count(*) FILTER (WHERE on_time)::int AS on_time
      FROM dues
     GROUP BY period
  `.execute(db);
  return new Map(rows.map((r) => [r.month, { due: r.due, onTime: r.on_time }]));
}

async function returnFigures(db: Kysely<Database>, range: Range): Promise<Map<string, { count: number; cents: bigint }>> {
  const { rows } = await sql<{ month: string; n: number; cents: string | null }>`
    SELECT to_char(e.returned_on, 'YYYY-MM') AS month, count(*)::int AS n, sum(i.amount_cents)::text AS cents
      FROM payment_instruction i
      JOIN LATERAL (
        SELECT (min(ev.at) AT TIME ZONE 'Europe/Amsterdam')::date AS returned_on
          FROM payment_event ev WHERE ev.instruction_id = i.id AND ev.kind = 'returned'
      ) e ON true
     WHERE i.gemeente_id = ${range.gemeenteId} AND i.status = 'returned' AND i.client_id IS NOT NULL -- a refund from suspense is no client's payment
       AND e.returned_on BETWEEN ${range.start}::date AND ${range.end}::date
     GROUP BY 1
  `.execute(db);
  return new Map(rows.map((r) => [r.month, { count: r.n, cents: cents(r.cents) }]));
}

async function arrearsFigures(db: Kysely<Database>, range: Range): Promise<Map<string, number>> {
  const { rows } = await sql<{ month: string; n: number }>`
    SELECT s.details ->> 'period' AS month, count(DISTINCT s.client_id)::int AS n
      FROM back_office_signal s
     WHERE s.gemeente_id = ${range.gemeenteId} AND s.kind = 'arrears'
       AND s.first_seen_on >= ${addDays(range.start, -31)}::date
       AND s.details ->> 'period' BETWEEN ${range.months[0]!} AND ${range.months.at(-1)!}
     GROUP BY 1
  `.execute(db);
  return new Map(rows.map((r) => [r.month, r.n]));
}

interface Ages {
  count: number;
  average: string | null;
  max: number | null;
}

async function assignedSuspense(db: Kysely<Database>, range: Range): Promise<Map<string, Ages>> {
  const { rows } = await sql<{ month: string; n: number; average: string | null; max: number | null }>`
    SELECT to_char(t.booking_date, 'YYYY-MM') AS month, count(*)::int AS n,
           round(avg(t.booking_date - i.booking_date), 1)::text AS average, max(t.booking_date - i.booking_date)::int AS max
      FROM suspense_assignment a
      JOIN client c ON c.id = a.client_id
      JOIN bank_entry_item i ON i.id = a.item_id
      JOIN bank_entry e ON e.id = i.entry_id AND e.undone_at IS NULL
      JOIN ledger_transaction t ON t.idempotency_key = a.ledger_key
     WHERE a.undone_at IS NULL AND c.gemeente_id = ${range.gemeenteId}
       AND t.booking_date BETWEEN ${range.start}::date AND ${range.end}::date
     GROUP BY 1
  `.execute(db);
  return new Map(rows.map((r) => [r.month, { count: r.n, average: r.average, max: r.max }]));
}

async function openSuspense(db: Kysely<Database>, range: Range): Promise<Map<string, Ages>> {
  const begun = range.months.filter((month) => firstDayOf(month) <= range.asOf);
  if (begun.length === 0) return new Map();
  const snapshots = begun.map((month) => (lastDayOf(month) < range.asOf ? lastDayOf(month) : range.asOf));
  const { rows } = await sql<{ month: string; n: number; average: string | null; max: number | null }>`
    SELECT s.month, count(i.id)::int AS n, round(avg(s.day - i.booking_date), 1)::text AS average, max(s.day - i.booking_date)::int AS max
      FROM unnest(${begun}::text[], ${snapshots}::date[]) AS s(month, day)
      LEFT JOIN (bank_entry_item i JOIN bank_entry e ON e.id = i.entry_id AND e.undone_at IS NULL)
        ON i.destination = 'suspense' AND i.booking_date <= s.day
       AND NOT EXISTS (
         SELECT 1 FROM suspense_assignment a JOIN ledger_transaction t ON t.idempotency_key = a.ledger_key
          WHERE a.item_id = i.id AND a.undone_at IS NULL AND t.booking_date <= s.day)
       AND NOT EXISTS (
         SELECT 1 FROM suspense_refund r JOIN payment_instruction p ON p.id = r.instruction_id
          WHERE r.item_id = i.id AND (r.sent_at AT TIME ZONE 'Europe/Amsterdam')::date <= s.day
            AND p.status = ANY(${[...REFUND_HOLDS_RECEIPT]}::text[]))
     GROUP BY s.month
  `.execute(db);
  return new Map(rows.map((r) => [r.month, { count: r.n, average: r.average, max: r.max }]));
}
