import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { ObligationType } from '../clients/obligation-rules.js';
import { periodsNeedingDecision, type LegalBasis } from '../clients/periods.js';
import { rowToPeriod } from '../clients/ontzorg-periods.js';
import type { Database } from '../db/schema.js';
import { Money } from '../money/money.js';
import { addDays, type IsoDate } from '../schedule/index.js';
import { paymentFacts } from './describe.js';
import { StatementError } from './errors.js';
import type { Messages } from './language.js';
import { LANGUAGES } from './languages.js';
import { visibleClients } from './scope.js';
import { describePurpose, formatDate, formatMoney, returnReason } from './words.js';

/**
 * Signals for the people who guide a client (issue 7): what a caseworker of Vluchtelingenwerk must
 * know to act, from the technical side's records: arrears (and shortfalls before the payment date),
 * returned payments not yet sent again, the end of the ontzorg period approaching (rule 2's list),
 * an open emergency advance and a noodvoorziening paid, a maatwerk decision (today: a recorded
 * leefgeld-floor decision). Computed when asked, for the asker's clients only; never stored.
 * Problems (arrears, returns, open advances, periods) are listed while they are open, whatever
 * their age; events (a payment, a decision) for `sinceDays`.
 */

export const SIGNAL_KINDS = ['arrears', 'shortfall', 'payment_returned', 'period_ending', 'period_ended', 'review_due', 'advance_open', 'noodvoorziening_paid', 'noodvoorziening_granted', 'maatwerk_decision', 'maatwerk_review_due'] as const;
export type SignalKind = (typeof SIGNAL_KINDS)[number];

export interface Signal {
  /** Stable while the signal lasts: `<source>/<id>`. */
  readonly id: string;
  readonly kind: SignalKind;
  readonly date: IsoDate;
  readonly client: { readonly id: string; readonly reference: string; readonly gemeenteId: string };
  readonly message: string;
  readonly details: Readonly<Record<string, string | null>>;
}

export interface SignalQuery {
  readonly asOf: IsoDate;
  /** How far back events (payments, decisions) are listed; default 30. */
  readonly sinceDays?: number;
  readonly kind?: SignalKind;
  readonly gemeente?: string;
  /** Dutch by default; English for anything else asked for (the caseworker texts exist in these two). */
  readonly language: 'nl' | 'en';
}

interface Words {
  basis: Readonly<Record<LegalBasis, string>>;
  arrears: (what: string, missing: string) => string;
  shortfall: (what: string, missing: string, date: string) => string;
  returned: (what: string, amount: string, reason: string) => string;
  periodEnding: (basis: string, date: string, days: number) => string;
  periodEnded: (basis: string, date: string) => string;
  reviewDue: (basis: string, date: string) => string;
  advanceOpen: (open: string, lent: string) => string;
  noodvoorziening: (amount: string, to: string) => string;
  noodvoorzieningGranted: (amount: string, kind: 'advance' | 'gift', instalment: string | null) => string;
  maatwerk: (reference: string, floor: string, from: string) => string;
  maatwerkDecided: (scope: 'full_opt_out' | 'partial' | 'hand_over_plan', from: string, review: string) => string;
  maatwerkRevoked: (from: string) => string;
  maatwerkReviewDue: (from: string, date: string, days: number) => string;
}

const WORDS: Record<'nl' | 'en', Words> = {
  nl: {
    basis: { art56a: 'art. 56a', art57: 'besluit art. 57', voluntary: 'vrijwillig', budgetbeheer: 'budgetbeheer' },
    arrears: (what, missing) => `${what}: ${missing} te weinig op de betaaldatum (achterstand)`,
    shortfall: (what, missing, date) => `${what}: ${missing} te weinig om op ${date} te betalen`,
    returned: (what, amount, reason) => `Betaling ${what} (${amount}) kwam terug: ${reason}; nog niet opnieuw betaald`,
    periodEnding: (basis, date, days) => `De ontzorgperiode (${basis}) eindigt op ${date}, over ${days} dagen, en er is nog geen vervolg`,
    periodEnded: (basis, date) => `De ontzorgperiode (${basis}) is geëindigd op ${date} zonder vervolgbesluit`,
    reviewDue: (basis, date) => `Herbeoordeling van de ontzorgperiode (${basis}) uiterlijk ${date}`,
    advanceOpen: (open, lent) => `Open voorschot (noodvoorziening): nog ${open} terug te betalen van ${lent}`,
    noodvoorziening: (amount, to) => `Noodvoorziening van ${amount} betaald aan ${to}`,
    noodvoorzieningGranted: (amount, kind, instalment) =>
      kind === 'gift' ? `Noodvoorziening van ${amount} toegekend als gift` : `Noodvoorziening van ${amount} toegekend als voorschot: de cliënt betaalt het terug met ${instalment ?? '?'} per betaling leefgeld; leg uit dat dit een lening is`,
    maatwerk: (reference, floor, from) => `Maatwerkbesluit ${reference}: ondergrens leefgeld ${floor} vanaf ${from}`,
    maatwerkDecided: (scope, from, review) =>
      `Maatwerkbesluit vanaf ${from}: ${scope === 'full_opt_out' ? 'volledige opt-out, er wordt niets meer ingehouden' : scope === 'partial' ? 'een deel van de vaste lasten gaat naar de cliënt' : 'afbouwplan, de vaste lasten gaan een voor een naar de cliënt'}; herbeoordeling uiterlijk ${review}`,
    maatwerkRevoked: (from) => `Maatwerkbesluit ingetrokken vanaf ${from}: alle vaste lasten worden weer ingehouden`,
    maatwerkReviewDue: (from, date, days) =>
      days < 0 ? `Herbeoordeling van het maatwerkbesluit van ${from} had uiterlijk ${date} moeten gebeuren` : `Herbeoordeling van het maatwerkbesluit van ${from} uiterlijk ${date}`,
  },
  en: {
    basis: { art56a: 'art. 56a', art57: 'art. 57 decision', voluntary: 'voluntary', budgetbeheer: 'budgetbeheer' },
    arrears: (what, missing) => `${what}: ${missing} missing on its payment date (arrears)`,
    shortfall: (what, missing, date) => `${what}: ${missing} missing to pay it on ${date}`,
    returned: (what, amount, reason) => `Payment ${what} (${amount}) came back: ${reason}; not paid again yet`,
    periodEnding: (basis, date, days) => `The ontzorg period (${basis}) ends on ${date}, in ${days} days, with nothing decided after it`,
    periodEnded: (basis, date) => `The ontzorg period (${basis}) ended on ${date} without a follow-up decision`,
    reviewDue: (basis, date) => `Review of the ontzorg period (${basis}) due by ${date}`,
    advanceOpen: (open, lent) => `Open emergency advance (noodvoorziening): ${open} of ${lent} still to be paid back`,
    noodvoorziening: (amount, to) => `Noodvoorziening of ${amount} paid to ${to}`,
    noodvoorzieningGranted: (amount, kind, instalment) =>
      kind === 'gift' ? `Noodvoorziening of ${amount} granted as a gift` : `Noodvoorziening of ${amount} granted as an advance: the client pays it back with ${instalment ?? '?'} per leefgeld payment; explain that it is a loan`,
    maatwerk: (reference, floor, from) => `Maatwerk decision ${reference}: leefgeld floor ${floor} from ${from}`,
    maatwerkDecided: (scope, from, review) =>
      `Maatwerk decision from ${from}: ${scope === 'full_opt_out' ? 'full opt-out, nothing is withheld any more' : scope === 'partial' ? 'part of the fixed costs is handed to the client' : 'hand-over plan, the fixed costs go to the client one by one'}; review by ${review}`,
    maatwerkRevoked: (from) => `Maatwerk decision revoked from ${from}: all fixed costs are withheld again`,
    maatwerkReviewDue: (from, date, days) => (days < 0 ? `Review of the maatwerk decision of ${from} was due by ${date}` : `Review of the maatwerk decision of ${from} due by ${date}`),
  },
};

interface Context {
  readonly db: Kysely<Database>;
  readonly scope: RawBuilder<boolean>;
  readonly gemeente: RawBuilder<boolean>;
  readonly query: SignalQuery;
  readonly m: Messages;
  readonly w: Words;
}

type ClientColumns = { client_id: bigint; reference: string; gemeente_id: string };
const clientOf = (r: ClientColumns) => ({ id: r.client_id.toString(), reference: r.reference, gemeenteId: r.gemeente_id });

async function dueSignals(ctx: Context): Promise<Signal[]> {
  const { rows } = await sql<ClientColumns & { id: bigint; kind: 'arrears' | 'shortfall'; first_seen_on: string; period: string | null; missing: string | null; execution_date: string | null; obligation_type: ObligationType | null; payee_name: string | null }>`
    SELECT s.id, s.kind, s.client_id, c.reference, c.gemeente_id, s.first_seen_on, s.details ->> 'period' AS period, s.details ->> 'missing' AS missing,
           s.details ->> 'executionDate' AS execution_date, o.type AS obligation_type, o.payee_name
      FROM back_office_signal s
      JOIN client c ON c.id = s.client_id
      LEFT JOIN obligation o ON o.id = CASE WHEN (s.details ->> 'obligation') ~ '^[0-9]{1,18}$' THEN (s.details ->> 'obligation')::bigint END
     WHERE s.kind IN ('arrears', 'shortfall') AND ${ctx.scope} AND ${ctx.gemeente}
       AND NOT EXISTS (SELECT 1 FROM payment_instruction i
                        WHERE i.client_id = s.client_id AND i.obligation_id = o.id AND i.period = s.details ->> 'period' AND i.status IN ('released', 'settled'))
  `.execute(ctx.db);
  return rows.map((r) => {
    const what = describePurpose({ kind: 'obligation', obligationType: r.obligation_type ?? 'other', period: r.period ?? '', payee: r.payee_name, incomeType: null }, ctx.m, r.period?.slice(0, 4) ?? ctx.query.asOf);
    const missing = r.missing && /^-?\d+\.\d{2}$/.test(r.missing) ? formatMoney(Money.parse(r.missing), ctx.m) : (r.missing ?? '');
    return {
      id: `${r.kind}/${r.id.toString()}`,
      kind: r.kind,
      date: r.first_seen_on,
      client: clientOf(r),
      message: r.kind === 'arrears' ? ctx.w.arrears(what, missing) : ctx.w.shortfall(what, missing, r.execution_date ? formatDate(r.execution_date, ctx.m) : '?'),
      details: { obligationType: r.obligation_type, period: r.period, missing: r.missing, executionDate: r.execution_date },
    };
  });
}

async function returnedSignals(ctx: Context): Promise<Signal[]> {
  const { rows } = await sql<ClientColumns & { id: bigint; kind: string; period: string; idempotency_key: string; creditor_name: string; return_reason: string | null; amount_cents: bigint; obligation_type: ObligationType | null; payee_name: string | null; returned_on: string }>`
    SELECT i.id, i.client_id, c.reference, c.gemeente_id, i.kind, i.period, i.idempotency_key, i.creditor_name, i.return_reason, i.amount_cents,
           o.type AS obligation_type, o.payee_name,
           coalesce((SELECT to_char(min(e.at) AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD') FROM payment_event e WHERE e.instruction_id = i.id AND e.kind = 'returned'), i.execution_date::text) AS returned_on
      FROM payment_instruction i
      JOIN client c ON c.id = i.client_id
      LEFT JOIN obligation o ON o.id = i.obligation_id
     WHERE i.status = 'returned' AND ${ctx.scope} AND ${ctx.gemeente}
       AND NOT EXISTS (SELECT 1 FROM payment_instruction r WHERE r.retry_of = i.id AND r.status NOT IN ('cancelled', 'bank_rejected', 'returned'))
  `.execute(ctx.db);
  return rows.map((r) => {
    const payment = paymentFacts({ kind: r.kind, key: r.idempotency_key, period: r.period, creditorName: r.creditor_name, obligationType: r.obligation_type, payeeName: r.payee_name, passOnIncomeType: null });
    const amount = Money.fromCents(r.amount_cents);
    return {
      id: `returned/${r.id.toString()}`,
      kind: 'payment_returned' as const,
      date: r.returned_on,
      client: clientOf(r),
      message: ctx.w.returned(describePurpose(payment, ctx.m, r.returned_on), formatMoney(amount, ctx.m), returnReason(r.return_reason, ctx.m)),
      details: { instructionId: r.id.toString(), paymentKind: payment.kind, period: r.period, amount: amount.toString(), returnReason: r.return_reason },
    };
  });
}

async function periodSignals(ctx: Context): Promise<Signal[]> {
  const horizon = addDays(ctx.query.asOf, 30);
  const rows = await sql<ClientColumns & Record<string, unknown>>`
    SELECT p.*, c.reference, c.gemeente_id
      FROM ontzorg_period p
      JOIN client c ON c.id = p.client_id
     WHERE c.ontzorgen_ended_on IS NULL AND ${ctx.scope} AND ${ctx.gemeente}
       AND p.client_id IN (SELECT client_id FROM ontzorg_period
                            WHERE (last_day IS NOT NULL AND last_day <= ${horizon}::date) OR (review_date IS NOT NULL AND review_date <= ${horizon}::date))
     ORDER BY p.client_id, p.first_day
  `.execute(ctx.db);
  const byClient = new Map<string, { client: ReturnType<typeof clientOf>; periods: ReturnType<typeof rowToPeriod>[] }>();
  for (const row of rows.rows) {
    const client = clientOf(row);
    const entry = byClient.get(client.id) ?? { client, periods: [] };
    entry.periods.push(rowToPeriod(row as unknown as Parameters<typeof rowToPeriod>[0]));
    byClient.set(client.id, entry);
  }
  const found = periodsNeedingDecision([...byClient.values()].map((e) => ({ clientId: e.client.id, periods: e.periods })), ctx.query.asOf, 30);
  return found.map((s) => {
    const basis = ctx.w.basis[s.period.basis];
    const date = formatDate(s.date, ctx.m);
    const kind: SignalKind = s.kind === 'ends_soon' ? 'period_ending' : s.kind === 'ended_without_follow_up' ? 'period_ended' : 'review_due';
    const message = kind === 'period_ending' ? ctx.w.periodEnding(basis, date, s.days) : kind === 'period_ended' ? ctx.w.periodEnded(basis, date) : ctx.w.reviewDue(basis, date);
    return {
      id: `${kind}/${s.clientId}/${s.period.firstDay}/${s.period.basis}`,
      kind,
      date: s.date,
      client: byClient.get(s.clientId)!.client,
      message,
      details: { basis: s.period.basis, firstDay: s.period.firstDay, lastDay: s.period.lastDay, reviewDate: s.period.reviewDate, nextPeriodStarts: s.nextPeriodStarts },
    };
  });
}

async function advanceSignals(ctx: Context): Promise<Signal[]> {
  const { rows } = await sql<ClientColumns & { account_id: bigint; lent: bigint; repaid: bigint; last_advance: string | null }>`
    SELECT a.id AS account_id, a.client_id, c.reference, c.gemeente_id, a.debits_posted AS lent, a.credits_posted AS repaid,
           (SELECT max(p.booking_date)::text FROM ledger_posting p WHERE p.account_id = a.id AND p.side = 'D' AND p.phase = 'posted') AS last_advance
      FROM account a
      JOIN client c ON c.id = a.client_id
     WHERE a.purpose = 'advances_receivable' AND a.debits_posted > a.credits_posted AND ${ctx.scope} AND ${ctx.gemeente}
  `.execute(ctx.db);
  return rows.map((r) => {
    const open = Money.fromCents(r.lent - r.repaid);
    return {
      id: `advance/${r.account_id.toString()}`,
      kind: 'advance_open' as const,
      date: r.last_advance ?? ctx.query.asOf,
      client: clientOf(r),
      message: ctx.w.advanceOpen(formatMoney(open, ctx.m), formatMoney(Money.fromCents(r.lent), ctx.m)),
      details: { open: open.toString(), lent: Money.fromCents(r.lent).toString() },
    };
  });
}

async function eventSignals(ctx: Context): Promise<Signal[]> {
  const since = addDays(ctx.query.asOf, -(ctx.query.sinceDays ?? 30));
  const paid = await sql<ClientColumns & { id: bigint; amount_cents: bigint; creditor_name: string; execution_date: string }>`
    SELECT i.id, i.client_id, c.reference, c.gemeente_id, i.amount_cents, i.creditor_name, i.execution_date
      FROM payment_instruction i
      JOIN client c ON c.id = i.client_id
     WHERE i.kind = 'noodvoorziening' AND i.execution_date >= ${since}::date AND i.status NOT IN ('cancelled', 'bank_rejected') AND ${ctx.scope} AND ${ctx.gemeente}
  `.execute(ctx.db);
  const decisions = await sql<ClientColumns & { id: bigint; reference_text: string; floor_cents: bigint; effective_from: string; decided_on: string }>`
    SELECT f.id, f.client_id, c.reference, c.gemeente_id, f.reference AS reference_text, f.floor_cents, f.effective_from,
           to_char(f.created_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD') AS decided_on
      FROM floor_decision f
      JOIN client c ON c.id = f.client_id
     WHERE (f.created_at >= ${since}::date OR f.effective_from >= ${since}::date) AND ${ctx.scope} AND ${ctx.gemeente}
  `.execute(ctx.db);
  // A granted noodvoorziening (issue 6): the caseworker explains it, above all that an advance is a loan.
  const granted = await sql<ClientColumns & { id: bigint; amount_cents: bigint; kind: 'advance' | 'gift'; instalment_cents: bigint | null; decided_on: string }>`
    SELECT g.id, g.client_id, c.reference, c.gemeente_id, g.amount_cents, g.kind, g.instalment_cents, g.decided_on::text AS decided_on
      FROM noodvoorziening_grant g
      JOIN client c ON c.id = g.client_id
     WHERE g.status = 'approved' AND g.decided_on >= ${since}::date AND ${ctx.scope} AND ${ctx.gemeente}
  `.execute(ctx.db);
  return [
    ...granted.rows.map((r) => ({
      id: `noodvoorziening-grant/${r.id.toString()}`,
      kind: 'noodvoorziening_granted' as const,
      date: r.decided_on,
      client: clientOf(r),
      message: ctx.w.noodvoorzieningGranted(formatMoney(Money.fromCents(r.amount_cents), ctx.m), r.kind, r.instalment_cents === null ? null : formatMoney(Money.fromCents(r.instalment_cents), ctx.m)),
      details: { grantId: r.id.toString(), kind: r.kind, amount: Money.fromCents(r.amount_cents).toString(), instalment: r.instalment_cents === null ? null : Money.fromCents(r.instalment_cents).toString() },
    })),
    ...paid.rows.map((r) => ({
      id: `noodvoorziening/${r.id.toString()}`,
      kind: 'noodvoorziening_paid' as const,
      date: r.execution_date,
      client: clientOf(r),
      message: ctx.w.noodvoorziening(formatMoney(Money.fromCents(r.amount_cents), ctx.m), r.creditor_name),
      details: { instructionId: r.id.toString(), amount: Money.fromCents(r.amount_cents).toString() },
    })),
    ...decisions.rows.map((r) => ({
      id: `maatwerk/${r.id.toString()}`,
      kind: 'maatwerk_decision' as const,
      date: r.decided_on,
      client: clientOf(r),
      message: ctx.w.maatwerk(r.reference_text, formatMoney(Money.fromCents(r.floor_cents), ctx.m), formatDate(r.effective_from, ctx.m)),
      details: { decision: 'leefgeld_floor', reference: r.reference_text, floor: Money.fromCents(r.floor_cents).toString(), effectiveFrom: r.effective_from },
    })),
  ];
}

/** Maatwerk decisions and revocations (issue 6) recorded or taking effect within `sinceDays`: the caseworker guides the client through them. */
async function maatwerkDecisionSignals(ctx: Context): Promise<Signal[]> {
  const since = addDays(ctx.query.asOf, -(ctx.query.sinceDays ?? 30));
  const { rows } = await sql<ClientColumns & { id: bigint; action: 'decide' | 'revoke'; scope: 'full_opt_out' | 'partial' | 'hand_over_plan' | null; effective_date: string; review_date: string | null; decided_on: string }>`
    SELECT d.id, d.client_id, c.reference, c.gemeente_id, d.action, d.scope, d.effective_date, d.review_date,
           to_char(d.created_at AT TIME ZONE 'Europe/Amsterdam', 'YYYY-MM-DD') AS decided_on
      FROM maatwerk_decision d
      JOIN client c ON c.id = d.client_id
     WHERE (d.created_at >= ${since}::date OR d.effective_date >= ${since}::date) AND ${ctx.scope} AND ${ctx.gemeente}
  `.execute(ctx.db);
  return rows.map((r) => ({
    id: `maatwerk-decision/${r.id.toString()}`,
    kind: 'maatwerk_decision' as const,
    date: r.decided_on,
    client: clientOf(r),
    message: r.action === 'revoke' || r.scope === null ? ctx.w.maatwerkRevoked(formatDate(r.effective_date, ctx.m)) : ctx.w.maatwerkDecided(r.scope, formatDate(r.effective_date, ctx.m), r.review_date ? formatDate(r.review_date, ctx.m) : '?'),
    details: { decision: r.action === 'revoke' ? 'revocation' : (r.scope ?? ''), decisionId: r.id.toString(), effectiveDate: r.effective_date, reviewDate: r.review_date },
  }));
}

/**
 * A maatwerk decision still standing (not revoked, not replaced) whose review date lies within 30 days
 * or has passed: the decision is reviewed by that date (domain rule 10), and nothing else reminds anyone.
 */
async function maatwerkReviewSignals(ctx: Context): Promise<Signal[]> {
  const horizon = addDays(ctx.query.asOf, 30);
  const { rows } = await sql<ClientColumns & { id: bigint; effective_date: string; review_date: string; days: number }>`
    SELECT d.id, d.client_id, c.reference, c.gemeente_id, d.effective_date, d.review_date, (d.review_date - ${ctx.query.asOf}::date) AS days
      FROM maatwerk_decision d
      JOIN client c ON c.id = d.client_id
     WHERE d.action = 'decide' AND d.review_date <= ${horizon}::date AND c.ontzorgen_ended_on IS NULL
       AND NOT EXISTS (SELECT 1 FROM maatwerk_decision later WHERE later.replaces_id = d.id)
       AND ${ctx.scope} AND ${ctx.gemeente}
  `.execute(ctx.db);
  return rows.map((r) => ({
    id: `maatwerk-review/${r.id.toString()}`,
    kind: 'maatwerk_review_due' as const,
    date: r.review_date,
    client: clientOf(r),
    message: ctx.w.maatwerkReviewDue(formatDate(r.effective_date, ctx.m), formatDate(r.review_date, ctx.m), r.days),
    details: { decisionId: r.id.toString(), effectiveDate: r.effective_date, reviewDate: r.review_date },
  }));
}

const SOURCES: readonly { kinds: readonly SignalKind[]; read: (ctx: Context) => Promise<Signal[]> }[] = [
  { kinds: ['arrears', 'shortfall'], read: dueSignals },
  { kinds: ['payment_returned'], read: returnedSignals },
  { kinds: ['period_ending', 'period_ended', 'review_due'], read: periodSignals },
  { kinds: ['advance_open'], read: advanceSignals },
  { kinds: ['noodvoorziening_paid', 'noodvoorziening_granted', 'maatwerk_decision'], read: eventSignals },
  { kinds: ['maatwerk_decision'], read: maatwerkDecisionSignals },
  { kinds: ['maatwerk_review_due'], read: maatwerkReviewSignals },
];

/** Newest first, then by id: the order the cursor walks. */
export function compareSignals(a: Signal, b: Signal): number {
  return b.date.localeCompare(a.date) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Every signal the principal may see, newest first. */
export async function listSignals(db: Kysely<Database>, principal: Principal, query: SignalQuery): Promise<Signal[]> {
  const ctx: Context = {
    db,
    scope: visibleClients(principal),
    gemeente: query.gemeente ? sql<boolean>`c.gemeente_id = ${query.gemeente}` : sql<boolean>`true`,
    query,
    m: LANGUAGES.get(query.language) ?? LANGUAGES.get('nl')!,
    w: WORDS[query.language],
  };
  const sources = SOURCES.filter((s) => !query.kind || s.kinds.includes(query.kind));
  const found = (await Promise.all(sources.map((s) => s.read(ctx)))).flat();
  return found.filter((s) => !query.kind || s.kind === query.kind).sort(compareSignals);
}

/** A page of signals after a cursor, with the cursor of the next page. */
export function pageOfSignals(all: readonly Signal[], limit: number, after: string | undefined): { items: Signal[]; next: string | null } {
  let start = 0;
  if (after) {
    const cursor = decodeCursor(after);
    start = all.findIndex((s) => compareSignals(s, { ...s, date: cursor.date, id: cursor.id }) > 0);
    if (start < 0) start = all.length;
  }
  const items = all.slice(start, start + limit);
  const last = items[items.length - 1];
  return { items, next: start + limit < all.length && last ? encodeCursor(last) : null };
}

function encodeCursor(s: Signal): string {
  return Buffer.from(`${s.date}|${s.id}`, 'utf8').toString('base64url');
}

function decodeCursor(text: string): { date: string; id: string } {
  const decoded = /^[A-Za-z0-9_-]{1,400}$/.test(text) ? Buffer.from(text, 'base64url').toString('utf8') : '';
  const match = /^(\d{4}-\d{2}-\d{2})\|([a-z_]+\/[A-Za-z0-9_/-]{1,200})$/.exec(decoded);
  if (!match) throw new StatementError('invalid_signal_cursor', 'the "after" cursor is not one this list gave out; start from the first page');
  return { date: match[1]!, id: match[2]! };
}
