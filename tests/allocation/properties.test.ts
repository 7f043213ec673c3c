import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  allocate,
  INCOME_CLASSES,
  PRIORITY_GROUPS,
  priorityGroupOf,
  type AllocationInput,
  type DueItem,
  type ExistingReservation,
} from '../../src/allocation/index.js';
import { OBLIGATION_TYPES } from '../../src/clients/obligation-rules.js';
import { Money } from '../../src/money/money.js';
import { addDays } from '../../src/schedule/index.js';

const cents = (max: bigint, min = 0n) => fc.bigInt({ min, max }).map(Money.fromCents);

const aDueItem = (index: number) =>
  fc.record({
    type: fc.constantFrom(...OBLIGATION_TYPES),
    amount: cents(120_000n, 1n),
    days: fc.integer({ min: -5, max: 40 }),
  }).map(({ type, amount, days }): DueItem => ({
    obligationId: `o${index}`,
    type,
    periodKey: '2026-04',
    dueDate: addDays('2026-03-25', days + 1),
    executionDate: addDays('2026-03-25', days),
    amount,
  }));

const anInput: fc.Arbitrary<AllocationInput> = fc
  .record({
    due: fc.integer({ min: 0, max: 7 }).chain((count) => fc.tuple(...Array.from({ length: count }, (_, i) => aDueItem(i)))),
    alreadyReserved: fc.array(fc.bigInt({ min: 0n, max: 130_000n }), { minLength: 7, maxLength: 7 }),
    reservedShare: fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    receipts: fc.array(fc.record({ classification: fc.constantFrom(...INCOME_CLASSES), amount: cents(200_000n, 1n) }), { maxLength: 4 }),
    extraFree: cents(300_000n),
    consent: fc.boolean(),
    priority: fc.shuffledSubarray([...PRIORITY_GROUPS], { minLength: 5, maxLength: 5 }),
    partialPayment: fc.boolean(),
    floor: cents(20_000n),
    decision: fc.option(cents(10_000n), { nil: null }),
    target: cents(40_000n),
    payments: fc.integer({ min: 0, max: 6 }),
    payNow: fc.boolean(),
  })
  .map((raw): AllocationInput => {
    const reserved: ExistingReservation[] = raw.due
      .map((item, i) => ({ obligationId: item.obligationId, periodKey: item.periodKey, amount: Money.fromCents(raw.alreadyReserved[i]! % (item.amount.cents + 20n)) }))
      .filter((_, i) => raw.reservedShare[i]);
    const receipts = raw.receipts.map((receipt, i) => ({ id: `r${i}`, ...receipt }));
    return {
      asOf: '2026-03-25',
      free: Money.sum(receipts.map((receipt) => receipt.amount)).plus(raw.extraFree),
      receipts,
      toeslagenConsent: raw.consent,
      due: raw.due,
      reserved,
      policy: { priority: raw.priority, partialPayment: raw.partialPayment, leefgeldFloor: raw.floor },
      floorDecision: raw.decision === null ? null : { reference: 'BB-1', floor: raw.decision },
      leefgeld: { target: raw.target, paymentsUntilNextIncome: raw.payments, payNow: raw.payNow && raw.payments > 0 ? '2026-03-30' : null },
    };
  });

const total = (amounts: readonly { amount: Money }[]): bigint => Money.sum(amounts.map((entry) => entry.amount)).cents;

describe('allocation invariants (fast-check)', () => {
  it('conserves money: passed on + reserved + leefgeld + left free = free funds', () => {
    fc.assert(
      fc.property(anInput, (input) => {
        const result = allocate(input);
        expect(total(result.passOn) + total(result.reservations) + (result.leefgeld?.amount.cents ?? 0n) + result.leftFree.cents).toBe(input.free.cents);
      }),
      { numRuns: 500 },
    );
  });

  it('never reserves more than the funds, nor more than an obligation still lacks, nor leaves a negative balance', () => {
    fc.assert(
      fc.property(anInput, (input) => {
        const result = allocate(input);
        expect(total(result.reservations)).toBeLessThanOrEqual(input.free.cents - total(result.passOn));
        for (const reservation of result.reservations) {
          const item = input.due.find((due) => due.obligationId === reservation.obligationId)!;
          const before = total(input.reserved.filter((existing) => existing.obligationId === reservation.obligationId));
          expect(reservation.amount.isPositive()).toBe(true);
          expect(before + reservation.amount.cents).toBeLessThanOrEqual(item.amount.cents);
        }
        expect(result.leftFree.isNegative()).toBe(false);
        if (result.leefgeld) expect(result.leefgeld.amount.compare(result.availableForLeefgeld)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 500 },
    );
  });

  it('reserves nothing more, and moves no money, when run again on its own booked outcome', () => {
    fc.assert(
      fc.property(anInput, (input) => {
        const once = allocate(input);
        const booked: AllocationInput = {
          ...input,
          free: once.leftFree,
          receipts: [],
          reserved: [...input.reserved, ...once.reservations.map(({ obligationId, periodKey, amount }) => ({ obligationId, periodKey, amount }))],
          leefgeld: { ...input.leefgeld, payNow: null },
        };
        const again = allocate(booked);
        expect(again.reservations).toEqual([]);
        expect(again.passOn).toEqual([]);
        expect(again.leftFree).toEqual(once.leftFree);
        expect(again.dues.map((due) => due.missing)).toEqual(once.dues.map((due) => due.missing));
      }),
      { numRuns: 500 },
    );
  });

  it('rule 5: gives a lower priority group money only when every higher group is covered (no earmarked toeslagen)', () => {
    fc.assert(
      fc.property(anInput, (raw) => {
        const input = { ...raw, toeslagenConsent: false };
        const result = allocate(input);
        const rank = (item: DueItem): number => input.policy.priority.indexOf(priorityGroupOf(item.type));
        for (const due of result.dues.filter((status) => status.reservedNow.isPositive())) {
          const higher = result.dues.filter((status) => rank(status.item) < rank(due.item));
          expect(higher.every((status) => status.missing.isZero())).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('rule 8: reservations leave the floor of every payment until the next income, unless the money is not there', () => {
    fc.assert(
      fc.property(anInput, (input) => {
        const result = allocate(input);
        const floor = (input.floorDecision?.floor ?? input.policy.leefgeldFloor).min(input.leefgeld.target);
        const wanted = floor.cents * BigInt(input.leefgeld.paymentsUntilNextIncome);
        const pool = input.free.cents - total(result.passOn);
        expect(result.availableForLeefgeld.cents).toBeGreaterThanOrEqual(wanted < pool ? wanted : pool);
      }),
      { numRuns: 500 },
    );
  });
});
