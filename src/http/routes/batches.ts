import type { FastifyReply, FastifyRequest } from 'fastify';
import { audit } from '../../auth/audit.js';
import type { Principal } from '../../auth/principal.js';
import type { Database } from '../../db/schema.js';
import { inTransaction } from '../../db/transaction.js';
import { Money } from '../../money/money.js';
import { approveBatch, rejectBatch } from '../../payments/batches.js';
import { rejectBatchByBank } from '../../payments/retry.js';
import { PaymentError } from '../../payments/errors.js';
import { releasedFiles } from '../../payments/files.js';
import { releaseBatch } from '../../payments/release.js';
import { BATCH_STATUSES, batchStatusText, type BatchStatus } from '../../payments/rows.js';
import type { Kysely } from 'kysely';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, page, pageQuery, type RouteContext } from './common.js';

const batchSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, gemeenteId: { type: 'string' }, debtorIban: { type: 'string' }, executionDate: { type: 'string' }, instant: { type: 'boolean' },
    status: { type: 'string', enum: [...BATCH_STATUSES] }, payments: { type: 'integer' }, total: { type: 'string' }, approvalsNeeded: { type: 'integer' }, approvedBy: { type: 'array', items: { type: 'string' } },
    createdBy: { type: 'string' }, releasedBy: { type: ['string', 'null'] },
    releaseFailure: {
      type: ['object', 'null'],
      description: 'The last release that failed for good (the queue gave up); null once a release succeeds. Its payments are not sent: put the cause right, then release again.',
      properties: { at: { type: 'string', format: 'date-time' }, reason: { type: 'string' } },
    },
    files: { type: 'array', items: { type: 'object', properties: { sequence: { type: 'integer' }, messageId: { type: 'string' }, sha256: { type: 'string' }, payments: { type: 'integer' }, total: { type: 'string' }, handedOverAt: { type: ['string', 'null'], description: 'When the file was written to the outbox for the bank-upload software (once ever); null: not yet' } } } },
  },
} as const;

async function visibleBatch(db: Kysely<Database>, principal: Principal, id: bigint) {
  const batch = await db.selectFrom('payment_batch').selectAll().where('id', '=', id).executeTakeFirst();
  // Another gemeente's batch answers as if it did not exist.
  if (!batch || !principal.gemeenten.includes(batch.gemeente_id)) throw new PaymentError('batch_not_found', `there is no payment batch ${id}`);
  return batch;
}

/** Batches as the API shows them, with approvers and files: three queries whatever the number of batches. */
async function describeBatches(db: Kysely<Database>, ids: readonly bigint[]) {
  if (ids.length === 0) return [];
  const batches = await db.selectFrom('payment_batch').selectAll().where('id', 'in', ids).execute();
  const approvals = await db.selectFrom('payment_approval').select(['batch_id', 'approved_by']).where('batch_id', 'in', ids).orderBy('approved_at').execute();
  const files = await db.selectFrom('payment_file').select(['batch_id', 'sequence', 'message_id', 'sha256', 'payments', 'total_cents', 'handed_over_at']).where('batch_id', 'in', ids).orderBy('sequence').execute();
  const byId = new Map(batches.map((b) => [b.id, b]));
  return ids.map((id) => {
    const batch = byId.get(id)!;
    return {
      id: batch.id.toString(), gemeenteId: batch.gemeente_id, debtorIban: batch.debtor_iban, executionDate: batch.execution_date, instant: batch.instant, status: batch.status,
      payments: batch.payments, total: Money.fromCents(batch.total_cents).toString(), approvalsNeeded: batch.approvals_needed,
      approvedBy: approvals.filter((a) => a.batch_id === id).map((a) => a.approved_by),
      createdBy: batch.created_by, releasedBy: batch.released_by,
      releaseFailure: batch.release_failed_at ? { at: batch.release_failed_at.toISOString(), reason: batch.release_error ?? '' } : null,
      files: files.filter((f) => f.batch_id === id).map((f) => ({ sequence: f.sequence, messageId: f.message_id, sha256: f.sha256, payments: f.payments, total: Money.fromCents(f.total_cents).toString(), handedOverAt: f.handed_over_at?.toISOString() ?? null })),
    };
  });
}

async function describeBatch(db: Kysely<Database>, id: bigint) {
  return (await describeBatches(db, [id]))[0]!;
}

export interface BatchRoutes extends RouteContext {
  readonly outboxDir: string;
  /** With Redis: hands the release to the `release` queue (jobs/release.ts); without, the release runs in the request. */
  readonly submitRelease?: (batchId: bigint, releasedBy: string) => Promise<void>;
}

export function batchRoutes({ app, db, verify, outboxDir, submitRelease }: BatchRoutes): void {
  const batchId = (request: FastifyRequest) => BigInt((request.params as { id: string }).id);

  app.get(
    '/api/batches',
    {
      onRequest: authorize(verify, 'batches:read'),
      schema: {
        tags: ['batches'],
        summary: 'Payment batches of your gemeenten, newest first',
        security: bearer,
        querystring: { type: 'object', properties: { status: { type: 'string', enum: [...BATCH_STATUSES], description: 'assembling: the daily batch is still putting it together; it awaits approval once the run ends' }, gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' }, from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' }, ...pageQuery } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: batchSchema }, next: { type: ['string', 'null'] } } }, ...errorResponses },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as { status?: BatchStatus; gemeente?: string; from?: string; to?: string; limit: number; after?: string };
      const gemeenten = q.gemeente ? principal.gemeenten.filter((g) => g === q.gemeente) : principal.gemeenten;
      if (gemeenten.length === 0) return { items: [], next: null };
      let query = db.selectFrom('payment_batch').select('id').where('gemeente_id', 'in', gemeenten).orderBy('id', 'desc').limit(q.limit);
      if (q.status) query = query.where('status', '=', q.status);
      if (q.from) query = query.where('execution_date', '>=', q.from);
      if (q.to) query = query.where('execution_date', '<=', q.to);
      if (q.after) query = query.where('id', '<', BigInt(q.after));
      const ids = await query.execute();
      return page(await describeBatches(db, ids.map((r) => r.id)), q.limit);
    },
  );

  app.get(
    '/api/batches/:id',
    { onRequest: authorize(verify, 'batches:read'), schema: { tags: ['batches'], summary: 'A payment batch with its files\' SHA-256', security: bearer, params: idParam, response: { 200: batchSchema, ...errorResponses } } },
    async (request) => {
      await visibleBatch(db, principalOf(request), batchId(request));
      return describeBatch(db, batchId(request));
    },
  );

  app.get(
    '/api/batches/:id/files/:sequence',
    {
      onRequest: authorize(verify, 'batches:read'),
      schema: { tags: ['batches'], summary: 'Download a pain.001 file of the batch, byte for byte as built', security: bearer, params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' }, sequence: { type: 'integer', minimum: 1 } }, required: ['id', 'sequence'] } },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const batch = await visibleBatch(db, principal, batchId(request));
      // The file is uploadable as it stands: before the release it would let money leave without four
      // eyes and without the release's booking; a rejected batch's payments may already be issued again.
      if (batch.status !== 'released' && batch.status !== 'bank_rejected') {
        throw new PaymentError('batch_not_released', `payment batch ${batch.id} is ${batchStatusText(batch.status)}: its file is handed out only once the batch is released; compare the SHA-256 in the batch view instead`);
      }
      const { sequence } = request.params as { sequence: number };
      const [file] = await releasedFiles(db, batchId(request), { sequence });
      if (!file) throw new PaymentError('batch_not_found', `batch ${batchId(request)} has no file ${sequence}`);
      await audit(db, principal, { action: 'batch.download', subject: `payment_file/${file.messageId}`, gemeenteId: batch.gemeente_id, requestId: request.id });
      return reply.header('content-type', 'application/xml').header('content-disposition', `attachment; filename="${file.fileName}"`).header('x-content-sha256', file.sha256).send(Buffer.from(file.content));
    },
  );

  const decision = (action: 'approve' | 'reject' | 'release') => async (request: FastifyRequest, reply: FastifyReply) =>
    idempotent(db, request, reply, async () => {
      const principal = principalOf(request);
      const id = batchId(request);
      const batch = await visibleBatch(db, principal, id);
      let status = 200;
      if (action === 'release' && submitRelease && batch.status !== 'released') {
        // Refused here, at once, rather than as a failed job the caller never sees.
        if (batch.status !== 'approved') throw new PaymentError('batch_not_approved', `payment batch ${id} is ${batchStatusText(batch.status)}; only an approved batch can be released`);
        await submitRelease(id, principal.userId);
        status = 202;
      } else if (action === 'release') {
        await releaseBatch(db, id, { releasedBy: principal.userId, now: new Date(), outboxDir });
      } else {
        // The decision and its audit entry commit together: never one without the other.
        await inTransaction(db, async (trx) => {
          await (action === 'approve' ? approveBatch(trx, id, principal.userId) : rejectBatch(trx, id, principal.userId, (request.body as { reason: string }).reason));
          await audit(trx, principal, { action: `batch.${action}`, subject: `payment_batch/${id}`, gemeenteId: batch.gemeente_id, requestId: request.id });
        });
      }
      // A release commits in its own transaction (or in the release job): its audit entry follows it.
      if (action === 'release') await audit(db, principal, { action: `batch.${action}`, subject: `payment_batch/${id}`, gemeenteId: batch.gemeente_id, requestId: request.id });
      return { status, body: await describeBatch(db, id) };
    });

  const reasonBody = { type: 'object', additionalProperties: false, required: ['reason'], properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } } } as const;
  app.post('/api/batches/:id/approve', { onRequest: authorize(verify, 'batches:approve'), schema: { tags: ['batches'], summary: 'Approve a batch (four eyes: not its creator; above the gemeente amount two approvers)', security: bearer, params: idParam, response: { 200: batchSchema, ...errorResponses } } }, decision('approve'));
  app.post('/api/batches/:id/reject', { onRequest: authorize(verify, 'batches:reject'), schema: { tags: ['batches'], summary: 'Reject a batch before release; its money stays reserved', security: bearer, params: idParam, body: reasonBody, response: { 200: batchSchema, ...errorResponses } } }, decision('reject'));
  app.post(
    '/api/batches/:id/bank-rejected',
    {
      onRequest: authorize(verify, 'batches:mark-bank-rejected'),
      schema: {
        tags: ['batches'],
        summary: 'Record that the bank refused a released batch as a whole (its portal refused the upload): the money goes back to the reservations, the payments wait to be issued again',
        description: 'A rejection in a pain.002 status report is applied by uploading the report instead. Nothing left the account: the release is reversed, every payment becomes bank_rejected, and each can be issued again under a new id (POST /api/payments/{id}/retry).',
        security: bearer,
        params: idParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['reason', 'bookingDate'],
          properties: { reason: { type: 'string', minLength: 3, maxLength: 500, description: 'what the bank said' }, bookingDate: { type: 'string', format: 'date', description: 'the day the reversal is booked' } },
        },
        response: { 200: batchSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const id = batchId(request);
        const batch = await visibleBatch(db, principal, id);
        const body = request.body as { reason: string; bookingDate: string };
        await inTransaction(db, async (trx) => {
          await rejectBatchByBank(trx, id, { actor: principal.userId, reason: body.reason, bookingDate: body.bookingDate });
          await audit(trx, principal, { action: 'batch.bank_rejected', subject: `payment_batch/${id}`, gemeenteId: batch.gemeente_id, requestId: request.id });
        });
        return { status: 200, body: await describeBatch(db, id) };
      }),
  );
  app.post('/api/batches/:id/release', { onRequest: authorize(verify, 'batches:release'), schema: { tags: ['batches'], summary: 'Release an approved batch: its files go to the outbox and can be downloaded', description: 'Answers 200 with the released batch when the release ran in the request (embedded mode, or already released); 202 with the approved batch when it was handed to the release queue: GET the batch until its status is released.', security: bearer, params: idParam, response: { 200: batchSchema, 202: batchSchema, ...errorResponses } } }, decision('release'));
}
