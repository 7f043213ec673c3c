import { addMonths, firstDayOf, isIsoDate, lastDayOf, monthsBetween, yearMonthOf, type IsoDate } from '../schedule/index.js';
import { StatementError } from './errors.js';

/** The days a statement covers, and the calendar months it prints as (one A4 each). */
export interface StatementPeriod {
  readonly from: IsoDate;
  readonly to: IsoDate;
}

export interface StatementMonthSpan {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly from: IsoDate;
  readonly to: IsoDate;
}

export const MAX_STATEMENT_MONTHS = 24;

export { amsterdamToday } from '../schedule/amsterdam.js';

/**
 * The period asked for: both days given; one day given (the rest of its calendar month); or
 * nothing (the calendar month of today). Refused: a day that is not `YYYY-MM-DD`, `from` after
 * `to`, more than 24 calendar months.
 */
export function statementPeriod(asked: { from?: string | undefined; to?: string | undefined }, today: IsoDate): StatementPeriod {
  for (const [name, value] of [['from', asked.from], ['to', asked.to]] as const) {
    if (value !== undefined && !isIsoDate(value)) throw new StatementError('invalid_statement_period', `${name} "${value}" is not a day written as YYYY-MM-DD`);
  }
  const from = asked.from ?? firstDayOf(yearMonthOf(asked.to ?? today));
  const to = asked.to ?? lastDayOf(yearMonthOf(asked.from ?? today));
  if (from > to) throw new StatementError('invalid_statement_period', `from (${from}) lies after to (${to})`);
  if (monthsBetween(yearMonthOf(from), yearMonthOf(to)) >= MAX_STATEMENT_MONTHS) {
    throw new StatementError('invalid_statement_period', `a statement covers at most ${MAX_STATEMENT_MONTHS} calendar months; ask for ${from} to ${to} in parts`);
  }
  return { from, to };
}

/** The calendar months of a period, each clipped to it. */
export function monthsOf(period: StatementPeriod): StatementMonthSpan[] {
  const spans: StatementMonthSpan[] = [];
  for (let month = yearMonthOf(period.from); month <= yearMonthOf(period.to); month = addMonths(month, 1)) {
    const first = firstDayOf(month);
    const last = lastDayOf(month);
    spans.push({ month, from: first < period.from ? period.from : first, to: last > period.to ? period.to : last });
  }
  return spans;
}

/** ISO 8601 week number of a day (weeks start on Monday; week 1 holds the first Thursday). */
export function isoWeek(date: IsoDate): number {
  const day = new Date(`${date}T00:00:00Z`);
  const weekday = (day.getUTCDay() + 6) % 7;
  day.setUTCDate(day.getUTCDate() - weekday + 3);
  const firstThursday = new Date(Date.UTC(day.getUTCFullYear(), 0, 4));
  const firstWeekday = (firstThursday.getUTCDay() + 6) % 7;
  firstThursday.setUTCDate(firstThursday.getUTCDate() - firstWeekday + 3);
  return 1 + Math.round((day.getTime() - firstThursday.getTime()) / (7 * 86_400_000));
}
