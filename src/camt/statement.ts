import { Money } from '../money/money.js';
import { at, child, childrenNamed, textAt } from './elements.js';
import type { CamtProblem } from './errors.js';
import { ibanValid } from './references.js';
import type { CamtAccount, CamtBalance, CamtBalanceCheck, CamtEntry, CamtMessageKind, CamtStatement } from './types.js';
import { capitalise as cap, describe, missing, problemAt, readAmount, readCreditDebit, readDateChoice, requiredText, signed, type Where } from './values.js';
import type { XmlElement } from './xml-reader.js';

/**
 * One `Stmt` (camt.053) or `Ntfctn` (camt.054): identity, account, balances,
 * and the balance check (opening + booked entries = closing), which is
 * reported as a problem when it fails, never hidden.
 */

export function readStatement(stmt: XmlElement, kind: CamtMessageKind, where: Where, entries: CamtEntry[]): CamtStatement {
  const problems: CamtProblem[] = [];
  const id = requiredText(where, stmt, ['Id'], kind === 'camt.053' ? 'statement id' : 'notification id');
  const balances = childrenNamed(stmt, 'Bal').map((bal) => readBalance(bal, where));
  const openingBalance = balances.find((b) => b.type === 'OPBD') ?? balances.find((b) => b.type === 'PRCD') ?? null;
  const closingBalance = balances.find((b) => b.type === 'CLBD') ?? null;
  const statement: CamtStatement = {
    index: where.statementIndex,
    line: where.lines.line(stmt.start),
    id,
    electronicSequenceNumber: textAt(stmt, 'ElctrncSeqNb'),
    legalSequenceNumber: textAt(stmt, 'LglSeqNb'),
    copyDuplicate: textAt(stmt, 'CpyDplctInd'),
    createdAt: textAt(stmt, 'CreDtTm'),
    fromDateTime: textAt(stmt, 'FrToDt', 'FrDtTm'),
    toDateTime: textAt(stmt, 'FrToDt', 'ToDtTm'),
    account: readAccount(stmt, where, problems),
    balances,
    openingBalance,
    closingBalance,
    balanceCheck: checkBalances(kind, openingBalance, closingBalance, entries, stmt, where, problems),
    entries,
    additionalInfo: textAt(stmt, 'AddtlStmtInf') ?? textAt(stmt, 'AddtlNtfctnInf'),
    problems,
  };
  return statement;
}

function readAccount(stmt: XmlElement, where: Where, problems: CamtProblem[]): CamtAccount {
  const acct = child(stmt, 'Acct');
  if (!acct) throw missing(where, stmt, 'Acct', 'account');
  let iban = textAt(acct, 'Id', 'IBAN');
  if (iban === null) {
    const other = textAt(acct, 'Id', 'Othr', 'Id');
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
    currency: textAt(acct, 'Ccy'),
    name: textAt(acct, 'Nm'),
    ownerName: textAt(acct, 'Ownr', 'Nm') ?? textAt(acct, 'Ownr', 'Pty', 'Nm'),
    servicerBic: textAt(acct, 'Svcr', 'FinInstnId', 'BICFI') ?? textAt(acct, 'Svcr', 'FinInstnId', 'BIC'),
  };
}

/** A balance in another currency or with sub-cent decimals gets a null amount; the balance check then says why it was not made. */
function readBalance(bal: XmlElement, where: Where): CamtBalance {
  const type = textAt(bal, 'Tp', 'CdOrPrtry', 'Cd') ?? textAt(bal, 'Tp', 'CdOrPrtry', 'Prtry');
  if (type === null) throw missing(where, bal, 'Bal/Tp/CdOrPrtry/Cd', 'balance type');
  const amountElement = at(bal, 'Amt');
  if (!amountElement) throw missing(where, bal, 'Bal/Amt', `amount of its ${type} balance`);
  const amount = readAmount(where, amountElement, `${type} balance`);
  const creditDebit = readCreditDebit(where, bal, true);
  return {
    type,
    amount: amount.amount,
    amountText: amount.text,
    currency: amount.currency,
    creditDebit,
    signedAmount: signed(amount.amount, creditDebit),
    date: readDateChoice(where, child(bal, 'Dt'), `${type} balance date`)?.date ?? null,
  };
}

function checkBalances(
  kind: CamtMessageKind,
  opening: CamtBalance | null,
  closing: CamtBalance | null,
  entries: CamtEntry[],
  stmt: XmlElement,
  where: Where,
  problems: CamtProblem[],
): CamtBalanceCheck {
  const notChecked = (reason: string, status: 'not_checked' | 'not_applicable' = 'not_checked'): CamtBalanceCheck => ({
    status,
    expectedClosing: null,
    difference: null,
    reason,
  });
  const place = describe(where, stmt);
  if (!opening || !closing) {
    if (kind === 'camt.054' && !opening && !closing) return notChecked('a notification carries no balances', 'not_applicable');
    const lacking = !opening ? 'opening booked balance (OPBD or PRCD)' : 'closing booked balance (CLBD)';
    problems.push(problemAt('balance_missing', 'warning', `${cap(place)} has no ${lacking}; its balance cannot be checked.`, where, stmt));
    return notChecked(`no ${lacking}`);
  }
  const unusable = [opening, closing].find((b) => !b.signedAmount);
  if (unusable) {
    const reason = `the ${unusable.type} balance ${unusable.amountText} ${unusable.currency} is not a euro amount in cents`;
    problems.push(problemAt('balance_not_checked', 'warning', `${cap(place)}: balance not checked, ${reason}.`, where, stmt));
    return notChecked(reason);
  }
  const booked: Money[] = [];
  for (const entry of entries) {
    if (!entry.booked) continue;
    if (!entry.signedAmount) {
      const reason = `booked entry ${entry.entryIndex + 1} (line ${entry.line}) has no usable euro amount`;
      problems.push(problemAt('balance_not_checked', 'warning', `${cap(place)}: balance not checked, ${reason}.`, where, stmt));
      return notChecked(reason);
    }
    booked.push(entry.signedAmount);
  }
  const expectedClosing = opening.signedAmount!.plus(Money.sum(booked));
  const difference = closing.signedAmount!.minus(expectedClosing);
  if (difference.isZero()) return { status: 'ok', expectedClosing, difference, reason: null };
  problems.push(
    problemAt(
      'balance_mismatch',
      'error',
      `${cap(place)}: opening balance ${opening.signedAmount} plus ${booked.length} booked entries gives ${expectedClosing}, but the bank reports a closing balance of ${closing.signedAmount}; difference ${difference}.`,
      where,
      stmt,
    ),
  );
  return { status: 'mismatch', expectedClosing, difference, reason: null };
}
