import { describe, expect, it } from 'vitest';
import {
  expectedMonthlyIncome,
  leefgeldDatesOfCycle,
  leefgeldTargets,
  paymentsStillToFund,
  type AllocationInput,
  type AllocationResult,
} from '../../src/allocation/index.js';
import { Money } from '../../src/money/money.js';
import { DEFAULT_LEEFGELD_RHYTHM, executionDateWithLead, incomeCycleOn } from '../../src/schedule/index.js';
import { afterBooking, allocate, BIJSTAND, eur, HUURTOESLAG, input, receipt, reservedBy, ZORGTOESLAG } from './single-adult.js';

/**
 * A single adult in March and April 2026, gemeente payday the 24th, leefgeld
 * every Monday. Toeslagen arrive Friday 20 March (usable Monday 23rd), bijstand
 * Tuesday 24 March (usable Wednesday 25th); April's fixed costs are due on
 * 1 April and executed on 31 March. The March bijstand has to last until the
 * April bijstand is usable on Monday 27 April: five Mondays, 30 March to 27 April
 * (the payment of the 27th is executed on Friday the 24th).
 */
const cycle = incomeCycleOn('24th', '2026-03-25');
const mondays = leefgeldDatesOfCycle(DEFAULT_LEEFGELD_RHYTHM, cycle);

/** Runs the allocation on each leefgeld execution day of the cycle, booking each outcome before the next. */
function payTheCycle(start: AllocationInput, targets: { date: string; amount: Money }[]): { paid: string[]; last: AllocationResult } {
  let state = start;
  const paid: string[] = [];
  let last: AllocationResult | null = null;
  for (const { date, amount } of targets) {
    const asOf = executionDateWithLead(date);
    state = { ...state, asOf, receipts: [], leefgeld: { target: amount, paymentsUntilNextIncome: paymentsStillToFund(mondays, asOf), payNow: date } };
    last = allocate(state);
    expect(last.reservations).toEqual([]);
    paid.push(`${date} ${last.leefgeld!.amount.toString()}`);
    state = { ...state, ...afterBooking(state, last) };
  }
  return { paid, last: last! };
}

describe('a month in the life of a single adult (payday the 24th, weekly leefgeld)', () => {
  it('finds five Mondays for the March bijstand', () => {
    expect(cycle).toMatchObject({ bijstandMonth: '2026-03', usableFrom: '2026-03-25', nextUsableFrom: '2026-04-27' });
    expect(mondays).toEqual(['2026-03-30', '2026-04-06', '2026-04-13', '2026-04-20', '2026-04-27']);
  });

  it('with toeslagen consent: toeslagen to rent and premium, bijstand for the rest, 819.23 leefgeld in five payments', () => {
    // 20 March: huurtoeslag and zorgtoeslag for April.
    const toeslagen = input({ asOf: '2026-03-23', free: eur('509.00'), receipts: [receipt('huurtoeslag', HUURTOESLAG), receipt('zorgtoeslag', ZORGTOESLAG)] });
    const onToeslagen = allocate(toeslagen);
    expect(reservedBy(onToeslagen)).toEqual({ rent: '380.00', premium: '129.00' });

    // 24 March: bijstand. Rent 720 − 380, premium 159 − 129, energy 120, water 25: 515.00 reserved.
    const afterToeslagen = afterBooking(toeslagen, onToeslagen);
    const income = expectedMonthlyIncome(
      [
        { classification: 'bijstand', monthlyAmount: BIJSTAND },
        { classification: 'huurtoeslag', monthlyAmount: HUURTOESLAG },
        { classification: 'zorgtoeslag', monthlyAmount: ZORGTOESLAG },
      ],
      true,
    );
    expect(income.toString()).toBe('1843.23');
    // 1843.23 − 1024.00 = 819.23 over five Mondays: 163.84 each, the 3 cents left on the last.
    const targets = leefgeldTargets({ kind: 'income_minus_obligations', expectedMonthlyIncome: income, monthlyObligations: eur('1024.00') }, mondays);
    expect(targets.map((target) => target.amount.toString())).toEqual(['163.84', '163.84', '163.84', '163.84', '163.87']);

    const bijstand: AllocationInput = {
      ...toeslagen,
      ...afterToeslagen,
      free: afterToeslagen.free.plus(BIJSTAND),
      asOf: '2026-03-25',
      receipts: [receipt('bijstand', BIJSTAND)],
      leefgeld: { target: targets[0]!.amount, paymentsUntilNextIncome: 5, payNow: null },
    };
    const onBijstand = allocate(bijstand);
    expect(reservedBy(onBijstand)).toEqual({ rent: '340.00', gas: '55.00', electricity: '65.00', water: '25.00', premium: '30.00' });
    expect(onBijstand.dues.every((due) => due.state === 'covered')).toBe(true);
    expect(onBijstand.availableForLeefgeld.toString()).toBe('819.23');

    const { paid, last } = payTheCycle({ ...bijstand, ...afterBooking(bijstand, onBijstand) }, targets);
    expect(paid).toEqual(['2026-03-30 163.84', '2026-04-06 163.84', '2026-04-13 163.84', '2026-04-20 163.84', '2026-04-27 163.87']);
    expect(last.leftFree).toEqual(Money.ZERO);
  });

  it('without consent: toeslagen passed on, bijstand pays all fixed costs, 310.23 leefgeld in five payments', () => {
    const toeslagen = input({ asOf: '2026-03-23', free: eur('509.00'), toeslagenConsent: false, receipts: [receipt('huurtoeslag', HUURTOESLAG), receipt('zorgtoeslag', ZORGTOESLAG)] });
    const onToeslagen = allocate(toeslagen);
    expect(Money.sum(onToeslagen.passOn.map((passOn) => passOn.amount)).toString()).toBe('509.00');
    expect(onToeslagen.leftFree).toEqual(Money.ZERO);

    const income = expectedMonthlyIncome([{ classification: 'bijstand', monthlyAmount: BIJSTAND }, { classification: 'huurtoeslag', monthlyAmount: HUURTOESLAG }], false);
    const targets = leefgeldTargets({ kind: 'income_minus_obligations', expectedMonthlyIncome: income, monthlyObligations: eur('1024.00') }, mondays);
    expect(targets.map((target) => target.amount.toString())).toEqual(['62.04', '62.04', '62.04', '62.04', '62.07']);

    const bijstand: AllocationInput = { ...toeslagen, free: BIJSTAND, asOf: '2026-03-25', receipts: [receipt('bijstand', BIJSTAND)], leefgeld: { target: targets[0]!.amount, paymentsUntilNextIncome: 5, payNow: null } };
    const onBijstand = allocate(bijstand);
    expect(reservedBy(onBijstand)).toEqual({ rent: '720.00', gas: '55.00', electricity: '65.00', water: '25.00', premium: '159.00' });

    const { paid, last } = payTheCycle({ ...bijstand, ...afterBooking(bijstand, onBijstand) }, targets);
    expect(paid).toEqual(['2026-03-30 62.04', '2026-04-06 62.04', '2026-04-13 62.04', '2026-04-20 62.04', '2026-04-27 62.07']);
    expect(last.leftFree).toEqual(Money.ZERO);
  });
});
