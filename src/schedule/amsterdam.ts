import type { IsoDate } from './dates.js';

const AMSTERDAM_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * Today in Europe/Amsterdam: the business day, whatever the server's zone (STYLE: times). Never
 * `toISOString().slice(0, 10)`, the UTC day: between midnight and 01:00 or 02:00 in Amsterdam it is still
 * yesterday there, and on the 1st a booking would land in last month's statement.
 */
export function amsterdamToday(now: Date): IsoDate {
  // Amsterdam's offset is whole hours, so its day can only change at a whole minute: formatting once per minute is
  // exact, and the formatter was a visible part of every statement request's CPU.
  const minute = Math.floor(now.getTime() / 60_000);
  if (minute !== lastMinute) {
    lastDay = AMSTERDAM_DAY.format(now);
    lastMinute = minute;
  }
  return lastDay;
}

let lastMinute = Number.NaN;
let lastDay = '';

const AMSTERDAM_WALL = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/Amsterdam',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

/** The wall clock in Amsterdam: its day, its time (HH:MM, what schedules compare), and both to the second (a pain.001's creation time). */
export function amsterdamWallClock(now: Date): { readonly date: IsoDate; readonly time: string; readonly dateTime: string } {
  const p: Partial<Record<Intl.DateTimeFormatPartTypes, string>> = {};
  for (const part of AMSTERDAM_WALL.formatToParts(now)) p[part.type] = part.value;
  const date = `${p.year}-${p.month}-${p.day}`;
  return { date, time: `${p.hour}:${p.minute}`, dateTime: `${date}T${p.hour}:${p.minute}:${p.second}` };
}
