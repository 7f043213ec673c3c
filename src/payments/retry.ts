import type { Kysely } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { lockBatch } from './batches.js';
import { PaymentError } from './errors.js';
import { createPaymentInstructions, type InstructionOutcome } from './instructions.js';

/**
 * When the bank rejects a released file or batch as a whole (a pain.002 rejection, or the bank's
 * portal refusing the upload), nothing left our account: each payment's release is reversed
 * (the money leaves payments in transit and is the client's again), reserved once more for the
 * same purpose, and the payments wait to be issued again. Never re-sent with the same ids.
 */
export async function markBatchRejectedByBank(db: Kysely<Database>, batchId: bigint, by: { actor: string; reason: string; bookingDate: string }): Promise<void> {
  await inTransaction(db, async (trx) => {
    const batch = await lockBatch(trx, batchId);
    if (batch.status === 'bank_rejected') return;
    if (batch.status !== 'released') throw new PaymentError('batch_not_approved', `payment batch ${batchId} is ${batch.status.replace('_', ' ')}; only a released batch can be rejected by the bank`);
    const settled = await trx.selectFrom('payment_instruction').select('id').where('batch_id', '=', batchId).where('status', 'not in', ['released']).executeTakeFirst();
    if (settled) throw new PaymentError('not_retryable', `payment batch ${batchId} has payments the bank already booked or returned; they cannot be rejected as a whole`);
    const instructions = await trx.selectFrom('payment_instruction as i').innerJoin('payment_account as a', 'a.iban', 'i.debtor_iban').select(['i.id', 'i.client_id', 'i.amount_cents', 'i.kind', 'i.period', 'a.in_transit_account_id']).where('i.batch_id', '=', batchId).execute();
    const accounts = await availableAccounts(trx, instructions.map((i) => i.client_id));
    const requests: LedgerRequest[] = instructions.flatMap((i): LedgerRequest[] => [
      { type: 'reversal', idempotencyKey: `bank-rejected/${i.id.toString()}`, reversesKey: `release/${i.id.toString()}`, bookingDate: by.bookingDate, description: `batch ${batchId} rejected by the bank: ${by.reason}`.slice(0, 500) },
      { type: 'pending', idempotencyKey: `bank-rejected-reserve/${i.id.toString()}`, bookingDate: by.bookingDate, description: `${i.kind} ${i.period} reserved again after the bank rejected batch ${batchId}`, debit: accounts.get(i.client_id)!, credit: i.in_transit_account_id, amount: Money.fromCents(i.amount_cents) },
    ]);
    for (let n = 0; n < requests.length; n += 5_000) {
      const failed = (await bookBatch(trx, requests.slice(n, n + 5_000))).find((r) => r.outcome !== 'booked');
      if (failed) throw new Error(`bank rejection of batch ${batchId}: ${failed.idempotencyKey} was ${failed.outcome}`);
    }
    await trx.updateTable('payment_instruction').set({ status: 'bank_rejected' }).where('batch_id', '=', batchId).execute();
    await trx.updateTable('payment_batch').set({ status: 'bank_rejected' }).where('id', '=', batchId).execute();
    await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'bank_rejected', actor: by.actor, details: JSON.stringify({ reason: by.reason }) }).execute();
  });
}

export interface RetryChanges {
  readonly actor: string;
  /** The corrected payee account (after AC04 "account closed", for example). */
  readonly creditorIban?: string;
  readonly creditorName?: string;
  readonly executionDate: string;
}

/**
 * Issues a returned, cancelled or bank-rejected payment again, as a new instruction with a new
 * EndToEndId (attempt n+1), paid from the money kept reserved for it. Replaying the same retry
 * answers the same new instruction.
 */
export async function retryPayment(trx: Trx, instructionId: bigint, changes: RetryChanges): Promise<InstructionOutcome> {
  const original = await trx.selectFrom('payment_instruction').selectAll().where('id', '=', instructionId).forUpdate().executeTakeFirst();
  if (!original) throw new PaymentError('instruction_not_found', `there is no payment instruction ${instructionId}`);
  const reservationKey =
    original.status === 'cancelled' ? original.reservation_key
    : original.status === 'bank_rejected' ? `bank-rejected-reserve/${original.id.toString()}`
    : original.status === 'returned' && original.kind === 'obligation' ? `return-reserve/${original.id.toString()}`
    : original.status === 'returned' ? undefined
    : null;
  if (reservationKey === null) throw new PaymentError('not_retryable', `payment ${original.end_to_end_id ?? instructionId} is ${original.status}; only a returned, cancelled or bank-rejected payment can be issued again`);
  const [outcome] = await createPaymentInstructions(trx, [
    {
      idempotencyKey: `${original.idempotency_key}#${original.attempt + 1}`,
      clientId: original.client_id,
      gemeenteId: original.gemeente_id,
      kind: original.kind,
      obligationId: original.obligation_id,
      period: original.period,
      dueDate: original.due_date,
      executionDate: changes.executionDate,
      amount: Money.fromCents(original.amount_cents),
      debtorIban: original.debtor_iban,
      creditor: { name: changes.creditorName ?? original.creditor_name, latinName: changes.creditorName ?? original.creditor_name_latin, iban: changes.creditorIban ?? original.creditor_iban },
      remittance: original.remittance,
      reference: original.reference && original.reference_issuer ? { issuer: original.reference_issuer, reference: original.reference } : null,
      urgent: original.urgent,
      ...(reservationKey ? { reservationKey } : {}),
      attempt: original.attempt + 1,
      retryOf: original.id,
    },
  ]);
  if (outcome!.outcome === 'created') {
    await trx.insertInto('payment_event').values({ instruction_id: original.id, kind: 'retried', actor: changes.actor, details: JSON.stringify({ newInstruction: outcome!.instructionId.toString(), ibanChanged: changes.creditorIban !== undefined }) }).execute();
  }
  return outcome!;
}
