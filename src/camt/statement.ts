import { Money } from '../money/money.js';
import { present, records, startOf, text, type Captured } from './capture.js';
import type { CamtProblem } from './errors.js';
import { ibanValid } from './references.js';
import { BALANCE as B, STATEMENT as S } from './schema.js';
import type { CamtAccount, CamtBalance, CamtBalanceCheck, CamtEntry, CamtMessageKind, CamtStatement, CamtStatementSummary } from './types.js';
import { capitalise as cap, describe, missing, problemAt, readAmount, readCreditDebit, readDateChoice, signed, type Where } from './values.js';

/**
 * One `Stmt` (camt.053) or `Ntfctn` (camt.054): identity, account, balances,
 * and the balance check (opening + booked entries = closing), which is
 * reported as a problem when it fails, never hidden.
 */

/**
 * What the balance check needs of a statement's entries, counted as they are read, so the
 * entries themselves need not be kept (`streamCamt` hands them on and drops them).
 */
export class EntryTally {
  entries = 0;
  bookedCount = 0;
  bookedCents = 0n;
  /** The first booked entry without a usable euro amount: the check cannot be made then. */
  firstUnusable: CamtEntry | null = null;

  add(entry: CamtEntry): void {
    this.entries++;
    if (!entry.booked || this.firstUnusable !== null) return;
    if (entry.signedAmount === null) this.firstUnusable = entry;
    else {
      this.bookedCents += entry.signedAmount.cents;
      this.bookedCount++;
    }
  }
}

export function readStatement(stmt: Captured, kind: CamtMessageKind, where: Where, tally: EntryTally): CamtStatementSummary {
  const problems: CamtProblem[] = [];
  const id = text(stmt, S.value.Id);
  if (id === null) throw missing(where, stmt.start, 'Id', kind === 'camt.053' ? 'statement id' : 'notification id');
  const balances = records(stmt, S.many['Bal*']).map((bal) => readBalance(bal, where));
  const openingBalance = balances.find((b) => b.type === 'OPBD') ?? balances.find((b) => b.type === 'PRCD') ?? null;
  const closingBalance = balances.find((b) => b.type === 'CLBD') ?? null;
  return {
    index: where.statementIndex,
    line: stmt.line,
    id,
    electronicSequenceNumber: text(stmt, S.value.ElctrncSeqNb),
    legalSequenceNumber: text(stmt, S.value.LglSeqNb),
    copyDuplicate: text(stmt, S.value.CpyDplctInd),
    createdAt: text(stmt, S.value.CreDtTm),
    fromDateTime: text(stmt, S.value['FrToDt/FrDtTm']),
    toDateTime: text(stmt, S.value['FrToDt/ToDtTm']),
    account: readAccount(stmt, where, problems),
    balances,
    openingBalance,
    closingBalance,
    balanceCheck: checkBalances(kind, openingBalance, closingBalance, tally, stmt.start, where, problems),
    entryCount: tally.entries,
    additionalInfo: text(stmt, S.value.AddtlStmtInf) ?? text(stmt, S.value.AddtlNtfctnInf),
    problems,
  };
}

/** The statement as `readCamt` returns it: the summary with its entries in place of their count. */
export function withEntries(s: CamtStatementSummary, entries: readonly CamtEntry[]): CamtStatement {
  return {
    index: s.index,
    line: s.line,
    id: s.id,
    electronicSequenceNumber: s.electronicSequenceNumber,
    legalSequenceNumber: s.legalSequenceNumber,
    copyDuplicate: s.copyDuplicate,
    createdAt: s.createdAt,
    fromDateTime: s.fromDateTime,
    toDateTime: s.toDateTime,
    account: s.account,
    balances: s.balances,
    openingBalance: s.openingBalance,
    closingBalance: s.closingBalance,
    balanceCheck: s.balanceCheck,
    entries,
    additionalInfo: s.additionalInfo,
    problems: s.problems,
  };
}

function readAccount(stmt: Captured, where: Where, problems: CamtProblem[]): CamtAccount {
  if (!present(stmt, S.value.Acct)) throw missing(where, stmt.start, 'Acct', 'account');
  const acct = startOf(stmt, S.value.Acct);
  let iban = text(stmt, S.value['Acct/Id/IBAN']);
  if (iban === null) {
    const other = text(stmt, S.value['Acct/Id/Othr/Id']);
    if (other === null || !ibanValid(other)) {
      const what = other === null ? 'IBAN for its account' : `IBAN for its account, only the account number "${other}"; only IBAN accounts are read`;
      throw missing(where, acct, 'Acct/Id/IBAN', what);
    }
    // Some banks write the IBAN under Othr/Id; a valid IBAN there is still the account.
    iban = other;
    problems.push(
      problemAt('iban_as_other_id', 'warning', `${cap(describe(where, acct))}: the account IBAN ${other} is written as Acct/Id/Othr/Id; it is read as the IBAN.`, where, acct),
    );
  }
  return {
    iban,
    currency: text(stmt, S.value['Acct/Ccy']),
    name: text(stmt, S.value['Acct/Nm']),
    ownerName: text(stmt, S.value['Acct/Ownr/Nm']) ?? text(stmt, S.value['Acct/Ownr/Pty/Nm']),
    servicerBic: text(stmt, S.value['Acct/Svcr/FinInstnId/BICFI']) ?? text(stmt, S.value['Acct/Svcr/FinInstnId/BIC']),
  };
}

/** A balance in another currency or with sub-cent decimals gets a null amount; the balance check then says why it was not made. */
function readBalance(bal: Captured, where: Where): CamtBalance {
  const type = text(bal, B.value['Tp/CdOrPrtry/Cd']) ?? text(bal, B.value['Tp/CdOrPrtry/Prtry']);
  if (type === null) throw missing(where, bal.start, 'Bal/Tp/CdOrPrtry/Cd', 'balance type');
  if (!present(bal, B.value.Amt)) throw missing(where, bal.start, 'Bal/Amt', `amount of its ${type} balance`);
  const amount = readAmount(where, bal, B.value.Amt, B.value['Amt/@Ccy'], 'Amt', `${type} balance`);
  const creditDebit = readCreditDebit(where, bal, B.value.CdtDbtInd, true);
  return {
    type,
    amount: amount.amount,
    amountText: amount.text,
    currency: amount.currency,
    creditDebit,
    signedAmount: signed(amount.amount, creditDebit),
    date: readDateChoice(where, bal, B.value.Dt, B.value['Dt/Dt'], B.value['Dt/DtTm'], 'Dt', `${type} balance date`)?.date ?? null,
  };
}

function checkBalances(
  kind: CamtMessageKind,
  opening: CamtBalance | null,
  closing: CamtBalance | null,
  tally: EntryTally,
  start: number,
  where: Where,
  problems: CamtProblem[],
): CamtBalanceCheck {
  const notChecked = (reason: string, status: 'not_checked' | 'not_applicable' = 'not_checked'): CamtBalanceCheck => ({
    status,
    expectedClosing: null,
    difference: null,
    reason,
  });
  // Only described when there is something to say: the line of an offset needs the file's line table.
  const place = (): string => describe(where, start);
  if (!opening || !closing) {
    if (kind === 'camt.054' && !opening && !closing) return notChecked('a notification carries no balances', 'not_applicable');
    const lacking = !opening ? 'opening booked balance (OPBD or PRCD)' : 'closing booked balance (CLBD)';
    problems.push(problemAt('balance_missing', 'warning', `${cap(place())} has no ${lacking}; its balance cannot be checked.`, where, start));
    return notChecked(`no ${lacking}`);
  }
  const unusable = [opening, closing].find((b) => !b.signedAmount);
  if (unusable) {
    const reason = `the ${unusable.type} balance ${unusable.amountText} ${unusable.currency} is not a euro amount in cents`;
    problems.push(problemAt('balance_not_checked', 'warning', `${cap(place())}: balance not checked, ${reason}.`, where, start));
    return notChecked(reason);
  }
  const unusableEntry = tally.firstUnusable;
  if (unusableEntry) {
    const reason = `booked entry ${unusableEntry.entryIndex + 1} (line ${unusableEntry.line}) has no usable euro amount`;
    problems.push(problemAt('balance_not_checked', 'warning', `${cap(place())}: balance not checked, ${reason}.`, where, start));
    return notChecked(reason);
  }
  const booked = tally.bookedCents;
  const count = tally.bookedCount;
  const expectedClosing = opening.signedAmount!.plus(Money.fromCents(booked));
  const difference = closing.signedAmount!.minus(expectedClosing);
  if (difference.isZero()) return { status: 'ok', expectedClosing, difference, reason: null };
  problems.push(
    problemAt(
      'balance_mismatch',
      'error',
      `${cap(place())}: opening balance ${opening.signedAmount} plus ${count} booked entries gives ${expectedClosing}, but the bank reports a closing balance of ${closing.signedAmount}; difference ${difference}.`,
      where,
      start,
    ),
  );
  return { status: 'mismatch', expectedClosing, difference, reason: null };
}
