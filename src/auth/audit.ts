import type { Kysely } from 'kysely';
import { insertColumns } from '../db/bulk-insert.js';
import { GroupCommit, type GroupCommitOptions } from '../db/group-commit.js';
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

type Actor = Pick<Principal, 'userId' | 'role'>;

/** Writes one audit entry: who, when, what. In the caller's transaction when it comes with a change. */
export async function audit(db: Kysely<Database> | Trx, principal: Actor, entry: AuditEntry): Promise<void> {
  await auditMany(db, principal, [entry]);
}

/** Several entries of one person in one statement: a list read audits every client on the page. */
export async function auditMany(db: Kysely<Database> | Trx, principal: Actor, entries: readonly AuditEntry[]): Promise<void> {
  await insertAudit(db, [{ principal, entries }]);
}

interface AuditedRead {
  readonly principal: Actor;
  readonly entries: readonly AuditEntry[];
}

/** One statement, one array per column, whatever the number of rows (a group of full list pages holds thousands). */
async function insertAudit(db: Kysely<Database> | Trx, reads: readonly AuditedRead[]): Promise<void> {
  const rows = reads.flatMap(({ principal, entries }) => entries.map((entry) => ({ principal, entry })));
  const text = (pick: (row: (typeof rows)[number]) => string | null) => ({ type: 'text' as const, values: rows.map(pick) });
  await insertColumns(db, 'audit_log', {
    actor: text((r) => r.principal.userId),
    role: text((r) => r.principal.role),
    action: text((r) => r.entry.action),
    subject: text((r) => r.entry.subject ?? null),
    gemeente_id: text((r) => r.entry.gemeenteId ?? null),
    client_id: { type: 'bigint', values: rows.map((r) => r.entry.clientId ?? null) },
    request_id: text((r) => r.entry.requestId ?? null),
    details: { type: 'jsonb', values: rows.map((r) => JSON.stringify(r.entry.details ?? {})) },
  });
}

/** Reading a client's data is audited for caseworkers and clients (issue 7); the back office's reads are their work. */
export function readIsAudited(principal: Principal): boolean {
  return principal.role === 'caseworker' || principal.role === 'client';
}

/**
 * The audit of reads. A read is answered only after its audit entry is committed, as before; what
 * changes is that the reads of many concurrent requests share one INSERT and one commit (group
 * commit), instead of a round trip and a WAL flush each. A read waits at most for the commit in
 * flight when it arrives, and a commit that fails is retried per read, so one read's failure is
 * its own.
 */
export class ReadAudits {
  private readonly group: GroupCommit<AuditedRead, undefined>;

  constructor(db: Kysely<Database>, options: GroupCommitOptions = {}) {
    this.group = new GroupCommit(
      'read audit',
      async (reads) => {
        await insertAudit(db, reads);
        return reads.map(() => undefined);
      },
      { maxBatch: 500, maxWaitMs: 0, concurrency: 1, ...options },
    );
  }

  /** Resolves once the entries are committed; rejects when they could not be, and then the read must not be answered. */
  async record(principal: Actor, ...entries: readonly AuditEntry[]): Promise<void> {
    if (entries.length > 0) await this.group.submit({ principal, entries });
  }

  close(): Promise<void> {
    return this.group.close();
  }
}
