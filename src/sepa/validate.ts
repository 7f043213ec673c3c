import { createHash } from 'node:crypto';
import { Money } from '../money/money.js';
import { addOneYear, isBusinessDay, isIsoDate, type IsoDate } from '../schedule/index.js';
import { validateXml, type SchemaName } from '../xml/xsd.js';
import { isValidIban } from '../references/index.js';
import { NAME_MAX } from './build.js';
import { isEpcIdentifier, isEpcText } from './charset.js';
import { isValidCreditorReference } from '../references/index.js';
import { assignLines, scanPain001, type ScannedPain001, type ScannedPaymentInfo, type ScannedTransaction } from './scan.js';
import type { Pain001Version } from './types.js';

/**
 * The gate before a pain.001 file may be released: the official XSD **and**
 * the business rules the XSD does not enforce (the ISO .03 schema accepts five
 * decimals and a missing creditor account). Every error names its rule and,
 * when it concerns one payment, that payment's EndToEndId.
 */

export type Pain001Rule =
  | 'xsd'
  | 'encoding'
  | 'namespace'
  | 'amount_decimals'
  | 'amount_range'
  | 'currency'
  | 'creditor_account'
  | 'creditor_name'
  | 'iban'
  | 'number_of_transactions'
  | 'control_sum'
  | 'execution_date'
  | 'epc_characters'
  | 'identifier'
  | 'duplicate_id'
  | 'name_length'
  | 'remittance'
  | 'structured_reference'
  | 'service_level'
  | 'charge_bearer'
  | 'payment_method';

export interface Pain001Error {
  rule: Pain001Rule;
  message: string;
  /** The payment concerned; absent for errors on the group header or a whole PmtInf. */
  endToEndId?: string;
  paymentInfoId?: string;
  /** Line in the file, when known. */
  line?: number;
}

export interface Pain001Validation {
  valid: boolean;
  errors: Pain001Error[];
  /** SHA-256 of the UTF-8 bytes, lower-case hex. */
  sha256: string;
  numberOfTransactions: number;
  /** Sum of all payment amounts that could be read, from integer cents. */
  controlSum: Money;
}

export interface ValidateOptions {
  /** The day the file is checked (Europe/Amsterdam); execution dates may lie from today up to one year ahead. */
  today: IsoDate;
  /** Stop collecting after this many errors (default 1,000); `valid` is false either way. */
  maxErrors?: number;
}

/** SEPA's largest amount per payment. */
export const MAX_AMOUNT_CENTS = 99_999_999_999n;
const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
const SCHEMA: Record<Pain001Version, SchemaName> = { '03': 'pain.001.001.03', '09': 'pain.001.001.09' };

class Collector {
  readonly errors: Pain001Error[] = [];
  /** The payment or block of each error, to fill in its line once lines are counted. */
  readonly places: (ScannedTransaction | ScannedPaymentInfo | undefined)[] = [];
  constructor(private readonly max: number) {}
  add(tx: ScannedTransaction | undefined, info: ScannedPaymentInfo | undefined, error: Pain001Error): void {
    if (this.errors.length < this.max) {
      this.errors.push({ ...where(tx, info), ...error });
      this.places.push(tx ?? info);
    }
  }

  /** Lines are counted only when there is something to report. */
  fillLines(xml: string, doc: ScannedPain001): void {
    if (this.errors.length === 0) return;
    assignLines(xml, doc);
    this.errors.forEach((error, n) => {
      const place = this.places[n];
      if (error.line === undefined && place) error.line = place.line;
    });
  }
  get full(): boolean {
    return this.errors.length >= this.max;
  }
}

function where(tx: ScannedTransaction | undefined, info: ScannedPaymentInfo | undefined): Pick<Pain001Error, 'endToEndId' | 'paymentInfoId'> {
  return {
    ...(tx?.endToEndId === undefined ? {} : { endToEndId: tx.endToEndId }),
    ...(info?.paymentInfoId === undefined ? {} : { paymentInfoId: info.paymentInfoId }),
  };
}

function label(tx: ScannedTransaction): string {
  return `payment ${tx.endToEndId ?? '(without EndToEndId)'}`;
}

/** Parses a control sum or amount exactly into cents; undefined when it is not a plain decimal with ≤ 2 decimals. */
function cents(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!AMOUNT.test(trimmed)) return undefined;
  const dot = trimmed.indexOf('.');
  if (dot === -1) return BigInt(trimmed) * 100n;
  const fraction = trimmed.slice(dot + 1);
  return BigInt(trimmed.slice(0, dot)) * 100n + BigInt(fraction.length === 1 ? `${fraction}0` : fraction);
}

/** IBAN checks repeat (one landlord, many tenants): remembered per validation run. */
type IbanCache = Map<string, boolean>;
function ibanOk(iban: string, cache: IbanCache): boolean {
  let ok = cache.get(iban);
  if (ok === undefined) {
    ok = isValidIban(iban);
    cache.set(iban, ok);
  }
  return ok;
}

function checkTransaction(tx: ScannedTransaction, info: ScannedPaymentInfo, errors: Collector, seen: Set<string>, ibans: IbanCache): bigint | undefined {
  if (tx.endToEndId !== undefined) {
    if (!isEpcIdentifier(tx.endToEndId)) errors.add(tx, info, { rule: 'identifier', message: `${label(tx)}: EndToEndId must be 1–35 SEPA characters without leading, trailing or double "/"` });
    if (seen.has(tx.endToEndId)) errors.add(tx, info, { rule: 'duplicate_id', message: `${label(tx)}: EndToEndId occurs more than once in the file` });
    seen.add(tx.endToEndId);
  }
  if (tx.instructionId !== undefined && !isEpcIdentifier(tx.instructionId)) {
    errors.add(tx, info, { rule: 'identifier', message: `${label(tx)}: InstrId "${tx.instructionId}" must be 1–35 SEPA characters without leading, trailing or double "/"` });
  }

  const amount = cents(tx.amount);
  if (tx.amount === undefined) errors.add(tx, info, { rule: 'amount_decimals', message: `${label(tx)}: no amount` });
  else if (amount === undefined) {
    errors.add(tx, info, { rule: 'amount_decimals', message: `${label(tx)}: amount "${tx.amount}" must be euros with at most two decimals` });
  } else {
    if (amount <= 0n || amount > MAX_AMOUNT_CENTS) {
      errors.add(tx, info, { rule: 'amount_range', message: `${label(tx)}: amount ${tx.amount} must be between 0.01 and 999999999.99` });
    }
  }
  if (tx.currency !== 'EUR') errors.add(tx, info, { rule: 'currency', message: `${label(tx)}: currency "${tx.currency ?? ''}" must be EUR` });

  if (tx.creditorIban === undefined) errors.add(tx, info, { rule: 'creditor_account', message: `${label(tx)}: no creditor account (CdtrAcct/Id/IBAN)` });
  else if (!ibanOk(tx.creditorIban, ibans)) errors.add(tx, info, { rule: 'iban', message: `${label(tx)}: creditor IBAN ${tx.creditorIban} has a wrong checksum or length` });
  if (tx.creditorName === undefined || !/[A-Za-z0-9]/.test(tx.creditorName)) errors.add(tx, info, { rule: 'creditor_name', message: `${label(tx)}: no readable creditor name` });
  else if (tx.creditorName.length > NAME_MAX) errors.add(tx, info, { rule: 'name_length', message: `${label(tx)}: creditor name longer than ${NAME_MAX} characters` });

  if (tx.unstructured.length + tx.structuredCount > 1) {
    errors.add(tx, info, { rule: 'remittance', message: `${label(tx)}: SEPA allows one remittance, either unstructured or structured, not ${tx.unstructured.length + tx.structuredCount}` });
  }
  for (const ref of tx.references) {
    if (ref.code !== 'SCOR') errors.add(tx, info, { rule: 'structured_reference', message: `${label(tx)}: structured reference type must be SCOR, got "${ref.code ?? ''}"` });
    else if (ref.issuer !== 'CUR' && ref.issuer !== 'ISO') {
      errors.add(tx, info, { rule: 'structured_reference', message: `${label(tx)}: structured reference issuer must be CUR (betalingskenmerk) or ISO (RF), got "${ref.issuer ?? ''}"` });
    } else if (ref.reference === undefined || !isValidCreditorReference(ref.issuer, ref.reference)) {
      const kind = ref.issuer === 'CUR' ? 'betalingskenmerk (16 digits, check digit first)' : 'RF creditor reference (ISO 11649, mod 97)';
      errors.add(tx, info, { rule: 'structured_reference', message: `${label(tx)}: "${ref.reference ?? ''}" is not a valid ${kind}` });
    }
  }
  return amount;
}

function checkPaymentInfo(info: ScannedPaymentInfo, options: ValidateOptions, errors: Collector, seenE2e: Set<string>, ibans: IbanCache): { count: number; sum: bigint } {
  const block = `PmtInf ${info.paymentInfoId ?? '(without PmtInfId)'}`;
  if (info.paymentInfoId !== undefined && !isEpcIdentifier(info.paymentInfoId)) {
    errors.add(undefined, info, { rule: 'identifier', message: `${block}: PmtInfId must be 1–35 SEPA characters without leading, trailing or double "/"` });
  }
  if (info.paymentMethod !== 'TRF') errors.add(undefined, info, { rule: 'payment_method', message: `${block}: PmtMtd must be TRF` });
  if (info.serviceLevel !== 'SEPA') errors.add(undefined, info, { rule: 'service_level', message: `${block}: SvcLvl/Cd must be SEPA` });
  if (info.chargeBearer !== 'SLEV') errors.add(undefined, info, { rule: 'charge_bearer', message: `${block}: ChrgBr must be SLEV` });
  if (info.debtorIban === undefined || !ibanOk(info.debtorIban, ibans)) {
    errors.add(undefined, info, { rule: 'iban', message: `${block}: debtor IBAN ${info.debtorIban ?? '(missing)'} has a wrong checksum or length` });
  }
  if (info.debtorName !== undefined && info.debtorName.length > NAME_MAX) errors.add(undefined, info, { rule: 'name_length', message: `${block}: debtor name longer than ${NAME_MAX} characters` });

  const date = info.executionDate;
  const instant = info.localInstrument === 'INST';
  const latest = addOneYear(options.today);
  if (date === undefined || !isIsoDate(date)) errors.add(undefined, info, { rule: 'execution_date', message: `${block}: execution date "${date ?? ''}" is not a date` });
  else if (!instant && !isBusinessDay(date)) errors.add(undefined, info, { rule: 'execution_date', message: `${block}: execution date ${date} is not a TARGET2 business day` });
  else if (date < options.today) errors.add(undefined, info, { rule: 'execution_date', message: `${block}: execution date ${date} lies before today (${options.today})` });
  else if (date > latest) errors.add(undefined, info, { rule: 'execution_date', message: `${block}: execution date ${date} lies more than one year ahead (after ${latest})` });

  let sum = 0n;
  let readable = true;
  for (const tx of info.transactions) {
    const amount = checkTransaction(tx, info, errors, seenE2e, ibans);
    if (amount === undefined) readable = false;
    else sum += amount;
  }
  const count = info.transactions.length;
  if (info.numberOfTransactions !== String(count)) {
    errors.add(undefined, info, { rule: 'number_of_transactions', message: `${block}: NbOfTxs says ${info.numberOfTransactions ?? '(missing)'}, the block holds ${count}` });
  }
  const stated = cents(info.controlSum);
  if (stated === undefined) errors.add(undefined, info, { rule: 'control_sum', message: `${block}: CtrlSum "${info.controlSum ?? '(missing)'}" is missing or not an amount with at most two decimals` });
  else if (readable && stated !== sum) {
    errors.add(undefined, info, { rule: 'control_sum', message: `${block}: CtrlSum says ${info.controlSum}, the payments add up to ${Money.fromCents(sum).toString()}` });
  }
  return { count, sum };
}

type Located = { tx: ScannedTransaction; info: ScannedPaymentInfo };

/** The payment whose lines contain `line` (transactions are in file order). */
function paymentAtLine(transactions: Located[], line: number): Located | undefined {
  let low = 0;
  let high = transactions.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const candidate = transactions[mid] as Located;
    if (line < candidate.tx.line) high = mid - 1;
    else if (line > candidate.tx.endLine) low = mid + 1;
    else return candidate;
  }
  return undefined;
}

/**
 * Validates a pain.001 file for release: the XSD of `version` and our business
 * rules. Also returns the file's SHA-256, for display at approval.
 */
export function validatePain001(xml: string, version: Pain001Version, options: ValidateOptions): Pain001Validation {
  if (!isIsoDate(options.today)) throw new RangeError(`today "${options.today}" is not YYYY-MM-DD`);
  const errors = new Collector(options.maxErrors ?? 1000);
  // Encoded once: the hash is over these bytes, and libxml2 parses them.
  const bytes = Buffer.from(xml, 'utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (xml.charCodeAt(0) === 0xfeff) errors.add(undefined, undefined, { rule: 'encoding', message: 'the file starts with a byte order mark; SEPA files are UTF-8 without BOM', line: 1 });

  // The XSD first, while the scan's objects do not exist yet: libxml2 growing its wasm memory makes V8
  // collect garbage, and that costs in proportion to the live JS heap.
  const xsd = validateXml(bytes, SCHEMA[version]);
  const doc = scanPain001(xml);
  if (!xsd.valid) assignLines(xml, doc);
  const transactions: Located[] = xsd.valid ? [] : doc.paymentInfos.flatMap((info) => info.transactions.map((tx) => ({ tx, info })));
  for (const problem of xsd.errors) {
    // An XSD error inside a payment is attributed to it, so the message names the payment.
    const hit = paymentAtLine(transactions, problem.line);
    errors.add(hit?.tx, hit?.info, { rule: 'xsd', line: problem.line, message: `${hit ? `${label(hit.tx)}: ` : ''}XSD: ${problem.message}` });
  }

  const expectedNamespace = `urn:iso:std:iso:20022:tech:xsd:${SCHEMA[version]}`;
  if (doc.rootNamespace !== expectedNamespace) {
    errors.add(undefined, undefined, { rule: 'namespace', message: `the document's namespace "${doc.rootNamespace ?? ''}" is not ${expectedNamespace}`, line: 1 });
  }
  if (doc.messageId === undefined || !isEpcIdentifier(doc.messageId)) {
    errors.add(undefined, undefined, { rule: 'identifier', message: `MsgId "${doc.messageId ?? ''}" must be 1–35 SEPA characters without leading, trailing or double "/"` });
  }
  if (doc.initiatingPartyName !== undefined && doc.initiatingPartyName.length > NAME_MAX) {
    errors.add(undefined, undefined, { rule: 'name_length', message: `initiating party name longer than ${NAME_MAX} characters` });
  }

  const seenE2e = new Set<string>();
  const seenBlocks = new Set<string>();
  const ibans: IbanCache = new Map();
  let count = 0;
  let sum = 0n;
  for (const info of doc.paymentInfos) {
    if (info.paymentInfoId !== undefined) {
      if (seenBlocks.has(info.paymentInfoId)) errors.add(undefined, info, { rule: 'duplicate_id', message: `PmtInfId ${info.paymentInfoId} occurs more than once` });
      seenBlocks.add(info.paymentInfoId);
    }
    const block = checkPaymentInfo(info, options, errors, seenE2e, ibans);
    count += block.count;
    sum += block.sum;
  }

  if (doc.numberOfTransactions !== String(count)) {
    errors.add(undefined, undefined, { rule: 'number_of_transactions', message: `group header NbOfTxs says ${doc.numberOfTransactions ?? '(missing)'}, the file holds ${count} payments` });
  }
  const stated = cents(doc.controlSum);
  if (stated === undefined) errors.add(undefined, undefined, { rule: 'control_sum', message: `group header CtrlSum "${doc.controlSum ?? '(missing)'}" is missing or not an amount with at most two decimals` });
  else if (stated !== sum) errors.add(undefined, undefined, { rule: 'control_sum', message: `group header CtrlSum says ${doc.controlSum}, the payments add up to ${Money.fromCents(sum).toString()}` });

  for (const text of doc.texts) {
    if (errors.full) break;
    if (isEpcText(text.value)) continue;
    const tx = text.transaction;
    errors.add(tx, text.paymentInfo, {
      rule: 'epc_characters',
      message: `${tx ? `${label(tx)}: ` : ''}${text.element} "${text.value}" holds characters outside the SEPA set (a–z A–Z 0–9 / - ? : ( ) . , ' + space)`,
    });
  }

  errors.fillLines(xml, doc);
  return { valid: errors.errors.length === 0, errors: errors.errors, sha256, numberOfTransactions: count, controlSum: Money.fromCents(sum) };
}
