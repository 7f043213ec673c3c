import type { ColumnType, Generated } from 'kysely';

/** Row shapes of the allocation's bookkeeping (migration 0005). */

export interface AllocationReceiptTable {
  /** The ledger key of the booking that brought the money (a bank item's, or a suspense assignment's). */
  receipt_key: string;
  client_id: bigint;
  classification: string;
  amount_cents: bigint;
  outcome: 'pooled' | 'passed_on';
  allocated_on: string;
  pass_on_key: string | null;
  allocated_at: Generated<Date>;
}

export interface AllocationReservationTable {
  ledger_key: string;
  client_id: bigint;
  obligation_id: bigint;
  period_key: string;
  seq: number;
  amount_cents: bigint;
  due_date: string;
  execution_date: string;
  booked_on: string;
  status: Generated<'open' | 'scheduled' | 'voided'>;
  created_at: Generated<Date>;
}

export interface BackOfficeSignalTable {
  id: Generated<bigint>;
  signal_key: string;
  gemeente_id: string;
  client_id: bigint | null;
  kind: string;
  message: string;
  details: ColumnType<unknown, string | undefined, string>;
  first_seen_on: string;
  created_at: Generated<Date>;
}

export type ScheduledKind = 'obligation' | 'leefgeld' | 'pass_on' | 'closing';

/** What allocation planned to pay and the batch instructed, once per (client, obligation or leefgeld, period). */
export interface ScheduledPaymentTable {
  idempotency_key: string;
  gemeente_id: string;
  client_id: bigint;
  kind: ScheduledKind;
  obligation_id: bigint | null;
  period_key: string;
  pay_date: string;
  execution_date: string;
  amount_cents: bigint;
  reservation_key: string | null;
  hold_reason: string | null;
  late: Generated<boolean>;
  leefgeld_target_cents: bigint | null;
  leefgeld_floor_cents: bigint | null;
  floor_decision: string | null;
  instruction_id: bigint | null;
  run_date: string;
  created_at: Generated<Date>;
}

export interface AllocationTables {
  allocation_receipt: AllocationReceiptTable;
  allocation_reservation: AllocationReservationTable;
  back_office_signal: BackOfficeSignalTable;
  scheduled_payment: ScheduledPaymentTable;
}
