import type { FastifyRequest } from 'fastify';
import { audit, readIsAudited } from '../../auth/audit.js';
import type { Principal } from '../../auth/principal.js';
import { canSeeClient } from '../../auth/scope.js';
import { ClientError } from '../../clients/errors.js';
import { inTransaction } from '../../db/transaction.js';
import { Money, parsePositiveAmount } from '../../money/money.js';
import {
  approveGrant,
  findGrant,
  grantsOfClient,
  listGrants,
  NoodvoorzieningError,
  refuseGrant,
  repayEarly,
  requestGrant,
  type Grant,
  type GrantStatus,
  type GrantWithRepayments,
} from '../../noodvoorziening/index.js';
import { amsterdamToday } from '../../statements/index.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, page, pageQuery } from './common.js';
import type { StatementRoutes } from './statements.js';

/**
 * The noodvoorziening door (issue 6): the back office asks for an emergency payment (gift or advance) for a client
 * of its gemeenten; above the gemeente's threshold an approver who did not ask approves or refuses it (four eyes);
 * an early repayment of an advance is a decision of the back office too. Whoever may see the client reads its
 * grants with what is still owed (caseworker and client reads audited); the approvers' list is per gemeente.
 * Every decision is audited in the transaction that makes it. A client or grant one may not see answers 404.
 */

const amount = { type: 'string', pattern: '^[0-9]{1,9}\\.[0-9]{2}$', description: 'euros with two decimals, e.g. "250.00"' } as const;

const grantSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    clientId: { type: 'string' },
    gemeenteId: { type: 'string' },
    amount: { type: 'string' },
    kind: { type: 'string', enum: ['advance', 'gift'] },
    reason: { type: 'string' },
    payment: { type: 'string', enum: ['instant', 'next_batch'] },
    instalment: { type: ['string', 'null'], description: 'an advance: repaid from each leefgeld payment, capped so the client keeps the gemeente\'s minimum' },
    status: { type: 'string', enum: ['requested', 'approved', 'paid', 'refused'] },
    fourEyes: { type: 'boolean', description: 'above the gemeente\'s threshold: a second person approves' },
    requestedBy: { type: 'string' },
    requestedOn: { type: 'string', format: 'date' },
    decidedBy: { type: ['string', 'null'] },
    decidedOn: { type: ['string', 'null'], format: 'date' },
    refusalReason: { type: ['string', 'null'] },
    paymentInstructionId: { type: ['string', 'null'] },
    handedOverOn: { type: ['string', 'null'], format: 'date', description: 'ontzorgen ended with this advance open: handed to the gemeente as a claim' },
    repaid: { type: 'string' },
    outstanding: { type: 'string', description: 'an advance: still owed' },
    repayments: {
      type: 'array',
      items: { type: 'object', properties: { kind: { type: 'string' }, amount: { type: 'string' }, bookedOn: { type: 'string', format: 'date' }, leefgeldDate: { type: ['string', 'null'], format: 'date' } } },
    },
  },
} as const;

function grantView(grant: Grant | GrantWithRepayments) {
  const full = 'outstanding' in grant ? grant : null;
  return {
    id: grant.id.toString(),
    clientId: grant.clientId.toString(),
    gemeenteId: grant.gemeenteId,
    amount: grant.amount.toString(),
    kind: grant.kind,
    reason: grant.reason,
    payment: grant.payment,
    instalment: grant.instalment?.toString() ?? null,
    status: full ? full.shownStatus : grant.status,
    fourEyes: grant.fourEyes,
    requestedBy: grant.requestedBy,
    requestedOn: grant.requestedOn,
    decidedBy: grant.decidedBy,
    decidedOn: grant.decidedOn,
    refusalReason: grant.refusalReason,
    paymentInstructionId: grant.instructionId?.toString() ?? null,
    handedOverOn: grant.handedOverOn,
    repaid: full ? full.repaid.toString() : '0.00',
    outstanding: full ? full.outstanding.toString() : grant.kind === 'advance' && grant.status === 'approved' ? grant.amount.toString() : '0.00',
    repayments: full ? full.repayments.map((r) => ({ kind: r.kind, amount: r.amount.toString(), bookedOn: r.bookedOn, leefgeldDate: r.leefgeldDate })) : [],
  };
}

/** The core's own key for a request: the person's Idempotency-Key, so one person's retry is one grant. */
function requestKey(request: FastifyRequest, principal: Principal): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length < 1 || key.length > 150) {
    throw new NoodvoorzieningError('invalid_noodvoorziening', 'a noodvoorziening decision needs an Idempotency-Key header (1 to 150 characters), so that a retry never pays twice');
  }
  return `http/${principal.userId}/${key}`;
}

export function noodvoorzieningRoutes({ app, db, verify, now, readAudit }: StatementRoutes): void {
  const clientInScope = async (principal: Principal, clientId: bigint) => {
    const scope = await canSeeClient(db, principal, clientId);
    if (!scope) throw new ClientError('client_not_found', `there is no client ${clientId} in your gemeenten`);
    return scope;
  };
  const grantInScope = async (principal: Principal, grantId: bigint) => {
    const grant = await findGrant(db, grantId);
    if (!grant || !principal.gemeenten.includes(grant.gemeenteId)) throw new NoodvoorzieningError('noodvoorziening_not_found', `there is no noodvoorziening ${grantId} in your gemeenten`);
    return grant;
  };

  app.post(
    '/api/clients/:id/noodvoorzieningen',
    {
      onRequest: authorize(verify, 'noodvoorziening:grant'),
      schema: {
        tags: ['noodvoorziening'],
        summary: 'Grant a noodvoorziening (emergency payment) to a client: a gift or an advance paid back from leefgeld',
        description:
          'Checked against the gemeente\'s policy (gifts allowed, maximum per grant and per period). At or below the four-eyes threshold it is granted and paid at once (201, status approved); above it, it waits for an approver (202, status requested). Paid to the client\'s own account, instant by default. Needs an Idempotency-Key header.',
        security: bearer,
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['amount', 'kind', 'reason'],
          properties: {
            amount,
            kind: { type: 'string', enum: ['advance', 'gift'] },
            reason: { type: 'string', minLength: 3, maxLength: 2000 },
            payment: { type: 'string', enum: ['instant', 'next_batch'], default: 'instant' },
            instalment: { ...amount, description: 'an advance: repaid from each leefgeld payment; default the gemeente\'s' },
          },
        },
        response: { 201: grantSchema, 202: grantSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const clientId = BigInt((request.params as { id: string }).id);
      const body = request.body as { amount: string; kind: 'advance' | 'gift'; reason: string; payment: 'instant' | 'next_batch'; instalment?: string };
      const scope = await clientInScope(principal, clientId);
      const key = requestKey(request, principal);
      return idempotent(db, request, reply, async () => {
        const moment = now();
        const { grant } = await inTransaction(db, async (trx) => {
          const outcome = await requestGrant(trx, {
            clientId,
            amount: parsePositiveAmount(body.amount),
            kind: body.kind,
            reason: body.reason,
            payment: body.payment,
            instalment: body.instalment === undefined ? null : parsePositiveAmount(body.instalment, 'instalment'),
            idempotencyKey: key,
            requestedBy: principal.userId,
            today: amsterdamToday(moment),
            now: moment,
          });
          if (!outcome.replayed) {
            await audit(trx, principal, { action: 'noodvoorziening.request', subject: `noodvoorziening/${outcome.grant.id}`, gemeenteId: scope.gemeenteId, clientId, requestId: request.id, details: { kind: outcome.grant.kind, amount: outcome.grant.amount.toString(), status: outcome.grant.status } });
          }
          return outcome;
        });
        return { status: grant.status === 'approved' ? 201 : 202, body: grantView(grant) };
      });
    },
  );

  const decision = (action: 'approve' | 'refuse') => async (request: FastifyRequest, reply: Parameters<typeof idempotent>[2]) => {
    const principal = principalOf(request);
    const grantId = BigInt((request.params as { id: string }).id);
    const found = await grantInScope(principal, grantId);
    return idempotent(db, request, reply, async () => {
      const moment = now();
      const today = amsterdamToday(moment);
      const grant = await inTransaction(db, async (trx) => {
        const decided = action === 'approve' ? await approveGrant(trx, grantId, principal.userId, today, moment) : await refuseGrant(trx, grantId, principal.userId, (request.body as { reason: string }).reason, today);
        await audit(trx, principal, { action: `noodvoorziening.${action}`, subject: `noodvoorziening/${grantId}`, gemeenteId: found.gemeenteId, clientId: found.clientId, requestId: request.id, details: { amount: decided.amount.toString(), kind: decided.kind } });
        return decided;
      });
      return { status: 200, body: grantView(grant) };
    });
  };
  const grantParams = idParam;
  app.post(
    '/api/noodvoorzieningen/:id/approve',
    { onRequest: authorize(verify, 'noodvoorziening:approve'), schema: { tags: ['noodvoorziening'], summary: 'Approve a noodvoorziening above the threshold (four eyes: not the person who asked); it is booked and paid at once', security: bearer, params: grantParams, response: { 200: grantSchema, ...errorResponses } } },
    decision('approve'),
  );
  app.post(
    '/api/noodvoorzieningen/:id/refuse',
    {
      onRequest: authorize(verify, 'noodvoorziening:approve'),
      schema: {
        tags: ['noodvoorziening'],
        summary: 'Refuse a noodvoorziening that waits for approval, with the reason',
        security: bearer,
        params: grantParams,
        body: { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 3, maxLength: 2000 } } },
        response: { 200: grantSchema, ...errorResponses },
      },
    },
    decision('refuse'),
  );

  app.post(
    '/api/clients/:id/noodvoorzieningen/:grantId/early-repayment',
    {
      onRequest: authorize(verify, 'noodvoorziening:grant'),
      schema: {
        tags: ['noodvoorziening'],
        summary: 'Repay an advance early by decision, from the client\'s free money (an extra receipt)',
        description: 'Never more than is still owed nor more than is free now. Needs an Idempotency-Key header.',
        security: bearer,
        params: { type: 'object', properties: { id: idParam.properties.id, grantId: idParam.properties.id }, required: ['id', 'grantId'] },
        body: { type: 'object', additionalProperties: false, required: ['amount', 'reason'], properties: { amount, reason: { type: 'string', minLength: 3, maxLength: 2000 } } },
        response: { 200: grantSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const params = request.params as { id: string; grantId: string };
      const clientId = BigInt(params.id);
      const grantId = BigInt(params.grantId);
      const body = request.body as { amount: string; reason: string };
      const scope = await clientInScope(principal, clientId);
      const key = requestKey(request, principal);
      return idempotent(db, request, reply, async () => {
        const today = amsterdamToday(now());
        const grant = await inTransaction(db, async (trx) => {
          const outcome = await repayEarly(trx, { clientId, grantId, amount: parsePositiveAmount(body.amount), reason: body.reason, decidedBy: principal.userId, idempotencyKey: key, today });
          if (!outcome.replayed) await audit(trx, principal, { action: 'noodvoorziening.early_repayment', subject: `noodvoorziening/${grantId}`, gemeenteId: scope.gemeenteId, clientId, requestId: request.id, details: { amount: outcome.repaid.toString() } });
          return (await grantsOfClient(trx, clientId)).find((g) => g.id === grantId)!;
        });
        return { status: 200, body: grantView(grant) };
      });
    },
  );

  app.get(
    '/api/clients/:id/noodvoorzieningen',
    {
      onRequest: authorize(verify, 'noodvoorziening:read'),
      schema: {
        tags: ['noodvoorziening'],
        summary: 'A client\'s noodvoorzieningen, with what is still owed on each advance and every instalment',
        description: 'For whoever may see the client (404 otherwise). Reads by caseworkers and clients are audited.',
        security: bearer,
        params: idParam,
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: grantSchema }, outstanding: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const clientId = BigInt((request.params as { id: string }).id);
      const scope = await clientInScope(principal, clientId);
      const grants = await grantsOfClient(db, clientId);
      if (readIsAudited(principal)) await readAudit.record(principal, { action: 'noodvoorziening.read', subject: `client/${clientId}`, gemeenteId: scope.gemeenteId, clientId, requestId: request.id });
      return { items: grants.map(grantView), outstanding: Money.sum(grants.map((g) => g.outstanding)).toString() };
    },
  );

  app.get(
    '/api/noodvoorzieningen',
    {
      onRequest: authorize(verify, 'noodvoorziening:list'),
      schema: {
        tags: ['noodvoorziening'],
        summary: 'Noodvoorzieningen of your gemeenten, by id (for approvers: ?status=requested)',
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' }, status: { type: 'string', enum: ['requested', 'approved', 'refused'] }, ...pageQuery },
        },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: grantSchema }, next: { type: ['string', 'null'] } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as { gemeente?: string; status?: GrantStatus; limit: number; after?: string };
      const gemeenten = q.gemeente ? principal.gemeenten.filter((g) => g === q.gemeente) : principal.gemeenten;
      const grants = await listGrants(db, { gemeenten, ...(q.status ? { status: q.status } : {}), ...(q.after ? { after: BigInt(q.after) } : {}), limit: q.limit });
      return page(grants.map(grantView), q.limit);
    },
  );
}
