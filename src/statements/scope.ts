import { sql, type RawBuilder } from 'kysely';
import type { Principal } from '../auth/principal.js';

/**
 * The clients a principal may see, as an SQL condition on a `client` row aliased `c`: the list
 * form of `canSeeClient` (src/auth/scope.ts), which decides for one client. Back office: the
 * client's gemeente is one of theirs. Caseworker: assigned to them or their team in their
 * organisation (and in their gemeenten when the token names any). Client: only themselves.
 * tests/http/clients.test.ts checks that both agree for every role.
 */
export function visibleClients(principal: Principal): RawBuilder<boolean> {
  if (principal.role === 'client') return principal.clientId === null ? sql<boolean>`false` : sql<boolean>`c.id = ${principal.clientId.toString()}::bigint`;
  const gemeenten = [...principal.gemeenten];
  if (principal.role !== 'caseworker') return sql<boolean>`c.gemeente_id = ANY(${gemeenten}::text[])`;
  const assigned = sql<boolean>`c.id IN (
    SELECT client_id FROM caseworker_assignment
     WHERE ended_at IS NULL AND organisation = ${principal.organisation ?? ''}
       AND (caseworker_id = ${principal.userId} OR team = ${principal.team}::text))`;
  return gemeenten.length > 0 ? sql<boolean>`(${assigned} AND c.gemeente_id = ANY(${gemeenten}::text[]))` : assigned;
}
