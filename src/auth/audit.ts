import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import type { Principal } from './principal.js';

export interface AuditEntry {
  readonly action: string;
  readonly subject?: string;
  readonly gemeenteId?: string | null;
  readonly clientId?: bigint | null;
  readonly requestId?: string;
  /** Never personal data: ids, counts and codes. */
  readonly details?: Record<string, unknown>;
}

/** Writes one audit entry: who, when, what. In the caller's transaction when it comes with a change. */
export async function audit(db: Kysely<Database> | Trx, principal: Pick<Principal, 'userId' | 'role'>, entry: AuditEntry): Promise<void> {
  await auditMany(db, principal, [entry]);
}

/** Several entries of one person in one statement: a list read audits every client on the page. */
export async function auditMany(db: Kysely<Database> | Trx, principal: Pick<Principal, 'userId' | 'role'>, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await db
    .insertInto('audit_log')
    .values(
      entries.map((entry) => ({
        actor: principal.userId,
        role: principal.role,
        action: entry.action,
        subject: entry.subject ?? null,
        gemeente_id: entry.gemeenteId ?? null,
        client_id: entry.clientId ?? null,
        request_id: entry.requestId ?? null,
        details: JSON.stringify(entry.details ?? {}),
      })),
    )
    .execute();
}

/** Reading a client's data is audited for caseworkers and clients (issue 7); the back office's reads are their work. */
export function readIsAudited(principal: Principal): boolean {
  return principal.role === 'caseworker' || principal.role === 'client';
}
