import type { Kysely } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { lockBatch } from './batches.js';
import { PaymentError } from './errors.js';
import { createPaymentInstructions, type InstructionOutcome } from './instructions.js';

/** A released payment the bank refused, with what is needed to give its money back. */
export interface RejectedPayment {
  readonly id: bigint;
  /** Null for a refund sent back from suspense: its money goes back to suspense and is not reserved again. */
  readonly client_id: bigint | null;
  readonly amount_cents: bigint;
  readonly kind: string;
  readonly period: string;
  readonly in_transit_account_id: bigint;
}

/**
 * Gives the money of released payments the bank refused back to the reservation it came from:
 * the release is reversed (the money leaves payments in transit and is the client's again) and
 * reserved once more for the same purpose, so the payment can be issued again under new ids.
 * The keys are per payment, so a payment is rejected at most once whichever report says so.
 */
export async function reverseReleasesRejectedByBank(trx: Trx, payments: readonly RejectedPayment[], by: { reason: string; bookingDate: string; what: string }): Promise<void> {
  if (payments.length === 0) return;
  const accounts = await availableAccounts(trx, payments.flatMap((i) => (i.client_id === null ? [] : [i.client_id])));
  const requests: LedgerRequest[] = payments.flatMap((i): LedgerRequest[] => [
    { type: 'reversal', idempotencyKey: `bank-rejected/${i.id.toString()}`, reversesKey: `release/${i.id.toString()}`, bookingDate: by.bookingDate, description: `${by.what} rejected by the bank: ${by.reason}`.slice(0, 500) },
    // A refund's reversal puts the money back in suspense, where the receipt waits in the queue again: nothing to reserve.
    ...(i.client_id === null
      ? []
      : [{ type: 'pending' as const, idempotencyKey: `bank-rejected-reserve/${i.id.toString()}`, bookingDate: by.bookingDate, description: `${i.kind} ${i.period} reserved again after the bank rejected ${by.what}`.slice(0, 500), debit: accounts.get(i.client_id)!, credit: i.in_transit_account_id, amount: Money.fromCents(i.amount_cents) }]),
  ]);
  for (let n = 0; n < requests.length; n += 5_000) {
    const failed = (await bookBatch(trx, requests.slice(n, n + 5_000))).find((r) => r.outcome !== 'booked');
    if (failed) throw new Error(`bank rejection of ${by.what}: ${failed.idempotencyKey} was ${failed.outcome}`);
  }
}

/**
 * When the bank rejects a released file or batch as a whole (a pain.002 rejection, or the bank's
 * portal refusing the upload), nothing left our account: every payment's money goes back to its
 * reservation (`reverseReleasesRejectedByBank`) and the payments wait to be issued again. Never
 * re-sent with the same ids.
 */
export async function markBatchRejectedByBank(db: Kysely<Database>, batchId: bigint, by: { actor: string; reason: string; bookingDate: string }): Promise<void> {
  await inTransaction(db, (trx) => rejectBatchByBank(trx, batchId, by));
}

/** `markBatchRejectedByBank` inside the caller's transaction (a status report applies it with its other steps). */
export async function rejectBatchByBank(trx: Trx, batchId: bigint, by: { actor: string; reason: string; bookingDate: string }): Promise<void> {
  const batch = await lockBatch(trx, batchId);
  if (batch.status === 'bank_rejected') return;
  if (batch.status !== 'released') throw new PaymentError('batch_not_approved', `payment batch ${batchId} is ${batch.status.replace('_', ' ')}; only a released batch can be rejected by the bank`);
  // Locked, then checked: a bank statement settling one of them at this moment (ingestion locks them too) is
  // either seen here as settled, or waits and then finds them rejected; never both booked.
  const instructions = await trx
    .selectFrom('payment_instruction as i')
    .innerJoin('payment_account as a', 'a.iban', 'i.debtor_iban')
    .select(['i.id', 'i.client_id', 'i.amount_cents', 'i.kind', 'i.period', 'i.status', 'a.in_transit_account_id'])
    .where('i.batch_id', '=', batchId)
    .orderBy('i.id')
    .forUpdate(['i'])
    .execute();
  if (instructions.some((i) => i.status !== 'released')) throw new PaymentError('not_retryable', `payment batch ${batchId} has payments the bank already booked or returned; they cannot be rejected as a whole`);
  await reverseReleasesRejectedByBank(trx, instructions, { reason: by.reason, bookingDate: by.bookingDate, what: `batch ${batchId}` });
  await trx.updateTable('payment_instruction').set({ status: 'bank_rejected' }).where('batch_id', '=', batchId).execute();
  await trx.updateTable('payment_batch').set({ status: 'bank_rejected' }).where('id', '=', batchId).execute();
  await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'bank_rejected', actor: by.actor, details: JSON.stringify({ reason: by.reason }) }).execute();
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
  // A refund's money went back to suspense (bank rejection, cancelled batch) or came back there (return): the receipt is sent back again from the queue.
  if (original.client_id === null) throw new PaymentError('not_retryable', `payment ${original.end_to_end_id ?? instructionId} is a refund from suspense; send the receipt back again from the suspense queue instead`);
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
