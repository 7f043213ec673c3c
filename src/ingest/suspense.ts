import { sql, type Generated, type Kysely } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { book, transferBetween } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { PaymentError } from '../payments/errors.js';
import { assertRefundGemeente, createRefund, REFUND_HOLDS_RECEIPT, refundHistory, refundRemittance, type RefundHistory } from '../payments/refunds.js';
import { returnReasonText } from '../payments/return-reasons.js';
import type { InstructionStatus } from '../payments/rows.js';
import { isValidIban, normaliseIban } from '../references/index.js';
import { addOneYear, amsterdamToday, isBusinessDay, isIsoDate, nextBusinessDay } from '../schedule/index.js';
import { IngestError } from './errors.js';
import { SUSPENSE_REASONS, type SuspenseReason } from './match.js';
import type { IncomeType } from './rows.js';

/** A receipt sent back to its payer (migration 0012): one row per attempt, each with its refund instruction. */
export interface SuspenseRefundTable {
  item_id: bigint;
  attempt: number;
  instruction_id: bigint;
  sent_by: string;
  reason: string;
  sent_at: Generated<Date>;
}

export interface SuspenseRefundTables {
  suspense_refund: SuspenseRefundTable;
}

/** Receipts waiting in suspense for a person (domain rule 9), oldest first. */
export interface SuspenseItem {
  readonly itemId: string;
  readonly fileId: string;
  readonly iban: string;
  readonly bookingDate: string;
  readonly amount: string;
  readonly creditDebit: 'CRDT' | 'DBIT';
  readonly counterpartyName: string | null;
  readonly counterpartyIban: string | null;
  readonly remittance: string | null;
  readonly reason: string;
  readonly ageDays: number;
}

type Db = Kysely<Database> | Trx;

const itemColumns = ['i.id', 'e.file_id', 'e.iban', 'i.booking_date', 'i.amount_cents', 'i.credit_debit', 'i.counterparty_name', 'i.counterparty_iban', 'i.remittance', 'i.match_detail', 'i.return_reason'] as const;

interface ItemRow {
  id: bigint;
  file_id: bigint;
  iban: string;
  booking_date: string;
  amount_cents: bigint;
  credit_debit: 'CRDT' | 'DBIT';
  counterparty_name: string | null;
  counterparty_iban: string | null;
  remittance: string | null;
  match_detail: unknown;
  return_reason: string | null;
  age_days: number;
}

function reasonOf(row: Pick<ItemRow, 'match_detail' | 'return_reason'>): string {
  const reason = (row.match_detail as { reason?: SuspenseReason }).reason;
  if (!reason) return 'unknown';
  // A refund that came back says why: the payer's account is closed, blocked, …
  return reason === 'refund_returned' ? `${SUSPENSE_REASONS[reason]}: ${returnReasonText(row.return_reason)}` : SUSPENSE_REASONS[reason];
}

function itemOf(r: ItemRow): SuspenseItem {
  return {
    itemId: r.id.toString(),
    fileId: r.file_id.toString(),
    iban: r.iban,
    bookingDate: r.booking_date,
    amount: Money.fromCents(r.amount_cents).toString(),
    creditDebit: r.credit_debit,
    counterpartyName: r.counterparty_name,
    counterpartyIban: r.counterparty_iban,
    remittance: r.remittance,
    reason: reasonOf(r),
    ageDays: Number(r.age_days),
  };
}

/** The open queue: not assigned, not sent back (a refund on its way, paid or returned holds its receipt), file not undone. */
export async function listSuspense(db: Db, filter: { olderThanDays?: number; asOf?: string; limit?: number; afterId?: bigint } = {}): Promise<SuspenseItem[]> {
  const asOf = filter.asOf ?? amsterdamToday(new Date());
  let query = db
    .selectFrom('bank_entry_item as i')
    .innerJoin('bank_entry as e', 'e.id', 'i.entry_id')
    .leftJoin('suspense_assignment as a', (join) => join.onRef('a.item_id', '=', 'i.id').on('a.undone_at', 'is', null))
    .select([...itemColumns, sql<number>`(${asOf}::date - i.booking_date)`.as('age_days')])
    .where('i.destination', '=', 'suspense')
    .where('e.undone_at', 'is', null)
    .where('a.item_id', 'is', null)
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('suspense_refund as r').innerJoin('payment_instruction as p', 'p.id', 'r.instruction_id').select('r.item_id').whereRef('r.item_id', '=', 'i.id').where('p.status', 'in', [...REFUND_HOLDS_RECEIPT]))),
    )
    .orderBy('i.id')
    .limit(filter.limit ?? 100);
  if (filter.afterId !== undefined) query = query.where('i.id', '>', filter.afterId);
  if (filter.olderThanDays !== undefined) query = query.where(sql<boolean>`${asOf}::date - i.booking_date > ${filter.olderThanDays}`);
  return (await query.execute()).map(itemOf);
}

/**
 * Locks a receipt in suspense for a decision about it (assign, send back): its row, and its file's row
 * shared, so an undo of the file waits for the decision or the decision for the undo (then refused).
 */
async function lockReceipt(trx: Trx, itemId: bigint) {
  const item = await trx
    .selectFrom('bank_entry_item as i')
    .innerJoin('bank_entry as e', 'e.id', 'i.entry_id')
    .innerJoin('bank_account as b', 'b.iban', 'e.iban')
    .select(['i.id', 'i.amount_cents', 'i.credit_debit', 'i.destination', 'i.booking_date', 'i.counterparty_name', 'i.counterparty_iban', 'i.remittance', 'i.creditor_reference', 'i.end_to_end_id', 'i.match_detail', 'e.file_id', 'e.iban', 'b.suspense_account_id'])
    .where('i.id', '=', itemId)
    .forUpdate(['i'])
    .executeTakeFirst();
  const file = item ? await trx.selectFrom('bank_file').select('status').where('id', '=', item.file_id).forShare().executeTakeFirst() : undefined;
  if (!item || item.destination !== 'suspense' || file?.status !== 'ingested') throw new IngestError('suspense_item_not_found', `there is no receipt ${itemId} in suspense`);
  return item;
}

async function activeAssignment(db: Db, itemId: bigint) {
  return db.selectFrom('suspense_assignment').selectAll().where('item_id', '=', itemId).where('undone_at', 'is', null).executeTakeFirst();
}

interface RefundAttemptRow {
  readonly attempt: number;
  readonly sentBy: string;
  readonly sentAt: Date;
  readonly reason: string;
  readonly payment: RefundHistory;
}

/** Every attempt at sending this receipt back, oldest first, with where its payment stands. */
async function refundAttempts(db: Db, itemId: bigint): Promise<RefundAttemptRow[]> {
  const rows = await db.selectFrom('suspense_refund').selectAll().where('item_id', '=', itemId).orderBy('attempt').execute();
  const payments = await refundHistory(db, rows.map((r) => r.instruction_id));
  return rows.map((r) => ({ attempt: r.attempt, sentBy: r.sent_by, sentAt: r.sent_at, reason: r.reason, payment: payments.get(r.instruction_id)! }));
}

/** Whether this attempt holds its receipt (`REFUND_HOLDS_RECEIPT`): not bank-rejected, not cancelled. */
function holdsReceipt(attempt: RefundAttemptRow | undefined): boolean {
  return attempt !== undefined && REFUND_HOLDS_RECEIPT.includes(attempt.payment.status);
}

function sentBackBy(attempt: RefundAttemptRow): string {
  return `by ${attempt.sentBy} on ${attempt.sentAt.toISOString().slice(0, 10)} (payment ${attempt.payment.endToEndId}, ${attempt.payment.status.replace('_', ' ')})`;
}

export interface Assignment {
  readonly itemId: bigint;
  readonly clientId: bigint;
  readonly incomeType: IncomeType;
  /** Who assigns (user id) and why: both are kept, the assignment is audited. */
  readonly by: string;
  readonly reason: string;
  readonly bookingDate: string;
}

/**
 * Assigns a receipt in suspense to a client: suspense → the client's free money, recorded
 * with who, when and why. Assigning again to the same client answers the first assignment;
 * to another client it is refused (undo the file, or book a correction, instead), and so is
 * a receipt sent back to its payer.
 */
export async function assignSuspense(trx: Trx, assignment: Assignment): Promise<{ replayed: boolean; ledgerKey: string }> {
  const item = await lockReceipt(trx, assignment.itemId);
  if (item.credit_debit !== 'CRDT') throw new IngestError('not_assignable', `item ${assignment.itemId} is a debit; only receipts can be assigned to a client`);
  const existing = await activeAssignment(trx, assignment.itemId);
  if (existing) {
    if (existing.client_id === assignment.clientId && existing.income_type === assignment.incomeType) return { replayed: true, ledgerKey: existing.ledger_key };
    throw new IngestError('already_assigned', `receipt ${assignment.itemId} was already assigned by ${existing.assigned_by} on ${existing.assigned_at.toISOString().slice(0, 10)}`);
  }
  const refund = (await refundAttempts(trx, assignment.itemId)).at(-1);
  if (refund && holdsReceipt(refund)) throw new PaymentError('already_sent_back', `receipt ${assignment.itemId} was sent back to its payer ${sentBackBy(refund)}; it cannot be assigned`);
  const client = await trx.selectFrom('client').select('id').where('id', '=', assignment.clientId).executeTakeFirst();
  if (!client) throw new IngestError('unknown_client', `there is no client ${assignment.clientId}`);
  const ledgerKey = `suspense-assignment/${assignment.itemId}`;
  const account = (await availableAccounts(trx, [assignment.clientId])).get(assignment.clientId)!;
  const result = await book(
    trx,
    transferBetween({
      idempotencyKey: ledgerKey,
      bookingDate: assignment.bookingDate,
      description: `receipt ${assignment.itemId} assigned from suspense (${assignment.incomeType})`,
      debit: item.suspense_account_id,
      credit: account,
      amount: Money.fromCents(item.amount_cents),
    }),
  );
  if (result.outcome !== 'booked') throw new Error(`assignment booking ${ledgerKey} was ${result.outcome}`);
  await trx
    .insertInto('suspense_assignment')
    .values({ item_id: assignment.itemId, client_id: assignment.clientId, income_type: assignment.incomeType, assigned_by: assignment.by, reason: assignment.reason, ledger_key: ledgerKey })
    .execute();
  return { replayed: false, ledgerKey };
}

export interface SendBack {
  readonly itemId: bigint;
  /** The gemeente whose batch the refund goes out in: one that pays from the account that received the money. */
  readonly gemeenteId: string;
  /** Who sends it back (user id) and why: both are kept with the refund. */
  readonly by: string;
  readonly reason: string;
  /** What the payer reads; absent: "Retour: " with their own remittance (`refundRemittance`). */
  readonly remittance?: string | null;
  /** Absent: the first TARGET2 business day after `today`. */
  readonly executionDate?: string;
  /** The day in Amsterdam: the reservation's booking date. */
  readonly today: string;
  /** The moment it is sent back (kept with the refund); default the clock's. */
  readonly now?: Date;
}

export interface SentBack {
  readonly itemId: bigint;
  readonly attempt: number;
  readonly instructionId: bigint;
  readonly endToEndId: string;
  readonly gemeenteId: string;
  readonly amount: string;
  readonly executionDate: string;
  readonly remittance: string;
  readonly status: InstructionStatus;
  /** True when this receipt was sent back before with the same reason and remittance: nothing was done now. */
  readonly replayed: boolean;
}

/** The payer as the bank reported them; a refund needs a valid IBAN and a name (pain.001 requires both). */
function payerOf(item: { id: bigint; counterparty_name: string | null; counterparty_iban: string | null }): { name: string; iban: string } {
  // Never the IBAN's value in a message: messages reach logs.
  const iban = item.counterparty_iban ? normaliseIban(item.counterparty_iban) : '';
  if (!iban) throw new PaymentError('payer_unknown', `the bank reported no IBAN for the payer of receipt ${item.id}, so it cannot be sent back; assign it or ask the bank who paid`);
  if (!isValidIban(iban)) throw new PaymentError('payer_unknown', `the IBAN the bank reported for the payer of receipt ${item.id} is not valid, so it cannot be sent back; assign it or ask the bank who paid`);
  const name = item.counterparty_name?.trim() ?? '';
  if (!name) throw new PaymentError('payer_unknown', `the bank reported no name for the payer of receipt ${item.id}, so it cannot be sent back; assign it or ask the bank who paid`);
  return { name, iban };
}

function checkExecutionDate(date: string, today: string): void {
  if (!isIsoDate(date) || date < today || date > addOneYear(today) || !isBusinessDay(date)) {
    throw new PaymentError('invalid_instruction', `execution date ${date} must be a TARGET2 business day from today (${today}) to a year ahead`, { field: 'executionDate' });
  }
}

/** A returned refund comes back as a new receipt: sending that one back says to the payer what the first refund said. */
async function earlierRemittance(db: Db, matchDetail: unknown): Promise<string | null> {
  const detail = matchDetail as { reason?: SuspenseReason; instruction?: string };
  if (detail.reason !== 'refund_returned' || !detail.instruction || !/^\d{1,18}$/.test(detail.instruction)) return null;
  const id = BigInt(detail.instruction);
  return (await refundHistory(db, [id])).get(id)?.remittance ?? null;
}

/**
 * Sends a receipt in suspense back to its payer (issue 11, rule 4): the full amount to the IBAN and name
 * the bank reported, as a refund paid from suspense (`payments/refunds.ts`), recorded with who and why.
 * The receipt leaves the open queue while the refund holds it. Refused, with nothing changed: a debit, a
 * receipt assigned to a client, one whose file was undone, one without a valid payer IBAN or name. Sending
 * it back again with the same reason and remittance (and gemeente, and execution date when given) answers
 * the first refund; with other content it is refused. After a bank rejection or a rejected batch the
 * receipt is in the queue again, and sending it back makes a new attempt.
 */
export async function sendBackFromSuspense(trx: Trx, request: SendBack): Promise<SentBack> {
  const item = await lockReceipt(trx, request.itemId);
  const id = item.id;
  if (item.credit_debit !== 'CRDT') throw new PaymentError('not_refundable', `item ${id} is a debit; only a receipt can be sent back to its payer`);
  const assignment = await activeAssignment(trx, id);
  if (assignment) throw new IngestError('already_assigned', `receipt ${id} was assigned to a client by ${assignment.assigned_by} on ${assignment.assigned_at.toISOString().slice(0, 10)}; it cannot be sent back`);
  const attempts = await refundAttempts(trx, id);
  const latest = attempts.at(-1);
  const remittance = refundRemittance({ theirs: item.remittance ?? item.creditor_reference ?? item.end_to_end_id, earlier: await earlierRemittance(trx, item.match_detail), bookingDate: item.booking_date }, request.remittance);
  if (latest && holdsReceipt(latest)) {
    const p = latest.payment;
    const same = latest.reason === request.reason && p.remittance === remittance && p.gemeenteId === request.gemeenteId && (request.executionDate === undefined || request.executionDate === p.executionDate);
    if (!same) throw new PaymentError('already_sent_back', `receipt ${id} was sent back ${sentBackBy(latest)} with another reason, remittance, gemeente or date; it is not in the open queue`);
    return { itemId: id, attempt: latest.attempt, instructionId: p.instructionId, endToEndId: p.endToEndId, gemeenteId: p.gemeenteId, amount: Money.fromCents(item.amount_cents).toString(), executionDate: p.executionDate, remittance: p.remittance ?? '', status: p.status, replayed: true };
  }
  const payer = payerOf(item);
  await assertRefundGemeente(trx, request.gemeenteId, item.iban, id);
  const executionDate = request.executionDate ?? nextBusinessDay(request.today);
  checkExecutionDate(executionDate, request.today);
  const attempt = (latest?.attempt ?? 0) + 1;
  const refund = await createRefund(trx, {
    itemId: id,
    attempt,
    retryOf: latest?.payment.instructionId ?? null,
    gemeenteId: request.gemeenteId,
    debtorIban: item.iban,
    suspenseAccountId: item.suspense_account_id,
    amount: Money.fromCents(item.amount_cents),
    payer,
    remittance,
    executionDate,
    bookingDate: request.today,
    sentBy: request.by,
  });
  await trx.insertInto('suspense_refund').values({ item_id: id, attempt, instruction_id: refund.instructionId, sent_by: request.by, reason: request.reason, sent_at: request.now ?? new Date() }).execute();
  return { itemId: id, attempt, instructionId: refund.instructionId, endToEndId: refund.endToEndId, gemeenteId: request.gemeenteId, amount: Money.fromCents(item.amount_cents).toString(), executionDate, remittance, status: refund.status, replayed: false };
}

export interface RefundAttempt {
  readonly attempt: number;
  readonly sentBy: string;
  readonly sentAt: string;
  readonly reason: string;
  readonly instructionId: string;
  readonly endToEndId: string;
  readonly gemeenteId: string;
  readonly executionDate: string;
  readonly remittance: string | null;
  readonly paymentStatus: InstructionStatus;
  readonly batchId: string | null;
  /** Why it did not reach the payer (returned, rejected by the bank, batch rejected), in plain words. */
  readonly why: string | null;
  /** A returned refund: the receipt in suspense that holds the money now. */
  readonly returnedAs: string | null;
}

export interface SuspenseItemView extends SuspenseItem {
  /** `open`: in the queue; `assigned`: given to a client; `sent_back`: a refund holds it (on its way, paid, or returned as a new receipt). */
  readonly state: 'open' | 'assigned' | 'sent_back';
  readonly assignment: { readonly by: string; readonly at: string; readonly incomeType: IncomeType } | null;
  readonly refunds: readonly RefundAttempt[];
}

/** One receipt in suspense with what became of it: the open queue leaves out what this shows. */
export async function suspenseItem(db: Db, itemId: bigint, asOf = amsterdamToday(new Date())): Promise<SuspenseItemView> {
  const row = await db
    .selectFrom('bank_entry_item as i')
    .innerJoin('bank_entry as e', 'e.id', 'i.entry_id')
    .select([...itemColumns, 'i.destination', 'e.undone_at', sql<number>`(${asOf}::date - i.booking_date)`.as('age_days')])
    .where('i.id', '=', itemId)
    .executeTakeFirst();
  if (!row || row.destination !== 'suspense' || row.undone_at !== null) throw new IngestError('suspense_item_not_found', `there is no receipt ${itemId} in suspense`);
  const assignment = await activeAssignment(db, itemId);
  const attempts = await refundAttempts(db, itemId);
  const returnKeys = attempts.flatMap((a) => (a.payment.returnedByLedgerKey ? [a.payment.returnedByLedgerKey] : []));
  const returnItems = returnKeys.length === 0 ? [] : await db.selectFrom('bank_entry_item').select(['id', 'ledger_key']).where('ledger_key', 'in', returnKeys).execute();
  const itemByKey = new Map(returnItems.map((r) => [r.ledger_key, r.id.toString()]));
  return {
    ...itemOf(row),
    state: assignment ? 'assigned' : holdsReceipt(attempts.at(-1)) ? 'sent_back' : 'open',
    assignment: assignment ? { by: assignment.assigned_by, at: assignment.assigned_at.toISOString(), incomeType: assignment.income_type } : null,
    refunds: attempts.map((a) => ({
      attempt: a.attempt,
      sentBy: a.sentBy,
      sentAt: a.sentAt.toISOString(),
      reason: a.reason,
      instructionId: a.payment.instructionId.toString(),
      endToEndId: a.payment.endToEndId,
      gemeenteId: a.payment.gemeenteId,
      executionDate: a.payment.executionDate,
      remittance: a.payment.remittance,
      paymentStatus: a.payment.status,
      batchId: a.payment.batchId?.toString() ?? null,
      why: a.payment.why,
      returnedAs: a.payment.returnedByLedgerKey ? (itemByKey.get(a.payment.returnedByLedgerKey) ?? null) : null,
    })),
  };
}

/**
 * An undo of a file would take back a receipt whose money a refund holds (on its way, paid, or returned
 * as a new receipt): refused as a whole, like an undo that would take back a client's reserved money.
 */
export async function refuseUndoOfSentBack(trx: Trx, fileId: bigint): Promise<void> {
  const sent = await trx
    .selectFrom('bank_entry as e')
    .innerJoin('bank_entry_item as i', 'i.entry_id', 'e.id')
    .innerJoin('suspense_refund as r', 'r.item_id', 'i.id')
    .innerJoin('payment_instruction as p', 'p.id', 'r.instruction_id')
    .select(['i.id', 'p.status'])
    .where('e.file_id', '=', fileId)
    .where('e.undone_at', 'is', null)
    .where('p.status', 'in', [...REFUND_HOLDS_RECEIPT])
    .executeTakeFirst();
  if (sent) throw new IngestError('undo_refused', `bank file ${fileId} cannot be undone: its receipt ${sent.id} was sent back to its payer (the refund is ${sent.status.replace('_', ' ')})`);
}
