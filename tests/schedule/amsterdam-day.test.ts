import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amsterdamToday, amsterdamWallClock } from '../../src/schedule/index.js';

const direct = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit' });

describe('the Amsterdam day', () => {
  it('turns at midnight in Amsterdam, in winter and in summer time, not at midnight UTC', () => {
    expect(amsterdamToday(new Date('2026-03-31T21:59:59Z'))).toBe('2026-03-31');
    expect(amsterdamToday(new Date('2026-03-31T22:00:00Z'))).toBe('2026-04-01');
    expect(amsterdamToday(new Date('2026-11-30T22:59:59Z'))).toBe('2026-11-30');
    expect(amsterdamToday(new Date('2026-11-30T23:00:00Z'))).toBe('2026-12-01');
    // The nights the clocks change.
    expect(amsterdamToday(new Date('2026-03-29T00:59:59Z'))).toBe('2026-03-29');
    expect(amsterdamToday(new Date('2026-10-24T21:59:59Z'))).toBe('2026-10-24');
    expect(amsterdamToday(new Date('2026-10-24T22:00:00Z'))).toBe('2026-10-25');
  });

  it('answers what the formatter answers for any moment, however the calls follow each other (it remembers only the last minute)', () => {
    const moment = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }).map((ms) => new Date(ms));
    // Pairs close together (the same minute, the minute around a midnight) as well as far apart.
    const near = fc.tuple(moment, fc.integer({ min: -120_000, max: 120_000 })).map(([d, delta]) => [d, new Date(d.getTime() + delta)] as const);
    fc.assert(
      fc.property(fc.array(fc.oneof(moment.map((d) => [d] as const), near), { minLength: 1, maxLength: 20 }), (groups) => {
        for (const d of groups.flat()) {
          expect(amsterdamToday(d)).toBe(direct.format(d));
          expect(amsterdamWallClock(d).date).toBe(direct.format(d));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses an invalid date rather than answering the last day it saw', () => {
    amsterdamToday(new Date('2026-01-01T12:00:00Z'));
    expect(() => amsterdamToday(new Date(Number.NaN))).toThrow(RangeError);
  });
});
