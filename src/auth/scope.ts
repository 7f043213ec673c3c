import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import type { Principal } from './principal.js';

/**
 * Whether a principal may see a client. Back office: the client's gemeente is one of theirs.
 * Caseworker: the client is assigned to them or their team in their organisation (and in their
 * gemeenten when the token names any). Client: only themselves. A client one may not see is
 * answered as if it did not exist (404), so existence is not revealed.
 */
export async function canSeeClient(db: Kysely<Database> | Trx, principal: Principal, clientId: bigint): Promise<{ gemeenteId: string } | null> {
  if (principal.role === 'client') {
    if (principal.clientId !== clientId) return null;
    const own = await db.selectFrom('client').select('gemeente_id').where('id', '=', clientId).executeTakeFirst();
    return own ? { gemeenteId: own.gemeente_id } : null;
  }
  const client = await db.selectFrom('client').select('gemeente_id').where('id', '=', clientId).executeTakeFirst();
  if (!client) return null;
  if (principal.role !== 'caseworker') return principal.gemeenten.includes(client.gemeente_id) ? { gemeenteId: client.gemeente_id } : null;
  if (principal.gemeenten.length > 0 && !principal.gemeenten.includes(client.gemeente_id)) return null;
  const assigned = await db
    .selectFrom('caseworker_assignment')
    .select('client_id')
    .where('client_id', '=', clientId)
    .where('ended_at', 'is', null)
    .where('organisation', '=', principal.organisation ?? '')
    .where((eb) => eb.or([eb('caseworker_id', '=', principal.userId), ...(principal.team ? [eb('team', '=', principal.team)] : [])]))
    .executeTakeFirst();
  return assigned ? { gemeenteId: client.gemeente_id } : null;
}

/** The gemeenten a back-office principal's lists are filtered to (empty: none). */
export function gemeentenOf(principal: Principal): readonly string[] {
  return principal.gemeenten;
}

export async function assignCaseworker(db: Kysely<Database> | Trx, assignment: { clientId: bigint; organisation: string; caseworkerId?: string; team?: string }): Promise<void> {
  await sql`
    INSERT INTO caseworker_assignment (client_id, organisation, caseworker_id, team)
    SELECT ${assignment.clientId.toString()}::bigint, ${assignment.organisation}, ${assignment.caseworkerId ?? null}, ${assignment.team ?? null}
    WHERE NOT EXISTS (
      SELECT 1 FROM caseworker_assignment
       WHERE client_id = ${assignment.clientId.toString()}::bigint AND organisation = ${assignment.organisation} AND ended_at IS NULL
         AND caseworker_id IS NOT DISTINCT FROM ${assignment.caseworkerId ?? null} AND team IS NOT DISTINCT FROM ${assignment.team ?? null})
  `.execute(db);
}

/**
 * Ends a caseworker's (or team's) assignment to a client: from now on they no longer read the client's data,
 * and their organisation's webhook no longer gets the client's signals. The row stays, with when it ended (who
 * saw what, when, is evidence). Answers how many assignments it ended (0: none was open).
 */
export async function endCaseworkerAssignment(db: Kysely<Database> | Trx, assignment: { clientId: bigint; organisation: string; caseworkerId?: string; team?: string }): Promise<number> {
  const result = await sql`
    UPDATE caseworker_assignment SET ended_at = now()
     WHERE client_id = ${assignment.clientId.toString()}::bigint AND organisation = ${assignment.organisation} AND ended_at IS NULL
       AND caseworker_id IS NOT DISTINCT FROM ${assignment.caseworkerId ?? null} AND team IS NOT DISTINCT FROM ${assignment.team ?? null}
  `.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
