import { audit } from '../../auth/audit.js';
import type { Principal } from '../../auth/principal.js';
import { canSeeClient } from '../../auth/scope.js';
import { inTransaction, type Trx } from '../../db/transaction.js';
import { IngestError } from '../../ingest/errors.js';
import { assignSuspense, listSuspense, sendBackFromSuspense, suspenseItem } from '../../ingest/suspense.js';
import { PaymentError } from '../../payments/errors.js';
import { gemeentenPayingFrom } from '../../payments/refunds.js';
import { amsterdamToday } from '../../statements/index.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, page, pageQuery, type RouteContext } from './common.js';

const INCOME_TYPES = ['bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other'] as const;

const itemProperties = {
  id: { type: 'string' }, fileId: { type: 'string' }, bookingDate: { type: 'string' }, amount: { type: 'string' }, creditDebit: { type: 'string' },
  counterpartyName: { type: ['string', 'null'] }, counterpartyIban: { type: ['string', 'null'] }, remittance: { type: ['string', 'null'] }, reason: { type: 'string' }, ageDays: { type: 'integer' },
} as const;

const refundAttemptSchema = {
  type: 'object',
  properties: {
    attempt: { type: 'integer' }, sentBy: { type: 'string' }, sentAt: { type: 'string' }, reason: { type: 'string' }, instructionId: { type: 'string' }, endToEndId: { type: 'string' },
    gemeenteId: { type: 'string' }, executionDate: { type: 'string' }, remittance: { type: ['string', 'null'] }, paymentStatus: { type: 'string' }, batchId: { type: ['string', 'null'] },
    why: { type: ['string', 'null'] }, returnedAs: { type: ['string', 'null'] },
  },
} as const;

export interface SuspenseRoutes extends RouteContext {
  /** The clock for "today": a refund's reservation date and its default execution date (tests set it). */
  readonly now: () => Date;
}

/**
 * The gemeente a refund goes out in: one of the sender's gemeenten that pays from the account that
 * received the money (`payments/refunds.ts` says why). Suspense itself is the organisation's, but a
 * sender without such a gemeente cannot pay from that account, so the receipt is answered as not there
 * for them (404), like anything of another gemeente.
 */
async function refundGemeente(trx: Trx, principal: Principal, itemId: bigint, asked: string | undefined): Promise<string> {
  const item = await suspenseItem(trx, itemId);
  const mine = (await gemeentenPayingFrom(trx, item.iban)).filter((g) => principal.gemeenten.includes(g));
  if (mine.length === 0) throw new IngestError('suspense_item_not_found', `there is no receipt ${itemId} in suspense on an account your gemeenten pay from`);
  if (asked !== undefined) {
    if (!mine.includes(asked)) throw new PaymentError('refund_gemeente_needed', `the refund of receipt ${itemId} goes out with the payments of one of your gemeenten that pay from the account that received it (${mine.join(', ')}), not ${asked}`);
    return asked;
  }
  if (mine.length > 1) throw new PaymentError('refund_gemeente_needed', `several of your gemeenten pay from the account that received receipt ${itemId} (${mine.join(', ')}): say with whose payments the refund goes out (gemeente)`);
  return mine[0]!;
}

export function suspenseRoutes({ app, db, verify, now }: SuspenseRoutes): void {
  app.get(
    '/api/suspense',
    {
      onRequest: authorize(verify, 'suspense:read'),
      schema: {
        tags: ['suspense'],
        summary: 'Receipts waiting in suspense for a person, oldest first (not those assigned or sent back)',
        security: bearer,
        querystring: { type: 'object', properties: { olderThanDays: { type: 'integer', minimum: 0, maximum: 3650 }, ...pageQuery } },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: { type: 'object', properties: itemProperties } },
              next: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { olderThanDays, limit, after } = request.query as { olderThanDays?: number; limit: number; after?: string };
      const items = await listSuspense(db, { limit, asOf: amsterdamToday(now()), ...(olderThanDays !== undefined ? { olderThanDays } : {}), ...(after ? { afterId: BigInt(after) } : {}) });
      return page(items.map(({ itemId, ...rest }) => ({ id: itemId, ...rest })), limit);
    },
  );

  app.get(
    '/api/suspense/:id',
    {
      onRequest: authorize(verify, 'suspense:read'),
      schema: {
        tags: ['suspense'],
        summary: 'One receipt in suspense and what became of it: open, assigned, or sent back (each refund with its payment status)',
        security: bearer,
        params: idParam,
        response: {
          200: {
            type: 'object',
            properties: {
              ...itemProperties,
              state: { type: 'string', enum: ['open', 'assigned', 'sent_back'] },
              assignment: { type: ['object', 'null'], properties: { by: { type: 'string' }, at: { type: 'string' }, incomeType: { type: 'string' } } },
              refunds: { type: 'array', items: refundAttemptSchema },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { itemId, ...rest } = await suspenseItem(db, BigInt((request.params as { id: string }).id), amsterdamToday(now()));
      return { id: itemId, ...rest };
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

  app.post(
    '/api/suspense/:id/send-back',
    {
      onRequest: authorize(verify, 'suspense:send-back'),
      schema: {
        tags: ['suspense'],
        summary: 'Send a receipt in suspense back to its payer: a refund of the full amount to the IBAN and name the bank reported, paid with the next batch (audited: who, when, why)',
        security: bearer,
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reason'],
          properties: {
            reason: { type: 'string', minLength: 3, maxLength: 1000, description: 'why it goes back; kept with the refund' },
            remittance: { type: 'string', minLength: 1, maxLength: 140, description: 'what the payer reads; default "Retour: " and their own remittance' },
            gemeente: { type: 'string', pattern: '^GM[0-9]{4}$', description: 'with whose payments it goes out; needed when several of your gemeenten pay from the receiving account' },
            executionDate: { type: 'string', format: 'date', description: 'default: the next TARGET2 business day' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              itemId: { type: 'string' }, attempt: { type: 'integer' }, instructionId: { type: 'string' }, endToEndId: { type: 'string' }, gemeenteId: { type: 'string' }, amount: { type: 'string' },
              executionDate: { type: 'string' }, remittance: { type: 'string' }, paymentStatus: { type: 'string' }, replayed: { type: 'boolean' },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const itemId = BigInt((request.params as { id: string }).id);
        const body = request.body as { reason: string; remittance?: string; gemeente?: string; executionDate?: string };
        const moment = now();
        const sent = await inTransaction(db, async (trx) => {
          const gemeenteId = await refundGemeente(trx, principal, itemId, body.gemeente);
          const result = await sendBackFromSuspense(trx, { itemId, gemeenteId, by: principal.userId, reason: body.reason, remittance: body.remittance ?? null, today: amsterdamToday(moment), now: moment, ...(body.executionDate ? { executionDate: body.executionDate } : {}) });
          // Who and when here, why with the refund (suspense_refund.reason); never the payer's IBAN or name.
          if (!result.replayed) await audit(trx, principal, { action: 'suspense.send_back', subject: `bank_entry_item/${itemId}`, gemeenteId, requestId: request.id, details: { instructionId: result.instructionId.toString(), attempt: result.attempt } });
          return result;
        });
        return {
          status: 200,
          body: {
            itemId: sent.itemId.toString(), attempt: sent.attempt, instructionId: sent.instructionId.toString(), endToEndId: sent.endToEndId, gemeenteId: sent.gemeenteId, amount: sent.amount,
            executionDate: sent.executionDate, remittance: sent.remittance, paymentStatus: sent.status, replayed: sent.replayed,
          },
        };
      }),
  );
}
