import { CamtError } from '../camt/errors.js';
import { decodeToUtf8 } from '../camt/decode.js';
import { LineIndex, XmlSyntaxError, readXml, type XmlElement } from '../camt/xml-reader.js';

/**
 * Reads the bank's Customer Payment Status Report (pain.002.001.03 and .001.10) about one of our
 * pain.001 files into a typed report: the status of the whole file, of each payment-information
 * block, of each payment, with the bank's reason codes. Pure: bytes in, a report or a
 * `Pain002Error` out. What the statuses mean for our payments is decided in `payments/`.
 *
 * Read with the project's own strict XML reader (no DTDs, no entities beyond XML's five, size
 * limit), never with a parser that resolves entities: the file comes from outside.
 */

export const PAIN002_NAMESPACES = {
  '03': 'urn:iso:std:iso:20022:tech:xsd:pain.002.001.03',
  '10': 'urn:iso:std:iso:20022:tech:xsd:pain.002.001.10',
} as const;
export type Pain002Version = keyof typeof PAIN002_NAMESPACES;

/**
 * The status codes of ISO 20022's ExternalPaymentGroupStatus/TransactionStatus lists a bank sends
 * for a credit transfer. Only RJCT refuses money; PART says "some of the payments below were refused".
 */
const MEANING = {
  RCVD: 'pending',
  PDNG: 'pending',
  ACTC: 'accepted',
  ACCP: 'accepted',
  ACWC: 'accepted',
  ACWP: 'accepted',
  ACSP: 'accepted',
  ACSC: 'accepted',
  ACCC: 'accepted',
  ACFC: 'accepted',
  ACPD: 'accepted',
  PART: 'partial',
  RJCT: 'rejected',
} as const;
export type PaymentStatusCode = keyof typeof MEANING;
export type StatusMeaning = (typeof MEANING)[PaymentStatusCode];

export function meaningOf(status: PaymentStatusCode): StatusMeaning {
  return MEANING[status];
}

export interface StatusReason {
  /** ISO external status reason code (AM04, FF01, DU01, NARR, …), when the bank gave one. */
  readonly code: string | null;
  /** The bank's own code (`Rsn/Prtry`), when it used one instead. */
  readonly proprietary: string | null;
  /** The bank's words (`AddtlInf`, each ≤ 105 characters, often one sentence cut in pieces). */
  readonly explanation: readonly string[];
}

export interface Pain002Transaction {
  readonly originalEndToEndId: string | null;
  readonly originalInstructionId: string | null;
  readonly status: PaymentStatusCode | null;
  readonly reasons: readonly StatusReason[];
  /** From `OrgnlTxRef`, when the bank repeats it: the amount in cents (EUR), the execution date, the payee. */
  readonly amountCents: bigint | null;
  readonly currency: string | null;
  readonly requestedExecutionDate: string | null;
  readonly creditorName: string | null;
  readonly creditorIban: string | null;
  readonly line: number;
}

export interface Pain002PaymentInformation {
  readonly originalPaymentInformationId: string;
  readonly status: PaymentStatusCode | null;
  readonly reasons: readonly StatusReason[];
  readonly transactions: readonly Pain002Transaction[];
  readonly line: number;
}

export interface Pain002Report {
  readonly version: Pain002Version;
  readonly messageName: `pain.002.001.${Pain002Version}`;
  /** The report's own id (GrpHdr/MsgId). */
  readonly messageId: string;
  readonly createdAt: string;
  /** Our pain.001's MsgId, and its message name as the bank wrote it. */
  readonly originalMessageId: string;
  readonly originalMessageName: string;
  readonly originalNumberOfTransactions: string | null;
  readonly originalControlSum: string | null;
  readonly groupStatus: PaymentStatusCode | null;
  readonly groupReasons: readonly StatusReason[];
  readonly paymentInformation: readonly Pain002PaymentInformation[];
  /** Number of TxInfAndSts in the report. */
  readonly transactionCount: number;
}

export type Pain002ErrorCode = 'empty_file' | 'file_too_large' | 'unsupported_encoding' | 'doctype_not_allowed' | 'not_well_formed' | 'not_a_status_report' | 'missing_field' | 'invalid_value';

export class Pain002Error extends Error {
  constructor(
    readonly code: Pain002ErrorCode,
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'Pain002Error';
  }
}

export const DEFAULT_MAX_PAIN002_BYTES = 100 * 1024 * 1024;
const MAX_DEPTH = 32;
const PROLOG_SCAN = 64 * 1024;

/** True when the bytes start like a pain.002 (its namespace near the top): how a door tells it from a camt. */
export function looksLikePain002(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 4096)).toString('latin1');
  return /urn:iso:std:iso:20022:tech:xsd:pain\.002\./.test(head);
}

export function readPain002(bytes: Uint8Array, options: { maxBytes?: number } = {}): Pain002Report {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_PAIN002_BYTES;
  if (bytes.length === 0) throw new Pain002Error('empty_file', 'The file is empty.');
  if (bytes.length > maxBytes) throw new Pain002Error('file_too_large', `The file is ${bytes.length} bytes; status reports above ${maxBytes} bytes are refused.`);
  let utf8: Buffer;
  try {
    utf8 = decodeToUtf8(bytes).bytes;
  } catch (error) {
    if (error instanceof CamtError) throw new Pain002Error('unsupported_encoding', error.message, 1);
    throw error;
  }
  const lines = new LineIndex(utf8);
  // A DTD can only stand before the root element; the XML reader refuses any later `<!DOCTYPE` as well.
  const declaration = /<!\s*(DOCTYPE|ENTITY)/i.exec(utf8.toString('latin1', 0, PROLOG_SCAN));
  if (declaration) {
    const line = lines.line(declaration.index);
    throw new Pain002Error('doctype_not_allowed', `The file contains a ${declaration[1]!.toUpperCase()} declaration (line ${line}). Bank files never do; it is refused because such declarations can read other files or exhaust memory.`, line);
  }

  const reader = new ReportReader(lines);
  try {
    readXml(utf8, reader, { maxDepth: MAX_DEPTH, resolveNamespacesToDepth: 1 });
  } catch (error) {
    if (error instanceof XmlSyntaxError) {
      const line = lines.line(error.offset);
      if (error.kind === 'doctype') throw new Pain002Error('doctype_not_allowed', `The file contains a DOCTYPE declaration (line ${line}); it is refused.`, line);
      throw new Pain002Error('not_well_formed', `The file is not well-formed XML (line ${line}): ${error.message}.`, line);
    }
    throw error;
  }
  return reader.report();
}

/**
 * Keeps the group header and the group status as elements; turns each TxInfAndSts and each
 * OrgnlPmtInfAndSts into a record when it closes and drops the element, so a report on a
 * 100,000-payment file never sits in memory as a tree.
 */
class ReportReader {
  private version: Pain002Version | null = null;
  private message: XmlElement | null = null;
  private transactions: Pain002Transaction[] = [];
  private readonly blocks: Pain002PaymentInformation[] = [];
  private transactionCount = 0;

  constructor(private readonly lines: LineIndex) {}

  onOpen(element: XmlElement, depth: number): void {
    if (depth === 0) {
      const version = (Object.keys(PAIN002_NAMESPACES) as Pain002Version[]).find((v) => PAIN002_NAMESPACES[v] === element.namespace);
      if (element.name !== 'Document' || !version) {
        const said = element.namespace ? ` in namespace ${element.namespace}` : ' without a namespace';
        throw new Pain002Error('not_a_status_report', `The file is not a pain.002 status report: its root is <${element.qname}>${said}. Read are pain.002.001.03 and pain.002.001.10.`, 1);
      }
      this.version = version;
    } else if (depth === 1) {
      if (element.name !== 'CstmrPmtStsRpt') throw new Pain002Error('not_a_status_report', `The document holds <${element.qname}>, not a customer payment status report (CstmrPmtStsRpt).`, this.lines.line(element.start));
      this.message = element;
    }
  }

  onClose(element: XmlElement, depth: number): boolean {
    if (depth === 3 && element.name === 'TxInfAndSts') {
      this.transactions.push(this.transaction(element));
      this.transactionCount++;
      return false;
    }
    if (depth === 2 && element.name === 'OrgnlPmtInfAndSts') {
      const id = textOf(element, 'OrgnlPmtInfId');
      if (id === null) throw this.missing(element, 'OrgnlPmtInfAndSts/OrgnlPmtInfId');
      this.blocks.push({ originalPaymentInformationId: id, status: this.status(element, 'PmtInfSts'), reasons: reasonsOf(element), transactions: this.transactions, line: this.lines.line(element.start) });
      this.transactions = [];
      return false;
    }
    return true;
  }

  report(): Pain002Report {
    const message = this.message;
    if (!message || !this.version) throw new Pain002Error('not_a_status_report', 'The document holds no customer payment status report (CstmrPmtStsRpt).', 1);
    const header = child(message, 'GrpHdr');
    if (!header) throw this.missing(message, 'GrpHdr');
    const messageId = textOf(header, 'MsgId');
    if (messageId === null) throw this.missing(header, 'GrpHdr/MsgId');
    const createdAt = textOf(header, 'CreDtTm');
    if (createdAt === null) throw this.missing(header, 'GrpHdr/CreDtTm');
    const group = child(message, 'OrgnlGrpInfAndSts');
    if (!group) throw this.missing(message, 'OrgnlGrpInfAndSts');
    const originalMessageId = textOf(group, 'OrgnlMsgId');
    if (originalMessageId === null) throw this.missing(group, 'OrgnlGrpInfAndSts/OrgnlMsgId');
    const originalMessageName = textOf(group, 'OrgnlMsgNmId');
    if (originalMessageName === null) throw this.missing(group, 'OrgnlGrpInfAndSts/OrgnlMsgNmId');
    if (!/^pain\.001/i.test(originalMessageName)) {
      throw new Pain002Error('invalid_value', `The report is about a ${originalMessageName} message; only reports on credit-transfer files (pain.001) are read.`, this.lines.line(group.start));
    }
    return {
      version: this.version,
      messageName: `pain.002.001.${this.version}`,
      messageId,
      createdAt,
      originalMessageId,
      originalMessageName,
      originalNumberOfTransactions: textOf(group, 'OrgnlNbOfTxs'),
      originalControlSum: textOf(group, 'OrgnlCtrlSum'),
      groupStatus: this.status(group, 'GrpSts'),
      groupReasons: reasonsOf(group),
      paymentInformation: this.blocks,
      transactionCount: this.transactionCount,
    };
  }

  private transaction(element: XmlElement): Pain002Transaction {
    const reference = child(element, 'OrgnlTxRef');
    const amount = reference ? (child(child(reference, 'Amt'), 'InstdAmt') ?? null) : null;
    const executionDate = reference ? child(reference, 'ReqdExctnDt') : null;
    const creditor = reference ? child(reference, 'Cdtr') : null;
    const line = this.lines.line(element.start);
    return {
      originalEndToEndId: textOf(element, 'OrgnlEndToEndId'),
      originalInstructionId: textOf(element, 'OrgnlInstrId'),
      status: this.status(element, 'TxSts'),
      reasons: reasonsOf(element),
      amountCents: amount ? centsOf(amount.text.trim(), line) : null,
      currency: amount?.attributes?.['Ccy'] ?? null,
      // .03 writes the date itself; .10 a choice of Dt or DtTm.
      requestedExecutionDate: executionDate ? (textOf(executionDate, 'Dt') ?? textOf(executionDate, 'DtTm')?.slice(0, 10) ?? trimmed(executionDate.text)) : null,
      // .03 writes Cdtr/Nm; .10 Cdtr/Pty/Nm.
      creditorName: creditor ? (textOf(creditor, 'Nm') ?? textOf(child(creditor, 'Pty'), 'Nm')) : null,
      creditorIban: reference ? textOf(child(child(reference, 'CdtrAcct'), 'Id'), 'IBAN') : null,
      line,
    };
  }

  private status(parent: XmlElement, name: string): PaymentStatusCode | null {
    const value = textOf(parent, name);
    if (value === null) return null;
    if (!(value in MEANING)) {
      const line = this.lines.line(child(parent, name)!.start);
      throw new Pain002Error('invalid_value', `${name} "${value.slice(0, 10)}" (line ${line}) is not a payment status this reader knows (${Object.keys(MEANING).join(', ')}).`, line);
    }
    return value as PaymentStatusCode;
  }

  private missing(parent: XmlElement, path: string): Pain002Error {
    const line = this.lines.line(parent.start);
    return new Pain002Error('missing_field', `The status report has no ${path} (near line ${line}).`, line);
  }
}

function child(parent: XmlElement | null | undefined, name: string): XmlElement | null {
  if (!parent) return null;
  for (const c of parent.children) if (c.name === name) return c;
  return null;
}

function trimmed(text: string): string | null {
  const value = text.trim();
  return value === '' ? null : value;
}

function textOf(parent: XmlElement | null | undefined, name: string): string | null {
  const element = child(parent, name);
  return element ? trimmed(element.text) : null;
}

function reasonsOf(parent: XmlElement): StatusReason[] {
  return parent.children
    .filter((c) => c.name === 'StsRsnInf')
    .map((info) => {
      const reason = child(info, 'Rsn');
      return {
        code: textOf(reason, 'Cd')?.toUpperCase() ?? null,
        proprietary: textOf(reason, 'Prtry'),
        explanation: info.children.filter((c) => c.name === 'AddtlInf').flatMap((c) => trimmed(c.text) ?? []),
      };
    });
}

/** An amount as the bank wrote it ("3900.000" is allowed: the XSD has up to five decimals) to cents, exactly. */
function centsOf(text: string, line: number): bigint {
  const match = /^(\d{1,18})(?:\.(\d{1,5}))?$/.exec(text);
  const fraction = match?.[2] ?? '';
  if (!match || /[1-9]/.test(fraction.slice(2))) throw new Pain002Error('invalid_value', `The amount "${text.slice(0, 24)}" (line ${line}) is not an amount in cents.`, line);
  return BigInt(match[1]!) * 100n + BigInt(fraction.slice(0, 2).padEnd(2, '0'));
}
