import type { Generated } from 'kysely';

/** Row shapes of the noodvoorziening tables (migration 0009). */

export type GrantKind = 'advance' | 'gift';
export type GrantPayment = 'instant' | 'next_batch';
export type GrantStatus = 'requested' | 'approved' | 'refused';
export type RepaymentKind = 'instalment' | 'early_repayment' | 'settlement';
export type OpenAdvanceAtEnd = 'settle_from_balance' | 'hand_over_as_claim';

export interface NoodvoorzieningPolicyTable {
  gemeente_id: string;
  gifts_allowed: boolean;
  max_per_grant_cents: bigint;
  max_per_period_cents: bigint;
  period_months: number;
  four_eyes_above_cents: bigint;
  minimum_leefgeld_kept_cents: bigint;
  default_instalment_cents: bigint;
  open_advance_at_end: OpenAdvanceAtEnd;
  updated_by: string;
  updated_at: Generated<Date>;
}

export interface NoodvoorzieningGrantTable {
  id: Generated<bigint>;
  client_id: bigint;
  gemeente_id: string;
  amount_cents: bigint;
  kind: GrantKind;
  reason: string;
  payment: GrantPayment;
  instalment_cents: bigint | null;
  status: GrantStatus;
  four_eyes: boolean;
  requested_by: string;
  requested_on: string;
  decided_by: string | null;
  decided_on: string | null;
  decided_at: Date | null;
  refusal_reason: string | null;
  instruction_id: bigint | null;
  handed_over_on: string | null;
  idempotency_key: string;
  request_hash: string;
  created_at: Generated<Date>;
}

export interface NoodvoorzieningRepaymentTable {
  grant_id: bigint;
  ledger_key: string;
  client_id: bigint;
  kind: RepaymentKind;
  amount_cents: bigint;
  booked_on: string;
  leefgeld_date: string | null;
  decided_by: string | null;
  reason: string | null;
  created_at: Generated<Date>;
}

export interface NoodvoorzieningTables {
  noodvoorziening_policy: NoodvoorzieningPolicyTable;
  noodvoorziening_grant: NoodvoorzieningGrantTable;
  noodvoorziening_repayment: NoodvoorzieningRepaymentTable;
}
