import { sql } from 'kysely';
import { readIsAudited } from '../../auth/audit.js';
import { canSeeClient } from '../../auth/scope.js';
import { ClientError } from '../../clients/errors.js';
import { versionInForce } from '../../clients/obligation-rules.js';
import { obligationsOf } from '../../clients/obligations.js';
import { periodsOf } from '../../clients/ontzorg-periods.js';
import { amsterdamToday, visibleClients } from '../../statements/index.js';
import { authorize, principalOf } from '../auth.js';
import { bearer, errorResponses, idParam, page, pageQuery } from './common.js';
import type { StatementRoutes } from './statements.js';

/**
 * The client list and a client's record, for the people who may see them: the back office for its
 * gemeenten, a caseworker for the clients assigned to them or their team, a client for themselves.
 * Personal data is minimised: the BSN only as a mask (rule 13), the own IBAN with its last four
 * characters. A client one may not see answers 404, as one that does not exist.
 */

const nullableDate = { type: ['string', 'null'], format: 'date' } as const;

const summarySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    reference: { type: 'string' },
    gemeente: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    name: { type: ['string', 'null'] },
    bsn: { type: ['string', 'null'], description: 'masked: the BSN itself is never shown here' },
    bijstandStart: nullableDate,
    ontzorgenEndedOn: nullableDate,
  },
} as const;

const detailSchema = {
  type: 'object',
  properties: {
    ...summarySchema.properties,
    ownIban: { type: ['string', 'null'], description: 'masked but for the last four characters' },
    householdType: { type: ['string', 'null'] },
    bijstandEnd: nullableDate,
    toeslagenConsent: { type: 'boolean' },
    periods: {
      type: 'array',
      items: { type: 'object', properties: { basis: { type: 'string' }, firstDay: { type: 'string', format: 'date' }, lastDay: nullableDate, reviewDate: nullableDate, decisionReference: { type: ['string', 'null'] } } },
    },
    obligations: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' }, type: { type: 'string' }, payee: { type: 'string' }, frequency: { type: 'string' },
          amount: { type: ['string', 'null'], description: 'the amount in force today' }, dueDay: { type: ['integer', 'null'] }, basis: { type: ['string', 'null'] }, validUntil: nullableDate,
        },
      },
    },
  },
} as const;

interface ClientRow {
  id: bigint;
  reference: string;
  gemeente_id: string;
  gemeente_name: string;
  name: string | null;
  has_bsn: boolean;
  own_iban: string | null;
  household_type: string | null;
  bijstand_start: string | null;
  bijstand_end: string | null;
  toeslagen_consent: boolean;
  ontzorgen_ended_on: string | null;
}

const maskIban = (iban: string | null): string | null => (iban === null ? null : `${'*'.repeat(Math.max(0, iban.length - 4))}${iban.slice(-4)}`);

function summary(row: ClientRow) {
  return {
    id: row.id.toString(),
    reference: row.reference,
    gemeente: { id: row.gemeente_id, name: row.gemeente_name },
    name: row.name,
    bsn: row.has_bsn ? '*********' : null,
    bijstandStart: row.bijstand_start,
    ontzorgenEndedOn: row.ontzorgen_ended_on,
  };
}

export function clientRoutes({ app, db, verify, now, readAudit }: StatementRoutes): void {
  const select = sql`
    SELECT c.id, c.reference, c.gemeente_id, g.name AS gemeente_name, c.name, (c.bsn_hash IS NOT NULL) AS has_bsn, c.own_iban, c.household_type,
           c.bijstand_start, c.bijstand_end, c.toeslagen_consent, c.ontzorgen_ended_on
      FROM client c JOIN gemeente g ON g.id = c.gemeente_id`;

  app.get(
    '/api/clients',
    {
      onRequest: authorize(verify, 'clients:read'),
      schema: {
        tags: ['clients'],
        summary: 'The clients you may see, by id: the back office its gemeenten, a caseworker their own and their team\'s, a client themselves',
        description: 'Reads by caseworkers and clients are audited, one entry per client listed.',
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' }, reference: { type: 'string', minLength: 1, maxLength: 35 }, ...pageQuery },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: summarySchema }, next: { type: ['string', 'null'] } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as { gemeente?: string; reference?: string; limit: number; after?: string };
      const { rows } = await sql<ClientRow>`
        ${select}
         WHERE ${visibleClients(principal)}
           ${q.gemeente ? sql`AND c.gemeente_id = ${q.gemeente}` : sql``}
           ${q.reference ? sql`AND c.reference = ${q.reference}` : sql``}
           ${q.after ? sql`AND c.id > ${q.after}::bigint` : sql``}
         ORDER BY c.id
         LIMIT ${q.limit}
      `.execute(db);
      if (readIsAudited(principal) && rows.length > 0) {
        await readAudit.record(principal, ...rows.map((row) => ({ action: 'client.list', subject: `client/${row.id}`, gemeenteId: row.gemeente_id, clientId: row.id, requestId: request.id })));
      }
      return page(rows.map(summary), q.limit);
    },
  );

  app.get(
    '/api/clients/:id',
    {
      onRequest: authorize(verify, 'clients:read'),
      schema: {
        tags: ['clients'],
        summary: 'A client\'s record: who, since when, on which legal basis, which fixed costs are paid for them (BSN masked)',
        description: 'A client you may not see answers 404, as one that does not exist. Reads by caseworkers and clients are audited.',
        security: bearer,
        params: idParam,
        response: { 200: detailSchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const clientId = BigInt((request.params as { id: string }).id);
      const scope = await canSeeClient(db, principal, clientId);
      if (!scope) throw new ClientError('client_not_found', `there is no client ${clientId} in your gemeenten`);
      const { rows } = await sql<ClientRow>`${select} WHERE c.id = ${clientId.toString()}::bigint`.execute(db);
      const row = rows[0];
      if (!row) throw new ClientError('client_not_found', `there is no client ${clientId} in your gemeenten`);
      const [periods, obligations] = await Promise.all([periodsOf(db, [clientId]), obligationsOf(db, [clientId])]);
      if (readIsAudited(principal)) await readAudit.record(principal, { action: 'client.read', subject: `client/${clientId}`, gemeenteId: scope.gemeenteId, clientId, requestId: request.id });
      const today = amsterdamToday(now());
      return {
        ...summary(row),
        ownIban: maskIban(row.own_iban),
        householdType: row.household_type,
        bijstandEnd: row.bijstand_end,
        toeslagenConsent: row.toeslagen_consent,
        periods: (periods.get(clientId) ?? []).map((p) => ({ basis: p.basis, firstDay: p.firstDay, lastDay: p.lastDay, reviewDate: p.reviewDate, decisionReference: p.decisionReference })),
        obligations: (obligations.get(clientId) ?? []).map((o) => {
          const current = versionInForce(o.versions, today);
          return { id: o.id, type: o.type, payee: o.payee.name, frequency: o.frequency, amount: current?.amount.toString() ?? null, dueDay: current?.dueDay ?? null, basis: current?.basis ?? null, validUntil: o.validUntil };
        }),
      };
    },
  );
}
