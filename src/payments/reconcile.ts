import { sql, type Kysely } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { returnReasonText } from './return-reasons.js';
import type { InstructionKind, InstructionStatus } from './rows.js';
import { numberArray, textArray } from '../db/array-parameters.js';
import { scanPain001 } from '../sepa/scan.js';
import { fileBytes, STORED_FILE_COLUMNS } from './files.js';

/**
 * Closing the loop: what the bank booked of our own payments. A debit settles released payments
 * (one by EndToEndId, or a whole payment-information block by PmtInfId + count + total when the
 * bank books the batch as one entry without details); a return (a credit with a reason code and
 * the original EndToEndId) gives the money back to the client and, for an obligation, reserves it
 * again so the payment can be retried once the payee's details are fixed.
 */

export interface InstructionRef {
  readonly id: bigint;
  readonly status: InstructionStatus;
  readonly amountCents: bigint;
  /** Null for a refund sent back from suspense: what comes back of it goes to suspense, never to a client. */
  readonly clientId: bigint | null;
  readonly gemeenteId: string;
  readonly kind: InstructionKind;
  readonly period: string;
  readonly debtorIban: string;
  readonly inTransitAccountId: bigint;
  readonly batchId: bigint | null;
  /**
   * The bank's debit of it is booked (settled, or returned after its debit; a debit in a file since undone does
   * not count). A payment returned before its debit arrived is not: the money did leave, its debit still settles it.
   */
  readonly settledBefore: boolean;
}

export interface BlockRef {
  readonly paymentInfoId: string;
  readonly batchId: bigint;
  readonly payments: number;
  readonly totalCents: bigint;
  readonly settled: boolean;
  readonly debtorIban: string;
  readonly inTransitAccountId: bigint;
  /** The payments that went out in it (not rejected by the bank), with what each still needs. */
  readonly members: readonly InstructionRef[];
}

export interface OwnPayments {
  readonly byEndToEnd: ReadonlyMap<string, InstructionRef>;
  readonly byBlock: ReadonlyMap<string, BlockRef>;
  /** Instructions claimed by an earlier item of the same file, so one payment is never settled twice. */
  readonly claimed: Set<bigint>;
  /**
   * Instructions returned by an earlier item of the same file, so one payment is never returned twice.
   * Apart from `claimed`: a statement over several days can hold the debit of a payment and its return.
   */
  readonly returned: Set<bigint>;
}

export async function loadOwnPayments(db: Kysely<Database> | Trx, endToEndIds: readonly string[], paymentInfoIds: readonly string[]): Promise<OwnPayments> {
  const base = db
    .selectFrom('payment_instruction as i')
    .innerJoin('payment_account as a', 'a.iban', 'i.debtor_iban')
    .select(['i.id', 'i.status', 'i.amount_cents', 'i.client_id', 'i.gemeente_id', 'i.kind', 'i.period', 'i.debtor_iban', 'a.in_transit_account_id', 'i.batch_id', 'i.end_to_end_id']);
  type Row = Awaited<ReturnType<typeof base.execute>>[number];
  const singles: Row[] = endToEndIds.length === 0 ? [] : await base.where('i.end_to_end_id', '=', sql<string>`ANY(${[...endToEndIds]}::text[])`).execute();
  const blocks = paymentInfoIds.length === 0 ? [] : await db
    .selectFrom('payment_block as b')
    .innerJoin('payment_batch as t', 't.id', 'b.batch_id')
    .innerJoin('payment_account as a', 'a.iban', 't.debtor_iban')
    .select(['b.payment_info_id', 'b.batch_id', 'b.file_id', 'b.payments', 'b.total_cents', 'b.settled_by_item', 't.payments as batch_payments', 't.debtor_iban', 'a.in_transit_account_id'])
    .where('b.payment_info_id', '=', sql<string>`ANY(${[...paymentInfoIds]}::text[])`)
    .execute();
  // A block holding every payment of its batch (the usual case: one file, one block) has the batch's payments. A
  // batch the bank's limit per file cut into several files has a block per file: which payment is in which block
  // is read from the bytes we released (as status reports do), never guessed from the batch.
  const whole = blocks.filter((b) => b.payments === b.batch_payments);
  const cut = blocks.filter((b) => b.payments !== b.batch_payments);
  const cutMembers = await endToEndIdsOfBlocks(db, cut);
  const batchIds = [...new Set(whole.map((b) => b.batch_id.toString()))];
  const cutIds = [...cutMembers.values()].flat();
  const members = [
    ...(batchIds.length === 0 ? [] : await base.where('i.batch_id', '=', sql<bigint>`ANY(${batchIds}::bigint[])`).execute()),
    ...(cutIds.length === 0 ? [] : await base.where('i.end_to_end_id', '=', sql<string>`ANY(${cutIds}::text[])`).execute()),
  ];
  // A returned payment may or may not have had its debit booked (files can come in any order): ask the bookings.
  const debited = new Set(await withLiveSettlement(db, [...new Set([...singles, ...members].filter((r) => r.status === 'returned').map((r) => r.id))]));
  const toRef = (r: Row): InstructionRef => ({
    id: r.id, status: r.status, amountCents: r.amount_cents, clientId: r.client_id, gemeenteId: r.gemeente_id, kind: r.kind, period: r.period, debtorIban: r.debtor_iban, inTransitAccountId: r.in_transit_account_id, batchId: r.batch_id,
    settledBefore: r.status === 'settled' || (r.status === 'returned' && debited.has(r.id)),
  });

  const byEndToEnd = new Map<string, InstructionRef>();
  const byBlock = new Map<string, BlockRef>();
  for (const r of singles) byEndToEnd.set(r.end_to_end_id!, toRef(r));
  const byBatch = new Map<bigint, InstructionRef[]>();
  for (const m of members) {
    const ref = toRef(m);
    if (m.end_to_end_id) byEndToEnd.set(m.end_to_end_id, ref);
    if (m.batch_id === null) continue;
    const list = byBatch.get(m.batch_id);
    if (list) list.push(ref);
    else byBatch.set(m.batch_id, [ref]);
  }
  for (const b of blocks) {
    const ids = cutMembers.get(b.payment_info_id);
    const inBlock = ids ? ids.flatMap((id) => {
      const ref = byEndToEnd.get(id);
      return ref && ref.batchId === b.batch_id ? [ref] : [];
    }) : (byBatch.get(b.batch_id) ?? []);
    // Payments the bank rejected in a status report never left: its debit of the block leaves them out.
    const rejected = inBlock.filter((m) => m.status === 'bank_rejected');
    byBlock.set(b.payment_info_id, {
      paymentInfoId: b.payment_info_id, batchId: b.batch_id, payments: b.payments - rejected.length, totalCents: rejected.reduce((total, m) => total - m.amountCents, b.total_cents), settled: b.settled_by_item !== null,
      debtorIban: b.debtor_iban, inTransitAccountId: b.in_transit_account_id, members: inBlock.filter((m) => m.status !== 'bank_rejected'),
    });
  }
  return { byEndToEnd, byBlock, claimed: new Set(), returned: new Set() };
}

/** The EndToEndIds of each block, read from its released file (one query for the files, one scan per file). */
async function endToEndIdsOfBlocks(db: Kysely<Database> | Trx, blocks: readonly { payment_info_id: string; file_id: bigint }[]): Promise<Map<string, string[]>> {
  const wanted = new Set(blocks.map((b) => b.payment_info_id));
  const fileIds = [...new Set(blocks.map((b) => b.file_id))];
  if (fileIds.length === 0) return new Map();
  const files = await db.selectFrom('payment_file').select(STORED_FILE_COLUMNS).where('id', '=', sql<bigint>`ANY(${numberArray(fileIds)}::bigint[])`).execute();
  const found = new Map<string, string[]>();
  for (const file of files) {
    const bytes = fileBytes(file);
    const scanned = scanPain001(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    for (const info of scanned.paymentInfos) {
      if (info.paymentInfoId !== undefined && wanted.has(info.paymentInfoId)) found.set(info.paymentInfoId, info.transactions.flatMap((t) => (t.endToEndId === undefined ? [] : [t.endToEndId])));
    }
  }
  return found;
}

/**
 * Of these payments, those whose debit is booked by a bank file that is not undone: a `settled` event carries the
 * ledger key of the bank item that settled it, and undoing a file marks its entries undone.
 */
async function withLiveSettlement(db: Kysely<Database> | Trx, ids: readonly bigint[]): Promise<bigint[]> {
  if (ids.length === 0) return [];
  const { rows } = await sql<{ instruction_id: bigint }>`
    SELECT DISTINCT ev.instruction_id
      FROM payment_event ev
      JOIN bank_entry_item i ON i.ledger_key = ev.ledger_key
      JOIN bank_entry e ON e.id = i.entry_id
     WHERE ev.kind = 'settled' AND e.undone_at IS NULL AND ev.instruction_id = ANY(${numberArray(ids)}::bigint[])
  `.execute(db);
  return rows.map((r) => r.instruction_id);
}

export interface BankItemFacts {
  readonly creditDebit: 'CRDT' | 'DBIT';
  readonly amountCents: bigint;
  readonly endToEndId: string | null;
  readonly paymentInformationId: string | null;
  readonly batchCount: string | null;
  readonly returnReason: string | null;
  readonly originalEndToEndId: string | null;
}

export type OwnPaymentMatch =
  | { readonly kind: 'settlement'; readonly instructionIds: readonly bigint[]; readonly paymentInfoId: string | null; readonly inTransitAccountId: bigint; readonly by: 'end_to_end_id' | 'payment_info_id' }
  | { readonly kind: 'return'; readonly instruction: InstructionRef; readonly reasonCode: string | null; readonly reasonText: string }
  | { readonly kind: 'mismatch'; readonly why: string };

/** Rule 1 of matching. Null when the item is not about one of our payments at all. */
export function matchOwnPayment(item: BankItemFacts, own: OwnPayments): OwnPaymentMatch | null {
  if (item.returnReason !== null || (item.creditDebit === 'CRDT' && item.originalEndToEndId)) {
    const ref = item.originalEndToEndId ? own.byEndToEnd.get(item.originalEndToEndId) : undefined;
    if (!ref) return null;
    if (ref.status !== 'released' && ref.status !== 'settled') return { kind: 'mismatch', why: `return of payment ${item.originalEndToEndId}, which is ${ref.status}` };
    if (ref.amountCents !== item.amountCents) return { kind: 'mismatch', why: `return of ${Money.fromCents(item.amountCents).toString()} for payment ${item.originalEndToEndId} of ${Money.fromCents(ref.amountCents).toString()}` };
    if (own.returned.has(ref.id)) return { kind: 'mismatch', why: `payment ${item.originalEndToEndId} is returned twice in this file` };
    own.returned.add(ref.id);
    return { kind: 'return', instruction: ref, reasonCode: item.returnReason, reasonText: returnReasonText(item.returnReason) };
  }
  if (item.creditDebit !== 'DBIT') return null;
  const single = item.endToEndId ? own.byEndToEnd.get(item.endToEndId) : undefined;
  if (single) {
    // A payment returned before its debit arrived (files in another order) did leave: its debit still settles it.
    const debitable = single.status === 'released' || (single.status === 'returned' && !single.settledBefore);
    if (!debitable) return { kind: 'mismatch', why: `a debit for payment ${item.endToEndId}, which is ${single.status}${single.status === 'returned' ? ' and was already debited' : ''}` };
    if (single.amountCents !== item.amountCents) return { kind: 'mismatch', why: `a debit of ${Money.fromCents(item.amountCents).toString()} for payment ${item.endToEndId} of ${Money.fromCents(single.amountCents).toString()}` };
    if (own.claimed.has(single.id)) return { kind: 'mismatch', why: `payment ${item.endToEndId} is debited twice in this file` };
    own.claimed.add(single.id);
    return { kind: 'settlement', instructionIds: [single.id], paymentInfoId: null, inTransitAccountId: single.inTransitAccountId, by: 'end_to_end_id' };
  }
  const block = item.paymentInformationId ? own.byBlock.get(item.paymentInformationId) : undefined;
  if (!block) return null;
  if (block.settled) return { kind: 'mismatch', why: `batch ${block.paymentInfoId} was already settled` };
  // Payments already settled one by one (earlier in this file, or by an earlier file) are never settled twice: the
  // block's debit must then be exactly what is still in transit of it, else a person looks (in transit never < 0).
  // A block of a batch that never went out (not released, or cancelled) has nothing in transit to settle.
  const unreleased = block.members.find((m) => m.status !== 'released' && m.status !== 'settled' && m.status !== 'returned');
  if (unreleased) return { kind: 'mismatch', why: `batch ${block.paymentInfoId} holds a payment that is ${unreleased.status}, not released` };
  const open = block.members.filter((m) => !m.settledBefore && !own.claimed.has(m.id));
  const openCents = open.reduce((total, m) => total + m.amountCents, 0n);
  const partly = open.length !== block.members.length;
  if (open.length === 0) return { kind: 'mismatch', why: `batch ${block.paymentInfoId} has only payments that were already settled one by one` };
  if (openCents !== item.amountCents) {
    return {
      kind: 'mismatch',
      why: partly
        ? `batch ${block.paymentInfoId} debited ${Money.fromCents(item.amountCents).toString()}, but it has payments that were already settled one by one; ${Money.fromCents(openCents).toString()} of it is still in transit`
        : `batch ${block.paymentInfoId} debited ${Money.fromCents(item.amountCents).toString()}, but it holds ${Money.fromCents(block.totalCents).toString()}`,
    };
  }
  if (item.batchCount !== null && item.batchCount !== String(open.length)) return { kind: 'mismatch', why: `batch ${block.paymentInfoId} reported with ${item.batchCount} payments, but ${open.length} of it ${open.length === 1 ? 'is' : 'are'} still in transit` };
  for (const m of open) own.claimed.add(m.id);
  return { kind: 'settlement', instructionIds: open.map((m) => m.id), paymentInfoId: block.paymentInfoId, inTransitAccountId: block.inTransitAccountId, by: 'payment_info_id' };
}

export interface SettledItem {
  readonly itemId: bigint;
  readonly ledgerKey: string;
  readonly match: Extract<OwnPaymentMatch, { kind: 'settlement' }>;
}

export interface ReturnedItem {
  readonly itemId: bigint;
  readonly ledgerKey: string;
  readonly bookingDate: string;
  readonly match: Extract<OwnPaymentMatch, { kind: 'return' }>;
}

/** Reported as a serialization failure (SQLSTATE 40001), so that `inTransaction` retries the whole ingestion. */
export class OwnPaymentChanged extends Error {
  readonly code = '40001';
  constructor(ids: readonly bigint[]) {
    super(`payment(s) ${ids.join(', ')} were rejected by the bank while this file was being planned; the file is planned again`);
    this.name = 'OwnPaymentChanged';
  }
}

/**
 * Locks, before anything is booked, the payments a file settles or returns, and checks that none was rejected
 * by the bank (a status report, or a person) after the file was planned: the plan then rests on a status that
 * no longer holds, and booking it would take a debit from money the rejection already gave back. The whole
 * ingestion is retried and plans again, seeing the rejection (a debit for a rejected payment is a mismatch for
 * a person). Once locked here, a status report waits for this file and finds the payment settled: a conflict
 * alert, never an un-settle. Planning excluded every rejected payment, so any rejection found now is new.
 */
export async function lockPlannedOutcomes(trx: Trx, settled: readonly SettledItem[], returned: readonly ReturnedItem[]): Promise<void> {
  const ids = [...new Set([...settled.flatMap((s) => s.match.instructionIds), ...returned.map((r) => r.match.instruction.id)])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (ids.length === 0) return;
  const { rows } = await sql<{ id: bigint; status: InstructionStatus }>`
    SELECT id, status FROM payment_instruction WHERE id = ANY(${numberArray(ids)}::bigint[]) ORDER BY id FOR UPDATE
  `.execute(trx);
  const rejected = rows.filter((r) => r.status === 'bank_rejected').map((r) => r.id);
  if (rejected.length > 0) throw new OwnPaymentChanged(rejected);
}

/**
 * After the bank bookings are made: statuses, block settlement, and for returned obligations a new reservation.
 * A returned refund (no client) was booked to suspense by ingestion, as a receipt waiting there again.
 */
export async function recordBankOutcomes(trx: Trx, settled: readonly SettledItem[], returned: readonly ReturnedItem[]): Promise<{ code: string; message: string }[]> {
  const alerts: { code: string; message: string }[] = [];
  // Set-based: a statement of the day can settle tens of thousands of our payments one by one.
  if (settled.length > 0) {
    const rows = settled.flatMap((s) => s.match.instructionIds.map((id) => ({ id, s })));
    const ids = rows.map((r) => r.id);
    await sql`UPDATE payment_instruction SET status = 'settled' WHERE id = ANY(${numberArray(ids)}::bigint[]) AND status = 'released'`.execute(trx);
    const blocks = settled.filter((s) => s.match.paymentInfoId !== null);
    if (blocks.length > 0) {
      await sql`
        UPDATE payment_block AS b SET settled_by_item = v.item
          FROM unnest(${textArray(blocks.map((s) => s.match.paymentInfoId))}::text[], ${numberArray(blocks.map((s) => s.itemId))}::bigint[]) AS v (block, item)
         WHERE b.payment_info_id = v.block`.execute(trx);
    }
    await sql`
      INSERT INTO payment_event (instruction_id, kind, actor, details, ledger_key)
      SELECT id, 'settled', 'bank', details, ledger_key
        FROM unnest(${numberArray(ids)}::bigint[], ${textArray(rows.map((r) => JSON.stringify({ by: r.s.match.by, paymentInfoId: r.s.match.paymentInfoId })))}::text[]::jsonb[],
                    ${textArray(rows.map((r) => r.s.ledgerKey))}::text[]) AS v (id, details, ledger_key)`.execute(trx);
  }
  if (returned.length === 0) return alerts;
  const accounts = await availableAccounts(trx, returned.flatMap((r) => (r.match.instruction.clientId === null ? [] : [r.match.instruction.clientId])));
  // Set-based, like the settlements above: one UPDATE and one INSERT whatever the number of returns.
  const returnedIds = returned.map((r) => r.match.instruction.id);
  await sql`
    UPDATE payment_instruction AS i SET status = 'returned', return_reason = v.reason
      FROM unnest(${numberArray(returnedIds)}::bigint[], ${textArray(returned.map((r) => r.match.reasonCode))}::text[]) AS v (id, reason)
     WHERE i.id = v.id`.execute(trx);
  await sql`
    INSERT INTO payment_event (instruction_id, kind, actor, details, ledger_key)
    SELECT id, 'returned', 'bank', details, ledger_key
      FROM unnest(${numberArray(returnedIds)}::bigint[], ${textArray(returned.map((r) => JSON.stringify({ reason: r.match.reasonCode, text: r.match.reasonText })))}::text[]::jsonb[],
                  ${textArray(returned.map((r) => r.ledgerKey))}::text[]) AS v (id, details, ledger_key)`.execute(trx);
  const reReserve: LedgerRequest[] = [];
  for (const r of returned) {
    const i = r.match.instruction;
    const where =
      i.clientId === null ? `; the money is in suspense again (receipt ${r.itemId}), to be sent back again or assigned`
      : i.kind === 'obligation' ? '; the money is reserved again for a retry once the payee\'s details are fixed'
      : '; the money is back in the client\'s free funds';
    alerts.push({ code: 'payment_returned', message: `payment ${i.kind} ${i.period} (instruction ${i.id}) came back: ${r.match.reasonText}${where}` });
    if (i.kind === 'obligation' && i.clientId !== null) {
      reReserve.push({ type: 'pending', idempotencyKey: `return-reserve/${i.id.toString()}`, bookingDate: r.bookingDate, description: `returned ${i.kind} ${i.period} reserved again for a retry`, debit: accounts.get(i.clientId)!, credit: i.inTransitAccountId, amount: Money.fromCents(i.amountCents) });
    }
  }
  const results = await bookBatch(trx, reReserve);
  results.forEach((result, n) => {
    if (result.outcome !== 'booked') alerts.push({ code: 'return_not_reserved', message: `the returned money could not be reserved again (${reReserve[n]!.idempotencyKey}): ${result.outcome === 'refused' ? result.message : result.outcome === 'rejected' ? result.error.message : ''}` });
  });
  return alerts;
}

/** Our payments a bank file returned, by the ledger keys of its items: its undo is refused while there are any. */
export async function paymentsReturnedBy(trx: Trx, itemLedgerKeys: readonly string[]): Promise<{ id: bigint; endToEndId: string | null }[]> {
  if (itemLedgerKeys.length === 0) return [];
  const { rows } = await sql<{ id: bigint; end_to_end_id: string | null }>`
    SELECT DISTINCT p.id, p.end_to_end_id
      FROM payment_event ev JOIN payment_instruction p ON p.id = ev.instruction_id
     WHERE ev.kind = 'returned' AND ev.ledger_key = ANY(${textArray(itemLedgerKeys)}::text[])
     ORDER BY p.id
  `.execute(trx);
  return rows.map((r) => ({ id: r.id, endToEndId: r.end_to_end_id }));
}

/**
 * Undoing a bank file takes back its debits, so what they settled is in transit again and the same debit, ingested
 * again, settles it again: a settled payment is released again, its block no longer settled by the file's item.
 * A payment returned since (or before) keeps `returned`: its debit is simply no longer booked (see `settledBefore`).
 * Recorded as a `settlement_undone` event per payment, with the undo's ledger key.
 */
export async function undoSettlements(trx: Trx, items: readonly { id: bigint; ledgerKey: string }[], by: { user: string; why: string }): Promise<number> {
  if (items.length === 0) return 0;
  const { rows } = await sql<{ id: bigint; ledger_key: string; status: InstructionStatus }>`
    SELECT p.id, ev.ledger_key, p.status
      FROM payment_event ev JOIN payment_instruction p ON p.id = ev.instruction_id
     WHERE ev.kind = 'settled' AND ev.ledger_key = ANY(${textArray(items.map((i) => i.ledgerKey))}::text[])
     ORDER BY p.id FOR UPDATE OF p
  `.execute(trx);
  if (rows.length === 0) return 0;
  await sql`UPDATE payment_instruction SET status = 'released' WHERE id = ANY(${numberArray(rows.map((r) => r.id))}::bigint[]) AND status = 'settled'`.execute(trx);
  await sql`UPDATE payment_block SET settled_by_item = NULL WHERE settled_by_item = ANY(${numberArray(items.map((i) => i.id))}::bigint[])`.execute(trx);
  await sql`
    INSERT INTO payment_event (instruction_id, kind, actor, details, ledger_key)
    SELECT id, 'settlement_undone', ${by.user}, details, ledger_key
      FROM unnest(${numberArray(rows.map((r) => r.id))}::bigint[], ${textArray(rows.map((r) => JSON.stringify({ why: by.why, status: r.status })))}::text[]::jsonb[],
                  ${textArray(rows.map((r) => `undo/${r.ledger_key}`))}::text[]) AS v (id, details, ledger_key)`.execute(trx);
  return rows.length;
}
