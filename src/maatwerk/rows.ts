import type { Generated } from 'kysely';

/** Row shapes of the maatwerk tables (migration 0008). */

export type MaatwerkAction = 'decide' | 'revoke';
export type MaatwerkScope = 'full_opt_out' | 'partial' | 'hand_over_plan';
export type ReasonCategory = 'financially_self_reliant' | 'own_account_automatic_payments' | 'counter_productive' | 'learning_to_pay' | 'other';
export type ReservedMoney = 'pay_due_release_rest' | 'pay_all_reserved' | 'release_all';
export type ToeslagenTreatment = 'applied' | 'passed_on';

export interface MaatwerkDecisionTable {
  id: Generated<bigint>;
  client_id: bigint;
  gemeente_id: string;
  action: MaatwerkAction;
  scope: MaatwerkScope | null;
  replaces_id: bigint | null;
  reason_category: ReasonCategory | null;
  reason: string;
  assessment: string | null;
  effective_date: string;
  review_date: string | null;
  reserved_money: ReservedMoney | null;
  toeslagen: ToeslagenTreatment | null;
  decided_by: string;
  idempotency_key: string;
  request_hash: string;
  created_at: Generated<Date>;
}

export interface MaatwerkObligationTable {
  decision_id: bigint;
  obligation_id: bigint;
  treatment: 'kept' | 'handed_over';
  hand_over_on: string | null;
}

export interface MaatwerkTables {
  maatwerk_decision: MaatwerkDecisionTable;
  maatwerk_obligation: MaatwerkObligationTable;
}
