import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  bijstandPayday,
  checkRentAgainstPayday,
  DEFAULT_LEEFGELD_RHYTHM,
  dayOfWeek,
  daysBetween,
  executionDateWithLead,
  incomeCycleOn,
  isBusinessDay,
  lastDayOfMonthsFrom,
  latestExecutionDate,
  leefgeldDates,
  leefgeldDatesInMonth,
  nextLeefgeldDate,
  sameDayMonthsLater,
  toeslagenPayday,
  usableFrom,
} from '../../src/schedule/index.js';

const aDay = fc.integer({ min: 0, max: 365 * 12 }).map((offset) => addDays('2024-01-01', offset));

describe('months', () => {
  it.each([
    ['2026-01-01', '2026-06-30'],
    ['2026-01-31', '2026-07-30'],
    ['2026-03-01', '2026-08-31'],
    ['2026-08-31', '2027-02-28'], // 31 February does not exist: the sixth month is covered to its end
    ['2027-08-31', '2028-02-29'],
    ['2027-08-29', '2028-02-28'],
  ])('six months from %s end on %s', (first, last) => {
    expect(lastDayOfMonthsFrom(first, 6)).toBe(last);
  });

  it('six calendar months are always 181 to 184 days, and a later start never ends earlier', () => {
    fc.assert(
      fc.property(aDay, fc.integer({ min: 1, max: 40 }), (first, later) => {
        const last = lastDayOfMonthsFrom(first, 6);
        const days = daysBetween(first, last) + 1;
        expect(days).toBeGreaterThanOrEqual(181);
        expect(days).toBeLessThanOrEqual(184);
        expect(lastDayOfMonthsFrom(addDays(first, later), 6) >= last).toBe(true);
        expect(sameDayMonthsLater(first, 6)).toBe(addDays(last, 1));
      }),
    );
  });
});

describe('leefgeld rhythm', () => {
  it('pays weekly on Monday by default', () => {
    expect(DEFAULT_LEEFGELD_RHYTHM).toEqual({ kind: 'weekly', weekday: 'monday' });
    expect(leefgeldDatesInMonth(DEFAULT_LEEFGELD_RHYTHM, '2026-03')).toEqual(['2026-03-02', '2026-03-09', '2026-03-16', '2026-03-23', '2026-03-30']);
    expect(leefgeldDatesInMonth(DEFAULT_LEEFGELD_RHYTHM, '2026-04')).toEqual(['2026-04-06', '2026-04-13', '2026-04-20', '2026-04-27']);
  });

  it('pays weekly on a chosen weekday', () => {
    expect(leefgeldDates({ kind: 'weekly', weekday: 'thursday' }, '2026-03-01', '2026-03-20')).toEqual(['2026-03-05', '2026-03-12', '2026-03-19']);
    expect(nextLeefgeldDate({ kind: 'weekly', weekday: 'friday' }, '2026-03-21')).toBe('2026-03-27');
    expect(nextLeefgeldDate({ kind: 'weekly', weekday: 'friday' }, '2026-03-27')).toBe('2026-03-27');
  });

  it('pays every two weeks from the first date, never before it', () => {
    const rhythm = { kind: 'biweekly', firstDate: '2026-03-05' } as const;
    expect(leefgeldDates(rhythm, '2026-03-01', '2026-04-30')).toEqual(['2026-03-05', '2026-03-19', '2026-04-02', '2026-04-16', '2026-04-30']);
    expect(leefgeldDates(rhythm, '2026-03-10', '2026-04-10')).toEqual(['2026-03-19', '2026-04-02']);
    expect(leefgeldDates(rhythm, '2026-02-01', '2026-03-04')).toEqual([]);
  });

  it('pays monthly on a day, on the last day of a shorter month', () => {
    expect(leefgeldDates({ kind: 'monthly', day: 31 }, '2026-01-01', '2026-04-30')).toEqual(['2026-01-31', '2026-02-28', '2026-03-31', '2026-04-30']);
    expect(leefgeldDates({ kind: 'monthly', day: 1 }, '2026-01-15', '2026-04-01')).toEqual(['2026-02-01', '2026-03-01', '2026-04-01']);
  });

  it('keeps its weekday and its step for any window', () => {
    fc.assert(
      fc.property(aDay, fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 6 }), (from, length, weekday) => {
        const names = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
        const dates = leefgeldDates({ kind: 'weekly', weekday: names[weekday]! }, from, addDays(from, length));
        expect(dates.length).toBeGreaterThanOrEqual(Math.floor((length + 1) / 7));
        dates.forEach((date, i) => {
          expect(dayOfWeek(date)).toBe(weekday);
          if (i > 0) expect(daysBetween(dates[i - 1]!, date)).toBe(7);
        });
      }),
    );
  });
});

describe('rule 7: an obligation is paid to arrive by its due date, on the TARGET2 calendar', () => {
  it('rule 7: executes one business day before the due date by default, more with a longer lead time', () => {
    expect(executionDateWithLead('2026-11-01')).toBe('2026-10-29'); // due Sunday: counts as Friday 30th, executed Thursday
    expect(executionDateWithLead('2026-11-01', 2)).toBe('2026-10-28');
    expect(executionDateWithLead('2026-04-07')).toBe('2026-04-02'); // Tuesday after Easter: Good Friday and Easter Monday closed
    expect(executionDateWithLead('2026-04-07', 2)).toBe('2026-04-01');
    expect(executionDateWithLead('2027-01-01')).toBe('2026-12-30'); // 1 January and the weekend of 26 December closed
    expect(() => executionDateWithLead('2026-03-02', 0)).toThrow(/lead time/);
  });

  it('rule 7: with lead 1 agrees with latestExecutionDate and always lands on a business day before the due date', () => {
    fc.assert(
      fc.property(aDay, fc.integer({ min: 1, max: 5 }), (due, lead) => {
        const execution = executionDateWithLead(due, lead);
        expect(isBusinessDay(execution)).toBe(true);
        expect(execution < due).toBe(true);
        expect(executionDateWithLead(due, 1)).toBe(latestExecutionDate(due));
      }),
    );
  });
});

describe('income paydays', () => {
  it('moves the 24th and the 15th to the following business day by default, to the preceding one when set', () => {
    expect(bijstandPayday('24th', '2026-01')).toBe('2026-01-26');
    expect(bijstandPayday('24th', '2026-01', { adjust: 'preceding' })).toBe('2026-01-23');
    expect(bijstandPayday('24th', '2026-12')).toBe('2026-12-24');
    expect(bijstandPayday('15th_next_month', '2026-02')).toBe('2026-03-16');
    expect(bijstandPayday('15th_next_month', '2026-07', { adjust: 'preceding' })).toBe('2026-08-14');
  });

  it('finds the last and the first working day around weekends and TARGET2 holidays', () => {
    expect(bijstandPayday('last_working_day', '2026-01')).toBe('2026-01-30');
    expect(bijstandPayday('last_working_day', '2026-05')).toBe('2026-05-29');
    expect(bijstandPayday('first_working_day_next_month', '2025-12')).toBe('2026-01-02');
    expect(bijstandPayday('first_working_day_next_month', '2026-04')).toBe('2026-05-04'); // 1 May closed, then a weekend
  });

  it('pays toeslagen on the 20th, or the next business day', () => {
    expect(toeslagenPayday('2026-03')).toBe('2026-03-20');
    expect(toeslagenPayday('2026-06')).toBe('2026-06-22');
    expect(toeslagenPayday('2026-12')).toBe('2026-12-21');
    expect(toeslagenPayday('2027-03')).toBe('2027-03-22');
  });

  it('lets money be used from the business day after it arrives, or the same day with intraday booking', () => {
    expect(usableFrom('2026-03-20')).toBe('2026-03-23');
    expect(usableFrom('2026-04-02')).toBe('2026-04-07');
    expect(usableFrom('2026-03-24', { bookingDelayBusinessDays: 0 })).toBe('2026-03-24');
  });

  it('knows which bijstand payment a day lives on', () => {
    expect(incomeCycleOn('24th', '2026-03-24')).toMatchObject({ bijstandMonth: '2026-02', usableFrom: '2026-02-25', nextUsableFrom: '2026-03-25' });
    expect(incomeCycleOn('24th', '2026-03-25')).toMatchObject({ bijstandMonth: '2026-03', arrives: '2026-03-24', nextArrives: '2026-04-24', nextUsableFrom: '2026-04-27' });
    expect(incomeCycleOn('15th_next_month', '2026-03-10')).toMatchObject({ bijstandMonth: '2026-01', arrives: '2026-02-16', usableFrom: '2026-02-17' });
  });
});

describe('rule 7: rent due on the 1st is paid from bijstand that has arrived', () => {
  it('finds the 24th feasible all through 2026, Christmas and Easter included', () => {
    const check = checkRentAgainstPayday('24th', '2026-01', { months: 12 });
    expect(check.feasible).toBe(true);
    expect(check.months[0]).toMatchObject({ rentDueDate: '2026-01-01', rentExecutionDate: '2025-12-30', bijstandArrives: '2025-12-24', bijstandUsableFrom: '2025-12-29', onTime: true });
    expect(check.message).toBe('');
  });

  it('reports a payday on the last working day: the money is read the day after rent must leave', () => {
    const check = checkRentAgainstPayday('last_working_day', '2026-01', { months: 12 });
    expect(check.feasible).toBe(false);
    expect(check.problems).toHaveLength(12);
    expect(check.problems.find((month) => month.rentMonth === '2026-02')).toMatchObject({
      rentExecutionDate: '2026-01-29',
      bijstandArrives: '2026-01-30',
      bijstandUsableFrom: '2026-02-02',
    });
    expect(check.message).toMatch(/buffer/);
    expect(check.message).toMatch(/noodvoorziening/);
  });

  it('with intraday booking, the last working day works only when the 1st is a business day', () => {
    const check = checkRentAgainstPayday('last_working_day', '2026-01', { months: 12, bookingDelayBusinessDays: 0 });
    expect(check.months.find((month) => month.rentMonth === '2026-04')?.onTime).toBe(true);
    expect(check.months.find((month) => month.rentMonth === '2026-02')?.onTime).toBe(false);
  });

  it('reports paydays in the next month as never in time', () => {
    expect(checkRentAgainstPayday('first_working_day_next_month', '2026-01').problems).toHaveLength(12);
    expect(checkRentAgainstPayday('15th_next_month', '2026-01').problems).toHaveLength(12);
  });
});
