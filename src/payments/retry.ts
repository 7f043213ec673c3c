import type { Kysely } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { lockBatch } from './batches.js';
import { PaymentError } from './errors.js';
import { createPaymentInstructions, type InstructionOutcome } from './instructions.js';
import { rejectionReasonText, returnReasonText } from './return-reasons.js';
import { batchStatusText, type InstructionStatus } from './rows.js';

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
 * re-sent with the same ids. Payments the bank already rejected one by one (an earlier status
 * report) are left as they are: their money was given back then, and a release is reversed once.
 */
export async function markBatchRejectedByBank(db: Kysely<Database>, batchId: bigint, by: { actor: string; reason: string; bookingDate: string }): Promise<void> {
  await inTransaction(db, (trx) => rejectBatchByBank(trx, batchId, by));
}

/** `markBatchRejectedByBank` inside the caller's transaction (a status report applies it with its other steps). */
export async function rejectBatchByBank(trx: Trx, batchId: bigint, by: { actor: string; reason: string; bookingDate: string }): Promise<void> {
  const batch = await lockBatch(trx, batchId);
  if (batch.status === 'bank_rejected') return;
  if (batch.status !== 'released') throw new PaymentError('batch_not_approved', `payment batch ${batchId} is ${batchStatusText(batch.status)}; only a released batch can be rejected by the bank`);
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
  // Money the bank booked (a debit, or a return after it) is not in transit any more: a rejection of the whole
  // batch would give back what left the account. That is for a person, with the bank.
  const booked = instructions.filter((i) => i.status !== 'released' && i.status !== 'bank_rejected');
  if (booked.length > 0) {
    const named = booked.slice(0, 5).map((i) => `${i.id.toString()} (${i.status})`).join(', ');
    throw new PaymentError('not_retryable', `payment batch ${batchId} has payments the bank already booked or returned (instruction ${named}${booked.length > 5 ? `, and ${booked.length - 5} more` : ''}); they cannot be rejected as a whole`);
  }
  const inTransit = instructions.filter((i) => i.status === 'released');
  await reverseReleasesRejectedByBank(trx, inTransit, { reason: by.reason, bookingDate: by.bookingDate, what: `batch ${batchId}` });
  await trx.updateTable('payment_instruction').set({ status: 'bank_rejected' }).where('batch_id', '=', batchId).where('status', '=', 'released').execute();
  await trx.updateTable('payment_batch').set({ status: 'bank_rejected' }).where('id', '=', batchId).execute();
  await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'bank_rejected', actor: by.actor, details: JSON.stringify({ reason: by.reason }) }).execute();
}

/**
 * Whether a payment that did not go out still has its money reserved for it: a cancelled one keeps its reservation,
 * a bank-rejected or returned obligation was reserved again; a returned leefgeld or pass-on came back as the
 * client's free money (issued again, it reserves itself anew).
 */
export function moneyKeptReserved(status: 'cancelled' | 'bank_rejected' | 'returned', kind: string): boolean {
  return status !== 'returned' || kind === 'obligation';
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
    : original.status === 'returned' && moneyKeptReserved('returned', original.kind) ? `return-reserve/${original.id.toString()}`
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

/** Why a payment did not go out, or came back: what a person needs to decide whether to issue it again. */
export interface NotPaidReason {
  /** The bank's reason code (a return, a status report), or null. */
  readonly code: string | null;
  /** In plain words; from the code only, never the bank's free text (it may name the payee). */
  readonly text: string;
  /**
   * Who said so: the bank's return (camt), its status report (pain.002), a person recording that the bank refused
   * the batch as a whole (its portal), or the approver who rejected the batch before release.
   */
  readonly source: 'return' | 'status_report' | 'bank_refused_batch' | 'batch_rejected';
}

export interface NotPaidFacts {
  readonly reason: NotPaidReason | null;
  /** The instruction that issued it again, once someone did (it is then not waiting any more). */
  readonly reissuedAs: bigint | null;
}

const NOT_PAID: ReadonlySet<InstructionStatus> = new Set(['cancelled', 'bank_rejected', 'returned']);

function detailsOf(details: unknown): Record<string, unknown> {
  return typeof details === 'object' && details !== null ? (details as Record<string, unknown>) : {};
}
const textOf = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/**
 * For a page of payments (cancelled, bank-rejected, returned ones; others are left out): the recorded reason and
 * whether it was issued again. One query per kind of fact (the payments' events, their batches' events, the
 * rejected batches), whatever the page's size.
 */
export async function notPaidFacts(db: Kysely<Database> | Trx, payments: readonly { readonly id: bigint; readonly status: InstructionStatus; readonly batchId: bigint | null; readonly returnReason: string | null }[]): Promise<Map<bigint, NotPaidFacts>> {
  const wanted = payments.filter((p) => NOT_PAID.has(p.status));
  const facts = new Map<bigint, NotPaidFacts>();
  if (wanted.length === 0) return facts;
  const events = await db
    .selectFrom('payment_event')
    .select(['instruction_id', 'kind', 'details'])
    .where('instruction_id', 'in', wanted.map((p) => p.id))
    .where('kind', '=', 'bank_rejected')
    .orderBy('id')
    .execute();
  const rejectedBy = new Map<bigint, Record<string, unknown>>();
  for (const e of events) rejectedBy.set(e.instruction_id!, detailsOf(e.details));
  // Issued again: the instruction that names it in `retry_of` (as the daily report's waiting list asks; indexed, 0019).
  const retries = await db.selectFrom('payment_instruction').select(['id', 'retry_of']).where('retry_of', 'in', wanted.map((p) => p.id)).execute();
  const reissued = new Map(retries.map((r) => [r.retry_of!, r.id]));
  // A batch refused as a whole by a person (the bank's portal) has one event for the batch, none per payment.
  const refusedBatches = [...new Set(wanted.filter((p) => p.status === 'bank_rejected' && !rejectedBy.has(p.id) && p.batchId !== null).map((p) => p.batchId!))];
  const batchEvents = refusedBatches.length === 0 ? [] : await db.selectFrom('payment_event').select(['batch_id', 'details']).where('batch_id', 'in', refusedBatches).where('instruction_id', 'is', null).where('kind', '=', 'bank_rejected').orderBy('id').execute();
  const refusedWhy = new Map(batchEvents.map((e) => [e.batch_id!, textOf(detailsOf(e.details)['reason'])]));
  const cancelledBatches = [...new Set(wanted.filter((p) => p.status === 'cancelled' && p.batchId !== null).map((p) => p.batchId!))];
  const rejectedBatches = cancelledBatches.length === 0 ? [] : await db.selectFrom('payment_batch').select(['id', 'reject_reason']).where('id', 'in', cancelledBatches).execute();
  const cancelledWhy = new Map(rejectedBatches.map((b) => [b.id, b.reject_reason]));

  for (const p of wanted) {
    let reason: NotPaidReason | null = null;
    if (p.status === 'returned') {
      reason = { code: p.returnReason, text: returnReasonText(p.returnReason), source: 'return' };
    } else if (p.status === 'bank_rejected') {
      const byReport = rejectedBy.get(p.id);
      if (byReport) {
        const code = textOf(byReport['reason']);
        reason = { code, text: rejectionReasonText(code), source: 'status_report' };
      } else if (p.batchId !== null && refusedWhy.has(p.batchId)) {
        reason = { code: null, text: `the bank refused batch ${p.batchId.toString()} as a whole: ${refusedWhy.get(p.batchId) ?? 'no reason recorded'}`, source: 'bank_refused_batch' };
      }
    } else if (p.batchId !== null) {
      reason = { code: null, text: `batch ${p.batchId.toString()} was rejected before release: ${cancelledWhy.get(p.batchId) ?? 'no reason recorded'}`, source: 'batch_rejected' };
    }
    facts.set(p.id, { reason, reissuedAs: reissued.get(p.id) ?? null });
  }
  return facts;
}
