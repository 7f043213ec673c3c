import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { instalmentFor, recoverFromLeefgeld, settleFromBalance, type OpenAdvance } from '../../src/noodvoorziening/recovery.js';

const eur = (text: string) => Money.parse(text);
const cents = fc.bigInt({ min: 0n, max: 200_000n }).map(Money.fromCents);

describe('rule 11: an emergency advance is recovered from leefgeld in capped instalments', () => {
  it('takes the plan instalment when the leefgeld leaves room above the minimum kept', () => {
    // 204.80 leefgeld, 150.00 kept: room 54.80, the plan's 50.00 fits.
    expect(instalmentFor(eur('50.00'), eur('400.00'), eur('204.80'), eur('150.00')).toString()).toBe('50.00');
  });

  it('caps the instalment so the client keeps the minimum in a week with less leefgeld', () => {
    // 163.84 − 150.00 = 13.84: the client keeps exactly 150.00.
    expect(instalmentFor(eur('50.00'), eur('400.00'), eur('163.84'), eur('150.00')).toString()).toBe('13.84');
  });

  it('takes nothing when the leefgeld is at or below the minimum, never a negative amount', () => {
    expect(instalmentFor(eur('50.00'), eur('400.00'), eur('150.00'), eur('150.00')).toString()).toBe('0.00');
    expect(instalmentFor(eur('50.00'), eur('400.00'), eur('90.00'), eur('150.00')).toString()).toBe('0.00');
  });

  it('never takes more than is still owed', () => {
    expect(instalmentFor(eur('50.00'), eur('30.77'), eur('204.80'), eur('150.00')).toString()).toBe('30.77');
  });

  it('recovers several advances oldest first, together within the room', () => {
    const advances: OpenAdvance[] = [
      { grantId: 9n, instalment: eur('25.00'), outstanding: eur('300.00') },
      { grantId: 4n, instalment: eur('40.00'), outstanding: eur('10.00') },
    ];
    const { deductions, total, after } = recoverFromLeefgeld(advances, eur('200.00'), eur('170.00'));
    // Room 30.00: grant 4 first (10.00, all it owes), then grant 9 gets the 20.00 left of its 25.00.
    expect(deductions.map((d) => [d.grantId, d.amount.toString()])).toEqual([[4n, '10.00'], [9n, '20.00']]);
    expect(total.toString()).toBe('30.00');
    expect(after.map((a) => [a.grantId, a.outstanding.toString()])).toEqual([[4n, '0.00'], [9n, '280.00']]);
  });

  it('property: min(plan, outstanding, leefgeld − minimum), never below zero, the client keeps the minimum', () => {
    fc.assert(
      fc.property(cents, cents, cents, cents, (plan, outstanding, leefgeld, minimum) => {
        const taken = instalmentFor(plan, outstanding, leefgeld, minimum);
        expect(taken.isNegative()).toBe(false);
        expect(taken.compare(plan) <= 0 && taken.compare(outstanding) <= 0).toBe(true);
        if (taken.isPositive()) expect(leefgeld.minus(taken).compare(minimum) >= 0).toBe(true);
        const room = leefgeld.minus(minimum);
        const expected = [plan, outstanding, room.isNegative() ? Money.ZERO : room].reduce((a, b) => a.min(b));
        expect(taken.toString()).toBe(expected.toString());
      }),
      { numRuns: 500 },
    );
  });

  it('property: over many advances the total stays within the room and each within its plan and what it owes', () => {
    const advance = fc.record({ grantId: fc.bigInt({ min: 1n, max: 1_000n }), instalment: cents.filter((m) => m.isPositive()), outstanding: cents });
    fc.assert(
      fc.property(fc.uniqueArray(advance, { selector: (a) => a.grantId, maxLength: 5 }), cents, cents, (advances, leefgeld, minimum) => {
        const { deductions, total, after } = recoverFromLeefgeld(advances, leefgeld, minimum);
        expect(total.cents).toBe(deductions.reduce((s, d) => s + d.amount.cents, 0n));
        if (total.isPositive()) expect(leefgeld.minus(total).compare(minimum) >= 0).toBe(true);
        for (const a of advances) {
          const taken = deductions.find((d) => d.grantId === a.grantId)?.amount ?? Money.ZERO;
          expect(taken.compare(a.instalment) <= 0 && taken.compare(a.outstanding) <= 0).toBe(true);
          expect(after.find((x) => x.grantId === a.grantId)!.outstanding.toString()).toBe(a.outstanding.minus(taken).toString());
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('rule 12: settling open advances from the balance at the end', () => {
  it('repays oldest first as far as the balance goes; the rest stays owed', () => {
    const { deductions, total } = settleFromBalance(
      [
        { grantId: 2n, instalment: eur('50.00'), outstanding: eur('358.48') },
        { grantId: 1n, instalment: eur('50.00'), outstanding: eur('20.00') },
      ],
      eur('327.71'),
    );
    expect(deductions.map((d) => [d.grantId, d.amount.toString()])).toEqual([[1n, '20.00'], [2n, '307.71']]);
    expect(total.toString()).toBe('327.71');
  });
});
