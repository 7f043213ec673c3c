import type { ColumnType, Generated } from 'kysely';

export interface CaseworkerAssignmentTable {
  client_id: bigint;
  organisation: string;
  caseworker_id: string | null;
  team: string | null;
  assigned_at: Generated<Date>;
  ended_at: Date | null;
}

export interface AuditLogTable {
  id: Generated<bigint>;
  at: Generated<Date>;
  actor: string;
  role: string;
  action: string;
  subject: string | null;
  gemeente_id: string | null;
  client_id: bigint | null;
  request_id: string | null;
  details: ColumnType<unknown, string | undefined, string>;
}

export interface HttpIdempotencyTable {
  actor: string;
  key: string;
  route: string;
  request_hash: string;
  status: number;
  body: ColumnType<unknown, string, string>;
  created_at: Generated<Date>;
}

export interface AuthTables {
  caseworker_assignment: CaseworkerAssignmentTable;
  audit_log: AuditLogTable;
  http_idempotency: HttpIdempotencyTable;
}
