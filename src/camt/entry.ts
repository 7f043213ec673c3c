import { CURRENCY, Money } from '../money/money.js';
import { firstRecord, present, records, startOf, text, texts, type Captured } from './capture.js';
import type { CamtProblem } from './errors.js';
import { classifyCreditorReference, parseKeywords } from './references.js';
import { BATCH as B, CREDITOR_REFERENCE as R, ENTRY as E, ENTRY_DETAILS as D, TRANSACTION_DETAIL as T } from './schema.js';
import type { CamtBatch, CamtCreditorReference, CamtEntry, CamtReturnInfo, CamtTransactionDetail, CreditDebit } from './types.js';
import {
  bankTransactionCodeAt,
  capitalise as cap,
  describe,
  invalid,
  missing,
  problemAt,
  readAmount,
  readCreditDebit,
  readDateChoice,
  readParty,
  signed,
  type AmountRead,
  type Where,
} from './values.js';

/** One `Ntry` with its batches and transaction details. */

const STATUSES = new Set(['BOOK', 'PDNG', 'INFO', 'FUTR']);

/** Banks write this where the payer gave no EndToEndId; it must never be matched on. */
export const NOT_PROVIDED = 'NOTPROVIDED';

// Empty lists and keywords are shared (frozen): most entries have no batch, no problem, no reference.
const NO_BATCHES: readonly CamtBatch[] = Object.freeze([]);
const NO_DETAILS: readonly CamtTransactionDetail[] = Object.freeze([]);
const NO_REFERENCES: readonly CamtCreditorReference[] = Object.freeze([]);
const NO_PROBLEMS: readonly CamtProblem[] = Object.freeze([]);
const NO_KEYWORDS: Readonly<Record<string, string>> = Object.freeze({});

/** Reads one captured `Ntry`; `where` names its statement and position. */
export function readEntry(ntry: Captured, where: Where): CamtEntry {
  const problems: CamtProblem[] = [];
  if (!present(ntry, E.value.Amt)) throw missing(where, ntry.start, 'Ntry/Amt', 'amount');
  const amount = readAmount(where, ntry, E.value.Amt, E.value['Amt/@Ccy'], 'Amt', 'amount');
  if (amount.problem) problems.push(amount.problem);
  const creditDebit = readCreditDebit(where, ntry, E.value.CdtDbtInd, true);

  const status = readStatus(ntry, where);
  if (!STATUSES.has(status)) {
    problems.push(
      problemAt('unknown_status', 'error', `${cap(describe(where, ntry.start))}: status "${status}" is not BOOK, PDNG or INFO; the entry is not booked.`, where, ntry.start),
    );
  }
  const booking = readDateChoice(where, ntry, E.value.BookgDt, E.value['BookgDt/Dt'], E.value['BookgDt/DtTm'], 'BookgDt', 'booking date');
  if (status === 'BOOK' && !booking) {
    // BookgDt is optional in the XSD and absent in real notifications: flag the entry rather than refuse the file.
    problems.push(
      problemAt('missing_booking_date', 'error', `${cap(describe(where, ntry.start))}: a booked (BOOK) entry without booking date (BookgDt); it is not booked.`, where, ntry.start),
    );
  }
  const value = readDateChoice(where, ntry, E.value.ValDt, E.value['ValDt/Dt'], E.value['ValDt/DtTm'], 'ValDt', 'value date');

  const additionalInfo = text(ntry, E.value.AddtlNtryInf);
  let batches: CamtBatch[] | null = null;
  let details: CamtTransactionDetail[] | null = null;
  for (const ntryDtls of records(ntry, E.many['NtryDtls*'])) {
    const btch = firstRecord(ntryDtls, D.many.Btch);
    if (btch) (batches ??= []).push(readBatch(btch, where, problems));
    for (const txDtls of records(ntryDtls, D.many['TxDtls*'])) {
      details ??= [];
      where.detailIndex = details.length;
      details.push(readDetail(txDtls, where, creditDebit, amount.text, amount.amount, problems));
      where.detailIndex = -1;
    }
  }

  const entry: CamtEntry = {
    statementIndex: where.statementIndex,
    entryIndex: where.entryIndex,
    line: ntry.line,
    entryReference: text(ntry, E.value.NtryRef),
    accountServicerReference: text(ntry, E.value.AcctSvcrRef),
    bookingDate: booking?.date ?? null,
    bookingDateTime: booking?.dateTime ?? null,
    valueDate: value?.date ?? null,
    valueDateTime: value?.dateTime ?? null,
    amount: amount.amount,
    amountText: amount.text,
    currency: amount.currency,
    creditDebit,
    signedAmount: signed(amount.amount, creditDebit),
    reversal: readReversal(ntry, where),
    status,
    booked: status === 'BOOK',
    bankTransactionCode: bankTransactionCodeAt(ntry, E.many.BkTxCd),
    additionalInfo,
    keywords: additionalInfo === null ? NO_KEYWORDS : parseKeywords(additionalInfo),
    batches: batches ?? NO_BATCHES,
    details: details ?? NO_DETAILS,
    problems,
  };
  checkDetailsAddUp(entry, ntry.start, where, problems);
  checkBatch(entry, ntry.start, where, problems);
  if (problems.length === 0) (entry as { problems: readonly CamtProblem[] }).problems = NO_PROBLEMS;
  return entry;
}

/** `.02` writes `<Sts>BOOK</Sts>`, `.08` writes `<Sts><Cd>BOOK</Cd></Sts>`. */
function readStatus(ntry: Captured, where: Where): string {
  const value = present(ntry, E.value.Sts) ? (text(ntry, E.value['Sts/Cd']) ?? text(ntry, E.value['Sts/Prtry']) ?? text(ntry, E.value.Sts)) : null;
  if (value === null) throw missing(where, ntry.start, 'Ntry/Sts', 'status (BOOK, PDNG or INFO)');
  // The usual codes as constants: one string for every entry, not one each.
  switch (value) {
    case 'BOOK':
      return 'BOOK';
    case 'PDNG':
      return 'PDNG';
    case 'INFO':
      return 'INFO';
    default:
      return value;
  }
}

function readReversal(ntry: Captured, where: Where): boolean {
  const start = startOf(ntry, E.value.RvslInd);
  if (start < 0) return false;
  const value = text(ntry, E.value.RvslInd) ?? '';
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalid(where, start, 'the reversal indicator', value, 'true or false');
}

function readBatch(btch: Captured, where: Where, problems: CamtProblem[]): CamtBatch {
  const total = present(btch, B.value.TtlAmt) ? readAmount(where, btch, B.value.TtlAmt, B.value['TtlAmt/@Ccy'], 'TtlAmt', 'batch total') : null;
  if (total?.problem) problems.push(total.problem);
  return {
    messageId: text(btch, B.value.MsgId),
    paymentInformationId: text(btch, B.value.PmtInfId),
    numberOfTransactions: text(btch, B.value.NbOfTxs),
    totalAmount: total?.amount ?? null,
    totalAmountText: total?.text ?? null,
    totalCurrency: total?.currency ?? null,
    creditDebit: readCreditDebit(where, btch, B.value.CdtDbtInd, false),
  };
}

function readDetail(
  txDtls: Captured,
  where: Where,
  entryCreditDebit: CreditDebit,
  entryAmountText: string,
  entryAmount: Money | null,
  problems: CamtProblem[],
): CamtTransactionDetail {
  const amount = present(txDtls, T.value.Amt)
    ? detailAmount(where, txDtls, T.value.Amt, T.value['Amt/@Ccy'], entryAmountText, entryAmount)
    : present(txDtls, T.value['AmtDtls/TxAmt/Amt'])
      ? detailAmount(where, txDtls, T.value['AmtDtls/TxAmt/Amt'], T.value['AmtDtls/TxAmt/Amt/@Ccy'], entryAmountText, entryAmount)
      : null;
  if (amount?.problem) problems.push(amount.problem);
  // A single detail usually repeats the entry's amount: share the entry's Money and text then.
  const sameAsEntry = amount !== null && amount.amount !== null && entryAmount !== null && amount.text === entryAmountText;
  const endToEndId = providedId(text(txDtls, T.value['Refs/EndToEndId']));
  const unstructured = texts(txDtls, T.many['RmtInf/Ustrd*']);
  const additionalRemittance = texts(txDtls, T.many['RmtInf/Strd*/AddtlRmtInf*']);
  return {
    statementIndex: where.statementIndex,
    entryIndex: where.entryIndex,
    detailIndex: where.detailIndex,
    line: txDtls.line,
    endToEndId,
    instructionId: text(txDtls, T.value['Refs/InstrId']),
    messageId: text(txDtls, T.value['Refs/MsgId']),
    paymentInformationId: text(txDtls, T.value['Refs/PmtInfId']),
    accountServicerReference: text(txDtls, T.value['Refs/AcctSvcrRef']),
    transactionId: text(txDtls, T.value['Refs/TxId']),
    mandateId: text(txDtls, T.value['Refs/MndtId']),
    uetr: text(txDtls, T.value['Refs/UETR']),
    amount: sameAsEntry ? entryAmount : (amount?.amount ?? null),
    amountText: sameAsEntry ? entryAmountText : (amount?.text ?? null),
    currency: amount?.currency ?? null,
    creditDebit: readCreditDebit(where, txDtls, T.value.CdtDbtInd, false) ?? entryCreditDebit,
    bankTransactionCode: bankTransactionCodeAt(txDtls, T.many.BkTxCd),
    debtor: readParty(
      txDtls,
      T.value['RltdPties/Dbtr/Nm'],
      T.value['RltdPties/Dbtr/Pty/Nm'],
      T.value['RltdPties/DbtrAcct/Id/IBAN'],
      T.value['RltdPties/DbtrAcct/Id/Othr/Id'],
    ),
    creditor: readParty(
      txDtls,
      T.value['RltdPties/Cdtr/Nm'],
      T.value['RltdPties/Cdtr/Pty/Nm'],
      T.value['RltdPties/CdtrAcct/Id/IBAN'],
      T.value['RltdPties/CdtrAcct/Id/Othr/Id'],
    ),
    ultimateDebtor: text(txDtls, T.value['RltdPties/UltmtDbtr/Nm']) ?? text(txDtls, T.value['RltdPties/UltmtDbtr/Pty/Nm']),
    ultimateCreditor: text(txDtls, T.value['RltdPties/UltmtCdtr/Nm']) ?? text(txDtls, T.value['RltdPties/UltmtCdtr/Pty/Nm']),
    creditorReferences: readCreditorReferences(txDtls),
    unstructured: unstructured.length === 0 ? null : unstructured.length === 1 ? unstructured[0]! : unstructured.join(' '),
    additionalRemittanceInfo: additionalRemittance.length === 0 ? null : additionalRemittance.join(' '),
    returnInfo: readReturnInfo(txDtls, endToEndId),
    additionalInfo: text(txDtls, T.value.AddtlTxInf),
  };
}

/**
 * A detail's amount. The same text in euros as the entry's usable amount reads as that amount:
 * `readAmount` is a function of the text and the currency, so it is not parsed twice.
 */
function detailAmount(where: Where, txDtls: Captured, slot: number, currencySlot: number, entryAmountText: string, entryAmount: Money | null): AmountRead {
  if (entryAmount !== null && txDtls.values[currencySlot] === CURRENCY && text(txDtls, slot) === entryAmountText) {
    return { amount: entryAmount, text: entryAmountText, currency: CURRENCY, problem: null };
  }
  return readAmount(where, txDtls, slot, currencySlot, 'Amt', 'transaction amount');
}

function providedId(value: string | null): string | null {
  // Only a text of NOTPROVIDED's length can be it: no upper-cased copy of every other id.
  return value === null || (value.length === NOT_PROVIDED.length && value.toUpperCase() === NOT_PROVIDED) ? null : value;
}

function readCreditorReferences(txDtls: Captured): readonly CamtCreditorReference[] {
  const found = records(txDtls, T.many['RmtInf/Strd*/CdtrRefInf*']);
  if (found.length === 0) return NO_REFERENCES;
  const result: CamtCreditorReference[] = [];
  for (const info of found) {
    const reference = text(info, R.value.Ref);
    if (reference === null) continue;
    const issuer = text(info, R.value['Tp/Issr']);
    result.push({
      type: text(info, R.value['Tp/CdOrPrtry/Cd']) ?? text(info, R.value['Tp/CdOrPrtry/Prtry']),
      issuer,
      reference,
      ...classifyCreditorReference(reference, issuer),
    });
  }
  return result.length === 0 ? NO_REFERENCES : result;
}

function readReturnInfo(txDtls: Captured, endToEndId: string | null): CamtReturnInfo | null {
  if (!present(txDtls, T.value.RtrInf)) return null;
  const lines = texts(txDtls, T.many['RtrInf/AddtlInf*']);
  return {
    reasonCode: text(txDtls, T.value['RtrInf/Rsn/Cd']),
    reasonProprietary: text(txDtls, T.value['RtrInf/Rsn/Prtry']),
    additionalInfo: lines.length === 0 ? null : lines.join(' '),
    originalEndToEndId: endToEndId,
    originalBankTransactionCode: bankTransactionCodeAt(txDtls, T.many['RtrInf/OrgnlBkTxCd']),
  };
}

/** When every detail has a euro amount, they must add up to the entry: a difference (bank charges) is reported. */
function checkDetailsAddUp(entry: CamtEntry, start: number, where: Where, problems: CamtProblem[]): void {
  if (!entry.amount || entry.details.length === 0) return;
  let total = 0n;
  for (const detail of entry.details) {
    if (!detail.amount) return;
    total += detail.creditDebit === entry.creditDebit ? detail.amount.cents : -detail.amount.cents;
  }
  if (total === entry.amount.cents) return;
  const sum = Money.fromCents(total);
  problems.push(
    problemAt(
      'detail_amounts_differ',
      'warning',
      `${cap(describe(where, start))}: the ${entry.details.length} transaction details add up to ${sum}, the entry is ${entry.amount}; difference ${entry.amount.minus(sum)} (bank charges?).`,
      where,
      start,
    ),
  );
}

function checkBatch(entry: CamtEntry, start: number, where: Where, problems: CamtProblem[]): void {
  if (entry.batches.length !== 1) return;
  const batch = entry.batches[0]!;
  if (batch.numberOfTransactions !== null && entry.details.length > 0 && batch.numberOfTransactions.replace(/^0+(?=\d)/, '') !== String(entry.details.length)) {
    problems.push(
      problemAt(
        'batch_count_differs',
        'warning',
        `${cap(describe(where, start))}: the batch says ${batch.numberOfTransactions} transactions, the entry lists ${entry.details.length}.`,
        where,
        start,
      ),
    );
  }
  if (batch.totalAmount && entry.amount && !batch.totalAmount.equals(entry.amount)) {
    problems.push(
      problemAt('batch_total_differs', 'warning', `${cap(describe(where, start))}: the batch total is ${batch.totalAmount}, the entry amount ${entry.amount}.`, where, start),
    );
  }
}
