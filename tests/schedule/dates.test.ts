import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, dayOfWeek, daysBetween, isIsoDate } from '../../src/schedule/index.js';

/**
 * The calendar's arithmetic runs on character codes and integers (the daily batch asks it millions of times a run);
 * these properties hold it to what JavaScript's own Date says about the same days.
 */
const DAY_MS = 86_400_000;
const byDate = {
  isIsoDate(text: string): boolean {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) return false;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    if (year < 1583) return false;
    const date = new Date(Date.UTC(year, month - 1, day));
    return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  },
  fromEpochDay: (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10),
};

// Days from 1583 to 9999 and a little beyond either end.
const epochDay = fc.integer({ min: -141_000, max: 2_933_000 });
const nearlyADate = fc.oneof(
  epochDay.map(byDate.fromEpochDay),
  fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 19 }), fc.integer({ min: 0, max: 39 })).map(
    ([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
  ),
  // Shaped like a date, with now and then a character just outside the digits ('/' and ':' border them) or the dash.
  fc.tuple(...Array.from({ length: 10 }, (_, i) => fc.oneof({ weight: 12, arbitrary: i === 4 || i === 7 ? fc.constant('-') : fc.constantFrom('0', '1', '2', '3', '9') }, { weight: 1, arbitrary: fc.constantFrom('/', ':', ' ', 'a', '٣', '+', '-', '0') }))).map((chars) => chars.join('')),
  fc.string({ maxLength: 12 }),
);

describe('calendar days without Date', () => {
  it('isIsoDate accepts exactly the days that exist from 1583 on, written YYYY-MM-DD', () => {
    fc.assert(
      fc.property(nearlyADate, (text) => {
        expect(isIsoDate(text)).toBe(byDate.isIsoDate(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['2024-02-29', '2000-02-29', '1583-01-01', '9999-12-31']) expect(isIsoDate(text)).toBe(true);
    for (const text of ['2023-02-29', '1900-02-29', '1582-12-31', '2026-13-01', '2026-00-10', '2026-04-31', '2026-1-010', '２０２６-01-01', '2026-01-01 ']) expect(isIsoDate(text)).toBe(false);
  });

  it('addDays, daysBetween and dayOfWeek agree with Date on every day from 1583 to 9999', () => {
    fc.assert(
      fc.property(epochDay.filter((d) => byDate.isIsoDate(byDate.fromEpochDay(d))), fc.integer({ min: -100_000, max: 100_000 }), (day, offset) => {
        const date = byDate.fromEpochDay(day);
        expect(addDays(date, offset)).toBe(byDate.fromEpochDay(day + offset));
        expect(addDays(date, 0)).toBe(date);
        const later = byDate.fromEpochDay(day + offset);
        if (isIsoDate(later)) expect(daysBetween(date, later)).toBe(offset);
        expect(dayOfWeek(date)).toBe(new Date(day * DAY_MS).getUTCDay());
      }),
      { numRuns: 20_000 },
    );
  });

  it('knows the days around the turns of months, leap days and centuries', () => {
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2023-02-28', 1)).toBe('2023-03-01');
    expect(addDays('2100-02-28', 1)).toBe('2100-03-01');
    expect(addDays('2000-02-28', 1)).toBe('2000-02-29');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('1600-01-01', -1)).toBe('1599-12-31');
    expect(dayOfWeek('2026-11-26')).toBe(4); // a Thursday
    expect(daysBetween('2026-01-01', '2027-01-01')).toBe(365);
  });
});
