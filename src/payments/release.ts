import { holdReasonsFor } from '../clients/machtigingen.js';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { amsterdamToday } from '../schedule/index.js';
import { validatePain001, type Pain001Version } from '../sepa/index.js';
import { lockBatch } from './batches.js';
import { PaymentError } from './errors.js';
import { fileBytes, handOverToOutbox, releasedFiles, STORED_FILE_COLUMNS, type ReleasedFile } from './files.js';
import { batchStatusText } from './rows.js';

/** The steps of a release, named so a test can stop the process between any two of them. */
export const RELEASE_STEPS = ['locked', 'validated', 'posted', 'recorded', 'committed', 'outbox'] as const;
export type ReleaseStep = (typeof RELEASE_STEPS)[number];

export interface ReleaseOptions {
  readonly releasedBy: string;
  /** The moment of release: becomes the files' CreDtTm (Amsterdam wall time) and the day the rules check against. */
  readonly now: Date;
  /** Folder the bank-upload software picks files up from; written after commit. */
  readonly outboxDir?: string;
  /** Called after each step; tests kill the process here. */
  readonly onStep?: (step: ReleaseStep) => void;
}

/**
 * Releases an approved batch: checks its stored files again against the XSD and the business
 * rules as of today (an execution date may have passed since approval), moves each payment's
 * reservation to payments in transit and records the release, in one database transaction; then
 * hands the files to the outbox (`handOverToOutbox`: each file once ever). A payment can be in only one
 * released file, ever (a primary key says so). Releasing a released batch answers the same files, byte for
 * byte, and writes only a file never handed over (a crash after the commit): a file the upload software
 * took is never put back by a retry.
 */
export async function releaseBatch(db: Kysely<Database>, batchId: bigint, options: ReleaseOptions): Promise<ReleasedFile[]> {
  const step = options.onStep ?? (() => undefined);
  await inTransaction(db, async (trx) => {
    const batch = await lockBatch(trx, batchId);
    step('locked');
    if (batch.status === 'released') return;
    if (batch.status !== 'approved') throw new PaymentError('batch_not_approved', `payment batch ${batchId} is ${batchStatusText(batch.status)}; only an approved batch can be released`);
    const today = amsterdamToday(options.now);
    const files = await trx.selectFrom('payment_file').select([...STORED_FILE_COLUMNS, 'message_id', 'pain_version']).where('batch_id', '=', batchId).orderBy('sequence').execute();
    const problems = files.flatMap((f) => validatePain001(fileBytes(f), f.pain_version as Pain001Version, { today }).errors);
    if (problems.length > 0) {
      const first = problems.slice(0, 5).map((e) => `${e.endToEndId ? `payment ${e.endToEndId}: ` : ''}${e.message}`);
      throw new PaymentError('file_not_valid', `payment batch ${batchId} cannot be released: ${first.join('; ')}; reject it and issue the payments again`, { errors: problems.length });
    }
    step('validated');
    await refuseUncoveredPayments(trx, batchId);
    const instructions = await trx.selectFrom('payment_instruction').select(['id', 'kind', 'period', 'reservation_key', 'amount_cents']).where('batch_id', '=', batchId).where('status', '=', 'batched').orderBy('id').execute();
    const posts: LedgerRequest[] = instructions.map((i) => ({
      type: 'post_pending',
      idempotencyKey: `release/${i.id.toString()}`,
      pendingKey: i.reservation_key,
      amount: Money.fromCents(i.amount_cents),
      bookingDate: today,
      description: `${i.kind} ${i.period} released to the bank in batch ${batchId}`,
    }));
    for (let n = 0; n < posts.length; n += 5_000) {
      const results = await bookBatch(trx, posts.slice(n, n + 5_000));
      const failed = results.find((r) => r.outcome !== 'booked');
      if (failed) throw new Error(`release of batch ${batchId}: ${failed.idempotencyKey} not booked (${failed.outcome === 'rejected' ? failed.error.message : failed.outcome === 'refused' ? failed.message : ''})`);
    }
    step('posted');
    await recordRelease(trx, batchId, instructions.map((i) => i.id), files.map((f) => f.message_id), options.releasedBy);
    step('recorded');
  });
  step('committed');
  const handedOver = options.outboxDir ? await handOverToOutbox(db, batchId, options.outboxDir) : [];
  step('outbox');
  return releasedFiles(db, batchId, { alreadyRead: handedOver });
}

/**
 * Rule 4 at the last moment: a payment to a third party goes out only when a valid machtiging covers
 * the payee on its execution date. The hold was decided when the payment was made; a revocation since
 * then (the batch made, approved, waiting) must still stop it. Locks the clients' machtigingen, so a
 * revocation being recorded now is either seen here or waits for the release.
 */
async function refuseUncoveredPayments(trx: Trx, batchId: bigint): Promise<void> {
  const thirdParty = await trx
    .selectFrom('payment_instruction')
    .select(['id', 'client_id', 'creditor_iban', 'execution_date', 'end_to_end_id'])
    .where('batch_id', '=', batchId)
    .where('status', '=', 'batched')
    .where('kind', '=', 'obligation')
    .orderBy('id')
    .execute();
  const clientIds = [...new Set(thirdParty.flatMap((i) => (i.client_id === null ? [] : [i.client_id])))];
  if (clientIds.length === 0) return;
  await trx.selectFrom('machtiging').select('id').where('client_id', 'in', clientIds).forShare().execute();
  const reasons = await holdReasonsFor(trx, thirdParty, (i) => i.execution_date);
  const uncovered = thirdParty.flatMap((i, n) => (reasons[n] === null ? [] : [`payment ${i.end_to_end_id ?? i.id.toString()}: ${reasons[n]!}`]));
  if (uncovered.length > 0) {
    throw new PaymentError('machtiging_not_valid', `payment batch ${batchId} cannot be released: ${uncovered.slice(0, 5).join('; ')}${uncovered.length > 5 ? ` (and ${uncovered.length - 5} more)` : ''}. Reject the batch; issue the payments again once the machtiging is in order`, { payments: uncovered.length });
  }
}

async function recordRelease(trx: Trx, batchId: bigint, instructionIds: readonly bigint[], messageIds: readonly string[], releasedBy: string): Promise<void> {
  const ids = instructionIds.map(String);
  for (let n = 0; n < ids.length; n += 10_000) {
    await sql`INSERT INTO payment_release (instruction_id, batch_id) SELECT unnest(${ids.slice(n, n + 10_000)}::bigint[]), ${batchId.toString()}::bigint`.execute(trx);
  }
  await sql`UPDATE payment_instruction SET status = 'released' WHERE id = ANY(${ids}::bigint[])`.execute(trx);
  await trx.updateTable('payment_batch').set({ status: 'released', released_by: releasedBy, released_at: new Date(), release_failed_at: null, release_error: null }).where('id', '=', batchId).execute();
  await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'released', actor: releasedBy, details: JSON.stringify({ files: messageIds }) }).execute();
}

/**
 * A release that failed for good (the queue gave up, or the refusal is one no retry can change), written onto its batch so
 * the back office sees it where it looks: the batch stays approved and its payments unsent until someone acts. A batch
 * released meanwhile (another attempt won) is left alone.
 */
export async function recordReleaseFailure(db: Kysely<Database>, batchId: bigint, reason: string, at: Date = new Date()): Promise<boolean> {
  const result = await db
    .updateTable('payment_batch')
    .set({ release_failed_at: at, release_error: reason.slice(0, 1_000) })
    .where('id', '=', batchId)
    .where('status', 'in', ['awaiting_approval', 'approved'])
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
