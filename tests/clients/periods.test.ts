import { describe, expect, it } from 'vitest';
import {
  art56aEligibility,
  basesInForce,
  endPeriod,
  followUpPeriod,
  PeriodRefused,
  periodsNeedingDecision,
  sixMonthsLastDay,
  statutoryPeriod,
  type OntzorgPeriod,
} from '../../src/clients/periods.js';

const statusHolder = { inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true, bijstandStart: '2026-01-01' };

function refusal(run: () => unknown): PeriodRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof PeriodRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const art57From = (firstDay: string, lastDay: string | null, reviewDate: string): OntzorgPeriod =>
  followUpPeriod({ basis: 'art57', firstDay, lastDay, reviewDate, decisionReference: 'BESL-2026-0311' });

describe('rule 1: who gets a statutory 56a period', () => {
  it('rule 1: a 56a period starts only for an inburgeringsplichtige with a fixed-term asylum permit', () => {
    expect(statutoryPeriod(statusHolder)).toEqual({ basis: 'art56a', firstDay: '2026-01-01', lastDay: '2026-06-30', reviewDate: null, decisionReference: null });

    const permanentPermit = refusal(() => statutoryPeriod({ ...statusHolder, fixedTermAsylumPermit: false }));
    expect(permanentPermit.code).toBe('not_eligible_for_art56a');
    expect(permanentPermit.message).toMatch(/art\. 56a lid 1/);
    expect(permanentPermit.message).toMatch(/fixed term/);

    const wi2013 = refusal(() => statutoryPeriod({ ...statusHolder, inburgeringsplichtigWi2021: false }));
    expect(wi2013.message).toMatch(/Wet inburgering 2021/);

    const familyMigrant = art56aEligibility({ ...statusHolder, inburgeringsplichtigWi2021: false, fixedTermAsylumPermit: false });
    expect(familyMigrant).toMatchObject({ eligible: false });
    expect(familyMigrant.eligible ? [] : familyMigrant.reasons).toHaveLength(2);
  });

  it('rule 1: a client who does not qualify can be served under another recorded basis', () => {
    const voluntary = followUpPeriod({ basis: 'voluntary', firstDay: '2026-02-01', lastDay: null, reviewDate: '2026-08-01', decisionReference: 'TOESTEMMING-88' });
    expect(basesInForce([voluntary], '2026-03-01')).toEqual(['voluntary']);
  });
});

describe('rule 2: six months from the first day of the right to bijstand', () => {
  it.each([
    ['2026-01-01', '2026-06-30'],
    ['2026-01-31', '2026-07-30'], // the day before 31 July
    ['2026-02-28', '2026-08-27'],
    ['2026-08-31', '2027-02-28'], // no 31 February: February is covered to its end
    ['2027-08-30', '2028-02-29'],
  ])('rule 2: a 56a period from %s lasts to %s', (first, last) => {
    expect(sixMonthsLastDay(first)).toBe(last);
    expect(statutoryPeriod({ ...statusHolder, bijstandStart: first }).lastDay).toBe(last);
  });

  it('rule 2: counts from the right to bijstand even when it lies in the past', () => {
    expect(statutoryPeriod({ ...statusHolder, bijstandStart: '2025-12-01' })).toMatchObject({ firstDay: '2025-12-01', lastDay: '2026-05-31' });
  });

  it('rule 2: ends with the bijstand when that is sooner, and never runs past the six months', () => {
    expect(statutoryPeriod({ ...statusHolder, bijstandLastDay: '2026-04-15' }).lastDay).toBe('2026-04-15');
    expect(statutoryPeriod({ ...statusHolder, bijstandLastDay: '2026-12-31' }).lastDay).toBe('2026-06-30');
    expect(refusal(() => statutoryPeriod({ ...statusHolder, bijstandLastDay: '2025-12-31' })).code).toBe('invalid_period');
  });

  it('rule 2: every later period carries its basis, its decision and a review date within it', () => {
    expect(art57From('2026-07-01', '2026-12-31', '2026-11-15')).toMatchObject({ basis: 'art57', decisionReference: 'BESL-2026-0311' });
    const base = { basis: 'art57' as const, firstDay: '2026-07-01', lastDay: '2026-12-31', reviewDate: '2026-11-15', decisionReference: 'B-1' };
    expect(refusal(() => followUpPeriod({ ...base, reviewDate: '' })).message).toMatch(/review date/);
    expect(refusal(() => followUpPeriod({ ...base, reviewDate: '2027-01-15' })).message).toMatch(/within the period/);
    expect(refusal(() => followUpPeriod({ ...base, decisionReference: ' ' })).message).toMatch(/reference/);
    expect(refusal(() => followUpPeriod({ ...base, basis: 'art56a' as never })).message).toMatch(/not a basis for a follow-up/);
  });

  it('rule 2: knows which bases are in force on a day, 56a next to a basis for other costs', () => {
    const periods = [statutoryPeriod(statusHolder), followUpPeriod({ basis: 'voluntary', firstDay: '2026-03-01', lastDay: null, reviewDate: '2026-09-01', decisionReference: 'T-1' })];
    expect(basesInForce(periods, '2026-02-01')).toEqual(['art56a']);
    expect(basesInForce(periods, '2026-06-30')).toEqual(['art56a', 'voluntary']);
    expect(basesInForce(periods, '2026-07-01')).toEqual(['voluntary']);
    expect(basesInForce([endPeriod(periods[1]!, '2026-04-30'), periods[0]!], '2026-05-01')).toEqual(['art56a']);
  });
});

describe("rule 2: the daily batch's list of periods that end", () => {
  const sixMonths = statutoryPeriod(statusHolder); // 2026-01-01 .. 2026-06-30

  it('rule 2: lists a period ending within 30 days without a follow-up decision', () => {
    const clients = [{ clientId: 'c-a', periods: [sixMonths] }];
    expect(periodsNeedingDecision(clients, '2026-06-10')).toEqual([
      { clientId: 'c-a', kind: 'ends_soon', period: sixMonths, date: '2026-06-30', days: 20, nextPeriodStarts: null },
    ]);
    expect(periodsNeedingDecision(clients, '2026-05-31')).toHaveLength(1);
    expect(periodsNeedingDecision(clients, '2026-05-30')).toEqual([]);
  });

  it('rule 2: does not list a period followed without a gap, but lists the follow-up when its end and review come', () => {
    const followUp = art57From('2026-07-01', '2026-12-31', '2026-12-01');
    const clients = [{ clientId: 'c-b', periods: [sixMonths, followUp] }];
    expect(periodsNeedingDecision(clients, '2026-06-10')).toEqual([]);
    expect(periodsNeedingDecision(clients, '2026-12-10').map((signal) => [signal.kind, signal.date, signal.days])).toEqual([
      ['review_due', '2026-12-01', -9],
      ['ends_soon', '2026-12-31', 21],
    ]);
  });

  it('rule 2: keeps listing a period that ended without a follow-up, until one is recorded or ontzorgen is ended', () => {
    expect(periodsNeedingDecision([{ clientId: 'c-c', periods: [sixMonths] }], '2026-08-01')).toEqual([
      { clientId: 'c-c', kind: 'ended_without_follow_up', period: sixMonths, date: '2026-06-30', days: -32, nextPeriodStarts: null },
    ]);
    expect(periodsNeedingDecision([{ clientId: 'c-d', periods: [sixMonths], ontzorgenEndedOn: '2026-06-30' }], '2026-08-01')).toEqual([]);
  });

  it('rule 2: shows a gap before a later period as the day it starts', () => {
    const late = art57From('2026-07-15', null, '2027-01-15');
    const signals = periodsNeedingDecision([{ clientId: 'c-e', periods: [sixMonths, late] }], '2026-06-10');
    expect(signals).toMatchObject([{ kind: 'ends_soon', nextPeriodStarts: '2026-07-15' }]);
    expect(periodsNeedingDecision([{ clientId: 'c-e', periods: [sixMonths, late] }], '2026-07-05')).toEqual([]);
  });

  it('orders the list by client and date', () => {
    const clients = [
      { clientId: 'c-2', periods: [sixMonths] },
      { clientId: 'c-1', periods: [statutoryPeriod({ ...statusHolder, bijstandStart: '2026-01-10' })] },
    ];
    expect(periodsNeedingDecision(clients, '2026-06-20').map((signal) => signal.clientId)).toEqual(['c-1', 'c-2']);
  });
});
