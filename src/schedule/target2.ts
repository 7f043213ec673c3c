import { addDays, assertIsoDate, dayOfWeek, isoDate, type IsoDate } from './dates.js';

/**
 * The TARGET2 (T2) calendar SEPA credit transfers settle on. Closed: Saturdays,
 * Sundays, 1 January, Good Friday, Easter Monday, 1 May, 25 and 26 December.
 * Dutch public holidays (Koningsdag, Hemelvaart, Pinkstermaandag, 5 mei) are
 * business days for SEPA. A closing day on a weekend is simply lost, never moved.
 * SCT Inst runs every day; this calendar is for regular SCT.
 */

/**
 * Easter Sunday in the Gregorian calendar, by the anonymous Gregorian computus
 * (Meeus/Jones/Butcher), which holds for every year from 1583.
 */
export function easterSunday(year: number): IsoDate {
  if (!Number.isInteger(year) || year < 1583 || year > 9999) throw new RangeError(`no Gregorian Easter for year ${year}`);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return isoDate(year, month, day);
}

const closingDayCache = new Map<number, ReadonlySet<IsoDate>>();

/** The TARGET2 holidays of a year (weekends aside), in calendar order. */
export function target2Holidays(year: number): IsoDate[] {
  const easter = easterSunday(year);
  return [
    isoDate(year, 1, 1),
    addDays(easter, -2), // Good Friday
    addDays(easter, 1), // Easter Monday
    isoDate(year, 5, 1),
    isoDate(year, 12, 25),
    isoDate(year, 12, 26),
  ];
}

function holidaysOf(year: number): ReadonlySet<IsoDate> {
  let set = closingDayCache.get(year);
  if (!set) {
    set = new Set(target2Holidays(year));
    closingDayCache.set(year, set);
  }
  return set;
}

/** True when TARGET2 is open for regular SEPA credit transfers on this day. */
export function isBusinessDay(date: IsoDate): boolean {
  assertIsoDate(date);
  const weekday = dayOfWeek(date);
  if (weekday === 0 || weekday === 6) return false;
  return !holidaysOf(Number(date.slice(0, 4))).has(date);
}

/** The first business day strictly after `date`. */
export function nextBusinessDay(date: IsoDate): IsoDate {
  let day = addDays(date, 1);
  while (!isBusinessDay(day)) day = addDays(day, 1);
  return day;
}

/** The last business day strictly before `date`. */
export function previousBusinessDay(date: IsoDate): IsoDate {
  let day = addDays(date, -1);
  while (!isBusinessDay(day)) day = addDays(day, -1);
  return day;
}

/** `date` itself when it is a business day, else the next one ("following" convention). */
export function businessDayOnOrAfter(date: IsoDate): IsoDate {
  return isBusinessDay(date) ? date : nextBusinessDay(date);
}

/** `date` itself when it is a business day, else the previous one ("preceding" convention). */
export function businessDayOnOrBefore(date: IsoDate): IsoDate {
  return isBusinessDay(date) ? date : previousBusinessDay(date);
}

/**
 * Moves `count` business days forward (positive) or back (negative), counting
 * from `date` whether or not it is a business day itself: Saturday + 1 is the
 * first business day after that Saturday (Monday when open), Friday + 1 is
 * Monday. With 0 it returns `date` rolled forward to a business day.
 */
export function addBusinessDays(date: IsoDate, count: number): IsoDate {
  if (!Number.isInteger(count)) throw new RangeError(`cannot add ${count} business days: not a whole number`);
  if (count === 0) return businessDayOnOrAfter(date);
  let day = date;
  const step = count > 0 ? nextBusinessDay : previousBusinessDay;
  for (let left = Math.abs(count); left > 0; left -= 1) day = step(day);
  return day;
}

/** Business days in (from, to]: how many times `nextBusinessDay` takes `from` to `to` or beyond. */
export function businessDaysBetween(from: IsoDate, to: IsoDate): number {
  if (to < from) return -businessDaysBetween(to, from);
  let count = 0;
  for (let day = addDays(from, 1); day <= to; day = addDays(day, 1)) if (isBusinessDay(day)) count += 1;
  return count;
}
