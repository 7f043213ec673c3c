import { Money } from '../money/money.js';

/**
 * Rule 11, pure: an emergency advance is a claim on the client, recovered from future leefgeld in capped
 * instalments. Per leefgeld payment the instalment is the plan's, but never more than is still owed and
 * never so much that the client keeps less than the gemeente's minimum of that payment; never below zero.
 * No clock, no database: the allocation calls this for each leefgeld payment it makes.
 */

export interface OpenAdvance {
  readonly grantId: bigint;
  /** The plan: what each leefgeld payment repays while the advance is open. */
  readonly instalment: Money;
  /** Granted minus everything repaid so far. */
  readonly outstanding: Money;
}

export interface Deduction {
  readonly grantId: bigint;
  readonly amount: Money;
}

const max0 = (cents: bigint): bigint => (cents < 0n ? 0n : cents);

/** min(plan instalment, outstanding, leefgeld − minimum kept), never below zero. */
export function instalmentFor(planInstalment: Money, outstanding: Money, leefgeld: Money, minimumKept: Money): Money {
  const room = max0(leefgeld.cents - minimumKept.cents);
  const cents = [planInstalment.cents, outstanding.cents, room].reduce((a, b) => (a < b ? a : b));
  return Money.fromCents(max0(cents));
}

/**
 * The instalments taken from one leefgeld payment: open advances oldest first (by grant id), each its own
 * instalment, together never more than the leefgeld above the minimum kept. Answers the deductions, their
 * total, and the advances as they stand afterwards (for the next payment of the same run).
 */
export function recoverFromLeefgeld(advances: readonly OpenAdvance[], leefgeld: Money, minimumKept: Money): { deductions: Deduction[]; total: Money; after: OpenAdvance[] } {
  let room = Money.fromCents(max0(leefgeld.cents - minimumKept.cents));
  const deductions: Deduction[] = [];
  const after: OpenAdvance[] = [];
  for (const advance of [...advances].sort((a, b) => (a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0))) {
    const amount = instalmentFor(advance.instalment, advance.outstanding, room, Money.ZERO);
    if (amount.isPositive()) {
      deductions.push({ grantId: advance.grantId, amount });
      room = room.minus(amount);
    }
    after.push({ ...advance, outstanding: advance.outstanding.minus(amount) });
  }
  return { deductions, total: Money.sum(deductions.map((d) => d.amount)), after };
}

/**
 * Rule 12 with the policy `settle_from_balance`: what is left when ontzorgen ends repays the open advances,
 * oldest first, as far as it goes; the rest stays owed and is shown.
 */
export function settleFromBalance(advances: readonly OpenAdvance[], balance: Money): { deductions: Deduction[]; total: Money } {
  let room = balance.isNegative() ? Money.ZERO : balance;
  const deductions: Deduction[] = [];
  for (const advance of [...advances].sort((a, b) => (a.grantId < b.grantId ? -1 : a.grantId > b.grantId ? 1 : 0))) {
    const amount = advance.outstanding.min(room);
    if (amount.isPositive()) {
      deductions.push({ grantId: advance.grantId, amount });
      room = room.minus(amount);
    }
  }
  return { deductions, total: Money.sum(deductions.map((d) => d.amount)) };
}
