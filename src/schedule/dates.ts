/**
 * Calendar days as `YYYY-MM-DD` strings. A day is a day: no time of day and no
 * time zone ever enters, so the arithmetic runs on UTC midnights only.
 */

export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export class InvalidDate extends Error {
  readonly code = 'invalid_date';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDate';
  }
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for a `YYYY-MM-DD` text naming a day that exists (no 2026-02-30), years 1583–9999. Integer arithmetic
 * only: the daily batch asks this some million times a run, and building a Date for each was its largest cost.
 */
export function isIsoDate(text: string): boolean {
  if (typeof text !== 'string' || text.length !== 10) return false;
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  const year = Number(match[1]);
  const month = Number(match[2]);
  const day = Number(match[3]);
  if (year < 1583 || month < 1 || month > 12 || day < 1) return false; // the Gregorian computus is meaningless before 1583
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

export function assertIsoDate(text: string, what = 'date'): void {
  if (!isIsoDate(text)) throw new InvalidDate(`${what} "${text}" is not a calendar day written as YYYY-MM-DD`);
}

function toEpochDay(date: IsoDate): number {
  assertIsoDate(date);
  return Date.UTC(Number(date.slice(0, 4)), Number(date.slice(5, 7)) - 1, Number(date.slice(8, 10))) / DAY_MS;
}

function fromEpochDay(day: number): IsoDate {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
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
  return new Date(toEpochDay(date) * DAY_MS).getUTCDay();
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
