import { sql } from 'kysely';
import { numberArray, textArray } from '../db/array-parameters.js';
import type { Trx } from '../db/transaction.js';
import { PaymentError } from './errors.js';
import { prepareBatchFiles } from './files.js';
import { paymentPutInBy, releaseCancelledRefunds } from './refunds.js';
import { batchStatusText, type PaymentBatchTable } from './rows.js';
import type { Selectable } from 'kysely';

export type PaymentBatch = Selectable<PaymentBatchTable>;

/**
 * Puts every instruction that is ready (created, not held, not yet in a batch) of a gemeente
 * into batches per debtor account, execution date and urgency, awaiting approval. Two runs at
 * once produce one set of batches (an advisory lock per gemeente: the second finds nothing left
 * and creates nothing). Urgent instructions form an instant batch only where the debtor's bank
 * takes SCT Inst; elsewhere they join the regular batch of their date.
 *
 * The instructions are counted per batch in the database and moved into their batches by one
 * UPDATE, not read and locked row by row first: at 400,000 payments locking every row and then
 * updating it wrote each one twice. The UPDATE takes each row's lock and checks it is still
 * ready, so an instruction held or cancelled meanwhile stays out, and one made meanwhile may
 * come in; the batch's count and total are then made to match what is in it, and a batch left
 * empty is not kept.
 *
 * `assembled`: the batches the daily batch opened for its window (`openAssembly`), its payments already
 * inside. Ready instructions of the same account, date and kind join them; they are counted and
 * handed over for approval with the rest. Only the run that opened them passes them: anyone else
 * grouping meanwhile (a noodvoorziening) leaves a batch still being assembled alone.
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
    assembled?: readonly bigint[];
  },
): Promise<PaymentBatch[]> {
  await sql`SELECT pg_advisory_xact_lock(7270021, hashtext(${options.gemeenteId}))`.execute(trx);
  const assembling = options.assembled?.length
    ? await trx.selectFrom('payment_batch').selectAll().where('id', '=', sql<bigint>`ANY(${numberArray(options.assembled, 'bigint')}::bigint[])`).where('status', '=', 'assembling').forUpdate().execute()
    : [];
  const { rows: groups } = await sql<ReadyGroup>`
    SELECT i.debtor_iban, i.execution_date, i.urgent AND a.instant AS instant, count(*)::int AS payments, sum(i.amount_cents)::bigint AS total_cents
      FROM payment_instruction i
      JOIN payment_account a ON a.iban = i.debtor_iban
     WHERE i.gemeente_id = ${options.gemeenteId} AND i.status = 'created' AND i.execution_date <= ${options.executionUntil}::date
     GROUP BY 1, 2, 3
  `.execute(trx);
  if (groups.length === 0 && assembling.length === 0) return [];
  const policy = await trx.selectFrom('payment_policy').select('double_approval_above_cents').where('gemeente_id', '=', options.gemeenteId).executeTakeFirst();
  const threshold = policy?.double_approval_above_cents ?? null;
  const approvalsFor = (total: bigint): number => (threshold !== null && total > threshold ? 2 : 1);
  const groupOf = (g: { debtor_iban: string; execution_date: string; instant: boolean }): string => `${g.execution_date}|${g.debtor_iban}|${g.instant ? 1 : 0}`;
  const targets = new Map(assembling.map((b) => [groupOf(b), b]));
  for (const group of groups) {
    if (targets.has(groupOf(group))) continue;
    const batch = await trx
      .insertInto('payment_batch')
      .values({
        gemeente_id: options.gemeenteId,
        debtor_iban: group.debtor_iban,
        execution_date: group.execution_date,
        instant: group.instant,
        status: 'awaiting_approval',
        payments: group.payments,
        total_cents: group.total_cents,
        approvals_needed: approvalsFor(group.total_cents),
        created_by: options.createdBy,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    targets.set(groupOf(group), batch);
  }
  // Date, then account, then regular before instant: the order batches are listed and approved in.
  const made = [...targets.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, batch]) => batch);
  if (groups.length > 0) {
    await sql`
      WITH g (batch_id, debtor_iban, execution_date, instant) AS (
        SELECT * FROM unnest(${numberArray(made.map((b) => b.id))}::bigint[], ${textArray(made.map((b) => b.debtor_iban))}::text[],
                             ${textArray(made.map((b) => b.execution_date))}::text[]::date[], ${textArray(made.map((b) => String(b.instant)))}::text[]::boolean[])
      )
      UPDATE payment_instruction i
         SET status = 'batched', batch_id = g.batch_id
        FROM g, payment_account a
       WHERE a.iban = i.debtor_iban AND i.gemeente_id = ${options.gemeenteId} AND i.status = 'created' AND i.execution_date <= ${options.executionUntil}::date
         AND i.debtor_iban = g.debtor_iban AND i.execution_date = g.execution_date AND (i.urgent AND a.instant) = g.instant
    `.execute(trx);
  }
  const { rows: counted } = await sql<{ batch_id: bigint; payments: number; total_cents: bigint }>`
    SELECT batch_id, count(*)::int AS payments, sum(amount_cents)::bigint AS total_cents
      FROM payment_instruction
     WHERE batch_id = ANY(${numberArray(made.map((b) => b.id))}::bigint[]) AND status = 'batched'
     GROUP BY batch_id
  `.execute(trx);
  const countOf = new Map(counted.map((c) => [c.batch_id, c]));
  const batches: PaymentBatch[] = [];
  for (let batch of made) {
    const actual = countOf.get(batch.id);
    if (!actual) {
      // Every instruction counted for it was held or cancelled before it could move, or the run assembling it made none.
      await trx.deleteFrom('payment_batch').where('id', '=', batch.id).execute();
      continue;
    }
    if (batch.status === 'assembling' || actual.payments !== batch.payments || actual.total_cents !== batch.total_cents) {
      batch = await trx
        .updateTable('payment_batch')
        .set({ status: 'awaiting_approval', payments: actual.payments, total_cents: actual.total_cents, approvals_needed: approvalsFor(actual.total_cents) })
        .where('id', '=', batch.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    await prepareBatchFiles(trx, batch, options.now, options.maxPaymentsPerFile === undefined ? {} : { maxPaymentsPerFile: options.maxPaymentsPerFile });
    await trx
      .insertInto('payment_event')
      .values({ batch_id: batch.id, kind: 'batch_created', actor: options.createdBy, details: JSON.stringify({ payments: batch.payments, total_cents: batch.total_cents.toString() }) })
      .execute();
    batches.push(batch);
  }
  return batches;
}

interface ReadyGroup {
  debtor_iban: string;
  execution_date: string;
  instant: boolean;
  payments: number;
  total_cents: bigint;
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
  if (batch.status !== 'awaiting_approval') throw new PaymentError('batch_not_awaiting_approval', `payment batch ${batchId} is ${batchStatusText(batch.status)}`);
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
  if (batch.status !== 'awaiting_approval' && batch.status !== 'approved') throw new PaymentError('batch_not_awaiting_approval', `payment batch ${batchId} is ${batchStatusText(batch.status)}`);
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

