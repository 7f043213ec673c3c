import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { book, bookBatch, expectBooked, type LedgerRequest } from '../ledger/index.js';
import type { Money } from '../money/money.js';
import { assessEpcText, REMITTANCE_MAX, toEpcText } from '../sepa/index.js';
import { amsterdamToday } from '../schedule/index.js';
import { PaymentError } from './errors.js';
import { createPaymentInstructions } from './instructions.js';
import { returnReasonText } from './return-reasons.js';
import type { InstructionStatus } from './rows.js';

/**
 * Refunds: a receipt in suspense sent back to its payer (issue 11, matching rule 4). The money was never
 * a client's, so a refund has no client: it is reserved from the suspense account of the bank account
 * that received it (suspense → payments in transit of that account) and from there it is an ordinary
 * payment: batched, approved, released, settled or returned by the bank. What comes back of it (a bank
 * rejection, a return, a batch rejected before release) goes back to suspense, never to a client.
 *
 * Which gemeente: suspense belongs to the organisation's bank account, but batches, their approvers and
 * their four-eyes amount are per gemeente. A refund goes out in the batch of a gemeente that pays from the
 * account that received the money (its policy's debtor account): that gemeente's approvers see and approve
 * it with their other payments from that account.
 */

/**
 * The statuses in which a refund holds its receipt: on its way, paid, or paid and returned by the bank (the
 * money is then a new receipt in suspense, with the return reason). Bank-rejected and cancelled refunds have
 * given the money back to suspense, and their receipt is in the queue again.
 */
export const REFUND_HOLDS_RECEIPT: readonly InstructionStatus[] = ['created', 'held', 'batched', 'released', 'settled', 'returned'];

export interface RefundDraft {
  /** The receipt (bank_entry_item) sent back, and which attempt at sending it back this is (1, 2, …). */
  readonly itemId: bigint;
  readonly attempt: number;
  /** The refund of this receipt before this one (bank-rejected or cancelled), if any. */
  readonly retryOf: bigint | null;
  readonly gemeenteId: string;
  /** The bank account that received the money: it pays the refund. */
  readonly debtorIban: string;
  readonly suspenseAccountId: bigint;
  readonly amount: Money;
  /** The payer as the bank reported them. */
  readonly payer: { readonly name: string; readonly iban: string };
  /** In the EPC set, at most 140 (`refundRemittance`). */
  readonly remittance: string;
  readonly executionDate: string;
  /** The day the money is reserved (the day it is sent back). */
  readonly bookingDate: string;
  readonly sentBy: string;
}

export interface Refund {
  readonly instructionId: bigint;
  readonly endToEndId: string;
  readonly status: InstructionStatus;
}

/** `refund/<item>` for the first attempt, `#n` for later ones, as for any payment issued again. */
export function refundKey(itemId: bigint, attempt: number): string {
  return attempt === 1 ? `refund/${itemId.toString()}` : `refund/${itemId.toString()}#${attempt}`;
}

/** The gemeenten whose payments go out from this bank account (their policy's debtor account). */
export async function gemeentenPayingFrom(db: Kysely<Database> | Trx, iban: string): Promise<string[]> {
  const rows = await db.selectFrom('gemeente_policy').select('gemeente_id').where('debtor_iban', '=', iban).orderBy('gemeente_id').execute();
  return rows.map((r) => r.gemeente_id);
}

/**
 * What the payer reads on the refund: the text given (converted to the bank character set), else what
 * an earlier refund of the same money said (a refund returned and sent again), else "Retour: " with
 * their own remittance, reference or EndToEndId, else the day they paid. At most 140 characters.
 */
export function refundRemittance(receipt: { readonly theirs: string | null; readonly earlier: string | null; readonly bookingDate: string }, given?: string | null): string {
  if (given !== undefined && given !== null) {
    const assessed = assessEpcText(given, REMITTANCE_MAX);
    if (!assessed.usable) {
      throw new PaymentError('invalid_instruction', `the remittance ${assessed.problem === 'empty' ? 'has nothing readable in the bank character set' : `has letters without a Latin spelling (${assessed.lost.join('')})`}`, { field: 'remittance' });
    }
    return assessed.text;
  }
  if (receipt.earlier) return receipt.earlier;
  const theirs = receipt.theirs && /[A-Za-z0-9]/.test(toEpcText(receipt.theirs, REMITTANCE_MAX)) ? receipt.theirs : null;
  const [year, month, day] = receipt.bookingDate.split('-');
  return toEpcText(theirs ? `Retour: ${theirs}` : `Retour van uw betaling van ${day}-${month}-${year}`, REMITTANCE_MAX);
}

/** Refuses a gemeente that does not pay from the account that received the money (see above). */
export async function assertRefundGemeente(trx: Trx, gemeenteId: string, debtorIban: string, itemId: bigint): Promise<void> {
  const paying = await gemeentenPayingFrom(trx, debtorIban);
  if (!paying.includes(gemeenteId)) {
    throw new PaymentError(
      'refund_gemeente_needed',
      paying.length === 0
        ? `no gemeente pays from the account that received receipt ${itemId}, so no batch can take its refund; set a gemeente's debtor account first`
        : `gemeente ${gemeenteId} does not pay from the account that received receipt ${itemId}; its refund goes out with the payments of ${paying.join(', ')}`,
    );
  }
}

/**
 * Makes the refund: the reservation suspense → payments in transit, then the payment instruction (no
 * client, kind `refund`) paid from it, and who sent it back as an event (the four-eyes check of approval
 * reads it). In the caller's transaction; the caller links it to the receipt.
 */
export async function createRefund(trx: Trx, draft: RefundDraft): Promise<Refund> {
  const account = await trx.selectFrom('payment_account').select('in_transit_account_id').where('iban', '=', draft.debtorIban).executeTakeFirst();
  if (!account) throw new PaymentError('unknown_payment_account', `the account that received receipt ${draft.itemId} is not set up to pay from`);
  const key = refundKey(draft.itemId, draft.attempt);
  const reservationKey = `reserve/${key}`;
  // Suspense has no balance rule (it holds bank facts), so this is never refused; a refusal would be a defect.
  expectBooked(
    await book(trx, {
      type: 'pending',
      idempotencyKey: reservationKey,
      bookingDate: draft.bookingDate,
      description: `receipt ${draft.itemId} reserved to be sent back to its payer (attempt ${draft.attempt})`,
      debit: draft.suspenseAccountId,
      credit: account.in_transit_account_id,
      amount: draft.amount,
    }),
  );
  const [outcome] = await createPaymentInstructions(trx, [
    {
      idempotencyKey: key,
      clientId: null,
      gemeenteId: draft.gemeenteId,
      kind: 'refund',
      period: `item-${draft.itemId.toString()}`,
      dueDate: draft.executionDate,
      executionDate: draft.executionDate,
      amount: draft.amount,
      debtorIban: draft.debtorIban,
      creditor: { name: draft.payer.name, iban: draft.payer.iban },
      remittance: draft.remittance,
      reservationKey,
      attempt: draft.attempt,
      retryOf: draft.retryOf,
    },
  ]);
  if (outcome?.outcome !== 'created') throw new Error(`refund ${key} was ${outcome?.outcome ?? 'not made'}: the receipt's refunds and their instructions disagree`);
  await trx.insertInto('payment_event').values({ instruction_id: outcome.instructionId, kind: 'sent_back', actor: draft.sentBy, details: JSON.stringify({ item: draft.itemId.toString(), attempt: draft.attempt }) }).execute();
  const row = await trx.selectFrom('payment_instruction').select(['end_to_end_id', 'status']).where('id', '=', outcome.instructionId).executeTakeFirstOrThrow();
  return { instructionId: outcome.instructionId, endToEndId: row.end_to_end_id!, status: row.status };
}

/**
 * A batch rejected before release cancels its payments; a refund's reservation is then released, so the
 * money is back in suspense and its receipt in the queue, to be sent back again or assigned.
 */
export async function releaseCancelledRefunds(trx: Trx, refunds: readonly { readonly id: bigint; readonly reservation_key: string }[], why: string): Promise<void> {
  if (refunds.length === 0) return;
  const date = amsterdamToday(new Date());
  const requests: LedgerRequest[] = refunds.map((r) => ({ type: 'void_pending', idempotencyKey: `refund-cancelled/${r.id.toString()}`, pendingKey: r.reservation_key, bookingDate: date, description: `refund cancelled, money back in suspense: ${why}`.slice(0, 500) }));
  for (let n = 0; n < requests.length; n += 5_000) {
    const failed = (await bookBatch(trx, requests.slice(n, n + 5_000))).find((r) => r.outcome !== 'booked');
    if (failed) throw new Error(`refund cancellation ${failed.idempotencyKey} was ${failed.outcome}`);
  }
}

/**
 * Four eyes for a payment a person put in a batch by hand: a refund they sent back from suspense, or a
 * payment they issued again (perhaps to a corrected IBAN). They do not approve the batch that pays it;
 * the batch itself is made by the daily run, so the creator check alone would not catch it.
 */
export async function paymentPutInBy(trx: Trx, batchId: bigint, person: string): Promise<{ endToEndId: string; how: 'sent_back' | 'retried' } | null> {
  const row = await trx
    .selectFrom('payment_instruction as i')
    .innerJoin('payment_event as e', (join) =>
      join.on((eb) => eb.or([eb.and([eb('e.instruction_id', '=', eb.ref('i.id')), eb('e.kind', '=', 'sent_back'), eb('i.kind', '=', 'refund')]), eb.and([eb('e.instruction_id', '=', eb.ref('i.retry_of')), eb('e.kind', '=', 'retried')])])),
    )
    .select(['i.end_to_end_id', 'e.kind'])
    .where('i.batch_id', '=', batchId)
    .where('e.actor', '=', person)
    .executeTakeFirst();
  return row ? { endToEndId: row.end_to_end_id ?? '', how: row.kind === 'sent_back' ? 'sent_back' : 'retried' } : null;
}

export interface RefundHistory {
  readonly instructionId: bigint;
  readonly endToEndId: string;
  readonly gemeenteId: string;
  readonly status: InstructionStatus;
  readonly executionDate: string;
  readonly remittance: string | null;
  readonly batchId: bigint | null;
  /** Why it did not reach the payer, in plain words: the bank's return or rejection, or the batch's rejection. */
  readonly why: string | null;
  /** The ledger key of the bank item that brought a returned refund back (ingestion knows it as a receipt in suspense). */
  readonly returnedByLedgerKey: string | null;
}

/** Where each of these refunds stands, for the suspense item's history: two queries whatever their number. */
export async function refundHistory(db: Kysely<Database> | Trx, instructionIds: readonly bigint[]): Promise<Map<bigint, RefundHistory>> {
  const result = new Map<bigint, RefundHistory>();
  if (instructionIds.length === 0) return result;
  const rows = await db
    .selectFrom('payment_instruction')
    .select(['id', 'end_to_end_id', 'gemeente_id', 'status', 'execution_date', 'remittance', 'batch_id', 'return_reason'])
    .where('id', 'in', [...instructionIds])
    .execute();
  const batchIds = [...new Set(rows.flatMap((r) => (r.batch_id === null ? [] : [r.batch_id])))];
  const events = await db
    .selectFrom('payment_event')
    .select(['id', 'instruction_id', 'batch_id', 'kind', 'details', 'ledger_key'])
    .where((eb) => eb.or([eb('instruction_id', 'in', [...instructionIds]), ...(batchIds.length > 0 ? [eb.and([eb('batch_id', 'in', batchIds), eb('instruction_id', 'is', null)])] : [])]))
    .where('kind', 'in', ['returned', 'bank_rejected', 'rejected'])
    .orderBy('id')
    .execute();
  for (const r of rows) {
    const mine = events.filter((e) => e.instruction_id === r.id || (e.instruction_id === null && e.batch_id !== null && e.batch_id === r.batch_id));
    const last = mine.at(-1);
    const details = (last?.details ?? {}) as { text?: string; reason?: string };
    const why = r.status === 'returned' ? returnReasonText(r.return_reason) : r.status === 'bank_rejected' || r.status === 'cancelled' ? (details.text ?? details.reason ?? null) : null;
    result.set(r.id, {
      instructionId: r.id,
      endToEndId: r.end_to_end_id ?? '',
      gemeenteId: r.gemeente_id,
      status: r.status,
      executionDate: r.execution_date,
      remittance: r.remittance,
      batchId: r.batch_id,
      why,
      returnedByLedgerKey: mine.find((e) => e.kind === 'returned')?.ledger_key ?? null,
    });
  }
  return result;
}
