import { addDays, assertIsoDate, dayOfWeek, daysBetween, InvalidDate, type IsoDate } from './dates.js';
import { addMonths, dayOfMonthClamped, firstDayOf, lastDayOf, monthsBetween, yearMonthOf, type YearMonth } from './months.js';

/**
 * When leefgeld is on the client's own account. The dates here are the days
 * the client has the money; the execution date (a business day before) comes
 * from `executionDateWithLead`.
 */

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export type LeefgeldRhythm =
  /** Every week on the same weekday. */
  | { kind: 'weekly'; weekday: Weekday }
  /** Every fourteen days from `firstDate` (the first payment; it fixes the weekday). */
  | { kind: 'biweekly'; firstDate: IsoDate }
  /** Once a month on day `day` (1–31; a shorter month pays on its last day). */
  | { kind: 'monthly'; day: number };

/**
 * Default: weekly on Monday. A week's groceries are planned at its start, and
 * the execution date (the business day before, normally Friday) means most
 * Dutch banks credit it before the weekend. When the Monday is Easter Monday
 * (TARGET2 closed) the execution-date rule moves execution before Good Friday.
 */
export const DEFAULT_LEEFGELD_RHYTHM: LeefgeldRhythm = { kind: 'weekly', weekday: 'monday' };

export function assertLeefgeldRhythm(rhythm: LeefgeldRhythm): void {
  switch (rhythm.kind) {
    case 'weekly':
      if (!WEEKDAYS.includes(rhythm.weekday)) throw new InvalidDate(`leefgeld weekday "${String(rhythm.weekday)}" is not a day of the week`);
      return;
    case 'biweekly':
      assertIsoDate(rhythm.firstDate, 'first leefgeld date');
      return;
    case 'monthly':
      if (!Number.isInteger(rhythm.day) || rhythm.day < 1 || rhythm.day > 31) throw new InvalidDate(`leefgeld day ${rhythm.day} is not between 1 and 31`);
      return;
    default:
      throw new InvalidDate(`unknown leefgeld rhythm ${JSON.stringify(rhythm)}`);
  }
}

/** Every leefgeld date in [from, to], in order. */
export function leefgeldDates(rhythm: LeefgeldRhythm, from: IsoDate, to: IsoDate): IsoDate[] {
  assertLeefgeldRhythm(rhythm);
  assertIsoDate(from, 'from');
  assertIsoDate(to, 'to');
  const dates: IsoDate[] = [];
  if (to < from) return dates;
  if (rhythm.kind === 'monthly') {
    const last = yearMonthOf(to);
    for (let month = yearMonthOf(from); monthsBetween(month, last) >= 0; month = addMonths(month, 1)) {
      const date = dayOfMonthClamped(month, rhythm.day);
      if (date >= from && date <= to) dates.push(date);
    }
    return dates;
  }
  const step = rhythm.kind === 'weekly' ? 7 : 14;
  let first: IsoDate;
  if (rhythm.kind === 'weekly') {
    first = addDays(from, (WEEKDAYS.indexOf(rhythm.weekday) - dayOfWeek(from) + 7) % 7);
  } else {
    const sinceFirst = daysBetween(rhythm.firstDate, from);
    first = sinceFirst <= 0 ? rhythm.firstDate : addDays(rhythm.firstDate, Math.ceil(sinceFirst / 14) * 14);
  }
  for (let date = first; date <= to; date = addDays(date, step)) dates.push(date);
  return dates;
}

/** The leefgeld dates that fall in one calendar month. */
export function leefgeldDatesInMonth(rhythm: LeefgeldRhythm, month: YearMonth): IsoDate[] {
  return leefgeldDates(rhythm, firstDayOf(month), lastDayOf(month));
}

/** The first leefgeld date on or after `date`. */
export function nextLeefgeldDate(rhythm: LeefgeldRhythm, date: IsoDate): IsoDate {
  const found = leefgeldDates(rhythm, date, addDays(date, 62))[0];
  if (!found) throw new InvalidDate(`no leefgeld date within two months of ${date}`);
  return found;
}
