import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  addDays,
  addOneYear,
  businessDayOnOrAfter,
  businessDayOnOrBefore,
  businessDaysBetween,
  easterSunday,
  isBusinessDay,
  isIsoDate,
  latestExecutionDate,
  nextBusinessDay,
  planExecutionDate,
  previousBusinessDay,
  target2Holidays,
} from '../../src/schedule/index.js';

describe('Easter by the Gregorian computus', () => {
  it.each([
    [2024, '2024-03-31'],
    [2025, '2025-04-20'],
    [2026, '2026-04-05'],
    [2027, '2027-03-28'],
    [2028, '2028-04-16'],
    [2038, '2038-04-25'], // latest possible date
    [2285, '2285-03-22'], // earliest possible date
    [2000, '2000-04-23'],
    [1818, '1818-03-22'],
  ])('Easter %i is %s', (year, date) => {
    expect(easterSunday(year)).toBe(date);
  });

  it('always falls on a Sunday between 22 March and 25 April', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1583, max: 9999 }), (year) => {
        const easter = easterSunday(year);
        expect(new Date(`${easter}T00:00:00Z`).getUTCDay()).toBe(0);
        expect(easter.slice(5) >= '03-22' && easter.slice(5) <= '04-25').toBe(true);
      }),
    );
  });
});

describe('TARGET2 business days', () => {
  it('closes on Good Friday and Easter Monday', () => {
    expect(target2Holidays(2026)).toEqual(['2026-01-01', '2026-04-03', '2026-04-06', '2026-05-01', '2026-12-25', '2026-12-26']);
    expect(target2Holidays(2027)).toEqual(['2027-01-01', '2027-03-26', '2027-03-29', '2027-05-01', '2027-12-25', '2027-12-26']);
    expect(isBusinessDay('2026-04-03')).toBe(false);
    expect(isBusinessDay('2026-04-06')).toBe(false);
    expect(isBusinessDay('2027-03-26')).toBe(false);
    expect(isBusinessDay('2027-03-29')).toBe(false);
  });

  it('closes on 1 January, 1 May and both Christmas days, and on weekends', () => {
    for (const day of ['2026-01-01', '2026-05-01', '2026-12-25', '2025-12-26', '2026-03-07', '2026-03-08']) {
      expect(isBusinessDay(day), day).toBe(false);
    }
  });

  it('stays open on Dutch public holidays', () => {
    // Koningsdag, Bevrijdingsdag, Hemelvaart, Pinkstermaandag 2026; 24 and 31 December
    for (const day of ['2026-04-27', '2026-05-05', '2026-05-14', '2026-05-25', '2026-12-24', '2026-12-31']) {
      expect(isBusinessDay(day), day).toBe(true);
    }
  });

  it('loses a closing day that falls on a weekend rather than moving it', () => {
    // 26 December 2026 is a Saturday; Monday 28 December is open.
    expect(isBusinessDay('2026-12-28')).toBe(true);
    expect(nextBusinessDay('2026-12-24')).toBe('2026-12-28');
  });

  it('steps over closing days', () => {
    expect(nextBusinessDay('2026-04-02')).toBe('2026-04-07');
    expect(previousBusinessDay('2026-04-07')).toBe('2026-04-02');
    expect(nextBusinessDay('2026-12-31')).toBe('2027-01-04');
    expect(previousBusinessDay('2027-01-04')).toBe('2026-12-31');
    expect(businessDayOnOrAfter('2026-05-01')).toBe('2026-05-04');
    expect(businessDayOnOrBefore('2026-05-01')).toBe('2026-04-30');
    expect(businessDayOnOrAfter('2026-04-30')).toBe('2026-04-30');
  });

  it('adds and subtracts business days', () => {
    expect(addBusinessDays('2026-04-02', 1)).toBe('2026-04-07');
    expect(addBusinessDays('2026-04-07', -1)).toBe('2026-04-02');
    expect(addBusinessDays('2026-03-07', 1)).toBe('2026-03-09'); // Saturday + 1
    expect(addBusinessDays('2026-03-07', 0)).toBe('2026-03-09');
    expect(addBusinessDays('2026-03-09', 0)).toBe('2026-03-09');
    expect(addBusinessDays('2026-12-23', 3)).toBe('2026-12-29');
    expect(businessDaysBetween('2026-12-23', '2026-12-29')).toBe(3);
    expect(businessDaysBetween('2026-12-29', '2026-12-23')).toBe(-3);
  });

  it('round-trips: n business days forward then n back lands on the rolled-forward start', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3650 }), fc.integer({ min: 1, max: 40 }), (offset, n) => {
        const start = businessDayOnOrAfter(addDays('2024-01-01', offset));
        const ahead = addBusinessDays(start, n);
        expect(isBusinessDay(ahead)).toBe(true);
        expect(addBusinessDays(ahead, -n)).toBe(start);
        expect(businessDaysBetween(start, ahead)).toBe(n);
      }),
    );
  });

  it('knows a calendar day exactly as the Gregorian calendar does, for any text of ten characters (property)', () => {
    const calendar = (text: string) => {
      const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
      return m !== null && Number(m[1]) >= 1583 && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) === text;
    };
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), (y, m, d) => {
        const text = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
        expect(isIsoDate(text)).toBe(calendar(text));
      }),
      { numRuns: 20_000 },
    );
    for (const text of ['1900-02-29', '2000-02-29', '2100-02-29', '2400-02-29', '1582-12-31', '1583-01-01', '2026-12-31', '2026-13-01', '2026-00-10', '2026-04-31', ' 2026-04-01', '2026-04-01 ', '２０２６-04-01', '2026/04/01']) {
      expect(isIsoDate(text), text).toBe(calendar(text));
    }
  });

  it('refuses texts that are not calendar days', () => {
    expect(isIsoDate('2026-02-29')).toBe(false);
    expect(isIsoDate('2028-02-29')).toBe(true);
    expect(isIsoDate('2026-4-3')).toBe(false);
    expect(() => isBusinessDay('2026-02-30')).toThrow(/not a calendar day/);
    expect(addOneYear('2028-02-29')).toBe('2029-02-28');
    expect(addOneYear('2026-06-30')).toBe('2027-06-30');
  });
});

describe('execution date for a due date', () => {
  it('executes on the business day before a due date that is a business day', () => {
    // rent due Wednesday 1 July 2026 → execute Tuesday 30 June
    expect(latestExecutionDate('2026-07-01')).toBe('2026-06-30');
    // due Tuesday 7 April 2026, after Easter → execute Thursday 2 April
    expect(latestExecutionDate('2026-04-07')).toBe('2026-04-02');
  });

  it('treats a closed due date as the last business day before it', () => {
    // rent due Sunday 1 November 2026: must be there by Friday 30 October → execute Thursday 29 October
    expect(latestExecutionDate('2026-11-01')).toBe('2026-10-29');
    // due Friday 1 January 2027 → last open day Thursday 31 December → execute Wednesday 30 December
    expect(latestExecutionDate('2027-01-01')).toBe('2026-12-30');
  });

  it('lets instant payments execute on the due date itself, any day', () => {
    expect(latestExecutionDate('2026-11-01', { instant: true })).toBe('2026-11-01');
  });

  it('always leaves at least one business day between execution and a closed-or-open due date', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3650 }), (offset) => {
        const due = addDays('2024-01-01', offset);
        const execution = latestExecutionDate(due);
        expect(isBusinessDay(execution)).toBe(true);
        expect(nextBusinessDay(execution) <= due).toBe(true);
        // and it is the latest such day
        expect(nextBusinessDay(nextBusinessDay(execution)) > due).toBe(true);
      }),
    );
  });

  it('plans the latest day when there is time, and marks a late plan', () => {
    expect(planExecutionDate('2026-07-01', '2026-06-20')).toEqual({ executionDate: '2026-06-30', onTime: true });
    expect(planExecutionDate('2026-07-01', '2026-06-30')).toEqual({ executionDate: '2026-06-30', onTime: true });
    expect(planExecutionDate('2026-07-01', '2026-07-01')).toEqual({ executionDate: '2026-07-01', onTime: false });
    // late and prepared on a Saturday → the next business day
    expect(planExecutionDate('2026-07-01', '2026-07-04')).toEqual({ executionDate: '2026-07-06', onTime: false });
    expect(planExecutionDate('2026-07-04', '2026-07-04', { instant: true })).toEqual({ executionDate: '2026-07-04', onTime: true });
  });
});
