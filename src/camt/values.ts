import { CURRENCY, Money } from '../money/money.js';
import { firstRecord, startOf, text as textAt, type Captured } from './capture.js';
import { CamtError, type CamtProblem, type CamtProblemCode, type CamtProblemSeverity } from './errors.js';
import { BANK_TRANSACTION_CODE as BTC } from './schema.js';
import type { CamtBankTransactionCode, CamtParty, CreditDebit } from './types.js';
import type { LineIndex, XmlScanner } from './xml-reader.js';

/**
 * Reading single values: amounts, dates, indicators, codes, parties. A value
 * that cannot mean anything (a date "2025-13-40", an amount "1,00") refuses
 * the file; a value that is readable but must not be booked as it is (another
 * currency, three significant decimals) becomes a problem on its entry.
 */

/**
 * Where the reader is, for messages a back-office user can follow to the file.
 * One per read, moved along as statements, entries and details are read (no
 * object per entry); a problem copies what it needs.
 */
export class Where {
  statementIndex = 0;
  statementId: string | null = null;
  /** -1 outside an entry. */
  entryIndex = -1;
  /** -1 outside a transaction detail. */
  detailIndex = -1;

  constructor(
    readonly lines: LineIndex,
    private readonly scanner: XmlScanner,
  ) {}

  line(offset: number): number {
    return this.lines.line(offset);
  }

  /** The element name as written (with prefix) of the start tag at `offset`. */
  qnameAt(offset: number): string {
    const bytes = this.scanner.buffer;
    let end = offset + 1;
    while (end < bytes.length && !isNameEnd(bytes[end]!)) end++;
    return bytes.toString('utf8', offset + 1, end);
  }
}

function isNameEnd(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d || code === 0x3e || code === 0x2f;
}

/** "statement 1 ("S1"), entry 2, transaction detail 1, line 40". */
export function describe(where: Where, start?: number): string {
  let text = `statement ${where.statementIndex + 1}${where.statementId ? ` ("${where.statementId}")` : ''}`;
  if (where.entryIndex >= 0) text += `, entry ${where.entryIndex + 1}`;
  if (where.detailIndex >= 0) text += `, transaction detail ${where.detailIndex + 1}`;
  if (start !== undefined) text += `, line ${where.line(start)}`;
  return text;
}

export function problemAt(code: CamtProblemCode, severity: CamtProblemSeverity, message: string, where: Where, start: number | null): CamtProblem {
  const problem: { -readonly [K in keyof CamtProblem]: CamtProblem[K] } = {
    code,
    severity,
    message,
    line: start === null ? null : where.line(start),
    statementIndex: where.statementIndex,
  };
  if (where.entryIndex >= 0) problem.entryIndex = where.entryIndex;
  if (where.detailIndex >= 0) problem.detailIndex = where.detailIndex;
  return problem;
}

/** The file lacks something every statement or entry needs; `parentStart` is the element it should be in. */
export function missing(where: Where, parentStart: number, path: string, what: string): CamtError {
  const line = where.line(parentStart);
  return new CamtError('missing_field', `${capitalise(describe(where))} (line ${line}) has no ${what} (${path}).`, { line, element: path });
}

export function invalid(where: Where, start: number, what: string, value: string, expected: string): CamtError {
  const line = where.line(start);
  return new CamtError('invalid_value', `${capitalise(describe(where))} (line ${line}): ${what} "${value}" is not ${expected}.`, {
    line,
    element: where.qnameAt(start),
  });
}

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export interface AmountRead {
  readonly amount: Money | null;
  readonly text: string;
  readonly currency: string;
  readonly problem: CamtProblem | null;
}

/**
 * Reads an `Amt`-like element (present at `slot`) with its `Ccy` attribute at `currencySlot`.
 * `name` is its local name, for messages.
 */
export function readAmount(where: Where, record: Captured, slot: number, currencySlot: number, name: string, what: string): AmountRead {
  const start = startOf(record, slot);
  const text = textAt(record, slot) ?? '';
  if (text === '') throw invalid(where, start, what, text, 'an amount such as 123.45');
  const cents = exactCents(text);
  if (cents === NOT_DECIMAL) throw invalid(where, start, what, text, 'a decimal amount such as 123.45 (digits, a point, no sign)');
  // Set when the element opened (the element is present here), so never left from an earlier record.
  const written = record.values[currencySlot];
  if (written === undefined) throw missing(where, start, `${name}/@Ccy`, `currency of the ${what}`);
  if (written !== CURRENCY) {
    const problem = problemAt(
      'unsupported_currency',
      'error',
      `${capitalise(describe(where, start))}: the ${what} ${text} is in ${written}; only EUR is booked, so this is left for a person.`,
      where,
      start,
    );
    return { amount: null, text, currency: written ?? '', problem };
  }
  if (cents === TOO_PRECISE) {
    const problem = problemAt(
      'amount_too_precise',
      'error',
      `${capitalise(describe(where, start))}: the ${what} ${text} has more than two significant decimals; it is not rounded, so this is left for a person.`,
      where,
      start,
    );
    return { amount: null, text, currency: CURRENCY, problem };
  }
  return { amount: Money.fromCents(cents), text, currency: CURRENCY, problem: null };
}

const NOT_DECIMAL = -1n;
const TOO_PRECISE = -2n;

/**
 * Cents of a plain non-negative decimal ("123.45", "01.00", "12.300"), exactly: digits are
 * checked one by one and the cents made by one BigInt from the digit string, never a JS number.
 * Gives NOT_DECIMAL for anything else and TOO_PRECISE for more than two significant decimals,
 * the rule of `Money.parse` (tests/camt/amounts-and-balances.test.ts holds the two together).
 */
function exactCents(text: string): bigint {
  const length = text.length;
  let point = -1;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) continue;
    if (c === 0x2e && point === -1 && i > 0 && i < length - 1) {
      point = i;
      continue;
    }
    return NOT_DECIMAL;
  }
  if (point === -1) return BigInt(text) * 100n;
  let end = length;
  while (end > point + 1 && text.charCodeAt(end - 1) === 0x30) end--;
  const decimals = end - point - 1;
  if (decimals > 2) return TOO_PRECISE;
  const whole = text.slice(0, point);
  if (decimals === 2) return BigInt(whole + text.slice(point + 1, point + 3));
  if (decimals === 1) return BigInt(whole + text.charAt(point + 1) + '0');
  return BigInt(whole) * 100n;
}

/** Reads a required or optional CdtDbtInd at `slot`; `parentStart` for the message when it is missing. */
export function readCreditDebit(where: Where, record: Captured, slot: number, required: true): CreditDebit;
export function readCreditDebit(where: Where, record: Captured, slot: number, required: false): CreditDebit | null;
export function readCreditDebit(where: Where, record: Captured, slot: number, required: boolean): CreditDebit | null {
  const start = startOf(record, slot);
  if (start < 0) {
    if (required) throw missing(where, record.start, 'CdtDbtInd', 'credit/debit indicator');
    return null;
  }
  const value = textAt(record, slot) ?? '';
  if (value === 'CRDT') return 'CRDT';
  if (value === 'DBIT') return 'DBIT';
  throw invalid(where, start, 'the credit/debit indicator', value, 'CRDT or DBIT');
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

/** The last dates read: a statement's entries mostly share one or two, so their strings are shared too. */
let lastDateText = '';
let lastDate: DateRead | null = null;

/**
 * Reads a DateAndDateTimeChoice (`Dt` or `DtTm`) element such as BookgDt or Bal/Dt: present at `slot`,
 * with its children at `dtSlot` and `dtTmSlot`. `name` is its local name, for messages.
 */
export function readDateChoice(where: Where, record: Captured, slot: number, dtSlot: number, dtTmSlot: number, name: string, what: string): DateRead | null {
  const start = startOf(record, slot);
  if (start < 0) return null;
  const dt = startOf(record, dtSlot);
  if (dt >= 0) {
    const value = textAt(record, dtSlot) ?? '';
    if (value === lastDateText && lastDate !== null) return lastDate;
    const date = checkedDate(where, dt, value, what, DATE);
    lastDateText = value;
    lastDate = { date, dateTime: null };
    return lastDate;
  }
  const dtTm = startOf(record, dtTmSlot);
  if (dtTm >= 0) {
    const value = textAt(record, dtTmSlot) ?? '';
    return { date: checkedDate(where, dtTm, value, what, DATE_TIME), dateTime: value };
  }
  throw missing(where, start, `${name}/Dt`, what);
}

function checkedDate(where: Where, start: number, value: string, what: string, pattern: RegExp): string {
  const match = pattern.exec(value);
  const date = match ? (match[0].length === 10 ? value : `${match[1]}-${match[2]}-${match[3]}`) : '';
  if (!match || !isCalendarDate(date)) throw invalid(where, start, what, value, pattern === DATE ? 'a date such as 2025-01-31' : 'a date and time such as 2025-01-31T10:00:00');
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

/** Codes are few per file: one frozen record per distinct code, shared by every entry that has it. */
const codeCache = new Map<string, CamtBankTransactionCode>();
let lastCode: CamtBankTransactionCode | null = null;

export function readBankTransactionCode(code: Captured | null): CamtBankTransactionCode | null {
  if (!code) return null;
  const domain = textAt(code, BTC.value['Domn/Cd']);
  const family = textAt(code, BTC.value['Domn/Fmly/Cd']);
  const subFamily = textAt(code, BTC.value['Domn/Fmly/SubFmlyCd']);
  const proprietaryCode = textAt(code, BTC.value['Prtry/Cd']);
  const proprietaryIssuer = textAt(code, BTC.value['Prtry/Issr']);
  if (domain === null && family === null && subFamily === null && proprietaryCode === null && proprietaryIssuer === null) return null;
  const last = lastCode;
  if (
    last !== null &&
    last.domain === domain &&
    last.family === family &&
    last.subFamily === subFamily &&
    last.proprietaryCode === proprietaryCode &&
    last.proprietaryIssuer === proprietaryIssuer
  ) {
    return last;
  }
  // U+0001 cannot occur in XML text, so it stands for "absent" without clashing with any code.
  const key = `${domain ?? '\u0001'}\u0000${family ?? '\u0001'}\u0000${subFamily ?? '\u0001'}\u0000${proprietaryCode ?? '\u0001'}\u0000${proprietaryIssuer ?? '\u0001'}`;
  let shared = codeCache.get(key);
  if (shared === undefined) {
    shared = Object.freeze({ domain, family, subFamily, proprietaryCode, proprietaryIssuer });
    if (codeCache.size >= 1000) codeCache.clear();
    codeCache.set(key, shared);
  }
  lastCode = shared;
  return shared;
}

/** The first bank transaction code at a sub-record slot. */
export function bankTransactionCodeAt(record: Captured, slot: number): CamtBankTransactionCode | null {
  return readBankTransactionCode(firstRecord(record, slot));
}

const NO_PARTY: CamtParty = Object.freeze({ name: null, iban: null, otherAccountId: null });

/**
 * Counterparty names and IBANs repeat across a statement (the SVB, the Belastingdienst, the
 * municipality itself): one string each is kept, not one per entry. Bounded, so a file of
 * all-different names costs a lookup per value and nothing more.
 */
const shared = new Map<string, string>();

function sharedText(value: string | null): string | null {
  if (value === null) return null;
  const known = shared.get(value);
  if (known !== undefined) return known;
  if (shared.size >= 10_000) shared.clear();
  shared.set(value, value);
  return value;
}

/** `Nm` (.02–.07) or `Pty/Nm` (.08) and the account's IBAN or other id. */
export function readParty(record: Captured, name: number, partyName: number, iban: number, other: number): CamtParty {
  const party = {
    name: sharedText(textAt(record, name) ?? textAt(record, partyName)),
    iban: sharedText(textAt(record, iban)),
    otherAccountId: textAt(record, other),
  };
  return party.name === null && party.iban === null && party.otherAccountId === null ? NO_PARTY : party;
}
