import { Money } from '../money/money.js';
import { addOneYear, isBusinessDay, isIsoDate, type IsoDate } from '../schedule/index.js';
import { isValidCreditorReference, isValidIban } from '../references/index.js';
import { isEpcIdentifier, isEpcText } from './charset.js';

/**
 * The business rules a pain.001 must meet beyond its XSD, written once and
 * applied to *facts*: the values of the group header, each PmtInf and each
 * payment. The facts come from one of two places, and the rules do not know
 * which:
 * - `validatePain001` reads them back from the bytes of any file (`scan.ts`);
 * - the builder hands over the very strings it writes into the file
 *   (`buildAndValidatePain001Files`), so our own files are checked without
 *   being parsed a second time.
 * Every error names its rule and, when it concerns payments, their EndToEndIds.
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
  | 'address'
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
  /** For an error on a whole PmtInf (its execution date, its debtor account): every payment in it. */
  endToEndIds?: string[];
  paymentInfoId?: string;
  /** Line in the file, when known (errors found in the bytes). */
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
/** Names (Nm) in both versions' SEPA usage: 70 characters. */
export const NAME_MAX = 70;

export interface AddressFacts {
  /** The element holding it, for messages: `Cdtr` or `Dbtr`. */
  owner: string;
  townName?: string;
  country?: string;
  addressLines: number;
}

export interface ReferenceFacts {
  code?: string;
  issuer?: string;
  reference?: string;
}

/** One CdtTrfTxInf as written or read. */
export interface TransactionFacts {
  instructionId?: string;
  endToEndId?: string;
  /** InstdAmt exactly as written, e.g. "720.00". */
  amount?: string;
  currency?: string;
  creditorName?: string;
  creditorIban?: string;
  creditorAddress?: AddressFacts;
  unstructured: readonly string[];
  references: readonly ReferenceFacts[];
  /** Number of Strd elements (a reference without Strd is impossible in both XSDs). */
  structuredCount: number;
}

/** The header of one PmtInf as written or read. */
export interface PaymentInfoFacts {
  paymentInfoId?: string;
  paymentMethod?: string;
  numberOfTransactions?: string;
  controlSum?: string;
  serviceLevel?: string;
  localInstrument?: string;
  executionDate?: string;
  debtorName?: string;
  debtorIban?: string;
  debtorAddress?: AddressFacts;
  chargeBearer?: string;
}

export interface GroupHeaderFacts {
  messageId?: string;
  numberOfTransactions?: string;
  controlSum?: string;
  initiatingPartyName?: string;
}

const READABLE = /[A-Za-z0-9]/;
const COUNTRY = /^[A-Z]{2}$/;

/** Parses a control sum or amount exactly into cents; undefined when it is not a plain decimal with ≤ 2 decimals. */
export function cents(text: string | undefined): bigint | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  // 1–12 digits, then optionally a point and 1–2 digits, checked by hand: this runs for
  // every payment and block; the cents are made by one BigInt of the digits, never a JS number.
  const length = trimmed.length;
  let dot = -1;
  for (let i = 0; i < length; i++) {
    const code = trimmed.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) continue;
    if (code !== 0x2e || dot !== -1) return undefined;
    dot = i;
  }
  const whole = dot === -1 ? length : dot;
  const decimals = dot === -1 ? 0 : length - dot - 1;
  if (whole < 1 || whole > 12 || (dot !== -1 && (decimals < 1 || decimals > 2))) return undefined;
  if (dot === -1) return BigInt(`${trimmed}00`);
  return BigInt(trimmed.slice(0, dot) + trimmed.slice(dot + 1) + (decimals === 1 ? '0' : ''));
}

const MAX_IDS_IN_MESSAGE = 3;

/** "PmtInf X (payments A, B, C and 97 more)": a block error says which payments it stops. */
function blockLabel(paymentInfoId: string | undefined, endToEndIds: readonly string[]): string {
  const block = `PmtInf ${paymentInfoId ?? '(without PmtInfId)'}`;
  if (endToEndIds.length === 0) return block;
  const shown = endToEndIds.slice(0, MAX_IDS_IN_MESSAGE).join(', ');
  const more = endToEndIds.length > MAX_IDS_IN_MESSAGE ? ` and ${endToEndIds.length - MAX_IDS_IN_MESSAGE} more` : '';
  return `${block} (${endToEndIds.length === 1 ? 'payment' : 'payments'} ${shown}${more})`;
}

function label(tx: TransactionFacts): string {
  return `payment ${tx.endToEndId ?? '(without EndToEndId)'}`;
}

/**
 * Collects errors up to a maximum and remembers, for each, the place it was
 * found (a scanned payment or block), so lines can be filled in later.
 */
export class Collector<Place = unknown> {
  readonly errors: Pain001Error[] = [];
  readonly places: (Place | undefined)[] = [];
  constructor(private readonly max: number) {}
  add(error: Pain001Error, place?: Place): void {
    if (this.errors.length < this.max) {
      this.errors.push(error);
      this.places.push(place);
    }
  }
  get full(): boolean {
    return this.errors.length >= this.max;
  }
}

/** State of one validation run: limits, the day, ids seen, and IBAN checks remembered (one landlord, many tenants). */
export class RuleRun<Place = unknown> {
  readonly errors: Collector<Place>;
  readonly latestDate: IsoDate;
  private readonly endToEndIds = new Set<string>();
  private readonly paymentInfoIds = new Set<string>();
  private readonly ibans = new Map<string, boolean>();
  count = 0;
  sum = 0n;

  constructor(readonly options: ValidateOptions) {
    if (!isIsoDate(options.today)) throw new RangeError(`today "${options.today}" is not YYYY-MM-DD`);
    this.errors = new Collector<Place>(options.maxErrors ?? 1000);
    this.latestDate = addOneYear(options.today);
  }

  private ibanOk(iban: string): boolean {
    let ok = this.ibans.get(iban);
    if (ok === undefined) {
      ok = isValidIban(iban);
      this.ibans.set(iban, ok);
    }
    return ok;
  }

  private address(address: AddressFacts | undefined, who: string, ids: Pick<Pain001Error, 'endToEndId' | 'paymentInfoId'>, place: Place | undefined): void {
    if (!address) return;
    if (address.townName === undefined || address.country === undefined) {
      this.errors.add({ rule: 'address', ...ids, message: `${who}: a postal address needs at least a town (TwnNm) and a country (Ctry)` }, place);
    } else if (!COUNTRY.test(address.country)) {
      this.errors.add({ rule: 'address', ...ids, message: `${who}: country "${address.country}" is not an ISO 3166 alpha-2 code` }, place);
    }
  }

  groupHeader(header: GroupHeaderFacts): void {
    if (header.messageId === undefined || !isEpcIdentifier(header.messageId)) {
      this.errors.add({ rule: 'identifier', message: `MsgId "${header.messageId ?? ''}" must be 1–35 SEPA characters without leading, trailing or double "/"` });
    }
    if (header.initiatingPartyName !== undefined && header.initiatingPartyName.length > NAME_MAX) {
      this.errors.add({ rule: 'name_length', message: `initiating party name longer than ${NAME_MAX} characters` });
    }
  }

  /**
   * A text as written: only the EPC set. Which texts are fed in is the source's business: the scan
   * feeds every leaf of the file, the builder every free text it writes (names, remittance, address);
   * its other values are ids, IBANs, codes, amounts and dates, each checked by its own rule.
   */
  text(element: string, value: string, tx?: TransactionFacts, info?: PaymentInfoFacts, place?: Place): void {
    if (isEpcText(value)) return;
    this.errors.add(
      {
        rule: 'epc_characters',
        ...(tx?.endToEndId === undefined ? {} : { endToEndId: tx.endToEndId }),
        ...(info?.paymentInfoId === undefined ? {} : { paymentInfoId: info.paymentInfoId }),
        message: `${tx ? `${label(tx)}: ` : ''}${element} "${value}" holds characters outside the SEPA set (a–z A–Z 0–9 / - ? : ( ) . , ' + space)`,
      },
      place,
    );
  }

  /** An error on a whole PmtInf: names the block and its payments. */
  private blockError(rule: Pain001Rule, message: string, info: PaymentInfoFacts, endToEndIds: readonly string[], place: Place | undefined): void {
    this.errors.add(
      {
        rule,
        ...(info.paymentInfoId === undefined ? {} : { paymentInfoId: info.paymentInfoId }),
        endToEndIds: [...endToEndIds],
        message: `${blockLabel(info.paymentInfoId, endToEndIds)}: ${message}`,
      },
      place,
    );
  }

  /** The header of a PmtInf; `endToEndIds` are its payments, named in its errors. */
  paymentInfo(info: PaymentInfoFacts, endToEndIds: readonly string[], place?: Place): void {
    const add = (rule: Pain001Rule, message: string): void => this.blockError(rule, message, info, endToEndIds, place);
    if (info.paymentInfoId !== undefined) {
      if (!isEpcIdentifier(info.paymentInfoId)) add('identifier', 'PmtInfId must be 1–35 SEPA characters without leading, trailing or double "/"');
      if (this.paymentInfoIds.has(info.paymentInfoId)) add('duplicate_id', `PmtInfId ${info.paymentInfoId} occurs more than once`);
      this.paymentInfoIds.add(info.paymentInfoId);
    }
    if (info.paymentMethod !== 'TRF') add('payment_method', 'PmtMtd must be TRF');
    if (info.serviceLevel !== 'SEPA') add('service_level', 'SvcLvl/Cd must be SEPA');
    if (info.chargeBearer !== 'SLEV') add('charge_bearer', 'ChrgBr must be SLEV');
    if (info.debtorIban === undefined || !this.ibanOk(info.debtorIban)) add('iban', `debtor IBAN ${info.debtorIban ?? '(missing)'} has a wrong checksum or length`);
    if (info.debtorName !== undefined && info.debtorName.length > NAME_MAX) add('name_length', `debtor name longer than ${NAME_MAX} characters`);
    if (info.debtorAddress) {
      this.address(info.debtorAddress, blockLabel(info.paymentInfoId, endToEndIds), { ...(info.paymentInfoId === undefined ? {} : { paymentInfoId: info.paymentInfoId }) }, place);
    }

    const date = info.executionDate;
    const instant = info.localInstrument === 'INST';
    if (date === undefined || !isIsoDate(date)) add('execution_date', `execution date "${date ?? ''}" is not a date`);
    else if (!instant && !isBusinessDay(date)) add('execution_date', `execution date ${date} is not a TARGET2 business day`);
    else if (date < this.options.today) add('execution_date', `execution date ${date} lies before today (${this.options.today})`);
    else if (date > this.latestDate) add('execution_date', `execution date ${date} lies more than one year ahead (after ${this.latestDate})`);
  }

  /** An error on one payment (built only when there is one: this runs 100,000 times per file). */
  private fail(rule: Pain001Rule, message: string, tx: TransactionFacts, info: PaymentInfoFacts, place: Place | undefined): void {
    this.errors.add(
      {
        rule,
        ...(tx.endToEndId === undefined ? {} : { endToEndId: tx.endToEndId }),
        ...(info.paymentInfoId === undefined ? {} : { paymentInfoId: info.paymentInfoId }),
        message: `${label(tx)}: ${message}`,
      },
      place,
    );
  }

  /** One payment; returns its amount in cents when it could be read. */
  transaction(tx: TransactionFacts, info: PaymentInfoFacts, place?: Place): bigint | undefined {
    if (tx.endToEndId !== undefined) {
      if (!isEpcIdentifier(tx.endToEndId)) this.fail('identifier', 'EndToEndId must be 1–35 SEPA characters without leading, trailing or double "/"', tx, info, place);
      if (this.endToEndIds.has(tx.endToEndId)) this.fail('duplicate_id', 'EndToEndId occurs more than once in the file', tx, info, place);
      else this.endToEndIds.add(tx.endToEndId);
    } else this.fail('identifier', 'no EndToEndId', tx, info, place);
    if (tx.instructionId !== undefined && tx.instructionId !== tx.endToEndId && !isEpcIdentifier(tx.instructionId)) {
      this.fail('identifier', `InstrId "${tx.instructionId}" must be 1–35 SEPA characters without leading, trailing or double "/"`, tx, info, place);
    }

    const amount = cents(tx.amount);
    if (tx.amount === undefined) this.fail('amount_decimals', 'no amount', tx, info, place);
    else if (amount === undefined) this.fail('amount_decimals', `amount "${tx.amount}" must be euros with at most two decimals`, tx, info, place);
    else if (amount <= 0n || amount > MAX_AMOUNT_CENTS) this.fail('amount_range', `amount ${tx.amount} must be between 0.01 and 999999999.99`, tx, info, place);
    if (tx.currency !== 'EUR') this.fail('currency', `currency "${tx.currency ?? ''}" must be EUR`, tx, info, place);

    if (tx.creditorIban === undefined) this.fail('creditor_account', 'no creditor account (CdtrAcct/Id/IBAN)', tx, info, place);
    else if (!this.ibanOk(tx.creditorIban)) this.fail('iban', `creditor IBAN ${tx.creditorIban} has a wrong checksum or length`, tx, info, place);
    if (tx.creditorName === undefined || !READABLE.test(tx.creditorName)) this.fail('creditor_name', 'no readable creditor name', tx, info, place);
    else if (tx.creditorName.length > NAME_MAX) this.fail('name_length', `creditor name longer than ${NAME_MAX} characters`, tx, info, place);
    if (tx.creditorAddress) {
      this.address(tx.creditorAddress, label(tx), { ...(tx.endToEndId === undefined ? {} : { endToEndId: tx.endToEndId }), ...(info.paymentInfoId === undefined ? {} : { paymentInfoId: info.paymentInfoId }) }, place);
    }

    const remittances = tx.unstructured.length + tx.structuredCount;
    if (remittances > 1) this.fail('remittance', `SEPA allows one remittance, either unstructured or structured, not ${remittances}`, tx, info, place);
    for (const ref of tx.references) {
      if (ref.code !== 'SCOR') this.fail('structured_reference', `structured reference type must be SCOR, got "${ref.code ?? ''}"`, tx, info, place);
      else if (ref.issuer !== 'CUR' && ref.issuer !== 'ISO') {
        this.fail('structured_reference', `structured reference issuer must be CUR (betalingskenmerk) or ISO (RF), got "${ref.issuer ?? ''}"`, tx, info, place);
      } else if (ref.reference === undefined || !isValidCreditorReference(ref.issuer, ref.reference)) {
        const kind = ref.issuer === 'CUR' ? 'betalingskenmerk (16 digits, check digit first)' : 'RF creditor reference (ISO 11649, mod 97)';
        this.fail('structured_reference', `"${ref.reference ?? ''}" is not a valid ${kind}`, tx, info, place);
      }
    }
    return amount;
  }

  /** NbOfTxs and CtrlSum of a PmtInf against its payments, recomputed from integer cents. */
  paymentInfoTotals(info: PaymentInfoFacts, endToEndIds: readonly string[], count: number, sum: bigint, readable: boolean, place?: Place): void {
    if (info.numberOfTransactions !== String(count)) {
      this.blockError('number_of_transactions', `NbOfTxs says ${info.numberOfTransactions ?? '(missing)'}, the block holds ${count}`, info, endToEndIds, place);
    }
    const stated = cents(info.controlSum);
    if (stated === undefined) {
      this.blockError('control_sum', `CtrlSum "${info.controlSum ?? '(missing)'}" is missing or not an amount with at most two decimals`, info, endToEndIds, place);
    } else if (readable && stated !== sum) {
      this.blockError('control_sum', `CtrlSum says ${info.controlSum}, the payments add up to ${Money.fromCents(sum).toString()}`, info, endToEndIds, place);
    }
    this.count += count;
    this.sum += sum;
  }

  /** NbOfTxs and CtrlSum of the group header against all payments. */
  groupTotals(header: GroupHeaderFacts): void {
    if (header.numberOfTransactions !== String(this.count)) {
      this.errors.add({ rule: 'number_of_transactions', message: `group header NbOfTxs says ${header.numberOfTransactions ?? '(missing)'}, the file holds ${this.count} payments` });
    }
    const stated = cents(header.controlSum);
    if (stated === undefined) {
      this.errors.add({ rule: 'control_sum', message: `group header CtrlSum "${header.controlSum ?? '(missing)'}" is missing or not an amount with at most two decimals` });
    } else if (stated !== this.sum) {
      this.errors.add({ rule: 'control_sum', message: `group header CtrlSum says ${header.controlSum}, the payments add up to ${Money.fromCents(this.sum).toString()}` });
    }
  }
}
