import type { Obligation } from '../clients/obligation-rules.js';
import { dueWithinBasis, monthlyObligationTotal } from '../clients/obligation-rules.js';
import type { Money } from '../money/money.js';
import type { OntzorgPeriod } from '../clients/periods.js';
import { businessDayOnOrAfter, executionDateWithLead, incomeCycleOn, type BijstandPaydayRule, type IncomeCycle, type IsoDate, type LeefgeldRhythm, type PaydayOptions } from '../schedule/index.js';
import { leefgeldDatesOfCycle } from './leefgeld.js';

/**
 * The calendar is pure and the same for every client of a run, but validating and shifting days is
 * not free (a date check builds a Date): 100,000 clients ask the same few hundred questions. These
 * wrappers answer each question once. Bounded: a cache is emptied when it grows past its size.
 */
function memo<V>(limit = 20_000): (key: string, compute: () => V) => V {
  const cache = new Map<string, V>();
  return (key, compute) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    if (cache.size >= limit) cache.clear();
    const value = compute();
    cache.set(key, value);
    return value;
  };
}

const executions = memo<IsoDate>();
export function executionOn(dueDate: IsoDate, lead: number): IsoDate {
  return executions(`${dueDate}|${lead}`, () => executionDateWithLead(dueDate, lead));
}

const businessDays = memo<IsoDate>();
export function todayOrNextBusinessDay(date: IsoDate): IsoDate {
  return businessDays(date, () => businessDayOnOrAfter(date));
}

const cycles = memo<IncomeCycle>();
export function cycleOn(rule: BijstandPaydayRule, date: IsoDate, options: PaydayOptions): IncomeCycle {
  return cycles(`${rule}|${date}|${options.adjust ?? ''}|${options.bookingDelayBusinessDays ?? ''}`, () => incomeCycleOn(rule, date, options));
}

const cycleDates = memo<IsoDate[]>();
export function leefgeldDatesIn(rhythm: LeefgeldRhythm, cycle: IncomeCycle, lead: number): readonly IsoDate[] {
  return cycleDates(`${JSON.stringify(rhythm)}|${cycle.usableFrom}|${cycle.nextUsableFrom}|${lead}`, () => leefgeldDatesOfCycle(rhythm, cycle, lead));
}

function shapeOf(obligation: Obligation): string {
  return `${obligation.type}|${obligation.frequency}|${obligation.validUntil ?? ''}|${obligation.versions.map((v) => `${v.version}:${v.effectiveFrom}:${v.amount.cents}:${v.dueDay}:${v.basis}`).join(',')}`;
}

const monthlyTotals = memo<Money>();
/** `monthlyObligationTotal`, cached on the obligations' shapes and the date. */
export function monthlyObligationTotalCached(obligations: readonly Obligation[], date: IsoDate): Money {
  return monthlyTotals(`${date}|${obligations.map(shapeOf).join(';')}`, () => monthlyObligationTotal(obligations, date));
}

type DueSplit = ReturnType<typeof dueWithinBasis>;
const dues = memo<DueSplit>(50_000);

/**
 * `dueWithinBasis`, one obligation at a time, answered from a cache keyed on what the answer depends
 * on (the obligation's type, frequency, end and versions; the periods; the range), not on its id:
 * clients with the same costs and periods share the work. The id is put back on the way out.
 */
export function dueWithinBasisCached(obligations: readonly Obligation[], periods: readonly OntzorgPeriod[], from: IsoDate, to: IsoDate): DueSplit {
  const periodsKey = periods.map((p) => `${p.basis}:${p.firstDay}:${p.lastDay ?? ''}`).join(',');
  const covered: DueSplit['covered'] = [];
  const uncovered: DueSplit['uncovered'] = [];
  for (const obligation of obligations) {
    const shape = shapeOf(obligation);
    const split = dues(`${periodsKey}|${from}|${to}|${shape}`, () => dueWithinBasis([{ ...obligation, id: '' }], periods, from, to));
    for (const instance of split.covered) covered.push({ ...instance, obligationId: obligation.id });
    for (const u of split.uncovered) uncovered.push({ ...u, instance: { ...u.instance, obligationId: obligation.id } });
  }
  return { covered, uncovered };
}
