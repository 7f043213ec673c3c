import type { ObligationType } from '../clients/obligation-rules.js';
import type { Money } from '../money/money.js';
import type { IsoDate } from '../schedule/index.js';

/** Where a credit came from, as ingestion classified it. Only bijstand is covered by art. 56a. */
export const INCOME_CLASSES = ['bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other'] as const;
export type IncomeClass = (typeof INCOME_CLASSES)[number];

/** The groups a gemeente orders (rule 5); gas and electricity are one group, energy. */
export const PRIORITY_GROUPS = ['rent', 'energy', 'water', 'health_insurance', 'other'] as const;
export type PriorityGroup = (typeof PRIORITY_GROUPS)[number];

export type AllocationErrorCode = 'invalid_allocation_input';

export class AllocationError extends Error {
  readonly code: AllocationErrorCode = 'invalid_allocation_input';
  constructor(message: string) {
    super(message);
    this.name = 'AllocationError';
  }
}

/** One obligation's amount for one period, with its dates (from `dueWithinBasis` and `executionDateWithLead`). */
export interface DueItem {
  obligationId: string;
  type: ObligationType;
  periodKey: string;
  dueDate: IsoDate;
  executionDate: IsoDate;
  amount: Money;
}

/** What the ledger already holds reserved (pending) for an obligation's period. */
export interface ExistingReservation {
  obligationId: string;
  periodKey: string;
  amount: Money;
}

/** A credit booked to the client since the last allocation. */
export interface Receipt {
  id: string;
  classification: IncomeClass;
  amount: Money;
}

/** The gemeente's settings that allocation reads. */
export interface AllocationPolicy {
  /** All five groups, each once, highest priority first. */
  priority: readonly PriorityGroup[];
  /** May an obligation be paid in part when its reservation is incomplete on the execution date? */
  partialPayment: boolean;
  /** The least leefgeld per payment that reservations may leave (rule 8). */
  leefgeldFloor: Money;
}

/** A recorded back-office decision that lets leefgeld go below the gemeente's floor for this client (rule 8). */
export interface FloorDecision {
  reference: string;
  floor: Money;
}

export interface LeefgeldInput {
  /** The rule's amount for the next payment (`leefgeldTargets`). */
  target: Money;
  /** Leefgeld payments still to be funded before the next bijstand is usable, including one paid in this run. */
  paymentsUntilNextIncome: number;
  /** The date of the payment made in this run, or null when none is due. */
  payNow: IsoDate | null;
}

export interface AllocationInput {
  asOf: IsoDate;
  /** The client's free money (available, not reserved), including the receipts below. */
  free: Money;
  receipts: readonly Receipt[];
  toeslagenConsent: boolean;
  due: readonly DueItem[];
  reserved: readonly ExistingReservation[];
  policy: AllocationPolicy;
  floorDecision?: FloorDecision | null;
  leefgeld: LeefgeldInput;
}

export interface PassOn {
  receiptId: string;
  classification: IncomeClass;
  amount: Money;
  reason: string;
}

export interface Reservation {
  obligationId: string;
  periodKey: string;
  dueDate: IsoDate;
  executionDate: IsoDate;
  amount: Money;
}

export type DueState = 'covered' | 'short' | 'arrears';

export interface DueStatus {
  item: DueItem;
  reservedBefore: Money;
  reservedNow: Money;
  /** What the reservation still lacks. */
  missing: Money;
  /** `arrears` once the execution date has come (on or before `asOf`) with money missing. */
  state: DueState;
  /** What the batch may pay: the full amount when covered; what is reserved when partial payment is allowed; else 0. */
  payable: Money;
}

export type AllocationSignal =
  | { kind: 'shortfall' | 'arrears'; obligationId: string; periodKey: string; missing: Money; executionDate: IsoDate }
  | { kind: 'over_reserved'; obligationId: string; periodKey: string; excess: Money }
  | { kind: 'leefgeld_below_floor'; date: IsoDate; amount: Money; floor: Money }
  | { kind: 'passed_on'; receiptId: string; amount: Money };

export interface LeefgeldPayment {
  date: IsoDate;
  amount: Money;
  target: Money;
  floor: Money;
  floorDecision: string | null;
}

export interface AllocationResult {
  passOn: PassOn[];
  /** New reservations to book (pending transfers), in the order they were made. */
  reservations: Reservation[];
  dues: DueStatus[];
  /** Kept back from reservations for the leefgeld floors until the next income (rule 8). */
  protectedForLeefgeld: Money;
  /** What is free after this run's pass-ons and reservations, before leefgeld. */
  availableForLeefgeld: Money;
  leefgeld: LeefgeldPayment | null;
  /** Stays free on the client's account: the buffer carried to the next run. */
  leftFree: Money;
  signals: AllocationSignal[];
}
