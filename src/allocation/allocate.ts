import { Money } from '../money/money.js';
import { assertIsoDate } from '../schedule/index.js';
import { splitIncome } from './income.js';
import { effectiveFloor, leefgeldAmount } from './leefgeld.js';
import { assertPriority, inPriorityOrder, priorityGroupOf } from './priority.js';
import {
  AllocationError,
  type AllocationInput,
  type AllocationResult,
  type AllocationSignal,
  type DueItem,
  type DueStatus,
  type LeefgeldPayment,
  type Reservation,
} from './types.js';

/**
 * Allocates a client's free money: passes on what art. 56a does not reach
 * (rule 6), reserves the due obligations in the gemeente's priority order
 * (rule 5) while keeping the leefgeld floors until the next income (rule 8),
 * and computes this run's leefgeld payment. Pure and re-runnable: it reserves
 * only what an obligation's period still lacks after `reserved`, so running it
 * again on its own outcome reserves nothing more.
 *
 * Conservation: free = passed on + reserved now + leefgeld + left free.
 */
export function allocate(input: AllocationInput): AllocationResult {
  validate(input);
  const split = splitIncome(input.receipts, input.toeslagenConsent);
  const pool = input.free.minus(Money.sum(split.passOn.map((passOn) => passOn.amount)));

  // Rule 8: reservations leave the floor of every leefgeld payment until the next income.
  const floor = effectiveFloor(input.leefgeld.target, input.policy.leefgeldFloor, input.floorDecision?.floor ?? null);
  const protectedForLeefgeld = pool.min(Money.fromCents(floor.cents * BigInt(input.leefgeld.paymentsUntilNextIncome)));
  let budget = pool.cents - protectedForLeefgeld.cents;

  const before = new Map<string, bigint>();
  for (const reservation of input.reserved) {
    const key = keyOf(reservation);
    before.set(key, (before.get(key) ?? 0n) + reservation.amount.cents);
  }
  const now = new Map<string, bigint>();
  const lacking = (item: DueItem): bigint => {
    const key = keyOf(item);
    const gap = item.amount.cents - (before.get(key) ?? 0n) - (now.get(key) ?? 0n);
    return gap > 0n ? gap : 0n;
  };
  const reserve = (item: DueItem, cap: bigint): bigint => {
    const take = [lacking(item), cap, budget].reduce((a, b) => (a < b ? a : b));
    if (take <= 0n) return 0n;
    now.set(keyOf(item), (now.get(keyOf(item)) ?? 0n) + take);
    budget -= take;
    return take;
  };

  const ordered = inPriorityOrder(input.due, input.policy.priority);
  // Rule 6: consented huurtoeslag to rent first, zorgtoeslag to the basic premium first.
  let rentFirst = split.rentFirst.cents;
  for (const item of ordered) if (priorityGroupOf(item.type) === 'rent') rentFirst -= reserve(item, rentFirst);
  let healthFirst = split.healthFirst.cents;
  for (const item of ordered) if (priorityGroupOf(item.type) === 'health_insurance') healthFirst -= reserve(item, healthFirst);
  // Rule 5: then everything in the gemeente's order; the money waits for a higher obligation rather than paying a lower one.
  for (const item of ordered) reserve(item, budget);

  const reservations: Reservation[] = [];
  const dues: DueStatus[] = [];
  const signals: AllocationSignal[] = split.passOn.map((passOn) => ({ kind: 'passed_on', receiptId: passOn.receiptId, amount: passOn.amount }));
  for (const item of ordered) {
    const key = keyOf(item);
    const reservedBefore = Money.fromCents(before.get(key) ?? 0n);
    const reservedNow = Money.fromCents(now.get(key) ?? 0n);
    const missing = Money.fromCents(lacking(item));
    if (reservedNow.isPositive()) {
      reservations.push({ obligationId: item.obligationId, periodKey: item.periodKey, dueDate: item.dueDate, executionDate: item.executionDate, amount: reservedNow });
    }
    const held = reservedBefore.plus(reservedNow);
    if (held.compare(item.amount) > 0) signals.push({ kind: 'over_reserved', obligationId: item.obligationId, periodKey: item.periodKey, excess: held.minus(item.amount) });
    const state = missing.isZero() ? 'covered' : item.executionDate <= input.asOf ? 'arrears' : 'short';
    if (state !== 'covered') signals.push({ kind: state === 'arrears' ? 'arrears' : 'shortfall', obligationId: item.obligationId, periodKey: item.periodKey, missing, executionDate: item.executionDate });
    const payable = state === 'covered' ? item.amount : input.policy.partialPayment ? held : Money.ZERO;
    dues.push({ item, reservedBefore, reservedNow, missing, state, payable });
  }

  const availableForLeefgeld = Money.fromCents(pool.cents - Money.sum(reservations.map((reservation) => reservation.amount)).cents);
  let leefgeld: LeefgeldPayment | null = null;
  if (input.leefgeld.payNow !== null) {
    const amount = leefgeldAmount(availableForLeefgeld, input.leefgeld.target, input.leefgeld.paymentsUntilNextIncome);
    leefgeld = { date: input.leefgeld.payNow, amount, target: input.leefgeld.target, floor, floorDecision: input.floorDecision?.reference ?? null };
    if (amount.compare(floor) < 0) signals.push({ kind: 'leefgeld_below_floor', date: input.leefgeld.payNow, amount, floor });
  }
  const leftFree = availableForLeefgeld.minus(leefgeld?.amount ?? Money.ZERO);
  return { passOn: split.passOn, reservations, dues, protectedForLeefgeld, availableForLeefgeld, leefgeld, leftFree, signals };
}

function keyOf(item: { obligationId: string; periodKey: string }): string {
  return `${item.obligationId}\u0000${item.periodKey}`;
}

function validate(input: AllocationInput): void {
  const refuse = (message: string): never => {
    throw new AllocationError(message);
  };
  assertIsoDate(input.asOf, 'as-of date');
  assertPriority(input.policy.priority);
  if (input.free.isNegative()) refuse('free money cannot be negative: the ledger never lets a client account go below zero');
  if (input.policy.leefgeldFloor.isNegative()) refuse('the leefgeld floor cannot be negative');
  if (input.floorDecision) {
    if (input.floorDecision.floor.isNegative()) refuse('a floor decision cannot set a negative floor');
    if (input.floorDecision.reference.trim() === '') refuse('a floor decision needs its reference: going below the floor must be a recorded decision');
  }
  const receipts = Money.sum(input.receipts.map((receipt) => receipt.amount));
  if (input.receipts.some((receipt) => !receipt.amount.isPositive())) refuse('a receipt amount must be more than 0.00');
  if (receipts.compare(input.free) > 0) refuse(`the receipts (${receipts.toString()}) cannot exceed the free money (${input.free.toString()}) they are part of`);
  const keys = new Set<string>();
  for (const item of input.due) {
    assertIsoDate(item.dueDate, 'due date');
    assertIsoDate(item.executionDate, 'execution date');
    priorityGroupOf(item.type);
    if (!item.amount.isPositive()) refuse(`the amount due for ${item.obligationId} ${item.periodKey} must be more than 0.00`);
    if (keys.has(keyOf(item))) refuse(`obligation ${item.obligationId} is due twice for period ${item.periodKey}`);
    keys.add(keyOf(item));
  }
  if (input.reserved.some((reservation) => reservation.amount.isNegative())) refuse('a reservation cannot be negative');
  const { target, paymentsUntilNextIncome, payNow } = input.leefgeld;
  if (target.isNegative()) refuse('the leefgeld target cannot be negative');
  if (!Number.isInteger(paymentsUntilNextIncome) || paymentsUntilNextIncome < 0) refuse('the number of leefgeld payments to fund is a whole number, at least 0');
  if (payNow !== null) {
    assertIsoDate(payNow, 'leefgeld date');
    if (paymentsUntilNextIncome < 1) refuse('a leefgeld payment in this run counts among the payments to fund');
  }
}
