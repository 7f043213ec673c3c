import { audit } from '../../auth/audit.js';
import { inTransaction } from '../../db/transaction.js';
import { Money } from '../../money/money.js';
import { PaymentError } from '../../payments/errors.js';
import { notPaidFacts, retryPayment } from '../../payments/retry.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, page, pageQuery, type RouteContext } from './common.js';

/**
 * Payments one by one, for the back office: find the ones that did not go out (a batch rejected
 * before release, a rejection by the bank, a return) and issue them again. A payment is never
 * re-sent under its own id: a retry is a new instruction (attempt n+1, a new EndToEndId) paid from
 * the money kept reserved for it, and it goes through a batch and four eyes like any other.
 */
const STATUSES = ['created', 'held', 'batched', 'released', 'settled', 'returned', 'cancelled', 'bank_rejected'] as const;

const paymentSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    gemeenteId: { type: 'string' },
    clientId: { type: ['string', 'null'], description: 'null for a refund from suspense' },
    kind: { type: 'string' },
    period: { type: 'string' },
    status: { type: 'string', enum: [...STATUSES] },
    amount: { type: 'string' },
    executionDate: { type: 'string' },
    dueDate: { type: 'string', description: 'the day the payee should have it (rule 7)' },
    obligationId: { type: ['string', 'null'], description: 'the client\'s obligation it pays (rent, energy, …); null for leefgeld, a noodvoorziening or a refund' },
    endToEndId: { type: ['string', 'null'] },
    batchId: { type: ['string', 'null'] },
    attempt: { type: 'integer' },
    retryOf: { type: ['string', 'null'] },
    holdReason: { type: ['string', 'null'] },
    reason: {
      type: ['object', 'null'],
      description: 'why a cancelled, bank-rejected or returned payment did not go out: the reason code and its meaning (never the bank\'s free text), and who said so',
      properties: { code: { type: ['string', 'null'] }, text: { type: 'string' }, source: { type: 'string', enum: ['return', 'status_report', 'bank_refused_batch', 'batch_rejected'] } },
    },
    reissuedAs: { type: ['string', 'null'], description: 'the new instruction that issued it again (then it waits no more); null while nobody did' },
  },
} as const;

export function paymentRoutes({ app, db, verify }: RouteContext): void {
  app.get(
    '/api/payments',
    {
      onRequest: authorize(verify, 'payments:read'),
      schema: {
        tags: ['payments'],
        summary: 'Payment instructions of your gemeenten, newest first: filter by status to find what did not go out',
        description: 'No names or IBANs: open the client or the batch for those. `status=cancelled` (a batch rejected before release), `bank_rejected` and `returned` are the payments to issue again: each with the recorded `reason` and, once someone issued it again, `reissuedAs`.',
        security: bearer,
        querystring: { type: 'object', properties: { status: { type: 'string', enum: [...STATUSES] }, gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' }, client: { type: 'string', pattern: '^[0-9]{1,18}$' }, batch: { type: 'string', pattern: '^[0-9]{1,18}$' }, ...pageQuery } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: paymentSchema }, next: { type: ['string', 'null'] } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as { status?: (typeof STATUSES)[number]; gemeente?: string; client?: string; batch?: string; limit: number; after?: string };
      const gemeenten = q.gemeente ? principal.gemeenten.filter((g) => g === q.gemeente) : principal.gemeenten;
      if (gemeenten.length === 0) return { items: [], next: null };
      let query = db
        .selectFrom('payment_instruction')
        .select(['id', 'gemeente_id', 'client_id', 'kind', 'obligation_id', 'period', 'status', 'amount_cents', 'execution_date', 'due_date', 'end_to_end_id', 'batch_id', 'attempt', 'retry_of', 'hold_reason', 'return_reason'])
        .where('gemeente_id', 'in', gemeenten)
        .orderBy('id', 'desc')
        .limit(q.limit);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.client) query = query.where('client_id', '=', BigInt(q.client));
      if (q.batch) query = query.where('batch_id', '=', BigInt(q.batch));
      if (q.after) query = query.where('id', '<', BigInt(q.after));
      const rows = await query.execute();
      const notPaid = await notPaidFacts(db, rows.map((r) => ({ id: r.id, status: r.status, batchId: r.batch_id, returnReason: r.return_reason })));
      return page(
        rows.map((r) => ({
          id: r.id.toString(),
          gemeenteId: r.gemeente_id,
          clientId: r.client_id?.toString() ?? null,
          kind: r.kind,
          period: r.period,
          status: r.status,
          amount: Money.fromCents(r.amount_cents).toString(),
          executionDate: r.execution_date,
          dueDate: r.due_date,
          obligationId: r.obligation_id?.toString() ?? null,
          endToEndId: r.end_to_end_id,
          batchId: r.batch_id?.toString() ?? null,
          attempt: r.attempt,
          retryOf: r.retry_of?.toString() ?? null,
          holdReason: r.hold_reason,
          reason: notPaid.get(r.id)?.reason ?? null,
          reissuedAs: notPaid.get(r.id)?.reissuedAs?.toString() ?? null,
        })),
        q.limit,
      );
    },
  );

  app.post(
    '/api/payments/:id/retry',
    {
      onRequest: authorize(verify, 'payments:retry'),
      schema: {
        tags: ['payments'],
        summary: 'Issue a cancelled, bank-rejected or returned payment again, from the money kept reserved for it',
        description:
          'A new instruction (attempt n+1, a new EndToEndId) for the same payee, period and amount, on the execution date given; after a return "account closed" (AC04) with the corrected IBAN and name. It joins the next batch and needs approval like any payment; whoever issued it again may not approve that batch. A payment to a third party goes out only with a valid machtiging for the payee (checked again at release). A refund from suspense is sent back from the suspense queue instead.',
        security: bearer,
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['executionDate'],
          properties: {
            executionDate: { type: 'string', format: 'date' },
            creditorIban: { type: 'string', minLength: 15, maxLength: 42, description: 'the corrected payee account, when the bank returned the payment for it' },
            creditorName: { type: 'string', minLength: 1, maxLength: 140 },
          },
        },
        response: { 201: { type: 'object', properties: { instructionId: { type: 'string' }, retryOf: { type: 'string' }, replayed: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const id = BigInt((request.params as { id: string }).id);
        const body = request.body as { executionDate: string; creditorIban?: string; creditorName?: string };
        const outcome = await inTransaction(db, async (trx) => {
          const original = await trx.selectFrom('payment_instruction').select(['gemeente_id', 'client_id']).where('id', '=', id).executeTakeFirst();
          // Another gemeente's payment answers as one that does not exist.
          if (!original || !principal.gemeenten.includes(original.gemeente_id)) throw new PaymentError('instruction_not_found', `there is no payment instruction ${id}`);
          const done = await retryPayment(trx, id, { actor: principal.userId, executionDate: body.executionDate, ...(body.creditorIban ? { creditorIban: body.creditorIban } : {}), ...(body.creditorName ? { creditorName: body.creditorName } : {}) });
          if (done.outcome === 'refused') throw new PaymentError('not_retryable', `payment ${id} cannot be issued again: ${done.reason}`);
          await audit(trx, principal, {
            action: 'payment.retry',
            subject: `payment_instruction/${id}`,
            gemeenteId: original.gemeente_id,
            clientId: original.client_id,
            requestId: request.id,
            details: { newInstruction: done.instructionId.toString(), ibanChanged: body.creditorIban !== undefined, executionDate: body.executionDate },
          });
          return done;
        });
        return { status: 201, body: { instructionId: outcome.instructionId.toString(), retryOf: id.toString(), replayed: outcome.outcome !== 'created' } };
      }),
  );
}
