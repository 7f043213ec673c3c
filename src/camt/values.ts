import { CURRENCY, InvalidAmount, Money } from '../money/money.js';
import { at, textAt } from './elements.js';
import { CamtError, type CamtProblem, type CamtProblemCode, type CamtProblemSeverity } from './errors.js';
import type { CamtBankTransactionCode, CamtParty, CreditDebit } from './types.js';
import type { LineIndex, XmlElement } from './xml-reader.js';

/**
 * Reading single values: amounts, dates, indicators, codes, parties. A value
 * that cannot mean anything (a date "2025-13-40", an amount "1,00") refuses
 * the file; a value that is readable but must not be booked as it is (another
 * currency, three significant decimals) becomes a problem on its entry.
 */

/** Where a value sits, for messages a back-office user can follow to the file. */
export interface Where {
  readonly lines: LineIndex;
  readonly statementIndex: number;
  readonly statementId: string | null;
  readonly entryIndex?: number;
  readonly detailIndex?: number;
}

export function describe(where: Where, element?: XmlElement): string {
  const parts = [`statement ${where.statementIndex + 1}${where.statementId ? ` ("${where.statementId}")` : ''}`];
  if (where.entryIndex !== undefined) parts.push(`entry ${where.entryIndex + 1}`);
  if (where.detailIndex !== undefined) parts.push(`transaction detail ${where.detailIndex + 1}`);
  const line = element ? `, line ${where.lines.line(element.start)}` : '';
  return `${parts.join(', ')}${line}`;
}

export function problemAt(
  code: CamtProblemCode,
  severity: CamtProblemSeverity,
  message: string,
  where: Where,
  element: XmlElement | null,
): CamtProblem {
  return {
    code,
    severity,
    message,
    line: element ? where.lines.line(element.start) : null,
    statementIndex: where.statementIndex,
    ...(where.entryIndex === undefined ? {} : { entryIndex: where.entryIndex }),
    ...(where.detailIndex === undefined ? {} : { detailIndex: where.detailIndex }),
  };
}

export function missing(where: Where, parent: XmlElement, path: string, what: string): CamtError {
  const line = where.lines.line(parent.start);
  return new CamtError('missing_field', `${capitalise(describe(where))} (line ${line}) has no ${what} (${path}).`, { line, element: path });
}

export function invalid(where: Where, element: XmlElement, what: string, value: string, expected: string): CamtError {
  const line = where.lines.line(element.start);
  return new CamtError('invalid_value', `${capitalise(describe(where))} (line ${line}): ${what} "${value}" is not ${expected}.`, {
    line,
    element: element.qname,
  });
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Parent and local path of a required text; refuses the file when it is absent. */
export function requiredText(where: Where, parent: XmlElement, path: string[], what: string): string {
  const value = textAt(parent, ...path);
  if (value === null) throw missing(where, parent, path.join('/'), what);
  return value;
}

const DECIMAL = /^\d+(\.\d+)?$/;

export interface AmountRead {
  readonly amount: Money | null;
  readonly text: string;
  readonly currency: string;
  readonly problem: CamtProblem | null;
}

/** Reads an `Amt`-like element with its `Ccy` attribute. */
export function readAmount(where: Where, element: XmlElement, what: string): AmountRead {
  const text = element.text.trim();
  if (text === '') throw invalid(where, element, what, text, 'an amount such as 123.45');
  if (!DECIMAL.test(text)) throw invalid(where, element, what, text, 'a decimal amount such as 123.45 (digits, a point, no sign)');
  const currency = attribute(element, 'Ccy');
  if (currency === null) throw missing(where, element, `${element.name}/@Ccy`, `currency of the ${what}`);
  if (currency !== CURRENCY) {
    const problem = problemAt(
      'unsupported_currency',
      'error',
      `${capitalise(describe(where, element))}: the ${what} ${text} is in ${currency}; only EUR is booked, so this is left for a person.`,
      where,
      element,
    );
    return { amount: null, text, currency, problem };
  }
  try {
    return { amount: Money.parse(text, what), text, currency, problem: null };
  } catch (error) {
    if (!(error instanceof InvalidAmount)) throw error;
    const problem = problemAt(
      'amount_too_precise',
      'error',
      `${capitalise(describe(where, element))}: the ${what} ${text} has more than two significant decimals; it is not rounded, so this is left for a person.`,
      where,
      element,
    );
    return { amount: null, text, currency, problem };
  }
}

function attribute(element: XmlElement, localName: string): string | null {
  const attributes = element.attributes;
  if (!attributes) return null;
  for (const [name, value] of Object.entries(attributes)) {
    const colon = name.indexOf(':');
    if ((colon === -1 ? name : name.slice(colon + 1)) === localName && !name.startsWith('xmlns')) return value.trim();
  }
  return null;
}

export function readCreditDebit(where: Where, parent: XmlElement, required: true): CreditDebit;
export function readCreditDebit(where: Where, parent: XmlElement, required: false): CreditDebit | null;
export function readCreditDebit(where: Where, parent: XmlElement, required: boolean): CreditDebit | null {
  const element = at(parent, 'CdtDbtInd');
  if (!element) {
    if (required) throw missing(where, parent, 'CdtDbtInd', 'credit/debit indicator');
    return null;
  }
  const value = element.text.trim();
  if (value !== 'CRDT' && value !== 'DBIT') throw invalid(where, element, 'the credit/debit indicator', value, 'CRDT or DBIT');
  return value;
}

export function signed(amount: Money | null, creditDebit: CreditDebit): Money | null {
  if (!amount) return null;
  return creditDebit === 'DBIT' ? amount.negate() : amount;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

export interface DateRead {
  /** YYYY-MM-DD */
  readonly date: string;
  /** The DtTm as written, when the bank gave a time. */
  readonly dateTime: string | null;
}

/** Reads a DateAndDateTimeChoice (`Dt` or `DtTm`) element such as BookgDt or Bal/Dt. */
export function readDateChoice(where: Where, element: XmlElement | null, what: string): DateRead | null {
  if (!element) return null;
  const dt = at(element, 'Dt');
  if (dt) return { date: checkedDate(where, dt, what, DATE), dateTime: null };
  const dtTm = at(element, 'DtTm');
  if (dtTm) return { date: checkedDate(where, dtTm, what, DATE_TIME), dateTime: dtTm.text.trim() };
  throw missing(where, element, `${element.name}/Dt`, what);
}

function checkedDate(where: Where, element: XmlElement, what: string, pattern: RegExp): string {
  const value = element.text.trim();
  const match = pattern.exec(value);
  const date = match ? `${match[1]}-${match[2]}-${match[3]}` : '';
  if (!match || !isCalendarDate(date)) throw invalid(where, element, what, value, pattern === DATE ? 'a date such as 2025-01-31' : 'a date and time such as 2025-01-31T10:00:00');
  return date;
}

function isCalendarDate(date: string): boolean {
  const year = parseInt(date.slice(0, 4), 10);
  const month = parseInt(date.slice(5, 7), 10);
  const day = parseInt(date.slice(8, 10), 10);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

export function readBankTransactionCode(element: XmlElement | null): CamtBankTransactionCode | null {
  if (!element) return null;
  const code: CamtBankTransactionCode = {
    domain: textAt(element, 'Domn', 'Cd'),
    family: textAt(element, 'Domn', 'Fmly', 'Cd'),
    subFamily: textAt(element, 'Domn', 'Fmly', 'SubFmlyCd'),
    proprietaryCode: textAt(element, 'Prtry', 'Cd'),
    proprietaryIssuer: textAt(element, 'Prtry', 'Issr'),
  };
  return Object.values(code).every((v) => v === null) ? null : code;
}

/** `Dbtr/Nm` (.02–.07) or `Dbtr/Pty/Nm` (.08). */
export function partyName(party: XmlElement | null): string | null {
  if (!party) return null;
  return textAt(party, 'Nm') ?? textAt(party, 'Pty', 'Nm');
}

export function readParty(party: XmlElement | null, account: XmlElement | null): CamtParty {
  return {
    name: partyName(party),
    iban: textAt(account, 'Id', 'IBAN'),
    otherAccountId: textAt(account, 'Id', 'Othr', 'Id'),
  };
}
