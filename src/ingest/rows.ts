import type { ColumnType, Generated } from 'kysely';

/** Row shapes of the bank-ingestion tables (migration 0003). */

export type PayerKind = 'bijstand' | 'toeslagen' | 'svb' | 'other';
export type IdentifierKind = 'client_reference' | 'rf_reference' | 'bsn_hash' | 'case_number' | 'toeslagen_reference' | 'svb_number';
export type MatchRule = 'own_payment' | 'client_reference' | 'known_payer';
export type IncomeType = 'bijstand' | 'zorgtoeslag' | 'huurtoeslag' | 'kindgebonden_budget' | 'kinderbijslag' | 'other';
export type FileStatus = 'received' | 'ingested' | 'refused' | 'undone';
export type ReportKind = 'statement' | 'notification';

type Json = ColumnType<unknown, string, string>;

export interface BankAccountTable {
  iban: string;
  name: string;
  account_id: bigint;
  suspense_account_id: bigint;
  created_at: Generated<Date>;
}

export interface KnownPayerTable {
  id: Generated<bigint>;
  gemeente_id: string;
  iban: string;
  name: string;
  kind: PayerKind;
  created_at: Generated<Date>;
}

export interface ClientIdentifierTable {
  client_id: bigint;
  gemeente_id: string;
  kind: IdentifierKind;
  value: string;
  created_at: Generated<Date>;
}

export interface GemeenteMatchingTable {
  gemeente_id: string;
  rules: MatchRule[];
  updated_at: Generated<Date>;
}

export interface BankFileTable {
  id: Generated<bigint>;
  sha256: string;
  file_name: string;
  byte_size: bigint;
  status: FileStatus;
  received_by: string;
  received_at: Generated<Date>;
  message_name: string | null;
  message_id: string | null;
  result: Json | null;
  error: Json | null;
  ingested_at: Date | null;
  undone_at: Date | null;
  undone_by: string | null;
  undo_reason: string | null;
}

/** A bank file's bytes, in parts of at most 1 MiB (migration 0027): part 0 first. */
export interface BankFilePartTable {
  file_id: bigint;
  part: number;
  bytes: Uint8Array;
  /** The part holds a NUL byte (it is read back as bytea, not as text): migration 0032. */
  has_nul: boolean;
}

export interface BankStatementTable {
  id: Generated<bigint>;
  file_id: bigint;
  statement_index: number;
  report_kind: ReportKind;
  report_key: string;
  iban: string;
  statement_id: string;
  electronic_seq: string | null;
  legal_seq: string | null;
  copy_duplicate: string | null;
  created_at_bank: string | null;
  opening_cents: bigint | null;
  closing_cents: bigint | null;
  closing_date: string | null;
  balance_check: string;
  difference_cents: bigint | null;
  entries: number;
}

export interface BankEntrySightingTable {
  file_id: bigint;
  report_key: string;
  report_kind: ReportKind;
  iban: string;
  fingerprint: string;
  seen: number;
}

export interface BankEntryTable {
  id: Generated<bigint>;
  iban: string;
  fingerprint: string;
  signature: string;
  occurrence: number;
  generation: number;
  file_id: bigint;
  statement_row: bigint;
  entry_index: number;
  booking_date: string | null;
  value_date: string | null;
  credit_debit: 'CRDT' | 'DBIT';
  amount_cents: bigint | null;
  amount_text: string;
  currency: string;
  reversal: boolean;
  acct_svcr_ref: string | null;
  entry_ref: string | null;
  bank_code: string | null;
  additional_info: string | null;
  outcome: 'booked' | 'exception';
  exception: string | null;
  undone_at: Date | null;
  /** The entry stands for its report's sighting of its fingerprint (migration 0034; `impliedSightings`). */
  sighting_implied: Generated<boolean>;
}

export interface BankEntryItemTable {
  id: Generated<bigint>;
  entry_id: bigint;
  item_index: number;
  amount_cents: bigint;
  credit_debit: 'CRDT' | 'DBIT';
  booking_date: string;
  end_to_end_id: string | null;
  payment_info_id: string | null;
  counterparty_name: string | null;
  counterparty_iban: string | null;
  remittance: string | null;
  creditor_reference: string | null;
  return_reason: string | null;
  destination: 'client' | 'suspense' | 'settlement' | 'return';
  match_rule: MatchRule | null;
  match_detail: Json;
  client_id: bigint | null;
  gemeente_id: string | null;
  income_type: IncomeType | null;
  ledger_key: string;
}

export interface SuspenseAssignmentTable {
  item_id: bigint;
  client_id: bigint;
  income_type: IncomeType;
  assigned_by: string;
  reason: string;
  assigned_at: Generated<Date>;
  ledger_key: string;
  undone_at: Date | null;
}

export interface BankAlertTable {
  id: Generated<bigint>;
  file_id: bigint | null;
  statement_row: bigint | null;
  code: string;
  severity: 'error' | 'warning';
  message: string;
  details: ColumnType<unknown, string | undefined, string>;
  created_at: Generated<Date>;
}

export interface IngestTables {
  bank_account: BankAccountTable;
  known_payer: KnownPayerTable;
  client_identifier: ClientIdentifierTable;
  gemeente_matching: GemeenteMatchingTable;
  bank_file: BankFileTable;
  bank_file_part: BankFilePartTable;
  bank_statement: BankStatementTable;
  bank_entry_sighting: BankEntrySightingTable;
  bank_entry: BankEntryTable;
  bank_entry_item: BankEntryItemTable;
  suspense_assignment: SuspenseAssignmentTable;
  bank_alert: BankAlertTable;
}
