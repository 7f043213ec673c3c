import type { IsoDate } from './dates.js';

const AMSTERDAM_DAY = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * Today in Europe/Amsterdam: the business day, whatever the server's zone (STYLE: times). Never
 * `toISOString().slice(0, 10)`, the UTC day: between midnight and 01:00 or 02:00 in Amsterdam it is still
 * yesterday there, and on the 1st a booking would land in last month's statement.
 */
export function amsterdamToday(now: Date): IsoDate {
  return AMSTERDAM_DAY.format(now);
}
