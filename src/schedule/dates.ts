/**
 * Calendar days as `YYYY-MM-DD` strings. A day is a day: no time of day and no
 * time zone ever enters, so the arithmetic runs on UTC midnights only.
 */

export type IsoDate = string;

const DAY_MS = 86_400_000;
const DASH = 45;
const ZERO = 48;

export class InvalidDate extends Error {
  readonly code = 'invalid_date';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDate';
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written by the ASCII digits of `text` from `start` to `end`, or -1 when one is not a digit. */
function digitsAt(text: string, start: number, end: number): number {
  let value = 0;
  for (let i = start; i < end; i++) {
    const digit = text.charCodeAt(i) - ZERO;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/**
 * The day number (days after 1970-01-01) of a `YYYY-MM-DD` text naming a day that exists (no 2026-02-30), years
 * 1583–9999, or NaN: the text is read once, by character codes and integer arithmetic, nothing allocated. The daily
 * batch asks this some million times a run (a Date per call was once its largest cost, a regular expression's match
 * array per call later a good part of its garbage). Howard Hinnant's days-from-civil (proleptic Gregorian).
 */
function epochDayOf(text: string): number {
  if (typeof text !== 'string' || text.length !== 10 || text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH) return NaN;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  if (year < 1583 || month < 1 || month > 12 || day < 1) return NaN; // the Gregorian computus is meaningless before 1583
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  if (day > (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!)) return NaN;
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** True for a `YYYY-MM-DD` text naming a day that exists (no 2026-02-30), years 1583–9999. */
export function isIsoDate(text: string): boolean {
  return !Number.isNaN(epochDayOf(text));
}

function invalidDate(text: string, what: string): InvalidDate {
  return new InvalidDate(`${what} "${text}" is not a calendar day written as YYYY-MM-DD`);
}

export function assertIsoDate(text: string, what = 'date'): void {
  if (!isIsoDate(text)) throw invalidDate(text, what);
}

function toEpochDay(date: IsoDate): number {
  const day = epochDayOf(date);
  if (Number.isNaN(day)) throw invalidDate(date, 'date');
  return day;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/**
 * The day `day` days after 1970-01-01, by Howard Hinnant's civil-from-days (integer arithmetic, proleptic Gregorian):
 * the same as `new Date(day * DAY_MS).toISOString().slice(0, 10)` without the Date and the two strings around it.
 */
function fromEpochDay(day: number): IsoDate {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1_460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  // Years before 1000 are written zero-padded and those beyond 0–9999 with a sign: left to Date (isIsoDate refuses them).
  if (y < 1000 || y > 9999) return new Date(day * DAY_MS).toISOString().slice(0, 10);
  return `${y}-${pad2(m)}-${pad2(d)}`;
}

export function isoDate(year: number, month: number, day: number): IsoDate {
  const text = `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
  assertIsoDate(text);
  return text;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  if (!Number.isInteger(days)) throw new InvalidDate(`cannot add ${days} days: not a whole number`);
  return fromEpochDay(toEpochDay(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return toEpochDay(to) - toEpochDay(from);
}

/** 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(date: IsoDate): number {
  // 1970-01-01 was a Thursday.
  return (((toEpochDay(date) + 4) % 7) + 7) % 7;
}

/**
 * The same day one year later; 29 February becomes 28 February. Used for
 * "at most a year ahead" limits.
 */
export function addOneYear(date: IsoDate): IsoDate {
  assertIsoDate(date);
  const next = `${String(Number(date.slice(0, 4)) + 1).padStart(4, '0')}${date.slice(4)}`;
  return isIsoDate(next) ? next : `${next.slice(0, 8)}28`;
}
