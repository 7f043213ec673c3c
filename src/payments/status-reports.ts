import { createHash } from 'node:crypto';
import type { ColumnType, Generated, Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { meaningOf, Pain002Error, readPain002, type Pain002Report, type PaymentStatusCode, type StatusReason } from '../sepa/pain002.js';
import { scanPain001 } from '../sepa/scan.js';
import { fileBytes, STORED_FILE_COLUMNS } from './files.js';
import { lockBatch } from './batches.js';
import { PaymentError } from './errors.js';
import { rejectBatchByBank, reverseReleasesRejectedByBank, type RejectedPayment } from './retry.js';
import { rejectionReasonText } from './return-reasons.js';
import { batchStatusText, type InstructionKind, type InstructionStatus } from './rows.js';

/**
 * The bank's status report (pain.002) on one of our released files, applied in one transaction:
 * a rejection (of the whole file, of a block, or of single payments) gives each refused payment's
 * money back to the reservation it came from, so it can be issued again under new ids; an
 * acceptance is recorded and moves nothing (settlement still comes from the bank statement). A
 * report never undoes what the bank statement booked: a contradiction is an alert for a person.
 * Idempotent by the report's MsgId together with our file's MsgId.
 */

export interface PaymentStatusReportTable {
  id: Generated<bigint>;
  message_id: string;
  original_message_id: string;
  batch_id: bigint;
  message_name: string;
  created_at_bank: string;
  group_status: string | null;
  sha256: string;
  byte_size: bigint;
  content: Uint8Array;
  received_by: string;
  received_at: Generated<Date>;
  result: ColumnType<StatusReportResult, string, string>;
}

export type StatusOutcome = 'accepted' | 'pending' | 'rejected' | 'already_rejected' | 'conflict';

export interface PaymentStatusTable {
  report_id: bigint;
  instruction_id: bigint;
  status: string;
  level: 'group' | 'payment_information' | 'transaction';
  outcome: StatusOutcome;
  reason_code: string | null;
  reason_text: string | null;
  ledger_key: string | null;
}

export interface StatusReportTables {
  payment_status_report: PaymentStatusReportTable;
  payment_status: PaymentStatusTable;
}

export interface StatusReportAlert {
  readonly code: 'batch_rejected_by_bank' | 'payment_rejected_by_bank' | 'status_after_settlement' | 'status_after_rejection';
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface StatusReportResult {
  readonly reportId: string;
  readonly messageId: string;
  readonly messageName: string;
  readonly originalMessageId: string;
  readonly batchId: string;
  readonly groupStatus: string | null;
  /** True when this exact report was applied before: nothing was done now. */
  readonly replayed: boolean;
  readonly counts: { readonly accepted: number; readonly pending: number; readonly rejected: number; readonly alreadyRejected: number; readonly conflicts: number };
  /** The whole batch was rejected by the bank (and is `bank_rejected` now). */
  readonly batchRejected: boolean;
  /** The payments this report rejected, with the reason in plain words (the first 1,000). */
  readonly rejected: readonly { readonly instructionId: string; readonly endToEndId: string; readonly amount: string; readonly reason: string }[];
  readonly alerts: readonly StatusReportAlert[];
}

export interface ApplyStatusReportOptions {
  readonly receivedBy: string;
  /** The day the money goes back to the reservations (the door's Amsterdam today). */
  readonly bookingDate: string;
  /**
   * The gemeenten of whoever applies it (the API's caller): a report on another gemeente's payment file
   * answers as one on a file we never sent. Absent: any (the CLI, run by the service's administrator).
   */
  readonly gemeenten?: readonly string[];
}

const MAX_LISTED = 1_000;
const MAX_PAYMENT_ALERTS = 50;

export async function applyStatusReport(db: Kysely<Database>, bytes: Uint8Array, options: ApplyStatusReportOptions): Promise<StatusReportResult> {
  const report = readReport(bytes);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return inTransaction(db, (trx) => applyReadReport(trx, report, { bytes, sha256 }, options));
}

function readReport(bytes: Uint8Array): Pain002Report {
  try {
    return readPain002(bytes);
  } catch (error) {
    if (error instanceof Pain002Error) throw new PaymentError('status_report_not_readable', `the status report cannot be read: ${error.message}`, { reason: error.code, ...(error.line ? { line: error.line } : {}) });
    throw error;
  }
}

interface OwnPayment extends RejectedPayment {
  readonly end_to_end_id: string;
  readonly status: InstructionStatus;
  readonly kind: InstructionKind;
  readonly batch_id: bigint | null;
}

interface Decision {
  readonly payment: OwnPayment;
  readonly status: PaymentStatusCode;
  readonly level: PaymentStatusTable['level'];
  readonly reason: StatusReason | null;
}

async function applyReadReport(trx: Trx, report: Pain002Report, raw: { bytes: Uint8Array; sha256: string }, options: ApplyStatusReportOptions): Promise<StatusReportResult> {
  const unknownFile = (why: string) => new PaymentError('status_report_unknown_file', `status report ${report.messageId} is about file ${report.originalMessageId}, ${why}; nothing was changed`);
  const file = await trx.selectFrom('payment_file').select([...STORED_FILE_COLUMNS, 'id', 'batch_id', 'message_id']).where('message_id', '=', report.originalMessageId).executeTakeFirst();
  if (!file) throw unknownFile('which is not one of our payment files');
  // The batch lock serialises this report with releases, bank rejections and a second copy of itself.
  const batch = await lockBatch(trx, file.batch_id);
  if (options.gemeenten && !options.gemeenten.includes(batch.gemeente_id)) throw unknownFile('which is not one of our payment files');

  const previous = await trx.selectFrom('payment_status_report').select(['sha256', 'result']).where('message_id', '=', report.messageId).where('original_message_id', '=', report.originalMessageId).executeTakeFirst();
  if (previous) {
    if (previous.sha256 !== raw.sha256) throw new PaymentError('status_report_conflict', `status report ${report.messageId} on file ${report.originalMessageId} was received before with different content; nothing was changed`);
    return { ...previous.result, replayed: true };
  }
  if (batch.status !== 'released' && batch.status !== 'bank_rejected') throw unknownFile(`which was never released (its batch ${batch.id} is ${batchStatusText(batch.status)})`);

  const own = await paymentsOfFile(trx, fileBytes(file));
  const decisions = decide(report, own);
  const what = `file ${file.message_id}`;

  const outcomes = new Map<bigint, StatusOutcome>();
  const alerts: StatusReportAlert[] = [];
  const toReject: Decision[] = [];
  for (const d of decisions) {
    const meaning = meaningOf(d.status);
    const current = d.payment.status;
    if (meaning === 'rejected') {
      if (current === 'released') {
        toReject.push(d);
        outcomes.set(d.payment.id, 'rejected');
      } else if (current === 'bank_rejected') {
        outcomes.set(d.payment.id, 'already_rejected');
      } else {
        outcomes.set(d.payment.id, 'conflict');
        alerts.push({
          code: 'status_after_settlement',
          severity: 'error',
          message: `status report ${report.messageId} says the bank rejected payment ${d.payment.end_to_end_id} (instruction ${d.payment.id}): ${reasonText(d.reason)}; but the bank statement already booked it as ${current}. Nothing was undone: check with the bank which is right.`,
        });
      }
    } else if (current === 'bank_rejected') {
      outcomes.set(d.payment.id, 'conflict');
      alerts.push({
        code: 'status_after_rejection',
        severity: 'error',
        message: `status report ${report.messageId} says payment ${d.payment.end_to_end_id} (instruction ${d.payment.id}) is ${d.status}, but the bank's rejection of it was recorded before and its money reserved again. Nothing was changed: check with the bank before issuing it again.`,
      });
    } else {
      outcomes.set(d.payment.id, meaning === 'pending' ? 'pending' : 'accepted');
    }
  }

  const batchPayments = await trx.selectFrom('payment_instruction').select(['id', 'status']).where('batch_id', '=', batch.id).execute();
  const rejecting = new Set(toReject.map((d) => d.payment.id));
  const wholeBatch = batch.status === 'released' && toReject.length > 0 && batchPayments.every((p) => rejecting.has(p.id));
  if (wholeBatch) {
    const reason = commonReason(toReject);
    await rejectBatchByBank(trx, batch.id, { actor: 'bank', reason: `status report ${report.messageId}: ${reason}`, bookingDate: options.bookingDate });
    const total = Money.fromCents(toReject.reduce((sum, d) => sum + d.payment.amount_cents, 0n));
    alerts.unshift({
      code: 'batch_rejected_by_bank',
      severity: 'warning',
      message: `the bank rejected ${what} of batch ${batch.id} (${toReject.length} payment(s), € ${total.toString()}): ${reason}. The money is reserved again for each payment (a refund's is back in suspense); issue them again (new EndToEndIds, a new file) once the cause is fixed.`,
    });
  } else if (toReject.length > 0) {
    await rejectPayments(trx, toReject, options.bookingDate, what, report.messageId);
    const listed = toReject.slice(0, MAX_PAYMENT_ALERTS).map(
      (d): StatusReportAlert => ({
        code: 'payment_rejected_by_bank',
        severity: 'warning',
        message: `payment ${d.payment.kind} ${d.payment.period} (instruction ${d.payment.id}, ${d.payment.end_to_end_id}, € ${Money.fromCents(d.payment.amount_cents).toString()}) was rejected by the bank: ${reasonText(d.reason)}. ${d.payment.client_id === null ? 'The money is back in suspense; the receipt waits in the queue to be sent back again or assigned.' : 'The money is reserved again for it; issue it again (it gets a new EndToEndId) once the cause is fixed.'}`,
      }),
    );
    if (toReject.length > MAX_PAYMENT_ALERTS) listed.push({ code: 'payment_rejected_by_bank', severity: 'warning', message: `and ${toReject.length - MAX_PAYMENT_ALERTS} more payment(s) of ${what} were rejected by the bank; see the report's payments` });
    alerts.unshift(...listed);
    // The rest of the batch may have been rejected by earlier reports: then the batch as a whole is.
    if (batch.status === 'released' && batchPayments.every((p) => rejecting.has(p.id) || p.status === 'bank_rejected')) {
      await trx.updateTable('payment_batch').set({ status: 'bank_rejected' }).where('id', '=', batch.id).execute();
      await trx.insertInto('payment_event').values({ batch_id: batch.id, kind: 'bank_rejected', actor: 'bank', details: JSON.stringify({ reason: `every payment rejected, the last by status report ${report.messageId}` }) }).execute();
    }
  }
  if (toReject.length > 0) {
    await trx
      .insertInto('payment_event')
      .values(toReject.map((d) => ({ instruction_id: d.payment.id, batch_id: batch.id, kind: 'bank_rejected', actor: 'bank', details: JSON.stringify({ report: report.messageId, status: d.status, reason: d.reason?.code ?? d.reason?.proprietary ?? null, text: reasonText(d.reason) }), ledger_key: `bank-rejected/${d.payment.id.toString()}` })))
      .execute();
  }

  const count = (outcome: StatusOutcome) => [...outcomes.values()].filter((o) => o === outcome).length;
  const resultWithoutId = {
    messageId: report.messageId,
    messageName: report.messageName,
    originalMessageId: report.originalMessageId,
    batchId: batch.id.toString(),
    groupStatus: report.groupStatus,
    replayed: false,
    counts: { accepted: count('accepted'), pending: count('pending'), rejected: count('rejected'), alreadyRejected: count('already_rejected'), conflicts: count('conflict') },
    batchRejected: wholeBatch,
    rejected: toReject.slice(0, MAX_LISTED).map((d) => ({ instructionId: d.payment.id.toString(), endToEndId: d.payment.end_to_end_id, amount: Money.fromCents(d.payment.amount_cents).toString(), reason: reasonText(d.reason) })),
    alerts,
  };
  const row = await trx
    .insertInto('payment_status_report')
    .values({
      message_id: report.messageId,
      original_message_id: report.originalMessageId,
      batch_id: batch.id,
      message_name: report.messageName,
      created_at_bank: report.createdAt,
      group_status: report.groupStatus,
      sha256: raw.sha256,
      byte_size: BigInt(raw.bytes.length),
      content: raw.bytes,
      received_by: options.receivedBy,
      result: '{}',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const result: StatusReportResult = { reportId: row.id.toString(), ...resultWithoutId };
  await trx.updateTable('payment_status_report').set({ result: JSON.stringify(result) }).where('id', '=', row.id).execute();
  for (let n = 0; n < decisions.length; n += 5_000) {
    const part = decisions.slice(n, n + 5_000);
    if (part.length === 0) break;
    await trx
      .insertInto('payment_status')
      .values(
        part.map((d) => {
          const outcome = outcomes.get(d.payment.id)!;
          return {
            report_id: row.id,
            instruction_id: d.payment.id,
            status: d.status,
            level: d.level,
            outcome,
            reason_code: d.reason?.code ?? d.reason?.proprietary ?? null,
            reason_text: d.reason || meaningOf(d.status) === 'rejected' ? reasonText(d.reason) : null,
            ledger_key: outcome === 'rejected' ? `bank-rejected/${d.payment.id.toString()}` : null,
          };
        }),
      )
      .execute();
  }
  return result;
}

/** The payments of our own file, block by block, read from the bytes we released (we wrote them, so the scan is exact). */
async function paymentsOfFile(trx: Trx, content: Uint8Array): Promise<{ blocks: Map<string, OwnPayment[]>; byEndToEnd: Map<string, { payment: OwnPayment; block: string }> }> {
  const scanned = scanPain001(Buffer.from(content.buffer, content.byteOffset, content.byteLength).toString('utf8'));
  const endToEndIds = scanned.paymentInfos.flatMap((p) => p.transactions.map((t) => t.endToEndId!));
  const rows: OwnPayment[] = [];
  for (let n = 0; n < endToEndIds.length; n += 10_000) {
    rows.push(
      ...(await trx
        .selectFrom('payment_instruction as i')
        .innerJoin('payment_account as a', 'a.iban', 'i.debtor_iban')
        .select(['i.id', 'i.client_id', 'i.amount_cents', 'i.kind', 'i.period', 'i.status', 'i.batch_id', 'i.end_to_end_id', 'a.in_transit_account_id'])
        .where('i.end_to_end_id', 'in', endToEndIds.slice(n, n + 10_000))
        .forUpdate()
        .execute()
        .then((found) => found.map((r) => ({ ...r, end_to_end_id: r.end_to_end_id! })))),
    );
  }
  const byId = new Map(rows.map((r) => [r.end_to_end_id, r]));
  const blocks = new Map<string, OwnPayment[]>();
  const byEndToEnd = new Map<string, { payment: OwnPayment; block: string }>();
  for (const info of scanned.paymentInfos) {
    const payments = info.transactions.map((t) => byId.get(t.endToEndId!)!);
    blocks.set(info.paymentInfoId!, payments);
    for (const payment of payments) byEndToEnd.set(payment.end_to_end_id, { payment, block: info.paymentInfoId! });
  }
  return { blocks, byEndToEnd };
}

/**
 * Which status the report gives each payment of the file: its own TxSts; else its block's
 * PmtInfSts; else the group's GrpSts. PART only says "see below": a payment the report does not
 * name under a PART gets no status from it. Anything the report names that is not in the file
 * (or not with that amount) refuses the whole report.
 */
function decide(report: Pain002Report, own: { blocks: Map<string, OwnPayment[]>; byEndToEnd: Map<string, { payment: OwnPayment; block: string }> }): Decision[] {
  const unknown = (message: string) => new PaymentError('status_report_unknown_payment', `status report ${report.messageId}: ${message}; nothing was changed`);
  const blockStatus = new Map<string, { status: PaymentStatusCode | null; reason: StatusReason | null }>();
  const txStatus = new Map<string, { status: PaymentStatusCode | null; reason: StatusReason | null }>();
  for (const block of report.paymentInformation) {
    if (!own.blocks.has(block.originalPaymentInformationId)) throw unknown(`payment-information block ${block.originalPaymentInformationId} (line ${block.line}) is not in file ${report.originalMessageId}`);
    blockStatus.set(block.originalPaymentInformationId, { status: block.status, reason: block.reasons[0] ?? null });
    for (const tx of block.transactions) {
      const id = tx.originalEndToEndId;
      if (id === null) throw unknown(`the payment at line ${tx.line} has no OrgnlEndToEndId, so it cannot be matched to one of ours`);
      const found = own.byEndToEnd.get(id);
      if (!found || found.block !== block.originalPaymentInformationId) throw unknown(`payment ${id} (line ${tx.line}) is not in block ${block.originalPaymentInformationId} of file ${report.originalMessageId}`);
      if (tx.amountCents !== null && (tx.amountCents !== found.payment.amount_cents || (tx.currency !== null && tx.currency !== 'EUR'))) {
        throw unknown(`payment ${id} (line ${tx.line}) is reported with ${tx.currency ?? ''} ${Money.fromCents(tx.amountCents).toString()}, but we sent € ${Money.fromCents(found.payment.amount_cents).toString()}`);
      }
      if (txStatus.has(id)) throw unknown(`payment ${id} is named twice`);
      txStatus.set(id, { status: tx.status, reason: tx.reasons[0] ?? null });
    }
  }
  const group = report.groupStatus && report.groupStatus !== 'PART' ? { status: report.groupStatus, reason: report.groupReasons[0] ?? null } : null;
  const decisions: Decision[] = [];
  for (const [blockId, payments] of own.blocks) {
    const block = blockStatus.get(blockId);
    const blockLevel = block?.status && block.status !== 'PART' ? { status: block.status, reason: block.reason } : null;
    for (const payment of payments) {
      const tx = txStatus.get(payment.end_to_end_id);
      // A payment's own line may carry the status without repeating the reason its block or file gave.
      const inherited = blockLevel?.reason ?? group?.reason ?? (block?.reason ?? report.groupReasons[0] ?? null);
      if (tx?.status) decisions.push({ payment, status: tx.status, level: 'transaction', reason: tx.reason ?? inherited });
      else if (blockLevel) decisions.push({ payment, status: blockLevel.status, level: 'payment_information', reason: blockLevel.reason ?? group?.reason ?? null });
      else if (group) decisions.push({ payment, status: group.status, level: 'group', reason: group.reason });
    }
  }
  return decisions;
}

async function rejectPayments(trx: Trx, decisions: readonly Decision[], bookingDate: string, what: string, reportId: string): Promise<void> {
  // One ledger call per reason, so each reversal's description says why.
  const byReason = new Map<string, OwnPayment[]>();
  for (const d of decisions) {
    const text = reasonText(d.reason);
    const list = byReason.get(text);
    if (list) list.push(d.payment);
    else byReason.set(text, [d.payment]);
  }
  for (const [reason, payments] of byReason) await reverseReleasesRejectedByBank(trx, payments, { reason: `status report ${reportId}: ${reason}`, bookingDate, what: `a payment of ${what}` });
  const ids = decisions.map((d) => d.payment.id);
  for (let n = 0; n < ids.length; n += 10_000) await trx.updateTable('payment_instruction').set({ status: 'bank_rejected' }).where('id', 'in', ids.slice(n, n + 10_000)).where('status', '=', 'released').execute();
}

function reasonText(reason: StatusReason | null): string {
  return rejectionReasonText(reason?.code ?? null, reason?.proprietary ?? null, reason?.explanation ?? []);
}

function commonReason(decisions: readonly Decision[]): string {
  const texts = [...new Set(decisions.map((d) => reasonText(d.reason)))];
  return texts.length === 1 ? texts[0]! : `${texts.slice(0, 3).join('; ')}${texts.length > 3 ? '; …' : ''}`;
}
