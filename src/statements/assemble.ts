import type { Kysely } from 'kysely';
import { dueWithinBasis, type DueInstance } from '../clients/obligation-rules.js';
import { periodsUntil } from '../clients/ontzorg-periods.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { addDays, type IsoDate } from '../schedule/index.js';
import { instructionFactsOf, lineEvent, paymentFacts } from './describe.js';
import { advanceTermsOf } from '../noodvoorziening/reads.js';
import { decisionsOf, maatwerkOnStatement } from '../maatwerk/read.js';
import { withheldOn } from '../maatwerk/rules.js';
import { readFacts, type OpenInstructionRow, type PendingRow, type StatementFacts } from './facts.js';
import type { ReservedItem, Statement, StatementLine, StatementMonth, UpcomingPayment, UpcomingStatus } from './model.js';
import { monthsOf, type StatementPeriod } from './period.js';

/** How far ahead "next payments" looks for obligations that are not reserved yet. */
export const EXPECTED_DAYS_AHEAD = 35;

export interface StatementOptions extends StatementPeriod {
  /** Today (Europe/Amsterdam): what "now" means for reservations and next payments. */
  readonly asOf: IsoDate;
}

/**
 * A client's statement for a period, or null when there is no such client. One read (see
 * facts.ts): the account's counters, the period's lines, the open reservations and what the next
 * payments are made of come from one snapshot, so they reconcile with the ledger to the cent.
 * The opening balance is the counters less what was booked from `from` on (only the period and what
 * came after it are read, never the whole history).
 */
export async function clientStatement(db: Kysely<Database> | Trx, clientId: bigint, options: StatementOptions): Promise<Statement | null> {
  const until = addDays(options.asOf, EXPECTED_DAYS_AHEAD);
  const facts = await readFacts(db, clientId, options.from, options.to, monthsOf({ from: options.asOf, to: until }).map((m) => m.month));
  if (!facts) return null;
  // Rule 11: an advance is explained with its terms on every statement; read only for a client who had one.
  const advanceTerms = facts.header.advance_accounts > 0n ? await advanceTermsOf(db, clientId) : null;
  // Maatwerk is shown to the client and the caseworker (issue 6); read only for a client who has a decision.
  const maatwerk = facts.hasMaatwerk ? ((await decisionsOf(db, [clientId])).get(clientId) ?? []) : [];
  const statement = assembleStatement({ ...facts, advanceTerms, maatwerk }, options);
  return { ...statement, maatwerk: maatwerkOnStatement(maatwerk, facts.obligations, options.asOf) };
}

/** The statement from its facts: pure. */
export function assembleStatement(facts: StatementFacts, options: StatementOptions): Statement {
  const { header, pending, instructions } = facts;
  const postedNow = (header.credits_posted ?? 0n) - (header.debits_posted ?? 0n);
  const inPeriod = facts.lines.reduce((sum, r) => sum + signed(r.side, r.amount_cents), 0n);
  const closing = postedNow - header.after_net;
  const opening = closing - inPeriod;

  const months = splitIntoMonths(options, opening, facts.lines.map((row) => ({ row, event: lineEvent(row) })));
  const reserved = reservedItems(pending, instructions);
  const reservedTotal = pending.reduce((sum, p) => sum + p.amount_cents, 0n);
  const recovered = months.flatMap((m) => m.lines).filter((l) => l.event.kind === 'advance_recovery').reduce((sum, l) => sum - l.amount.cents, 0n);
  const lent = header.advance_lent ?? 0n;
  const repaid = header.advance_repaid ?? 0n;

  return {
    client: { id: header.id, reference: header.reference, name: header.name, gemeenteId: header.gemeente_id, gemeenteName: header.gemeente_name },
    from: options.from,
    to: options.to,
    asOf: options.asOf,
    opening: Money.fromCents(opening),
    closing: Money.fromCents(closing),
    moneyIn: Money.sum(months.map((m) => m.moneyIn)),
    moneyOut: Money.sum(months.map((m) => m.moneyOut)),
    months,
    reserved: { total: Money.fromCents(reservedTotal), items: reserved.items },
    heldNow: Money.fromCents(postedNow),
    freeNow: Money.fromCents(postedNow - (header.debits_pending ?? 0n)),
    nextPayments: [...reserved.upcoming, ...expectedPayments(facts, options.asOf)].sort((a, b) => (a.date ?? '9999').localeCompare(b.date ?? '9999')),
    advance:
      header.advance_accounts > 0n
        ? {
            lent: Money.fromCents(lent),
            repaid: Money.fromCents(repaid),
            open: Money.fromCents(lent - repaid),
            recoveredInPeriod: Money.fromCents(recovered),
            grantedOn: facts.advanceTerms?.grantedOn ?? null,
            instalment: facts.advanceTerms?.instalment ?? null,
            handedOverOn: facts.advanceTerms?.handedOverOn ?? null,
          }
        : null,
  };
}

const signed = (side: 'D' | 'C', cents: bigint): bigint => (side === 'C' ? cents : -cents);

function splitIntoMonths(period: StatementPeriod, opening: bigint, lines: readonly { row: { booking_date: string; side: 'D' | 'C'; amount_cents: bigint; transaction_id: bigint }; event: StatementLine['event'] }[]): StatementMonth[] {
  let balance = opening;
  let next = 0;
  return monthsOf(period).map((span) => {
    const monthOpening = balance;
    const monthLines: StatementLine[] = [];
    let moneyIn = 0n;
    let moneyOut = 0n;
    while (next < lines.length && lines[next]!.row.booking_date <= span.to) {
      const { row, event } = lines[next++]!;
      const amount = signed(row.side, row.amount_cents);
      balance += amount;
      if (amount > 0n) moneyIn += amount;
      else moneyOut -= amount;
      monthLines.push({ date: row.booking_date, amount: Money.fromCents(amount), balance: Money.fromCents(balance), event, transactionId: row.transaction_id });
    }
    return { month: span.month, from: span.from, to: span.to, opening: Money.fromCents(monthOpening), closing: Money.fromCents(balance), moneyIn: Money.fromCents(moneyIn), moneyOut: Money.fromCents(moneyOut), lines: monthLines };
  });
}

/**
 * Each open reservation with its purpose: the payment instruction that will pay it (by its
 * reservation key, or for a returned or bank-rejected payment the key the payments module reserves
 * it again under), else the allocation's reservation row. The same facts give the next payments.
 */
function reservedItems(pending: readonly PendingRow[], instructions: readonly OpenInstructionRow[]): { items: ReservedItem[]; upcoming: UpcomingPayment[] } {
  const byReservation = new Map<string, OpenInstructionRow>();
  const byId = new Map<string, OpenInstructionRow>();
  for (const i of instructions) {
    byId.set(i.id.toString(), i);
    // The newest instruction on a reservation (a retry) wins.
    if (i.status === 'created' || i.status === 'held' || i.status === 'batched' || i.status === 'cancelled') byReservation.set(i.reservation_key, i);
  }
  const items: ReservedItem[] = [];
  const upcoming: UpcomingPayment[] = [];
  for (const p of pending) {
    const amount = Money.fromCents(p.amount_cents);
    const planned = byReservation.get(p.key);
    // Reserved again after a return or a bank rejection, and not yet issued again.
    const again = planned ? undefined : /^(?:return-reserve|bank-rejected-reserve)\/(\d{1,18})$/.exec(p.key);
    const instruction = planned ?? (again ? byId.get(again[1]!) : undefined);
    if (instruction) {
      const purpose = paymentFacts(instructionFactsOf(instruction));
      const status: UpcomingStatus = !planned || instruction.status === 'cancelled' ? 'waiting' : instruction.status === 'held' ? 'held' : 'planned';
      items.push({ since: p.booking_date, amount, purpose });
      upcoming.push({ date: status === 'waiting' ? null : instruction.due_date, amount, payment: purpose, status });
    } else if (p.ar_obligation_id !== null) {
      const purpose = { kind: 'obligation' as const, obligationType: p.ar_obligation_type ?? 'other', period: p.ar_period ?? '', payee: p.ar_payee_name, incomeType: null };
      items.push({ since: p.booking_date, amount, purpose });
      upcoming.push({ date: p.ar_due_date, amount, payment: purpose, status: 'reserved' });
    } else {
      items.push({ since: p.booking_date, amount, purpose: null });
    }
  }
  return { items, upcoming };
}

/**
 * Due instances depend only on the obligations, the periods and the days: the key below is everything
 * `dueWithinBasis` reads, so an entry can never be stale. A client's statements of one day compute them
 * once (they were a tenth of a statement's CPU).
 */
const duesMemo = new Map<string, readonly DueInstance[]>();
const DUES_MEMO_SIZE = 20_000;

function coveredDues(facts: StatementFacts, from: IsoDate, until: IsoDate): readonly DueInstance[] {
  const periods = periodsUntil(facts.periods, facts.header.ontzorgen_ended_on);
  const key = [
    from,
    until,
    facts.obligations
      .map((o) => `${o.id}.${o.type}.${o.frequency}.${o.validUntil ?? ''}:${o.versions.map((v) => `${v.version}.${v.effectiveFrom}.${v.amount.cents}.${v.dueDay}.${v.basis}`).join(':')}`)
      .join(','),
    periods.map((p) => `${p.basis}.${p.firstDay}.${p.lastDay ?? ''}`).join(','),
  ].join('|');
  let dues = duesMemo.get(key);
  if (!dues) {
    dues = dueWithinBasis(facts.obligations, periods, from, until).covered;
    if (duesMemo.size >= DUES_MEMO_SIZE) duesMemo.clear();
    duesMemo.set(key, dues);
  }
  return dues;
}

/** Obligations due within the next weeks whose money is not reserved yet (rule 3: only those with a basis in force). */
function expectedPayments(facts: StatementFacts, asOf: IsoDate): UpcomingPayment[] {
  if (facts.obligations.length === 0) return [];
  return coveredDues(facts, asOf, addDays(asOf, EXPECTED_DAYS_AHEAD))
    .filter((due) => !facts.handled.has(`${due.obligationId}|${due.periodKey}`))
    // An obligation handed over by a maatwerk decision is the client's to pay: not expected from us.
    .filter((due) => facts.maatwerk === undefined || withheldOn(facts.maatwerk, due.obligationId, due.dueDate))
    .map((due) => {
      const obligation = facts.obligations.find((o) => o.id === due.obligationId)!;
      return { date: due.dueDate, amount: due.amount, status: 'expected' as const, payment: { kind: 'obligation' as const, obligationType: due.type, period: due.periodKey, payee: obligation.payee.name, incomeType: null } };
    });
}
