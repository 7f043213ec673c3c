import type { Money } from '../money/money.js';
import type { IsoDate } from '../schedule/index.js';
import type { Messages, PaymentWords } from './language.js';
import type { LineEvent, PaymentFacts } from './model.js';
import { isoWeek } from './period.js';

/**
 * From facts to words in one language: dates and amounts through `Intl` (amounts as exact decimal
 * strings, never a JS number), descriptions through the language's message functions.
 */

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const monthFormats = new Map<string, Intl.DateTimeFormat>();
const moneyFormats = new Map<string, Intl.NumberFormat>();

function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let found = cache.get(key);
  if (!found) {
    found = make();
    cache.set(key, found);
  }
  return found;
}

const noon = (date: IsoDate): Date => new Date(`${date}T12:00:00Z`);

/** "16 november 2026", "16 نوفمبر 2026". */
export function formatDate(date: IsoDate, m: Messages): string {
  return cached(dateFormats, m.language.locale, () => new Intl.DateTimeFormat(m.language.locale, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })).format(noon(date));
}

/** "16 nov." for a line within its month; with the year ("1 dec. 2026") elsewhere. */
export function formatShortDate(date: IsoDate, m: Messages, withYear: boolean): string {
  const key = `${m.language.locale}|short|${withYear ? 'y' : ''}`;
  return cached(dateFormats, key, () => new Intl.DateTimeFormat(m.language.locale, { day: 'numeric', month: 'short', ...(withYear ? { year: 'numeric' as const } : {}), timeZone: 'UTC' })).format(noon(date));
}

/** Month names, once per language and month: a statement names the same few months many times. */
const monthWords = new Map<string, string>();

/** "november 2026" for `2026-11`. */
export function formatMonth(month: string, m: Messages): string {
  return cached(monthWords, `${m.language.locale}|y|${month}`, () =>
    cached(monthFormats, `${m.language.locale}|y`, () => new Intl.DateTimeFormat(m.language.locale, { month: 'long', year: 'numeric', timeZone: 'UTC' })).format(noon(`${month}-15`)),
  );
}

function monthName(month: string, m: Messages): string {
  return cached(monthWords, `${m.language.locale}|${month}`, () =>
    cached(monthFormats, m.language.locale, () => new Intl.DateTimeFormat(m.language.locale, { month: 'long', timeZone: 'UTC' })).format(noon(`${month}-15`)),
  );
}

/** "€ 1.234,56" in Dutch, "€1,234.56" in English; from the exact decimal string. */
export function formatMoney(amount: Money | string, m: Messages): string {
  const text = typeof amount === 'string' ? amount : amount.toString();
  return cached(moneyFormats, m.language.locale, () => new Intl.NumberFormat(m.language.locale, { style: 'currency', currency: 'EUR' })).format(text as Intl.StringNumericLiteral);
}

const YEAR_MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const WEEK = /^\d{4}-W(\d{2})$/;

/**
 * A payment in words. `year`: the year the reader is looking at; an obligation month in another
 * year says its year ("januari 2027" on a December statement).
 */
export function paymentWords(p: PaymentFacts, m: Messages, year: string): PaymentWords {
  let month: string | null = null;
  let week: number | null = null;
  if (p.kind === 'obligation' && YEAR_MONTH.test(p.period)) month = p.period.startsWith(year) ? monthName(p.period, m) : formatMonth(p.period, m);
  if (p.kind === 'leefgeld') {
    if (DAY.test(p.period)) week = isoWeek(p.period);
    const w = WEEK.exec(p.period);
    if (w) week = Number(w[1]);
  }
  return {
    kind: p.kind,
    obligation: p.obligationType ? m.obligation[p.obligationType] : null,
    month,
    week,
    payee: p.payee,
    income: p.incomeType ? m.income[p.incomeType] : null,
  };
}

export function returnReason(code: string | null, m: Messages): string {
  return (code && m.returnReasons.codes[code.toUpperCase()]) || m.returnReasons.unknown(code);
}

/** The plain description of a statement line ("Huur november betaald aan Woonbron"). */
export function describeLine(event: LineEvent, m: Messages, date: IsoDate): string {
  const year = date.slice(0, 4);
  switch (event.kind) {
    case 'income':
      return m.describe.income(m.income[event.incomeType], event.payer);
    case 'payment':
      return m.describe.payment(paymentWords(event.payment, m, year));
    case 'payment_returned':
      return m.describe.paymentReturned(paymentWords(event.payment, m, year), returnReason(event.reasonCode, m));
    case 'payment_undone':
      return m.describe.paymentUndone(paymentWords(event.payment, m, year));
    case 'advance':
      return m.describe.advance;
    case 'advance_recovery':
      return m.describe.advanceRecovery;
    case 'correction':
      return m.describe.correction(describeLine(event.of, m, date));
    case 'other':
      return event.direction === 'in' ? m.describe.otherIn : m.describe.otherOut;
  }
}

/** What reserved money or a next payment is for. */
export function describePurpose(p: PaymentFacts | null, m: Messages, asOf: IsoDate): string {
  return p === null ? m.labels.otherReserved : m.describe.purpose(paymentWords(p, m, asOf.slice(0, 4)));
}

/** The kind code of a line in the JSON and CSV: the event, or the payment kind for payments. */
export function lineKind(event: LineEvent): string {
  switch (event.kind) {
    case 'payment':
      return `payment_${event.payment.kind}`;
    case 'correction':
      return `correction_${lineKind(event.of)}`;
    default:
      return event.kind;
  }
}
