import { audit } from '../../auth/audit.js';
import { canSeeClient } from '../../auth/scope.js';
import { inTransaction } from '../../db/transaction.js';
import { IngestError } from '../../ingest/errors.js';
import { assignSuspense, listSuspense } from '../../ingest/suspense.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, page, pageQuery, type RouteContext } from './common.js';

const INCOME_TYPES = ['bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other'] as const;

export function suspenseRoutes({ app, db, verify }: RouteContext): void {
  app.get(
    '/api/suspense',
    {
      onRequest: authorize(verify, 'suspense:read'),
      schema: {
        tags: ['suspense'],
        summary: 'Receipts waiting in suspense for a person, oldest first',
        security: bearer,
        querystring: { type: 'object', properties: { olderThanDays: { type: 'integer', minimum: 0, maximum: 3650 }, ...pageQuery } },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' }, fileId: { type: 'string' }, bookingDate: { type: 'string' }, amount: { type: 'string' }, creditDebit: { type: 'string' },
                    counterpartyName: { type: ['string', 'null'] }, counterpartyIban: { type: ['string', 'null'] }, remittance: { type: ['string', 'null'] }, reason: { type: 'string' }, ageDays: { type: 'integer' },
                  },
                },
              },
              next: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { olderThanDays, limit, after } = request.query as { olderThanDays?: number; limit: number; after?: string };
      const items = await listSuspense(db, { limit, ...(olderThanDays !== undefined ? { olderThanDays } : {}), ...(after ? { afterId: BigInt(after) } : {}) });
      return page(items.map(({ itemId, ...rest }) => ({ id: itemId, ...rest })), limit);
    },
  );

  app.post(
    '/api/suspense/:id/assign',
    {
      onRequest: authorize(verify, 'suspense:assign'),
      schema: {
        tags: ['suspense'],
        summary: 'Assign a receipt in suspense to a client (audited: who, when, why)',
        security: bearer,
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['clientId', 'incomeType', 'reason', 'bookingDate'],
          properties: {
            clientId: { type: 'string', pattern: '^[0-9]{1,18}$' },
            incomeType: { type: 'string', enum: INCOME_TYPES },
            reason: { type: 'string', minLength: 3, maxLength: 1000 },
            bookingDate: { type: 'string', format: 'date' },
          },
        },
        response: { 200: { type: 'object', properties: { itemId: { type: 'string' }, clientId: { type: 'string' }, replayed: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const itemId = BigInt((request.params as { id: string }).id);
        const body = request.body as { clientId: string; incomeType: (typeof INCOME_TYPES)[number]; reason: string; bookingDate: string };
        const clientId = BigInt(body.clientId);
        const result = await inTransaction(db, async (trx) => {
          const scope = await canSeeClient(trx, principal, clientId);
          if (!scope) throw new IngestError('unknown_client', `there is no client ${clientId} in your gemeenten`);
          const assigned = await assignSuspense(trx, { itemId, clientId, incomeType: body.incomeType, by: principal.userId, reason: body.reason, bookingDate: body.bookingDate });
          if (!assigned.replayed) await audit(trx, principal, { action: 'suspense.assign', subject: `bank_entry_item/${itemId}`, gemeenteId: scope.gemeenteId, clientId, requestId: request.id, details: { incomeType: body.incomeType } });
          return assigned;
        });
        return { status: 200, body: { itemId: itemId.toString(), clientId: clientId.toString(), replayed: result.replayed } };
      }),
  );
}
