import { createHash } from 'node:crypto';
import { Money } from '../money/money.js';
import { PAIN_001_LAYOUT, validateXmlInPieces, type SchemaName } from '../xml/xsd.js';
import { RuleRun, type Pain001Validation, type ValidateOptions } from './rules.js';
import { assignLines, scanPain001, type ScannedPaymentInfo, type ScannedTransaction } from './scan.js';
import type { Pain001Version } from './types.js';

/**
 * The gate for any pain.001 file, ours or not: the official XSD **and** the
 * business rules the XSD does not enforce (the ISO .03 schema accepts five
 * decimals and a missing creditor account), on the file's bytes. Every error
 * names its rule and, when it concerns payments, their EndToEndIds; errors
 * found in the bytes carry their line.
 */

export {
  MAX_AMOUNT_CENTS,
  type Pain001Error,
  type Pain001Rule,
  type Pain001Validation,
  type ValidateOptions,
} from './rules.js';

const SCHEMA: Record<Pain001Version, SchemaName> = { '03': 'pain.001.001.03', '09': 'pain.001.001.09' };

type Place = ScannedTransaction | ScannedPaymentInfo;
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

const DECLARED_ENCODING = /^<\?xml[^>]*\sencoding\s*=\s*["']([^"']*)["']/;

/**
 * Validates a pain.001 file for release: the XSD of `version` and our business
 * rules. Also returns the file's SHA-256, for display at approval. A string is
 * taken as the text of the file, encoded as UTF-8; bytes as the file itself.
 */
export function validatePain001(xml: string | Uint8Array, version: Pain001Version, options: ValidateOptions): Pain001Validation {
  const run = new RuleRun<Place>(options);
  const errors = run.errors;
  // Encoded once: the hash is over these bytes, and libxml2 parses them.
  const bytes = typeof xml === 'string' ? Buffer.from(xml, 'utf8') : Buffer.isBuffer(xml) ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
  const text = typeof xml === 'string' ? xml : bytes.toString('utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    errors.add({ rule: 'encoding', message: 'the file starts with a byte order mark; SEPA files are UTF-8 without BOM', line: 1 });
  }
  const declared = DECLARED_ENCODING.exec(text.replace(/^\ufeff/, ''))?.[1];
  if (declared !== undefined && declared.toUpperCase() !== 'UTF-8') {
    errors.add({ rule: 'encoding', message: `the file declares encoding "${declared}"; SEPA files are UTF-8`, line: 1 });
  }

  // The XSD first, while the scan's objects do not exist yet, and in pieces: a whole 100,000-payment tree
  // would take some 250 MB of wasm memory that is never given back. SEPA files are UTF-8 whatever they declare.
  const xsd = validateXmlInPieces(bytes, SCHEMA[version], PAIN_001_LAYOUT, { forceUtf8: true });
  const doc = scanPain001(text);
  if (!xsd.valid) assignLines(text, doc);
  const transactions: Located[] = xsd.valid ? [] : doc.paymentInfos.flatMap((info) => info.transactions.map((tx) => ({ tx, info })));
  for (const problem of xsd.errors) {
    // An XSD error inside a payment is attributed to it, so the message names the payment.
    const hit = paymentAtLine(transactions, problem.line);
    errors.add({
      rule: 'xsd',
      line: problem.line,
      ...(hit?.tx.endToEndId === undefined ? {} : { endToEndId: hit.tx.endToEndId }),
      ...(hit?.info.paymentInfoId === undefined ? {} : { paymentInfoId: hit.info.paymentInfoId }),
      message: `${hit ? `payment ${hit.tx.endToEndId ?? '(without EndToEndId)'}: ` : ''}XSD: ${problem.message}`,
    });
  }

  const expectedNamespace = `urn:iso:std:iso:20022:tech:xsd:${SCHEMA[version]}`;
  if (doc.rootNamespace !== expectedNamespace) {
    errors.add({ rule: 'namespace', message: `the document's namespace "${doc.rootNamespace ?? ''}" is not ${expectedNamespace}`, line: 1 });
  }
  run.groupHeader(doc);
  for (const info of doc.paymentInfos) {
    const endToEndIds = info.transactions.flatMap((tx) => (tx.endToEndId === undefined ? [] : [tx.endToEndId]));
    run.paymentInfo(info, endToEndIds, info);
    let sum = 0n;
    let readable = true;
    for (const tx of info.transactions) {
      const amount = run.transaction(tx, info, tx);
      if (amount === undefined) readable = false;
      else sum += amount;
    }
    run.paymentInfoTotals(info, endToEndIds, info.transactions.length, sum, readable, info);
  }
  run.groupTotals(doc);
  for (const found of doc.texts) {
    if (errors.full) break;
    run.text(found.element, found.value, found.transaction, found.paymentInfo, found.transaction ?? found.paymentInfo);
  }

  // Lines are counted only when there is something to report.
  if (errors.errors.length > 0) {
    assignLines(text, doc);
    errors.errors.forEach((error, n) => {
      const place = errors.places[n];
      if (error.line === undefined && place) error.line = place.line;
    });
  }
  return { valid: errors.errors.length === 0, errors: errors.errors, sha256, numberOfTransactions: run.count, controlSum: Money.fromCents(run.sum) };
}
