import type { ColumnType, Generated } from 'kysely';

/** Row shapes of the client tables (migrations 0001 and 0005). */

export type HouseholdType = 'single' | 'single_parent' | 'couple' | 'couple_with_children';
export type LegalBasisText = 'art56a' | 'art57' | 'voluntary' | 'budgetbeheer';
export type ObligationTypeText = 'rent' | 'gas' | 'electricity' | 'water' | 'basic_health_insurance' | 'supplementary_insurance' | 'municipal_taxes' | 'other';
export type ReferenceKind = 'unstructured' | 'CUR' | 'ISO';
export type IncomeClassText = 'bijstand' | 'zorgtoeslag' | 'huurtoeslag' | 'kindgebonden_budget' | 'kinderbijslag' | 'other';

export interface GemeenteTable {
  id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface ClientTable {
  id: Generated<bigint>;
  gemeente_id: string;
  reference: string;
  created_at: Generated<Date>;
  name: string | null;
  latin_name: string | null;
  bsn_encrypted: string | null;
  bsn_hash: string | null;
  own_iban: string | null;
  household_type: HouseholdType | null;
  bijstand_start: string | null;
  bijstand_end: string | null;
  inburgeringsplichtig_wi2021: Generated<boolean>;
  fixed_term_asylum_permit: Generated<boolean>;
  toeslagen_consent: Generated<boolean>;
  toeslagen_consent_reference: string | null;
  leefgeld_rhythm: ColumnType<unknown, string | undefined, string>;
  leefgeld_fixed_cents: bigint | null;
  ontzorgen_ended_on: string | null;
  registered_at: Date | null;
  updated_at: Date | null;
}

export interface ClientIncomeTable {
  client_id: bigint;
  classification: IncomeClassText;
  monthly_cents: bigint;
}

export interface MachtigingTable {
  id: Generated<bigint>;
  client_id: bigint;
  gemeente_id: string;
  document_reference: string;
  signed_on: string;
  valid_until: string | null;
  revoked_on: string | null;
  revoked_reason: string | null;
  created_at: Generated<Date>;
}

export interface MachtigingPayeeTable {
  machtiging_id: bigint;
  payee_iban: string;
  payee_name: string;
}

export interface OntzorgPeriodTable {
  id: Generated<bigint>;
  client_id: bigint;
  basis: LegalBasisText;
  first_day: string;
  last_day: string | null;
  review_date: string | null;
  decision_reference: string | null;
  ended_early_on: string | null;
  ended_reason: string | null;
  created_at: Generated<Date>;
}

export interface ObligationTable {
  id: Generated<bigint>;
  client_id: bigint;
  gemeente_id: string;
  type: ObligationTypeText;
  frequency: 'monthly' | 'quarterly';
  payee_name: string;
  payee_iban: string;
  payee_reference: string | null;
  reference_kind: Generated<ReferenceKind>;
  description: string | null;
  valid_until: string | null;
  created_at: Generated<Date>;
}

export interface ObligationVersionTable {
  obligation_id: bigint;
  version: number;
  effective_from: string;
  amount_cents: bigint;
  due_day: number;
  basis: LegalBasisText;
  recorded_by: string;
  created_at: Generated<Date>;
}

export interface GemeentePolicyTable {
  gemeente_id: string;
  priority: string[];
  leefgeld_rule: 'fixed' | 'income_minus_obligations';
  leefgeld_floor_cents: bigint;
  partial_payment: boolean;
  lead_business_days: number;
  bijstand_payday: '24th' | 'last_working_day' | 'first_working_day_next_month' | '15th_next_month';
  payday_adjust: 'following' | 'preceding';
  booking_delay_business_days: number;
  batch_time: string;
  look_ahead_business_days: number;
  debtor_iban: string;
  suspense_age_days: number;
  updated_by: string;
  updated_at: Generated<Date>;
}

export interface FloorDecisionTable {
  id: Generated<bigint>;
  client_id: bigint;
  reference: string;
  floor_cents: bigint;
  effective_from: string;
  effective_until: string | null;
  reason: string;
  decided_by: string;
  created_at: Generated<Date>;
}

export interface ClientTables {
  gemeente: GemeenteTable;
  client: ClientTable;
  client_income: ClientIncomeTable;
  machtiging: MachtigingTable;
  machtiging_payee: MachtigingPayeeTable;
  ontzorg_period: OntzorgPeriodTable;
  obligation: ObligationTable;
  obligation_version: ObligationVersionTable;
  gemeente_policy: GemeentePolicyTable;
  floor_decision: FloorDecisionTable;
}
