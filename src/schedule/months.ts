import { addDays, assertIsoDate, InvalidDate, isoDate, type IsoDate } from './dates.js';

/** A calendar month as `YYYY-MM`: the period key of monthly obligations and the unit of paydays. */
export type YearMonth = string;

const YEAR_MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

export function isYearMonth(text: string): boolean {
  const match = YEAR_MONTH.exec(text);
  return match !== null && Number(match[1]) >= 1583;
}

export function assertYearMonth(text: string, what = 'month'): void {
  if (!isYearMonth(text)) throw new InvalidDate(`${what} "${text}" is not a month written as YYYY-MM`);
}

function parts(month: YearMonth): [number, number] {
  assertYearMonth(month);
  return [Number(month.slice(0, 4)), Number(month.slice(5, 7))];
}

export function yearMonthOf(date: IsoDate): YearMonth {
  assertIsoDate(date);
  return date.slice(0, 7);
}

export function addMonths(month: YearMonth, count: number): YearMonth {
  if (!Number.isInteger(count)) throw new InvalidDate(`cannot add ${count} months: not a whole number`);
  const [year, monthNumber] = parts(month);
  const index = year * 12 + (monthNumber - 1) + count;
  const result = `${String(Math.floor(index / 12)).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
  assertYearMonth(result);
  return result;
}

/** Whole months from `from` to `to` (negative when `to` is earlier). */
export function monthsBetween(from: YearMonth, to: YearMonth): number {
  const [y1, m1] = parts(from);
  const [y2, m2] = parts(to);
  return (y2 - y1) * 12 + (m2 - m1);
}

export function daysInMonth(month: YearMonth): number {
  const [year, monthNumber] = parts(month);
  return new Date(Date.UTC(year, monthNumber, 0)).getUTCDate();
}

export function firstDayOf(month: YearMonth): IsoDate {
  const [year, monthNumber] = parts(month);
  return isoDate(year, monthNumber, 1);
}

export function lastDayOf(month: YearMonth): IsoDate {
  const [year, monthNumber] = parts(month);
  return isoDate(year, monthNumber, daysInMonth(month));
}

/**
 * Day `day` (1–31) of a month, or the month's last day when it is shorter:
 * rent "due on the 31st" is due on 30 April and 28 February.
 */
export function dayOfMonthClamped(month: YearMonth, day: number): IsoDate {
  if (!Number.isInteger(day) || day < 1 || day > 31) throw new InvalidDate(`day of month ${day} is not between 1 and 31`);
  const [year, monthNumber] = parts(month);
  return isoDate(year, monthNumber, Math.min(day, daysInMonth(month)));
}

/**
 * The day with the same number `count` months later; when that month has no
 * such day (31 August + 6 months), the first day of the month after it. This
 * is the exclusive end of a period of `count` months that includes `date`:
 * [31 August 2026, 1 March 2027) covers all of February.
 */
export function sameDayMonthsLater(date: IsoDate, count: number): IsoDate {
  assertIsoDate(date);
  const target = addMonths(yearMonthOf(date), count);
  const day = Number(date.slice(8, 10));
  return day <= daysInMonth(target) ? dayOfMonthClamped(target, day) : firstDayOf(addMonths(target, 1));
}

/** The last day of a period of `count` calendar months whose first day is `firstDay`. */
export function lastDayOfMonthsFrom(firstDay: IsoDate, count: number): IsoDate {
  return addDays(sameDayMonthsLater(firstDay, count), -1);
}
