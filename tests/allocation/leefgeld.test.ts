import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { effectiveFloor, leefgeldAmount, leefgeldDatesOfCycle, leefgeldTargets, paymentsStillToFund, spreadOverPayments } from '../../src/allocation/index.js';
import { Money } from '../../src/money/money.js';
import { incomeCycleOn } from '../../src/schedule/index.js';

const eur = (text: string): Money => Money.parse(text);
const dates = (count: number): string[] => Array.from({ length: count }, (_, i) => `2026-05-${String(4 + 7 * i).padStart(2, '0')}`);

describe('spreading a monthly amount over the payments', () => {
  it('rounds each share down and puts the remainder cents on the last payment', () => {
    expect(spreadOverPayments(eur('819.23'), dates(4)).map((share) => share.amount.toString())).toEqual(['204.80', '204.80', '204.80', '204.83']);
    expect(spreadOverPayments(eur('0.03'), dates(4)).map((share) => share.amount.toString())).toEqual(['0.00', '0.00', '0.00', '0.03']);
    expect(spreadOverPayments(eur('100.00'), [])).toEqual([]);
  });

  it('loses and invents no cent, and no payment exceeds another by a cent per payment', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10_000_000n }), fc.integer({ min: 1, max: 5 }), (cents, count) => {
        const shares = spreadOverPayments(Money.fromCents(cents), dates(count));
        expect(Money.sum(shares.map((share) => share.amount)).cents).toBe(cents);
        const first = shares[0]!.amount.cents;
        expect(shares.slice(0, -1).every((share) => share.amount.cents === first)).toBe(true);
        expect(shares.at(-1)!.amount.cents - first).toBeLessThan(BigInt(count));
      }),
    );
  });
});

describe('the leefgeld rule', () => {
  it('pays a fixed amount per payment, or income minus obligations spread over the cycle, never below zero', () => {
    expect(leefgeldTargets({ kind: 'fixed', perPayment: eur('175.00') }, dates(3)).map((target) => target.amount.toString())).toEqual(['175.00', '175.00', '175.00']);
    const short = leefgeldTargets({ kind: 'income_minus_obligations', expectedMonthlyIncome: eur('900.00'), monthlyObligations: eur('1024.00') }, dates(4));
    expect(short.every((target) => target.amount.isZero())).toBe(true);
  });

  it('counts the payments of an income cycle by their execution date', () => {
    // Payday last working day: April 2026's bijstand arrives Thursday 30 April, usable Monday 4 May (1 May closed).
    const cycle = incomeCycleOn('last_working_day', '2026-05-04');
    expect(cycle).toMatchObject({ arrives: '2026-04-30', usableFrom: '2026-05-04', nextArrives: '2026-05-29', nextUsableFrom: '2026-06-01' });
    const fridays = leefgeldDatesOfCycle({ kind: 'weekly', weekday: 'friday' }, cycle);
    expect(fridays).toEqual(['2026-05-08', '2026-05-15', '2026-05-22', '2026-05-29']); // 5 June executes 4 June: the next cycle's
    expect(paymentsStillToFund(fridays, '2026-05-14')).toBe(3);
  });

  it('pays the target, or an even share of what is available when that is less', () => {
    expect(leefgeldAmount(eur('819.23'), eur('163.84'), 5).toString()).toBe('163.84');
    expect(leefgeldAmount(eur('310.23'), eur('200.00'), 5).toString()).toBe('62.04');
    expect(leefgeldAmount(eur('163.87'), eur('163.87'), 1).toString()).toBe('163.87');
    expect(() => leefgeldAmount(eur('10.00'), eur('10.00'), 0)).toThrow();
  });

  it('never lets the floor exceed the target, and a decision replaces the gemeente floor', () => {
    expect(effectiveFloor(eur('62.04'), eur('75.00'), null).toString()).toBe('62.04');
    expect(effectiveFloor(eur('200.00'), eur('75.00'), null).toString()).toBe('75.00');
    expect(effectiveFloor(eur('200.00'), eur('75.00'), Money.ZERO).toString()).toBe('0.00');
  });
});
