import { Money } from '../money/money.js';
import { at, child, childrenNamed, joined, textAt, textsOf } from './elements.js';
import type { CamtProblem } from './errors.js';
import { classifyCreditorReference, parseKeywords } from './references.js';
import type { CamtBatch, CamtCreditorReference, CamtEntry, CamtReturnInfo, CamtTransactionDetail, CreditDebit } from './types.js';
import {
  capitalise as cap,
  describe,
  invalid,
  missing,
  partyName,
  problemAt,
  readAmount,
  readBankTransactionCode,
  readCreditDebit,
  readDateChoice,
  readParty,
  signed,
  type Where,
} from './values.js';
import type { XmlElement } from './xml-reader.js';

/** One `Ntry` with its batches and transaction details. */

const STATUSES = new Set(['BOOK', 'PDNG', 'INFO', 'FUTR']);

/** Banks write this where the payer gave no EndToEndId; it must never be matched on. */
export const NOT_PROVIDED = 'NOTPROVIDED';

export function readEntry(ntry: XmlElement, where: Where): CamtEntry {
  const problems: CamtProblem[] = [];
  const amountElement = child(ntry, 'Amt');
  if (!amountElement) throw missing(where, ntry, 'Ntry/Amt', 'amount');
  const amount = readAmount(where, amountElement, 'amount');
  if (amount.problem) problems.push(amount.problem);
  const creditDebit = readCreditDebit(where, ntry, true);

  const status = readStatus(ntry, where);
  if (!STATUSES.has(status)) {
    problems.push(
      problemAt('unknown_status', 'error', `${cap(describe(where, ntry))}: status "${status}" is not BOOK, PDNG or INFO; the entry is not booked.`, where, ntry),
    );
  }
  const booking = readDateChoice(where, child(ntry, 'BookgDt'), 'booking date');
  if (status === 'BOOK' && !booking) {
    // BookgDt is optional in the XSD and absent in real notifications: flag the entry rather than refuse the file.
    problems.push(
      problemAt('missing_booking_date', 'error', `${cap(describe(where, ntry))}: a booked (BOOK) entry without booking date (BookgDt); it is not booked.`, where, ntry),
    );
  }
  const value = readDateChoice(where, child(ntry, 'ValDt'), 'value date');

  const additionalInfo = textAt(ntry, 'AddtlNtryInf');
  const batches: CamtBatch[] = [];
  const details: CamtTransactionDetail[] = [];
  for (const ntryDtls of childrenNamed(ntry, 'NtryDtls')) {
    const btch = child(ntryDtls, 'Btch');
    if (btch) batches.push(readBatch(btch, where, problems));
    for (const txDtls of childrenNamed(ntryDtls, 'TxDtls')) {
      details.push(readDetail(txDtls, { ...where, detailIndex: details.length }, creditDebit, problems));
    }
  }

  const entry: CamtEntry = {
    statementIndex: where.statementIndex,
    entryIndex: where.entryIndex ?? 0,
    line: where.lines.line(ntry.start),
    entryReference: textAt(ntry, 'NtryRef'),
    accountServicerReference: textAt(ntry, 'AcctSvcrRef'),
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
    bankTransactionCode: readBankTransactionCode(child(ntry, 'BkTxCd')),
    additionalInfo,
    keywords: parseKeywords(additionalInfo),
    batches,
    details,
    problems,
  };
  checkDetailsAddUp(entry, ntry, where, problems);
  checkBatch(entry, ntry, where, problems);
  return entry;
}

/** `.02` writes `<Sts>BOOK</Sts>`, `.08` writes `<Sts><Cd>BOOK</Cd></Sts>`. */
function readStatus(ntry: XmlElement, where: Where): string {
  const sts = child(ntry, 'Sts');
  const value = sts ? (textAt(sts, 'Cd') ?? textAt(sts, 'Prtry') ?? (sts.text.trim() || null)) : null;
  if (value === null) throw missing(where, ntry, 'Ntry/Sts', 'status (BOOK, PDNG or INFO)');
  return value;
}

function readReversal(ntry: XmlElement, where: Where): boolean {
  const element = child(ntry, 'RvslInd');
  if (!element) return false;
  const value = element.text.trim();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw invalid(where, element, 'the reversal indicator', value, 'true or false');
}

function readBatch(btch: XmlElement, where: Where, problems: CamtProblem[]): CamtBatch {
  const total = child(btch, 'TtlAmt');
  const totalRead = total ? readAmount(where, total, 'batch total') : null;
  if (totalRead?.problem) problems.push(totalRead.problem);
  return {
    messageId: textAt(btch, 'MsgId'),
    paymentInformationId: textAt(btch, 'PmtInfId'),
    numberOfTransactions: textAt(btch, 'NbOfTxs'),
    totalAmount: totalRead?.amount ?? null,
    totalAmountText: totalRead?.text ?? null,
    totalCurrency: totalRead?.currency ?? null,
    creditDebit: readCreditDebit(where, btch, false),
  };
}

function readDetail(txDtls: XmlElement, where: Where, entryCreditDebit: CreditDebit, problems: CamtProblem[]): CamtTransactionDetail {
  const refs = child(txDtls, 'Refs');
  const amountElement = child(txDtls, 'Amt') ?? at(txDtls, 'AmtDtls', 'TxAmt', 'Amt');
  const amount = amountElement ? readAmount(where, amountElement, 'transaction amount') : null;
  if (amount?.problem) problems.push(amount.problem);
  const parties = child(txDtls, 'RltdPties');
  const rmtInf = child(txDtls, 'RmtInf');
  const endToEndId = providedId(textAt(refs, 'EndToEndId'));
  return {
    statementIndex: where.statementIndex,
    entryIndex: where.entryIndex ?? 0,
    detailIndex: where.detailIndex ?? 0,
    line: where.lines.line(txDtls.start),
    endToEndId,
    instructionId: textAt(refs, 'InstrId'),
    messageId: textAt(refs, 'MsgId'),
    paymentInformationId: textAt(refs, 'PmtInfId'),
    accountServicerReference: textAt(refs, 'AcctSvcrRef'),
    transactionId: textAt(refs, 'TxId'),
    mandateId: textAt(refs, 'MndtId'),
    uetr: textAt(refs, 'UETR'),
    amount: amount?.amount ?? null,
    amountText: amount?.text ?? null,
    currency: amount?.currency ?? null,
    creditDebit: readCreditDebit(where, txDtls, false) ?? entryCreditDebit,
    bankTransactionCode: readBankTransactionCode(child(txDtls, 'BkTxCd')),
    debtor: readParty(child(parties, 'Dbtr'), child(parties, 'DbtrAcct')),
    creditor: readParty(child(parties, 'Cdtr'), child(parties, 'CdtrAcct')),
    ultimateDebtor: partyName(child(parties, 'UltmtDbtr')),
    ultimateCreditor: partyName(child(parties, 'UltmtCdtr')),
    creditorReferences: readCreditorReferences(rmtInf),
    unstructured: joined(textsOf(rmtInf, 'Ustrd')),
    additionalRemittanceInfo: joined(childrenNamed(rmtInf, 'Strd').flatMap((strd) => textsOf(strd, 'AddtlRmtInf'))),
    returnInfo: readReturnInfo(child(txDtls, 'RtrInf'), endToEndId),
    additionalInfo: textAt(txDtls, 'AddtlTxInf'),
  };
}

function providedId(value: string | null): string | null {
  return value === null || value.toUpperCase() === NOT_PROVIDED ? null : value;
}

function readCreditorReferences(rmtInf: XmlElement | null): CamtCreditorReference[] {
  const result: CamtCreditorReference[] = [];
  for (const strd of childrenNamed(rmtInf, 'Strd')) {
    for (const info of childrenNamed(strd, 'CdtrRefInf')) {
      const reference = textAt(info, 'Ref');
      if (reference === null) continue;
      const issuer = textAt(info, 'Tp', 'Issr');
      result.push({
        type: textAt(info, 'Tp', 'CdOrPrtry', 'Cd') ?? textAt(info, 'Tp', 'CdOrPrtry', 'Prtry'),
        issuer,
        reference,
        ...classifyCreditorReference(reference, issuer),
      });
    }
  }
  return result;
}

function readReturnInfo(rtrInf: XmlElement | null, endToEndId: string | null): CamtReturnInfo | null {
  if (!rtrInf) return null;
  return {
    reasonCode: textAt(rtrInf, 'Rsn', 'Cd'),
    reasonProprietary: textAt(rtrInf, 'Rsn', 'Prtry'),
    additionalInfo: joined(textsOf(rtrInf, 'AddtlInf')),
    originalEndToEndId: endToEndId,
    originalBankTransactionCode: readBankTransactionCode(child(rtrInf, 'OrgnlBkTxCd')),
  };
}

/** When every detail has a euro amount, they must add up to the entry: a difference (bank charges) is reported. */
function checkDetailsAddUp(entry: CamtEntry, ntry: XmlElement, where: Where, problems: CamtProblem[]): void {
  if (!entry.amount || entry.details.length === 0) return;
  const amounts: Money[] = [];
  for (const detail of entry.details) {
    if (!detail.amount) return;
    amounts.push(detail.creditDebit === entry.creditDebit ? detail.amount : detail.amount.negate());
  }
  const total = Money.sum(amounts);
  if (total.equals(entry.amount)) return;
  problems.push(
    problemAt(
      'detail_amounts_differ',
      'warning',
      `${cap(describe(where, ntry))}: the ${entry.details.length} transaction details add up to ${total}, the entry is ${entry.amount}; difference ${entry.amount.minus(total)} (bank charges?).`,
      where,
      ntry,
    ),
  );
}

function checkBatch(entry: CamtEntry, ntry: XmlElement, where: Where, problems: CamtProblem[]): void {
  if (entry.batches.length !== 1) return;
  const batch = entry.batches[0]!;
  if (batch.numberOfTransactions !== null && entry.details.length > 0 && batch.numberOfTransactions.replace(/^0+(?=\d)/, '') !== String(entry.details.length)) {
    problems.push(
      problemAt(
        'batch_count_differs',
        'warning',
        `${cap(describe(where, ntry))}: the batch says ${batch.numberOfTransactions} transactions, the entry lists ${entry.details.length}.`,
        where,
        ntry,
      ),
    );
  }
  if (batch.totalAmount && entry.amount && !batch.totalAmount.equals(entry.amount)) {
    problems.push(
      problemAt(
        'batch_total_differs',
        'warning',
        `${cap(describe(where, ntry))}: the batch total is ${batch.totalAmount}, the entry amount ${entry.amount}.`,
        where,
        ntry,
      ),
    );
  }
}
