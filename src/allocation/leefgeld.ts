import { Money } from '../money/money.js';
import { addDays, executionDateWithLead, leefgeldDates, type IncomeCycle, type IsoDate, type LeefgeldRhythm } from '../schedule/index.js';
import { AllocationError } from './types.js';

/**
 * Leefgeld: what is left after the fixed costs, paid to the client on a fixed
 * rhythm. The gemeente chooses the rule; rule 8 caps what is paid.
 */
export type LeefgeldRule =
  /** A fixed amount per payment, set by the consultant. */
  | { kind: 'fixed'; perPayment: Money }
  /** Expected monthly income minus the monthly obligations, spread over the payments of the income cycle. */
  | { kind: 'income_minus_obligations'; expectedMonthlyIncome: Money; monthlyObligations: Money };

/**
 * The leefgeld dates one bijstand payment has to fund: those whose execution
 * date falls in [cycle.usableFrom, cycle.nextUsableFrom). "The periods of the
 * month" are counted per income cycle, not per calendar month: paydays do not
 * line up with months, and a cycle with five Mondays spread by calendar month
 * would pay out more than arrived.
 */
export function leefgeldDatesOfCycle(rhythm: LeefgeldRhythm, cycle: IncomeCycle, leadBusinessDays = 1): IsoDate[] {
  // Execution comes before the date, so a payment up to a few weeks after the next income may still belong here.
  return leefgeldDates(rhythm, cycle.usableFrom, addDays(cycle.nextUsableFrom, 28)).filter((date) => {
    const execution = executionDateWithLead(date, leadBusinessDays);
    return execution >= cycle.usableFrom && execution < cycle.nextUsableFrom;
  });
}

/** Of a cycle's dates, those still to be funded as of `asOf` (execution on or after it): rule 8's count. */
export function paymentsStillToFund(cycleDates: readonly IsoDate[], asOf: IsoDate, leadBusinessDays = 1): number {
  return cycleDates.filter((date) => executionDateWithLead(date, leadBusinessDays) >= asOf).length;
}

/**
 * Splits `total` over `dates` in whole cents. The one rounding: each payment
 * gets the total divided by their number, rounded down, and the remainder
 * (fewer cents than payments) goes to the **last** payment, so no payment
 * is ever paid ahead of money that arrived.
 */
export function spreadOverPayments(total: Money, dates: readonly IsoDate[]): { date: IsoDate; amount: Money }[] {
  if (total.isNegative()) throw new AllocationError('cannot spread a negative amount');
  if (dates.length === 0) return [];
  const count = BigInt(dates.length);
  const share = total.cents / count;
  const remainder = total.cents - share * count;
  return dates.map((date, index) => ({ date, amount: Money.fromCents(index === dates.length - 1 ? share + remainder : share) }));
}

/** The rule's amount for each of a cycle's dates; a monthly surplus below zero gives zero. */
export function leefgeldTargets(rule: LeefgeldRule, cycleDates: readonly IsoDate[]): { date: IsoDate; amount: Money }[] {
  if (rule.kind === 'fixed') {
    if (rule.perPayment.isNegative()) throw new AllocationError('a fixed leefgeld cannot be negative');
    return cycleDates.map((date) => ({ date, amount: rule.perPayment }));
  }
  const surplus = rule.expectedMonthlyIncome.minus(rule.monthlyObligations);
  return spreadOverPayments(surplus.isNegative() ? Money.ZERO : surplus, cycleDates);
}

/** The leefgeld floor that applies: a recorded decision's, else the gemeente's, never above the target itself. */
export function effectiveFloor(target: Money, gemeenteFloor: Money, decisionFloor: Money | null): Money {
  return (decisionFloor ?? gemeenteFloor).min(target);
}

/**
 * Rule 8 for one payment: the target, but never more than an even share of
 * what is available for the payments still to fund before the next income
 * (rounded down; the cents left stay free for the later payments). With the
 * floors protected from reservations this share is at least the floor unless
 * the money itself is not there, which the caller signals.
 */
export function leefgeldAmount(available: Money, target: Money, paymentsStillToFund: number): Money {
  if (!Number.isInteger(paymentsStillToFund) || paymentsStillToFund < 1) throw new AllocationError('a leefgeld payment needs at least one payment to fund');
  if (available.isNegative() || target.isNegative()) throw new AllocationError('leefgeld amounts cannot be negative');
  return target.min(Money.fromCents(available.cents / BigInt(paymentsStillToFund)));
}
