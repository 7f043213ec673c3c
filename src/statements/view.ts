import type { Messages } from './language.js';
import type { AdvanceSummary, Statement } from './model.js';
import { describeLine, describePurpose, formatDate, formatMoney, formatMonth, lineKind } from './words.js';

/**
 * The statement in one language, as the JSON answer carries it and the HTML and CSV renderers
 * read it: amounts as decimal strings ("123.45", negative for money out), days as YYYY-MM-DD,
 * descriptions in words. No JS number ever holds an amount.
 */
export interface StatementLineView {
  readonly date: string;
  readonly kind: string;
  readonly description: string;
  readonly amount: string;
  readonly balance: string;
  readonly transactionId: string;
}

export interface StatementMonthView {
  readonly month: string;
  readonly label: string;
  readonly from: string;
  readonly to: string;
  readonly openingBalance: string;
  readonly closingBalance: string;
  readonly moneyIn: string;
  readonly moneyOut: string;
  readonly lines: readonly StatementLineView[];
}

export interface StatementView {
  readonly client: { readonly id: string; readonly reference: string; readonly name: string | null; readonly gemeente: { readonly id: string; readonly name: string } };
  readonly period: { readonly from: string; readonly to: string };
  readonly asOf: string;
  readonly language: string;
  readonly dir: 'ltr' | 'rtl';
  readonly currency: 'EUR';
  readonly openingBalance: string;
  readonly closingBalance: string;
  readonly moneyIn: string;
  readonly moneyOut: string;
  readonly months: readonly StatementMonthView[];
  readonly heldNow: string;
  readonly freeNow: string;
  readonly reserved: { readonly total: string; readonly items: readonly { readonly since: string; readonly kind: string | null; readonly description: string; readonly amount: string }[] };
  readonly nextPayments: readonly { readonly date: string | null; readonly kind: string; readonly description: string; readonly amount: string; readonly status: string; readonly statusText: string }[];
  readonly advance: {
    readonly lent: string;
    readonly repaid: string;
    readonly open: string;
    readonly recoveredInPeriod: string;
    readonly explanation: string;
    /** The grant's terms: present when the noodvoorziening records name the advance (absent for a bare ledger claim). */
    readonly grantedOn?: string;
    readonly instalment?: string | null;
    readonly handedOverOn?: string | null;
    /** Rule 11 in plain words: when, how much, a loan, the instalment; the hand-over when ontzorgen ended open. */
    readonly terms?: readonly string[];
  } | null;
  /** The maatwerk decision in force (or the next one decided) and its hand-over plan, in words; null: none. */
  readonly maatwerk?: {
    readonly scope: string;
    readonly status: 'in_force' | 'scheduled';
    readonly effectiveDate: string;
    readonly reviewDate: string | null;
    readonly heading: string;
    readonly summary: string;
    readonly plan: readonly { readonly obligationType: string; readonly payee: string; readonly handedOverOn: string | null; readonly text: string }[];
    readonly review: string | null;
  } | null;
}

function maatwerkView(s: Statement, m: Messages): StatementView['maatwerk'] {
  const d = s.maatwerk;
  if (!d) return null;
  return {
    scope: d.scope,
    status: d.status,
    effectiveDate: d.effectiveDate,
    reviewDate: d.reviewDate,
    heading: m.maatwerk.heading,
    summary: m.maatwerk.summary(d.scope, formatDate(d.effectiveDate, m), d.status === 'in_force'),
    plan: d.plan.map((p) => ({
      obligationType: p.obligationType,
      payee: p.payee,
      handedOverOn: p.handedOverOn,
      text: m.maatwerk.obligation(m.obligation[p.obligationType], p.payee, p.handedOverOn === null ? null : formatDate(p.handedOverOn, m)),
    })),
    review: d.reviewDate === null ? null : m.maatwerk.review(formatDate(d.reviewDate, m)),
  };
}

/** Rule 11: while anything is owed the advance is explained with its own amounts; a hand-over says what is left. */
function advanceTerms(advance: AdvanceSummary, m: Messages): string[] {
  if (!advance.open.isPositive() || advance.grantedOn === null) return [];
  const instalment = advance.instalment?.isPositive() && advance.handedOverOn === null ? formatMoney(advance.instalment, m) : null;
  const terms = [m.labels.advanceTerms(formatMoney(advance.lent, m), formatDate(advance.grantedOn, m), instalment)];
  if (advance.handedOverOn !== null) terms.push(m.labels.advanceHandedOver(formatDate(advance.handedOverOn, m), formatMoney(advance.open, m)));
  return terms;
}

export function statementView(s: Statement, m: Messages): StatementView {
  return {
    client: { id: s.client.id.toString(), reference: s.client.reference, name: s.client.name, gemeente: { id: s.client.gemeenteId, name: s.client.gemeenteName } },
    period: { from: s.from, to: s.to },
    asOf: s.asOf,
    language: m.language.code,
    dir: m.language.dir,
    currency: 'EUR',
    openingBalance: s.opening.toString(),
    closingBalance: s.closing.toString(),
    moneyIn: s.moneyIn.toString(),
    moneyOut: s.moneyOut.toString(),
    months: s.months.map((month) => ({
      month: month.month,
      label: formatMonth(month.month, m),
      from: month.from,
      to: month.to,
      openingBalance: month.opening.toString(),
      closingBalance: month.closing.toString(),
      moneyIn: month.moneyIn.toString(),
      moneyOut: month.moneyOut.toString(),
      lines: month.lines.map((line) => ({
        date: line.date,
        kind: lineKind(line.event),
        description: describeLine(line.event, m, line.date),
        amount: line.amount.toString(),
        balance: line.balance.toString(),
        transactionId: line.transactionId.toString(),
      })),
    })),
    heldNow: s.heldNow.toString(),
    freeNow: s.freeNow.toString(),
    reserved: {
      total: s.reserved.total.toString(),
      items: s.reserved.items.map((item) => ({ since: item.since, kind: item.purpose?.kind ?? null, description: describePurpose(item.purpose, m, s.asOf), amount: item.amount.toString() })),
    },
    nextPayments: s.nextPayments.map((p) => ({
      date: p.date,
      kind: p.payment.kind,
      description: describePurpose(p.payment, m, s.asOf),
      amount: p.amount.toString(),
      status: p.status,
      statusText: m.labels.statuses[p.status],
    })),
    advance: s.advance
      ? {
          lent: s.advance.lent.toString(),
          repaid: s.advance.repaid.toString(),
          open: s.advance.open.toString(),
          recoveredInPeriod: s.advance.recoveredInPeriod.toString(),
          explanation: m.labels.advanceExplanation,
          ...(s.advance.grantedOn !== null
            ? { grantedOn: s.advance.grantedOn, instalment: s.advance.instalment?.toString() ?? null, handedOverOn: s.advance.handedOverOn, terms: advanceTerms(s.advance, m) }
            : {}),
        }
      : null,
    maatwerk: maatwerkView(s, m),
  };
}
