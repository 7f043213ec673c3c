import { sql } from 'kysely';
import type { Trx } from '../db/transaction.js';
import { PaymentError } from './errors.js';
import { prepareBatchFiles } from './files.js';
import { paymentPutInBy, releaseCancelledRefunds } from './refunds.js';
import type { PaymentBatchTable } from './rows.js';
import type { Selectable } from 'kysely';

export type PaymentBatch = Selectable<PaymentBatchTable>;

/**
 * Puts every instruction that is ready (created, not held, not yet in a batch) of a gemeente
 * into batches per debtor account, execution date and urgency, awaiting approval. Instructions
 * are locked while grouped, so two runs at once produce one set of batches; a second run finds
 * nothing left and creates nothing. Urgent instructions form an instant batch only where the
 * debtor's bank takes SCT Inst; elsewhere they join the regular batch of their date.
 */
export async function groupIntoBatches(
  trx: Trx,
  options: {
    gemeenteId: string;
    createdBy: string;
    executionUntil: string;
    now: Date;
    /** Payments per pain.001 file (default and maximum 100,000, the bank's limit): a larger batch is cut into several files. */
    maxPaymentsPerFile?: number;
  },
): Promise<PaymentBatch[]> {
  await sql`SELECT pg_advisory_xact_lock(7270021, hashtext(${options.gemeenteId}))`.execute(trx);
  const ready = await trx
    .selectFrom('payment_instruction as i')
    .innerJoin('payment_account as a', 'a.iban', 'i.debtor_iban')
    .select(['i.id', 'i.debtor_iban', 'i.execution_date', 'i.amount_cents', sql<boolean>`i.urgent AND a.instant`.as('instant')])
    .where('i.gemeente_id', '=', options.gemeenteId)
    .where('i.status', '=', 'created')
    .where('i.execution_date', '<=', options.executionUntil)
    .orderBy('i.id')
    .forUpdate(['i'])
    .execute();
  const groups = new Map<string, typeof ready>();
  for (const row of ready) {
    const key = `${row.debtor_iban}|${row.execution_date}|${row.instant}`;
    const group = groups.get(key);
    if (group) group.push(row);
    else groups.set(key, [row]);
  }
  const policy = await trx.selectFrom('payment_policy').select('double_approval_above_cents').where('gemeente_id', '=', options.gemeenteId).executeTakeFirst();
  const threshold = policy?.double_approval_above_cents ?? null;
  const batches: PaymentBatch[] = [];
  // Date, then account, then regular before instant: the order batches are listed and approved in.
  const sortKey = (rows: typeof ready): string => `${rows[0]!.execution_date}|${rows[0]!.debtor_iban}|${rows[0]!.instant ? 1 : 0}`;
  const ordered = [...groups.values()].sort((a, b) => sortKey(a).localeCompare(sortKey(b)));
  for (const rows of ordered) {
    const first = rows[0]!;
    const total = rows.reduce((sum, r) => sum + r.amount_cents, 0n);
    const batch = await trx
      .insertInto('payment_batch')
      .values({
        gemeente_id: options.gemeenteId,
        debtor_iban: first.debtor_iban,
        execution_date: first.execution_date,
        instant: first.instant,
        status: 'awaiting_approval',
        payments: rows.length,
        total_cents: total,
        approvals_needed: threshold !== null && total > threshold ? 2 : 1,
        created_by: options.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const ids = rows.map((r) => r.id.toString());
    await sql`UPDATE payment_instruction SET status = 'batched', batch_id = ${batch.id.toString()}::bigint WHERE id = ANY(${ids}::bigint[])`.execute(trx);
    await prepareBatchFiles(trx, batch, options.now, options.maxPaymentsPerFile === undefined ? {} : { maxPaymentsPerFile: options.maxPaymentsPerFile });
    await trx.insertInto('payment_event').values({ batch_id: batch.id, kind: 'batch_created', actor: options.createdBy, details: JSON.stringify({ payments: rows.length, total_cents: total.toString() }) }).execute();
    batches.push(batch);
  }
  return batches;
}

export async function lockBatch(trx: Trx, batchId: bigint): Promise<PaymentBatch> {
  const batch = await trx.selectFrom('payment_batch').selectAll().where('id', '=', batchId).forUpdate().executeTakeFirst();
  if (!batch) throw new PaymentError('batch_not_found', `there is no payment batch ${batchId}`);
  return batch;
}

/**
 * Four eyes: an approver who did not create the batch approves it; above the gemeente's amount a
 * second, different approver must approve too. Approving twice by the same person is refused.
 * Answers the batch with its status after this approval.
 */
export async function approveBatch(trx: Trx, batchId: bigint, approver: string): Promise<PaymentBatch> {
  const batch = await lockBatch(trx, batchId);
  if (batch.status !== 'awaiting_approval') throw new PaymentError('batch_not_awaiting_approval', `payment batch ${batchId} is ${batch.status.replace('_', ' ')}`);
  if (batch.created_by === approver) throw new PaymentError('four_eyes', `payment batch ${batchId} was created by you; someone else must approve it`);
  const own = await paymentPutInBy(trx, batchId, approver);
  if (own !== null) {
    const what = own.how === 'sent_back' ? 'a refund you sent back from suspense' : 'a payment you issued again';
    throw new PaymentError('four_eyes', `payment batch ${batchId} holds ${what} (${own.endToEndId}); someone else must approve it`);
  }
  const approvals = await trx.selectFrom('payment_approval').select('approved_by').where('batch_id', '=', batchId).execute();
  if (approvals.some((a) => a.approved_by === approver)) throw new PaymentError('already_approved_by_you', `you already approved payment batch ${batchId}; the second approval must come from another approver`);
  await trx.insertInto('payment_approval').values({ batch_id: batchId, approved_by: approver }).execute();
  const complete = approvals.length + 1 >= batch.approvals_needed;
  await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'approved', actor: approver, details: JSON.stringify({ approval: approvals.length + 1, needed: batch.approvals_needed }) }).execute();
  if (!complete) return batch;
  return trx.updateTable('payment_batch').set({ status: 'approved' }).where('id', '=', batchId).returningAll().executeTakeFirstOrThrow();
}

/**
 * Rejects a batch before release. Its instructions are cancelled and their money stays reserved
 * for what it was reserved for (an obligation keeps its reservation; a retry re-uses it). A refund's
 * reservation is released instead: its receipt is back in the suspense queue.
 */
export async function rejectBatch(trx: Trx, batchId: bigint, rejecter: string, reason: string): Promise<PaymentBatch> {
  const batch = await lockBatch(trx, batchId);
  if (batch.status !== 'awaiting_approval' && batch.status !== 'approved') throw new PaymentError('batch_not_awaiting_approval', `payment batch ${batchId} is ${batch.status.replace('_', ' ')}`);
  const refunds = await trx.selectFrom('payment_instruction').select(['id', 'reservation_key']).where('batch_id', '=', batchId).where('status', '=', 'batched').where('kind', '=', 'refund').where('client_id', 'is', null).execute();
  await trx.updateTable('payment_instruction').set({ status: 'cancelled' }).where('batch_id', '=', batchId).where('status', '=', 'batched').execute();
  await releaseCancelledRefunds(trx, refunds, `batch ${batchId} rejected: ${reason}`);
  await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'rejected', actor: rejecter, details: JSON.stringify({ reason }) }).execute();
  return trx
    .updateTable('payment_batch')
    .set({ status: 'rejected', rejected_by: rejecter, rejected_at: new Date(), reject_reason: reason })
    .where('id', '=', batchId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

