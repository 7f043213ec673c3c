import type { ColumnType, Generated } from 'kysely';

/** Row shapes of the ledger tables, as both drivers return them (see db/connect.ts). */

export type AccountKind = 'asset' | 'liability' | 'income' | 'expense' | 'equity';
export type BalanceRule = 'none' | 'debits_must_not_exceed_credits' | 'credits_must_not_exceed_debits';
export type Side = 'D' | 'C';
export type Phase = 'posted' | 'pending' | 'release';
export type TransactionType = 'transfer' | 'pending' | 'post_pending' | 'void_pending' | 'reversal';
export type Outcome = 'booked' | 'refused';

export interface AccountPurposeTable {
  id: string;
  description: string;
}

export interface AccountTable {
  id: Generated<bigint>;
  code: string;
  name: string;
  kind: AccountKind;
  purpose: string;
  gemeente_id: string | null;
  client_id: bigint | null;
  currency: Generated<string>;
  balance_rule: BalanceRule;
  debits_posted: Generated<bigint>;
  credits_posted: Generated<bigint>;
  debits_pending: Generated<bigint>;
  credits_pending: Generated<bigint>;
  last_seq: Generated<bigint>;
  created_at: Generated<Date>;
}

export interface LedgerTransactionTable {
  id: bigint;
  idempotency_key: string;
  type: TransactionType;
  outcome: Outcome;
  pending_id: bigint | null;
  reverses_id: bigint | null;
  booking_date: string;
  description: string;
  request: ColumnType<unknown, string, never>;
  content_hash: string;
  refusal_code: string | null;
  refusal_message: string | null;
  created_at: Generated<Date>;
  created_xid: Generated<bigint>;
}

export interface LedgerPostingTable {
  id: Generated<bigint>;
  transaction_id: bigint;
  account_id: bigint;
  gemeente_id: string | null;
  side: Side;
  phase: Phase;
  amount_cents: bigint;
  account_seq: bigint;
  booking_date: string;
  booked_at: Generated<Date>;
  debits_posted_after: bigint;
  credits_posted_after: bigint;
  debits_pending_after: bigint;
  credits_pending_after: bigint;
}

export interface LedgerTables {
  account_purpose: AccountPurposeTable;
  account: AccountTable;
  ledger_transaction: LedgerTransactionTable;
  ledger_posting: LedgerPostingTable;
  ledger_seal: LedgerSealTable;
}

export interface LedgerSealTable {
  id: Generated<bigint>;
  from_xid: bigint;
  to_xid: bigint;
  transaction_count: bigint;
  previous_hash: string;
  hash: string;
  sealed_at: Generated<Date>;
}
