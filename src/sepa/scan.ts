import { isEpcText } from './charset.js';
import type { AddressFacts, PaymentInfoFacts, ReferenceFacts, TransactionFacts } from './rules.js';

/**
 * Reads the fields the business rules need out of a pain.001 (.03 or .09) in
 * one pass over the text. Not a general XML parser: it runs after (or next to)
 * the XSD check, which guarantees the structure, and is lenient about what it
 * does not need. Namespace prefixes are ignored; entities are decoded.
 */

export type ScannedReference = ReferenceFacts;

export interface ScannedTransaction extends TransactionFacts {
  offset: number;
  endOffset: number;
  line: number;
  endLine: number;
  unstructured: string[];
  references: ScannedReference[];
}

export interface ScannedPaymentInfo extends PaymentInfoFacts {
  offset: number;
  line: number;
  transactions: ScannedTransaction[];
}

/** A text value that is outside the EPC set or otherwise needs a check, with where it was found. */
export interface ScannedText {
  element: string;
  value: string;
  offset: number;
  transaction?: ScannedTransaction;
  paymentInfo?: ScannedPaymentInfo;
}

export interface ScannedPain001 {
  rootNamespace?: string;
  messageId?: string;
  creationDateTime?: string;
  numberOfTransactions?: string;
  controlSum?: string;
  initiatingPartyName?: string;
  paymentInfos: ScannedPaymentInfo[];
  /** Leaf texts outside the EPC character set (the character-set rule). */
  texts: ScannedText[];
}

const ENTITY = /&(?:#(\d+)|#x([0-9A-Fa-f]+)|(amp|lt|gt|quot|apos));/g;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const CDATA = /<!\[CDATA\[([\s\S]*?)\]\]>/g;

function decodeEntities(text: string): string {
  return text.replace(ENTITY, (_, dec: string | undefined, hex: string | undefined, name: string | undefined) =>
    dec ? String.fromCodePoint(Number(dec)) : hex ? String.fromCodePoint(parseInt(hex, 16)) : (NAMED[name ?? ''] ?? ''),
  );
}

/** The text of a leaf element: entities decoded, CDATA sections taken literally, comments left out. */
function leafText(raw: string): string {
  if (!raw.includes('&') && !raw.includes('<')) return raw;
  if (!raw.includes('<')) return decodeEntities(raw);
  let out = '';
  let last = 0;
  const withoutComments = raw.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?[\s\S]*?\?>/g, '');
  CDATA.lastIndex = 0;
  for (let m = CDATA.exec(withoutComments); m; m = CDATA.exec(withoutComments)) {
    out += decodeEntities(withoutComments.slice(last, m.index)) + (m[1] ?? '');
    last = CDATA.lastIndex;
  }
  return out + decodeEntities(withoutComments.slice(last));
}

/** Index of the `>` closing a start tag, skipping quoted attribute values. */
function endOfTag(xml: string, from: number): number {
  let quote = 0;
  for (let i = from; i < xml.length; i += 1) {
    const c = xml.charCodeAt(i);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 34 || c === 39) quote = c;
    else if (c === 62) return i;
  }
  return -1;
}

/** End of the element name starting at `from`: the first whitespace, `/` or `>`. */
function endOfName(xml: string, from: number): number {
  for (let i = from; i < xml.length; i += 1) {
    const c = xml.charCodeAt(i);
    if (c === 62 || c === 47 || c === 32 || c === 10 || c === 9 || c === 13) return i;
  }
  return -1;
}

/**
 * Element names come from a small set: look them up instead of slicing a new
 * string for each of the millions of tags in a big file. Bounded, so a hostile
 * file with endless distinct names cannot grow it.
 */
const internedNames = new Map<number, string[]>();
let internedCount = 0;
function nameAt(xml: string, start: number, end: number): string {
  const length = end - start;
  const key = length * 16_777_216 + xml.charCodeAt(start) * 65_536 + xml.charCodeAt(end - 1) * 256 + (xml.charCodeAt(start + (length >> 1)) & 255);
  const bucket = internedNames.get(key);
  if (bucket) for (const candidate of bucket) if (xml.startsWith(candidate, start)) return candidate;
  const name = xml.slice(start, end);
  if (internedCount < 2_000) {
    internedCount += 1;
    if (bucket) bucket.push(name);
    else internedNames.set(key, [name]);
  }
  return name;
}

export function scanPain001(xml: string): ScannedPain001 {
  const doc: ScannedPain001 = { paymentInfos: [], texts: [] };
  const names: string[] = [];
  const textStarts: number[] = [];
  const hasChild: boolean[] = [];
  let pmtInf: ScannedPaymentInfo | undefined;
  let tx: ScannedTransaction | undefined;
  let reference: ScannedReference | undefined;
  let address: AddressFacts | undefined;
  let amountAttributes = '';

  let pos = 0;
  for (;;) {
    const lt = xml.indexOf('<', pos);
    if (lt === -1) break;
    const next = xml.charCodeAt(lt + 1);
    if (next === 47) {
      // closing tag: the element is the one on top of the stack (the XSD check reports mismatches)
      const gt = xml.indexOf('>', lt);
      if (gt === -1) break;
      pos = gt + 1;
      const depth = names.length - 1;
      if (depth < 0) continue;
      const name = names[depth] as string;
      if (!hasChild[depth]) leaf(name, leafText(xml.slice(textStarts[depth], lt)), depth);
      if (name === 'CdtTrfTxInf' && tx) {
        tx.endOffset = lt;
        tx = undefined;
      } else if (name === 'PmtInf') pmtInf = undefined;
      else if (name === 'CdtrRefInf') reference = undefined;
      else if (name === 'PstlAdr') address = undefined;
      names.pop();
      textStarts.pop();
      hasChild.pop();
      continue;
    }
    if (next === 63) {
      const end = xml.indexOf('?>', lt);
      if (end === -1) break;
      pos = end + 2;
      continue;
    }
    if (next === 33) {
      // comments and CDATA belong to the surrounding text; leafText handles them
      const isComment = xml.startsWith('<!--', lt);
      const isCdata = xml.startsWith('<![CDATA[', lt);
      const end = isComment ? xml.indexOf('-->', lt) : isCdata ? xml.indexOf(']]>', lt) : xml.indexOf('>', lt);
      if (end === -1) break;
      pos = end + (isComment || isCdata ? 3 : 1);
      continue;
    }
    // start tag
    const nameEnd = endOfName(xml, lt + 1);
    if (nameEnd === -1) break;
    const gt = xml.charCodeAt(nameEnd) === 62 ? nameEnd : endOfTag(xml, nameEnd);
    if (gt === -1) break;
    pos = gt + 1;
    const qualified = nameAt(xml, lt + 1, nameEnd);
    const colon = qualified.indexOf(':');
    const name = colon === -1 ? qualified : qualified.slice(colon + 1);
    const depth = names.length;
    if (depth > 0) hasChild[depth - 1] = true;
    else {
      const ns = /\sxmlns(?::[\w.-]+)?\s*=\s*["']([^"']*)["']/.exec(xml.slice(nameEnd, gt));
      if (ns) doc.rootNamespace = ns[1];
    }
    open(name, lt, nameEnd, gt);
    if (xml.charCodeAt(gt - 1) === 47) continue; // self-closing: no text, nothing to close
    names.push(name);
    textStarts.push(gt + 1);
    hasChild.push(false);
  }

  return doc;

  function open(name: string, offset: number, nameEnd: number, gt: number): void {
    if (name === 'PstlAdr') {
      // Only the parties the rules look at: the creditor of a payment and the debtor of a block.
      const parent = names[names.length - 1];
      if (tx && parent === 'Cdtr') address = tx.creditorAddress = { owner: 'Cdtr', addressLines: 0 };
      else if (!tx && pmtInf && parent === 'Dbtr') address = pmtInf.debtorAddress = { owner: 'Dbtr', addressLines: 0 };
      return;
    }
    if (name === 'PmtInf') {
      pmtInf = { offset, line: 0, transactions: [] };
      doc.paymentInfos.push(pmtInf);
    } else if (name === 'CdtTrfTxInf' && pmtInf) {
      tx = { offset, endOffset: offset, line: 0, endLine: 0, unstructured: [], references: [], structuredCount: 0 };
      pmtInf.transactions.push(tx);
    } else if (tx) {
      if (name === 'Strd') tx.structuredCount += 1;
      else if (name === 'CdtrRefInf') {
        reference = {};
        tx.references.push(reference);
      } else if (name === 'InstdAmt') amountAttributes = xml.slice(nameEnd, gt);
    }
  }

  function leaf(name: string, value: string, depth: number): void {
    if (!isEpcText(value)) doc.texts.push({ element: name, value, offset: textStarts[depth] ?? 0, ...(tx ? { transaction: tx } : {}), ...(pmtInf ? { paymentInfo: pmtInf } : {}) });
    const parent = names[depth - 1];
    if (address && parent === 'PstlAdr') {
      if (name === 'TwnNm') address.townName = value;
      else if (name === 'Ctry') address.country = value;
      else if (name === 'AdrLine') address.addressLines += 1;
      return;
    }
    if (tx) {
      if (name === 'EndToEndId' && parent === 'PmtId') tx.endToEndId = value;
      else if (name === 'InstrId' && parent === 'PmtId') tx.instructionId = value;
      else if (name === 'InstdAmt') {
        tx.amount = value;
        const ccy = /\sCcy\s*=\s*["']([^"']*)["']/.exec(amountAttributes);
        if (ccy) tx.currency = ccy[1];
      } else if (name === 'Nm' && parent === 'Cdtr') tx.creditorName = value;
      else if (name === 'IBAN' && names[depth - 2] === 'CdtrAcct') tx.creditorIban = value;
      else if (name === 'Ustrd') tx.unstructured.push(value);
      else if (reference && name === 'Cd' && parent === 'CdOrPrtry') reference.code = value;
      else if (reference && name === 'Issr' && parent === 'Tp') reference.issuer = value;
      else if (reference && name === 'Ref' && parent === 'CdtrRefInf') reference.reference = value;
      return;
    }
    if (pmtInf) {
      if (name === 'PmtInfId') pmtInf.paymentInfoId = value;
      else if (name === 'PmtMtd') pmtInf.paymentMethod = value;
      else if (name === 'NbOfTxs' && parent === 'PmtInf') pmtInf.numberOfTransactions = value;
      else if (name === 'CtrlSum' && parent === 'PmtInf') pmtInf.controlSum = value;
      else if (name === 'Cd' && parent === 'SvcLvl') pmtInf.serviceLevel = value;
      else if (name === 'Cd' && parent === 'LclInstrm') pmtInf.localInstrument = value;
      else if (name === 'ReqdExctnDt' || (name === 'Dt' && parent === 'ReqdExctnDt')) pmtInf.executionDate = value;
      else if (name === 'Nm' && parent === 'Dbtr') pmtInf.debtorName = value;
      else if (name === 'IBAN' && names[depth - 2] === 'DbtrAcct') pmtInf.debtorIban = value;
      else if (name === 'ChrgBr' && parent === 'PmtInf') pmtInf.chargeBearer = value;
      return;
    }
    if (name === 'MsgId') doc.messageId = value;
    else if (name === 'CreDtTm') doc.creationDateTime = value;
    else if (name === 'NbOfTxs' && parent === 'GrpHdr') doc.numberOfTransactions = value;
    else if (name === 'CtrlSum' && parent === 'GrpHdr') doc.controlSum = value;
    else if (name === 'Nm' && parent === 'InitgPty') doc.initiatingPartyName = value;
  }
}

/**
 * Line numbers of blocks and payments (they are in file order), in one pass
 * over the newlines. Only needed for error messages, so only run when there are errors.
 */
export function assignLines(xml: string, doc: ScannedPain001): void {
  let line = 1;
  // The next newline not yet counted: found once, so a file on one long line is not searched again per payment.
  let next = xml.indexOf('\n');
  const lineAt = (offset: number): number => {
    while (next !== -1 && next < offset) {
      line += 1;
      next = xml.indexOf('\n', next + 1);
    }
    return line;
  };
  for (const info of doc.paymentInfos) {
    info.line = lineAt(info.offset);
    for (const tx of info.transactions) {
      tx.line = lineAt(tx.offset);
      tx.endLine = lineAt(tx.endOffset);
    }
  }
}
