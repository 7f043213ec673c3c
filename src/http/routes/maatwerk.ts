import { readIsAudited } from '../../auth/audit.js';
import type { Principal } from '../../auth/principal.js';
import { canSeeClient } from '../../auth/scope.js';
import { ClientError } from '../../clients/errors.js';
import { obligationsOf } from '../../clients/obligations.js';
import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import { inTransaction, type Trx } from '../../db/transaction.js';
import {
  decisionHistory,
  decisionsOf,
  REASON_CATEGORIES,
  recordDecision,
  RESERVED_MONEY,
  revokeDecision,
  SCOPES,
  TOESLAGEN_TREATMENTS,
  type DecisionHistoryEntry,
  type DecisionInput,
  type StoredDecision,
} from '../../maatwerk/index.js';
import { amsterdamToday } from '../../statements/index.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, type RouteContext } from './common.js';

/**
 * Maatwerk decisions over HTTP: the back office decides (operator, administrator), revokes, and reads the
 * history; an approver or auditor reads it; a caseworker reads it for their own clients, a client their own
 * (those reads are audited). A decision is never edited: a new one replaces the one before it, a revocation
 * ends it. A client one may not see answers 404, as one that does not exist.
 */

export interface MaatwerkRoutes extends RouteContext {
  readonly now: () => Date;
}

const date = { type: 'string', format: 'date' } as const;
const nullableDate = { type: ['string', 'null'], format: 'date' } as const;
const obligationId = { type: 'string', pattern: '^[0-9]{1,18}$' } as const;
const decisionParams = { type: 'object', properties: { id: idParam.properties.id, decisionId: obligationId }, required: ['id', 'decisionId'] } as const;

const decideBody = {
  type: 'object',
  additionalProperties: false,
  required: ['scope', 'reasonCategory', 'reason', 'assessment', 'effectiveDate', 'reviewDate'],
  properties: {
    scope: { type: 'string', enum: [...SCOPES], description: 'full_opt_out: nothing withheld, all income passed on; partial: `kept` stays withheld; hand_over_plan: `handOver` on planned dates' },
    reasonCategory: { type: 'string', enum: [...REASON_CATEGORIES] },
    reason: { type: 'string', minLength: 3, maxLength: 2000 },
    assessment: { type: 'string', minLength: 3, maxLength: 2000, description: 'the assessment the decision rests on' },
    effectiveDate: { ...date, description: 'rule 10: today or later' },
    reviewDate: { ...date, description: 'after the effective date' },
    reservedMoney: { type: 'string', enum: [...RESERVED_MONEY], description: 'money already reserved for periods not yet paid; default pay_due_release_rest' },
    toeslagen: { type: 'string', enum: [...TOESLAGEN_TREATMENTS], description: 'applied (only with consent, rule 6) or passed_on; default: applied when the client consented, passed on otherwise' },
    kept: { type: 'array', maxItems: 20, items: obligationId, description: 'partial: the obligations that stay withheld' },
    handOver: {
      type: 'array',
      maxItems: 20,
      items: { type: 'object', additionalProperties: false, required: ['obligationId', 'on'], properties: { obligationId, on: date } },
      description: 'hand_over_plan: each obligation and the first day the client pays it',
    },
  },
} as const;

const revokeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['effectiveDate', 'reason'],
  properties: { effectiveDate: { ...date, description: 'rule 10: today or later' }, reason: { type: 'string', minLength: 3, maxLength: 2000 } },
} as const;

const decisionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    action: { type: 'string', enum: ['decide', 'revoke'] },
    scope: { type: ['string', 'null'] },
    replaces: { type: ['string', 'null'], description: 'the decision this row ended from its effective date' },
    reasonCategory: { type: ['string', 'null'] },
    reason: { type: 'string' },
    assessment: { type: ['string', 'null'] },
    effectiveDate: date,
    reviewDate: nullableDate,
    reservedMoney: { type: ['string', 'null'] },
    toeslagen: { type: ['string', 'null'] },
    decidedBy: { type: 'string' },
    decidedAt: { type: 'string', format: 'date-time' },
    status: { type: 'string', enum: ['in_force', 'scheduled', 'ended', 'revocation'] },
    endedOn: nullableDate,
    endedBy: { type: ['object', 'null'], properties: { id: { type: 'string' }, how: { type: 'string', enum: ['revoked', 'replaced'] } } },
    plan: {
      type: 'array',
      description: 'per obligation of the client: from when the client pays it under this decision (null: still paid by the service)',
      items: { type: 'object', properties: { obligationId: { type: 'string' }, type: { type: 'string' }, payee: { type: 'string' }, handedOverOn: nullableDate } },
    },
  },
} as const;

const historySchema = {
  type: 'object',
  properties: { inForce: { type: ['string', 'null'], description: 'the id of the decision in force today; null: ontzorgen as usual' }, decisions: { type: 'array', items: decisionSchema } },
} as const;

function view(entry: DecisionHistoryEntry) {
  const d = entry.decision;
  return {
    id: d.id,
    action: d.action,
    scope: d.scope,
    replaces: d.replacesId,
    reasonCategory: d.reasonCategory,
    reason: d.reason,
    assessment: d.assessment,
    effectiveDate: d.effectiveDate,
    reviewDate: d.reviewDate,
    reservedMoney: d.reservedMoney,
    toeslagen: d.toeslagen,
    decidedBy: d.decidedBy,
    decidedAt: d.createdAt.toISOString(),
    status: entry.status,
    endedOn: entry.endedOn,
    endedBy: entry.endedBy,
    plan: entry.schedule,
  };
}

/** The client's gemeente when the principal may see them; 404 otherwise, as for a client that does not exist. */
async function scoped(db: Kysely<Database> | Trx, principal: Principal, clientId: bigint): Promise<string> {
  const scope = await canSeeClient(db, principal, clientId);
  if (!scope) throw new ClientError('client_not_found', `there is no client ${clientId} in your gemeenten`);
  return scope.gemeenteId;
}

async function history(db: Kysely<Database> | Trx, clientId: bigint, today: string) {
  const decisions = (await decisionsOf(db, [clientId])).get(clientId) ?? [];
  const obligations = (await obligationsOf(db, [clientId])).get(clientId) ?? [];
  const { inForce, entries } = decisionHistory(decisions, obligations, today);
  return { inForce, decisions: entries.map(view) };
}

export function maatwerkRoutes({ app, db, verify, now, readAudit }: MaatwerkRoutes): void {
  const decide = authorize(verify, 'maatwerk:decide');
  const key = (headers: Record<string, unknown>): string | null => (typeof headers['idempotency-key'] === 'string' ? headers['idempotency-key'] : null);

  /** One decision or revocation, answered with that row as it now stands in the client's history. */
  const write = (clientId: bigint, work: (trx: Trx, principal: Principal, today: string) => Promise<StoredDecision>, principal: Principal) =>
    inTransaction(db, async (trx) => {
      await scoped(trx, principal, clientId);
      const today = amsterdamToday(now());
      const stored = await work(trx, principal, today);
      const { decisions } = await history(trx, clientId, today);
      return { status: 201, body: decisions.find((d) => d.id === stored.id)! };
    });

  app.post(
    '/api/clients/:id/maatwerk',
    {
      onRequest: decide,
      schema: {
        tags: ['maatwerk'],
        summary: 'Decide maatwerk for a client: a full opt-out, a partial one, or a graduated hand-over plan (replaces the decision before it)',
        description:
          'Explicit, explained and reversible: the reason, its category, the assessment, the effective date (today or later, rule 10) and a review date. Refused, citing the rule, when it would break rule 3 (only the 56a list under a 56a-only period) or rule 6 (toeslagen only with consent). A new decision replaces the one in force from its own effective date. Accepts an Idempotency-Key.',
        security: bearer,
        params: idParam,
        body: decideBody,
        response: { 201: decisionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const clientId = BigInt((request.params as { id: string }).id);
      const body = request.body as Omit<DecisionInput, 'decidedBy'>;
      return idempotent(db, request, reply, () =>
        write(clientId, (trx, p, today) => recordDecision(trx, clientId, { ...body, decidedBy: p.userId }, { today, idempotencyKey: key(request.headers), actor: p, requestId: request.id }), principal),
      );
    },
  );

  app.post(
    '/api/clients/:id/maatwerk/:decisionId/revoke',
    {
      onRequest: decide,
      schema: {
        tags: ['maatwerk'],
        summary: 'Revoke a maatwerk decision from a date: from then on ontzorgen withholds as before it',
        description: 'A revocation is a new row in the history, never an edit. A decision is ended once (`maatwerk_already_ended`). Accepts an Idempotency-Key.',
        security: bearer,
        params: decisionParams,
        body: revokeBody,
        response: { 201: decisionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const params = request.params as { id: string; decisionId: string };
      const clientId = BigInt(params.id);
      const body = request.body as { effectiveDate: string; reason: string };
      return idempotent(db, request, reply, () =>
        write(
          clientId,
          (trx, p, today) =>
            revokeDecision(trx, clientId, BigInt(params.decisionId), { ...body, decidedBy: p.userId }, { today, idempotencyKey: key(request.headers), actor: p, requestId: request.id }),
          principal,
        ),
      );
    },
  );

  app.get(
    '/api/clients/:id/maatwerk',
    {
      onRequest: authorize(verify, 'maatwerk:read'),
      schema: {
        tags: ['maatwerk'],
        summary: 'A client\'s maatwerk history, newest first: every decision and revocation, which is in force, and the hand-over plan',
        description: 'A client you may not see answers 404, as one that does not exist. Reads by caseworkers and clients are audited.',
        security: bearer,
        params: idParam,
        response: { 200: historySchema, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const clientId = BigInt((request.params as { id: string }).id);
      const gemeenteId = await scoped(db, principal, clientId);
      const answer = await history(db, clientId, amsterdamToday(now()));
      if (readIsAudited(principal)) await readAudit.record(principal, { action: 'maatwerk.read', subject: `client/${clientId}`, gemeenteId, clientId, requestId: request.id });
      return answer;
    },
  );
}
