import {
  allocate,
  DEFAULT_PRIORITY,
  type AllocationInput,
  type AllocationPolicy,
  type AllocationResult,
  type DueItem,
  type ExistingReservation,
  type Receipt,
} from '../../src/allocation/index.js';
import type { ObligationType } from '../../src/clients/obligation-rules.js';
import { Money } from '../../src/money/money.js';
import { executionDateWithLead } from '../../src/schedule/index.js';

/** A realistic single adult in 2026 (domain.md): bijstand 1334.23, rent 720, energy 120, water 25, premium 159. */
export const eur = (text: string): Money => Money.parse(text);

export const BIJSTAND = eur('1334.23');
export const HUURTOESLAG = eur('380.00');
export const ZORGTOESLAG = eur('129.00');

const MONTHLY: [string, ObligationType, string][] = [
  ['rent', 'rent', '720.00'],
  ['gas', 'gas', '55.00'],
  ['electricity', 'electricity', '65.00'],
  ['water', 'water', '25.00'],
  ['premium', 'basic_health_insurance', '159.00'],
];

/** The single adult's obligations for one month, all due on the 1st and executed a business day before. */
export function monthOfObligations(month: string): DueItem[] {
  const dueDate = `${month}-01`;
  return MONTHLY.map(([obligationId, type, amount]) => ({
    obligationId,
    type,
    periodKey: month,
    dueDate,
    executionDate: executionDateWithLead(dueDate),
    amount: eur(amount),
  }));
}

export const POLICY: AllocationPolicy = { priority: DEFAULT_PRIORITY, partialPayment: false, leefgeldFloor: eur('50.00') };

let receiptNumber = 0;
export function receipt(classification: Receipt['classification'], amount: Money): Receipt {
  receiptNumber += 1;
  return { id: `r-${receiptNumber}`, classification, amount };
}

export function input(overrides: Partial<AllocationInput>): AllocationInput {
  return {
    asOf: '2026-03-25',
    free: Money.ZERO,
    receipts: [],
    toeslagenConsent: true,
    due: monthOfObligations('2026-04'),
    reserved: [],
    policy: POLICY,
    floorDecision: null,
    leefgeld: { target: Money.ZERO, paymentsUntilNextIncome: 0, payNow: null },
    ...overrides,
  };
}

/** What the ledger holds after booking a result: what the caller does between runs. */
export function afterBooking(previous: AllocationInput, result: AllocationResult): { free: Money; reserved: ExistingReservation[] } {
  return {
    free: result.leftFree,
    reserved: [...previous.reserved, ...result.reservations.map(({ obligationId, periodKey, amount }) => ({ obligationId, periodKey, amount }))],
  };
}

export function reservedBy(result: AllocationResult): Record<string, string> {
  return Object.fromEntries(result.reservations.map((reservation) => [reservation.obligationId, reservation.amount.toString()]));
}

export { allocate };
