import type { ColumnType, Generated } from 'kysely';

/** Row shapes of the payment tables (migration 0004). */

export type InstructionKind = 'obligation' | 'leefgeld' | 'noodvoorziening' | 'refund';
export type InstructionStatus = 'created' | 'held' | 'batched' | 'released' | 'settled' | 'returned' | 'cancelled' | 'bank_rejected';
/** Every status a payment batch can have, in the order of its life (migration 0026's CHECK lists the same). */
export const BATCH_STATUSES = ['assembling', 'awaiting_approval', 'approved', 'rejected', 'released', 'bank_rejected'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** A batch's status as a sentence's end for the back office: "payment batch 12 is …". */
export function batchStatusText(status: BatchStatus): string {
  return status === 'assembling' ? 'still being put together by the daily batch' : status.replace(/_/g, ' ');
}

export interface PaymentAccountTable {
  iban: string;
  debtor_name: string;
  initiating_party_name: string;
  pain_version: '03' | '09';
  batch_booking: boolean;
  instant: boolean;
  in_transit_account_id: bigint;
}

export interface PaymentPolicyTable {
  gemeente_id: string;
  double_approval_above_cents: bigint;
}

export interface PaymentBatchTable {
  id: Generated<bigint>;
  gemeente_id: string;
  debtor_iban: string;
  execution_date: string;
  instant: boolean;
  status: BatchStatus;
  payments: number;
  total_cents: bigint;
  approvals_needed: number;
  created_by: string;
  created_at: Generated<Date>;
  rejected_by: string | null;
  rejected_at: Date | null;
  reject_reason: string | null;
  released_by: string | null;
  released_at: Date | null;
  reissue_of: bigint | null;
  /** The last release that failed for good (migration 0023); cleared by a release that succeeds. */
  release_failed_at: Date | null;
  release_error: string | null;
}

export interface PaymentApprovalTable {
  batch_id: bigint;
  approved_by: string;
  approved_at: Generated<Date>;
}

export interface PaymentInstructionTable {
  id: Generated<bigint>;
  idempotency_key: string;
  /** Empty only for a refund sent back from suspense (migration 0012): that money was never a client's. */
  client_id: bigint | null;
  gemeente_id: string;
  kind: InstructionKind;
  obligation_id: bigint | null;
  period: string;
  attempt: Generated<number>;
  retry_of: bigint | null;
  due_date: string;
  execution_date: string;
  amount_cents: bigint;
  debtor_iban: string;
  creditor_name: string;
  creditor_name_latin: string;
  creditor_iban: string;
  remittance: string | null;
  reference_issuer: 'CUR' | 'ISO' | null;
  reference: string | null;
  urgent: Generated<boolean>;
  reservation_key: string;
  end_to_end_id: string | null;
  status: InstructionStatus;
  hold_reason: string | null;
  batch_id: bigint | null;
  return_reason: string | null;
  created_at: Generated<Date>;
}

export interface PaymentReleaseTable {
  instruction_id: bigint;
  batch_id: bigint;
  released_at: Generated<Date>;
}

export interface PaymentFileTable {
  id: Generated<bigint>;
  batch_id: bigint;
  sequence: number;
  message_id: string;
  pain_version: string;
  creation_time: string;
  sha256: string;
  /** The file as it is: files stored before migration 0030 only. Read through `fileBytes` (files.ts). */
  content: ColumnType<Uint8Array | null, Uint8Array | null | undefined, never>;
  /** The file, raw DEFLATE (migration 0030): exactly one of the two is set. */
  content_deflated: ColumnType<Uint8Array | null, Uint8Array | null | undefined, never>;
  payments: number;
  total_cents: bigint;
  /** When it was written to the outbox for the bank-upload software (once; migration 0017). */
  handed_over_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface PaymentBlockTable {
  payment_info_id: string;
  file_id: bigint;
  batch_id: bigint;
  execution_date: string;
  payments: number;
  total_cents: bigint;
  settled_by_item: bigint | null;
}

export interface PaymentEventTable {
  id: Generated<bigint>;
  instruction_id: bigint | null;
  batch_id: bigint | null;
  kind: string;
  actor: string;
  details: ColumnType<unknown, string | undefined, string>;
  ledger_key: string | null;
  at: Generated<Date>;
}

export interface PaymentTables {
  payment_account: PaymentAccountTable;
  payment_policy: PaymentPolicyTable;
  payment_batch: PaymentBatchTable;
  payment_approval: PaymentApprovalTable;
  payment_instruction: PaymentInstructionTable;
  payment_release: PaymentReleaseTable;
  payment_file: PaymentFileTable;
  payment_block: PaymentBlockTable;
  payment_event: PaymentEventTable;
}
