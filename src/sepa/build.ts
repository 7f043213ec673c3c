import { createHash } from 'node:crypto';
import { Money } from '../money/money.js';
import { isIsoDate } from '../schedule/index.js';
import { normaliseIban } from '../references/index.js';
import { PAIN_001_LAYOUT, PiecewiseValidation, type PiecewiseXsdResult, type SchemaName } from '../xml/xsd.js';
import { ByteWriter, escapeXml } from './bytes.js';
import { assessEpcText, isEpcIdentifier, toEpcText } from './charset.js';
import { NAME_MAX, RuleRun, type AddressFacts, type Pain001Error, type Pain001Validation, type PaymentInfoFacts, type TransactionFacts, type ValidateOptions } from './rules.js';
import {
  MAX_PAYMENTS_PER_FILE,
  type BuildFilesOptions,
  type BuildOptions,
  type CreditTransfer,
  type CreditTransferBatch,
  type DebtorAccount,
  type Pain001File,
  type Pain001Version,
  type PaymentInfoSummary,
  type PostalAddress,
} from './types.js';
import { validatePain001 } from './validate.js';

/**
 * pain.001 credit-transfer files, .03 or .09, written straight into bytes from
 * the batch: deterministic (the creation time and every id are inputs),
 * UTF-8 without BOM, one default namespace, no prefixes, amounts from integer
 * cents. The builder refuses only what it cannot write. The business rules
 * (`rules.ts`) judge the file: `buildAndValidatePain001Files` applies them to
 * the very strings it writes and runs the XSD on the bytes, which is what gates
 * a release; `validatePain001` applies the same rules to any file's bytes.
 */

export { NAME_MAX };
export const REMITTANCE_MAX = 140;
const STREET_MAX = 70;
const BUILDING_NUMBER_MAX = 16;
const POST_CODE_MAX = 16;
const TOWN_MAX = 35;

export interface BuildProblem {
  /** The payment concerned, when there is one. */
  endToEndId?: string;
  rule: string;
  message: string;
}

export class Pain001BuildError extends Error {
  readonly code = 'pain001_build_failed';
  constructor(readonly problems: BuildProblem[]) {
    super(`pain.001 cannot be written: ${problems.slice(0, 5).map((p) => p.message).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ''}`);
    this.name = 'Pain001BuildError';
  }
}

const CREATION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?$/;
const READABLE = /[A-Za-z0-9]/;

interface Block {
  executionDate: string;
  debtor: DebtorAccount & { iban: string };
  instant: boolean;
  payments: CreditTransfer[];
}

const sameAddress = (a: PostalAddress | undefined, b: PostalAddress | undefined): boolean =>
  a === b ||
  (a !== undefined &&
    b !== undefined &&
    a.streetName === b.streetName &&
    a.buildingNumber === b.buildingNumber &&
    a.postCode === b.postCode &&
    a.townName === b.townName &&
    a.country === b.country);

/**
 * Groups into PmtInf blocks: one per (execution date, debtor IBAN, instant or
 * not), sorted by date, IBAN, regular before instant; payments keep their order.
 */
function groupBlocks(batch: CreditTransferBatch, payments: readonly CreditTransfer[], problems: BuildProblem[]): Block[] {
  const blocks = new Map<string, Block>();
  let previous: CreditTransfer | undefined;
  let previousBlock: Block | undefined;
  for (const payment of payments) {
    const instant = batch.instant === true || payment.instant === true;
    // A run of payments from one debtor object on one day goes into one block: no key per payment.
    if (
      previousBlock !== undefined &&
      payment.debtor === previous!.debtor &&
      payment.executionDate === previous!.executionDate &&
      instant === (batch.instant === true || previous!.instant === true)
    ) {
      previousBlock.payments.push(payment);
      previous = payment;
      continue;
    }
    const iban = compactUpperCase(payment.debtor.iban);
    const key = `${payment.executionDate}|${iban}|${instant ? 'INST' : ''}`;
    let block = blocks.get(key);
    if (!block) {
      block = { executionDate: payment.executionDate, debtor: { ...payment.debtor, iban }, instant, payments: [] };
      blocks.set(key, block);
    } else if (block.debtor.name !== payment.debtor.name || block.debtor.bic !== payment.debtor.bic || !sameAddress(block.debtor.address, payment.debtor.address)) {
      problems.push({
        endToEndId: payment.endToEndId,
        rule: 'debtor_consistent',
        message: `payment ${payment.endToEndId}: debtor account ${iban} appears with another name, BIC or address in the same batch`,
      });
    }
    block.payments.push(payment);
    previous = payment;
    previousBlock = block;
  }
  const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...blocks.values()].sort(
    (a, b) => compare(a.executionDate, b.executionDate) || compare(a.debtor.iban, b.debtor.iban) || Number(a.instant) - Number(b.instant),
  );
}

/**
 * Spaces removed and upper case (`normaliseIban`: IBANs and structured references as written),
 * without a regular expression or a copy for a text that is already only capitals and digits.
 */
function compactUpperCase(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a))) return normaliseIban(text);
  }
  return text;
}

/** `Money#toString` from the cents themselves: one bigint → string, no division. */
export function amountText(cents: bigint): string {
  const negative = cents < 0n;
  let digits = (negative ? -cents : cents).toString();
  if (digits.length < 3) digits = digits.padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

function sumOf(payments: readonly CreditTransfer[]): Money {
  let cents = 0n;
  for (const payment of payments) cents += payment.amount.cents;
  return Money.fromCents(cents);
}


function checkName(text: string, what: string, problems: BuildProblem[], endToEndId?: string): string {
  const assessed = assessEpcText(text, NAME_MAX);
  if (!READABLE.test(assessed.text)) {
    problems.push({
      ...(endToEndId === undefined ? {} : { endToEndId }),
      rule: 'name_readable',
      message: `${endToEndId === undefined ? '' : `payment ${endToEndId}: `}${what} "${text}" has nothing left in the SEPA character set; record its Latin spelling`,
    });
  }
  return assessed.text;
}

function checkId(id: string, what: string, problems: BuildProblem[], endToEndId?: string): void {
  if (!isEpcIdentifier(id)) {
    problems.push({
      ...(endToEndId === undefined ? {} : { endToEndId }),
      rule: 'identifier',
      message: `${endToEndId === undefined ? '' : `payment ${endToEndId}: `}${what} "${id}" is not 1–35 SEPA characters without leading, trailing or double "/"`,
    });
  }
}

function agent(version: Pain001Version, bic: string | undefined, indent: string, tag: string): string {
  const id = bic
    ? `${indent}    <${version === '03' ? 'BIC' : 'BICFI'}>${escapeXml(bic.toUpperCase())}</${version === '03' ? 'BIC' : 'BICFI'}>`
    : `${indent}    <Othr>\n${indent}      <Id>NOTPROVIDED</Id>\n${indent}    </Othr>`;
  return `${indent}<${tag}>\n${indent}  <FinInstnId>\n${id}\n${indent}  </FinInstnId>\n${indent}</${tag}>`;
}

/** An address as written: each part in the EPC set and cut to its XSD length; empty parts left out. */
interface WrittenAddress {
  streetName?: string;
  buildingNumber?: string;
  postCode?: string;
  townName?: string;
  country?: string;
}

function convertAddress(address: PostalAddress): WrittenAddress {
  const part = (text: string | undefined, max: number): string | undefined => {
    const converted = text === undefined ? '' : toEpcText(text, max);
    return converted === '' ? undefined : converted;
  };
  const country = address.country.trim().toUpperCase();
  return {
    ...optional('streetName', part(address.streetName, STREET_MAX)),
    ...optional('buildingNumber', part(address.buildingNumber, BUILDING_NUMBER_MAX)),
    ...optional('postCode', part(address.postCode, POST_CODE_MAX)),
    ...optional('townName', part(address.townName, TOWN_MAX)),
    ...optional('country', country === '' ? undefined : country),
  };
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

/** PostalAddress24 in the XSD's order: StrtNm, BldgNb, PstCd, TwnNm, Ctry. */
function addressXml(address: WrittenAddress, indent: string): string {
  const lines = [`\n${indent}<PstlAdr>`];
  if (address.streetName !== undefined) lines.push(`\n${indent}  <StrtNm>${escapeXml(address.streetName)}</StrtNm>`);
  if (address.buildingNumber !== undefined) lines.push(`\n${indent}  <BldgNb>${escapeXml(address.buildingNumber)}</BldgNb>`);
  if (address.postCode !== undefined) lines.push(`\n${indent}  <PstCd>${escapeXml(address.postCode)}</PstCd>`);
  if (address.townName !== undefined) lines.push(`\n${indent}  <TwnNm>${escapeXml(address.townName)}</TwnNm>`);
  if (address.country !== undefined) lines.push(`\n${indent}  <Ctry>${escapeXml(address.country)}</Ctry>`);
  lines.push(`\n${indent}</PstlAdr>`);
  return lines.join('');
}

function addressFacts(owner: string, address: WrittenAddress): AddressFacts {
  return {
    owner,
    addressLines: 0,
    ...(address.townName === undefined ? {} : { townName: address.townName }),
    ...(address.country === undefined ? {} : { country: address.country }),
  };
}

/** The free texts of an address, for the character-set rule. */
function addressTexts(address: WrittenAddress): [string, string][] {
  const texts: [string, string][] = [];
  if (address.streetName !== undefined) texts.push(['StrtNm', address.streetName]);
  if (address.buildingNumber !== undefined) texts.push(['BldgNb', address.buildingNumber]);
  if (address.postCode !== undefined) texts.push(['PstCd', address.postCode]);
  if (address.townName !== undefined) texts.push(['TwnNm', address.townName]);
  if (address.country !== undefined) texts.push(['Ctry', address.country]);
  return texts;
}

/**
 * Room for one payment as written: the markup, the longest name, the ids, and
 * what it has of remittance, BIC and address. Only an estimate (the writer
 * grows when it is short), kept close so the reserved buffer stays small.
 */
function roomFor(payment: CreditTransfer): number {
  return (
    640 +
    2 * payment.endToEndId.length +
    NAME_MAX +
    (payment.remittance?.kind === 'unstructured' ? REMITTANCE_MAX : 0) +
    (payment.creditor.bic ? 120 : 0) +
    (payment.creditor.address ? 360 : 0)
  );
}

interface Written {
  bytes: Buffer;
  paymentInfos: PaymentInfoSummary[];
  controlSum: Money;
}

/** How often the bytes written so far are offered to the XSD check (which takes them in pieces of 1 MiB). */
const PROGRESS_BYTES = 256 * 1024;

/**
 * Writes one message. With `run`, every value is handed to the business rules
 * as it is written: the facts the rules see are the strings in the file. With
 * `xsd`, the bytes are offered to the XSD check as they are written, so that
 * its helper thread validates the first pieces while the rest is written.
 */
function write(batch: CreditTransferBatch, version: Pain001Version, run?: RuleRun, xsd?: PiecewiseValidation): Written {
  const problems: BuildProblem[] = [];
  checkId(batch.messageId, 'MsgId', problems);
  if (!CREATION_TIME.test(batch.creationDateTime) || !isIsoDate(batch.creationDateTime.slice(0, 10))) {
    problems.push({ rule: 'creation_time', message: `creation time "${batch.creationDateTime}" is not YYYY-MM-DDThh:mm:ss` });
  }
  const initiator = checkName(batch.initiatingPartyName, 'initiating party name', problems);
  if (batch.payments.length === 0) problems.push({ rule: 'not_empty', message: 'a pain.001 file needs at least one payment' });
  if (batch.payments.length > MAX_PAYMENTS_PER_FILE) {
    problems.push({
      rule: 'max_payments',
      message: `${batch.payments.length} payments exceed ${MAX_PAYMENTS_PER_FILE} per file: use buildPain001Files, which splits`,
    });
  }

  // Names repeat (one landlord, many tenants): convert each distinct text once.
  const names = new Map<string, string>();
  const validDates = new Set<string>();
  for (const payment of batch.payments) {
    checkId(payment.endToEndId, 'EndToEndId', problems, payment.endToEndId);
    if (payment.instructionId !== undefined) checkId(payment.instructionId, 'InstrId', problems, payment.endToEndId);
    if (!validDates.has(payment.executionDate)) {
      if (isIsoDate(payment.executionDate)) validDates.add(payment.executionDate);
      else problems.push({ endToEndId: payment.endToEndId, rule: 'execution_date', message: `payment ${payment.endToEndId}: execution date "${payment.executionDate}" is not YYYY-MM-DD` });
    }
    if (!names.has(payment.creditor.name)) {
      const name = checkName(payment.creditor.name, 'creditor name', problems, payment.endToEndId);
      if (READABLE.test(name)) names.set(payment.creditor.name, name);
    }
  }
  const blocks = groupBlocks(batch, batch.payments, problems);
  const debtorNames = blocks.map((b) => checkName(b.debtor.name, `debtor name of ${b.debtor.iban}`, problems));
  blocks.forEach((_, n) => checkId(`${batch.messageId}-${n + 1}`, 'PmtInfId (MsgId + "-" + sequence)', problems));
  if (problems.length > 0) throw new Pain001BuildError(problems);

  let room = 4096 + blocks.length * 2048;
  for (const payment of batch.payments) room += roomFor(payment);
  const out = new ByteWriter(room);
  const controlSum = sumOf(batch.payments);
  const header = { messageId: batch.messageId, numberOfTransactions: String(batch.payments.length), controlSum: controlSum.toString(), initiatingPartyName: initiator };
  run?.groupHeader(header);
  run?.text('Nm', initiator);
  out.write(
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.${version}">`,
      '  <CstmrCdtTrfInitn>',
      '    <GrpHdr>',
      `      <MsgId>${escapeXml(header.messageId)}</MsgId>`,
      `      <CreDtTm>${batch.creationDateTime}</CreDtTm>`,
      `      <NbOfTxs>${header.numberOfTransactions}</NbOfTxs>`,
      `      <CtrlSum>${header.controlSum}</CtrlSum>`,
      '      <InitgPty>',
      `        <Nm>${escapeXml(initiator)}</Nm>`,
      '      </InitgPty>',
      '    </GrpHdr>',
      '',
    ].join('\n'),
  );

  const addresses = new Map<PostalAddress, WrittenAddress>();
  const writtenAddress = (address: PostalAddress | undefined): WrittenAddress | undefined => {
    if (address === undefined || version === '03') return undefined;
    let written = addresses.get(address);
    if (!written) {
      written = convertAddress(address);
      addresses.set(address, written);
    }
    return written;
  };

  const paymentInfos: PaymentInfoSummary[] = [];
  let offered = 0;
  blocks.forEach((block, n) => {
    const blockSum = sumOf(block.payments);
    const debtorAddress = writtenAddress(block.debtor.address);
    const info: PaymentInfoFacts = {
      paymentInfoId: `${batch.messageId}-${n + 1}`,
      paymentMethod: 'TRF',
      numberOfTransactions: String(block.payments.length),
      controlSum: blockSum.toString(),
      serviceLevel: 'SEPA',
      ...(block.instant ? { localInstrument: 'INST' } : {}),
      executionDate: block.executionDate,
      debtorName: debtorNames[n] as string,
      debtorIban: block.debtor.iban,
      ...(debtorAddress ? { debtorAddress: addressFacts('Dbtr', debtorAddress) } : {}),
      chargeBearer: 'SLEV',
    };
    const endToEndIds = block.payments.map((p) => p.endToEndId);
    paymentInfos.push({
      paymentInfoId: info.paymentInfoId as string,
      executionDate: block.executionDate,
      debtorIban: block.debtor.iban,
      instant: block.instant,
      numberOfTransactions: block.payments.length,
      controlSum: blockSum,
      endToEndIds,
    });
    if (run) {
      run.paymentInfo(info, endToEndIds);
      run.text('Nm', info.debtorName as string, undefined, info);
      if (debtorAddress) for (const [element, text] of addressTexts(debtorAddress)) run.text(element, text, undefined, info);
    }
    const lines = [
      '    <PmtInf>',
      `      <PmtInfId>${escapeXml(info.paymentInfoId as string)}</PmtInfId>`,
      '      <PmtMtd>TRF</PmtMtd>',
      `      <BtchBookg>${batch.batchBooking === false ? 'false' : 'true'}</BtchBookg>`,
      `      <NbOfTxs>${info.numberOfTransactions}</NbOfTxs>`,
      `      <CtrlSum>${info.controlSum}</CtrlSum>`,
      '      <PmtTpInf>',
      '        <SvcLvl>',
      '          <Cd>SEPA</Cd>',
      '        </SvcLvl>',
    ];
    if (block.instant) lines.push('        <LclInstrm>', '          <Cd>INST</Cd>', '        </LclInstrm>');
    lines.push('      </PmtTpInf>');
    if (version === '03') lines.push(`      <ReqdExctnDt>${block.executionDate}</ReqdExctnDt>`);
    else lines.push('      <ReqdExctnDt>', `        <Dt>${block.executionDate}</Dt>`, '      </ReqdExctnDt>');
    lines.push(
      '      <Dbtr>',
      `        <Nm>${escapeXml(info.debtorName as string)}</Nm>${debtorAddress ? addressXml(debtorAddress, '        ') : ''}`,
      '      </Dbtr>',
      '      <DbtrAcct>',
      '        <Id>',
      `          <IBAN>${escapeXml(block.debtor.iban)}</IBAN>`,
      '        </Id>',
      '      </DbtrAcct>',
      agent(version, block.debtor.bic, '      ', 'DbtrAgt'),
      '      <ChrgBr>SLEV</ChrgBr>',
      '',
    );
    out.write(lines.join('\n'));

    let count = 0;
    let sum = 0n;
    let readable = true;
    for (const payment of block.payments) {
      const address = writtenAddress(payment.creditor.address);
      const tx = transactionFacts(payment, names.get(payment.creditor.name) as string, address);
      out.write(transactionXml(version, tx, payment.creditor.bic, address));
      if (xsd !== undefined && out.length >= offered + PROGRESS_BYTES) {
        xsd.progress(out.bytes(), out.length);
        offered = out.length;
      }
      if (run) {
        const cents = run.transaction(tx, info);
        count += 1;
        if (cents === undefined) readable = false;
        else sum += cents;
        run.text('Nm', tx.creditorName as string, tx, info);
        for (const text of tx.unstructured) run.text('Ustrd', text, tx, info);
        if (address) for (const [element, text] of addressTexts(address)) run.text(element, text, tx, info);
      }
    }
    run?.paymentInfoTotals(info, endToEndIds, count, sum, readable);
    out.write('    </PmtInf>\n');
  });
  out.write('  </CstmrCdtTrfInitn>\n</Document>\n');
  run?.groupTotals(header);
  return { bytes: out.bytes(), paymentInfos, controlSum };
}

const NONE: readonly never[] = Object.freeze([]);

/** One payment's values exactly as they are written (one fixed shape: this runs 100,000 times per file). */
function transactionFacts(payment: CreditTransfer, creditorName: string, address: WrittenAddress | undefined): TransactionFacts {
  const remittance = payment.remittance;
  // An empty text (refused at entry already) means no remittance at all: Ustrd must not be empty.
  const unstructured = remittance?.kind === 'unstructured' ? toEpcText(remittance.text, REMITTANCE_MAX) : '';
  // No IBAN means no CdtrAcct at all: the rules refuse it as a missing creditor account.
  const iban = compactUpperCase(payment.creditor.iban ?? '');
  const structured = remittance?.kind === 'structured';
  return {
    instructionId: payment.instructionId ?? payment.endToEndId,
    endToEndId: payment.endToEndId,
    amount: amountText(payment.amount.cents),
    currency: 'EUR',
    creditorName,
    creditorIban: iban === '' ? undefined : iban,
    creditorAddress: address ? addressFacts('Cdtr', address) : undefined,
    unstructured: unstructured === '' ? NONE : [unstructured],
    references: structured ? [{ code: 'SCOR', issuer: remittance.issuer, reference: compactUpperCase(remittance.reference) }] : NONE,
    structuredCount: structured ? 1 : 0,
  };
}

/** One CdtTrfTxInf as one string, written from its facts. */
function transactionXml(version: Pain001Version, tx: TransactionFacts, bic: string | undefined, address: WrittenAddress | undefined): string {
  let rmtInf = '';
  const text = tx.unstructured[0];
  const reference = tx.references[0];
  if (text !== undefined) rmtInf = `\n        <RmtInf>\n          <Ustrd>${escapeXml(text)}</Ustrd>\n        </RmtInf>`;
  else if (reference !== undefined) {
    // Same shape valid in .03 and .09: Tp (CdOrPrtry/Cd SCOR, then Issr) before Ref.
    rmtInf = `
        <RmtInf>
          <Strd>
            <CdtrRefInf>
              <Tp>
                <CdOrPrtry>
                  <Cd>SCOR</Cd>
                </CdOrPrtry>
                <Issr>${escapeXml(reference.issuer ?? '')}</Issr>
              </Tp>
              <Ref>${escapeXml(reference.reference ?? '')}</Ref>
            </CdtrRefInf>
          </Strd>
        </RmtInf>`;
  }
  const creditorAgent = bic ? `\n${agent(version, bic, '        ', 'CdtrAgt')}` : '';
  const account =
    tx.creditorIban === undefined
      ? ''
      : `
        <CdtrAcct>
          <Id>
            <IBAN>${escapeXml(tx.creditorIban)}</IBAN>
          </Id>
        </CdtrAcct>`;
  return `      <CdtTrfTxInf>
        <PmtId>
          <InstrId>${escapeXml(tx.instructionId as string)}</InstrId>
          <EndToEndId>${escapeXml(tx.endToEndId as string)}</EndToEndId>
        </PmtId>
        <Amt>
          <InstdAmt Ccy="EUR">${tx.amount as string}</InstdAmt>
        </Amt>${creditorAgent}
        <Cdtr>
          <Nm>${escapeXml(tx.creditorName as string)}</Nm>${address ? addressXml(address, '          ') : ''}
        </Cdtr>${account}${rmtInf}
      </CdtTrfTxInf>
`;
}

/** One pain.001 message as an XML string; refuses more than 100,000 payments (see `buildPain001Files`). */
export function buildPain001(batch: CreditTransferBatch, options: BuildOptions): string {
  return write(batch, options.version).bytes.toString('utf8');
}

/** SHA-256 of the file's UTF-8 bytes as lower-case hex, as shown at approval. */
export function sha256Hex(xml: string | Uint8Array): string {
  return typeof xml === 'string' ? createHash('sha256').update(xml, 'utf8').digest('hex') : createHash('sha256').update(xml).digest('hex');
}

/** Splits a batch into the payments of each file, in PmtInf order. */
function splitPayments(batch: CreditTransferBatch, maxPaymentsPerFile: number | undefined): CreditTransfer[][] {
  const limit = maxPaymentsPerFile ?? MAX_PAYMENTS_PER_FILE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAYMENTS_PER_FILE) {
    throw new RangeError(`maxPaymentsPerFile must be 1–${MAX_PAYMENTS_PER_FILE}`);
  }
  if (batch.payments.length <= limit) return [[...batch.payments]];
  const problems: BuildProblem[] = [];
  const ordered = groupBlocks(batch, batch.payments, problems).flatMap((b) => b.payments);
  if (problems.length > 0) throw new Pain001BuildError(problems);
  const parts: CreditTransfer[][] = [];
  for (let start = 0; start < ordered.length; start += limit) parts.push(ordered.slice(start, start + limit));
  return parts;
}

function fileOf(messageId: string, written: Written, numberOfTransactions: number): Pain001File {
  let xml: string | undefined;
  return {
    messageId,
    bytes: written.bytes,
    get xml(): string {
      xml ??= written.bytes.toString('utf8');
      return xml;
    },
    sha256: sha256Hex(written.bytes),
    numberOfTransactions,
    controlSum: written.controlSum,
    paymentInfos: written.paymentInfos,
  };
}

/**
 * The batch as one or more files of at most `maxPaymentsPerFile` payments
 * (BNG's 100,000). The split lives here, at file level, so a PmtInf never
 * exceeds the limit either and each file stays self-contained (its own
 * NbOfTxs, CtrlSum and SHA-256). Payments are taken in PmtInf order (execution
 * date, debtor IBAN, regular before instant, input order), so a block is only
 * cut when it alone is too large. One file keeps the batch's MsgId; several get
 * `<MsgId>-1`, `-2`, … (still an input-derived id, never a clock or random one).
 * Not checked: see `buildAndValidatePain001Files` for the release gate.
 */
export function buildPain001Files(batch: CreditTransferBatch, options: BuildFilesOptions): Pain001File[] {
  const parts = splitPayments(batch, options.maxPaymentsPerFile);
  return parts.map((payments, n) => {
    const messageId = parts.length === 1 ? batch.messageId : `${batch.messageId}-${n + 1}`;
    return fileOf(messageId, write({ ...batch, messageId, payments }, options.version), payments.length);
  });
}

export interface ValidatedPain001File extends Pain001File {
  /** The XSD and every business rule; a file is released only when `validation.valid`. */
  validation: Pain001Validation;
}

const SCHEMA: Record<Pain001Version, SchemaName> = { '03': 'pain.001.001.03', '09': 'pain.001.001.09' };

/**
 * The release gate for our own files: `buildPain001Files`, with every value
 * checked by the business rules as it is written and each file's bytes checked
 * against the XSD (in pieces of a few MiB, see `validateXmlInPieces`). One pass
 * over the payments, no second parse. When anything fails, the file is read back
 * by `validatePain001`, so the report is the same as for any file: each error
 * with its rule, its payment's EndToEndId and its line.
 */
export function buildAndValidatePain001Files(batch: CreditTransferBatch, options: BuildFilesOptions & ValidateOptions): ValidatedPain001File[] {
  const parts = splitPayments(batch, options.maxPaymentsPerFile);
  return parts.map((payments, n) => {
    const messageId = parts.length === 1 ? batch.messageId : `${batch.messageId}-${n + 1}`;
    const run = new RuleRun(options);
    const check = new PiecewiseValidation(SCHEMA[options.version], PAIN_001_LAYOUT, { forceUtf8: true });
    let written: Written;
    try {
      written = write({ ...batch, messageId, payments }, options.version, run, check);
    } catch (error) {
      check.cancel();
      throw error;
    }
    const file = fileOf(messageId, written, payments.length);
    let xsd: PiecewiseXsdResult | undefined;
    if (run.errors.errors.length === 0) xsd = check.finish(written.bytes);
    else check.cancel();
    if (xsd?.valid === true) {
      return Object.assign(file, {
        validation: { valid: true, errors: [], sha256: file.sha256, numberOfTransactions: run.count, controlSum: Money.fromCents(run.sum) },
      });
    }
    const report = validatePain001(written.bytes, options.version, options);
    return Object.assign(file, { validation: { ...report, valid: false, errors: mergeErrors(report.errors, run.errors.errors, options.maxErrors ?? 1000) } });
  });
}

/** The read-back report, plus anything the write-time check saw that it did not (there should be nothing). */
function mergeErrors(read: Pain001Error[], written: Pain001Error[], max: number): Pain001Error[] {
  const key = (e: Pain001Error): string => `${e.rule}|${e.endToEndId ?? ''}|${e.paymentInfoId ?? ''}|${e.message}`;
  const seen = new Set(read.map(key));
  const merged = [...read];
  for (const error of written) if (merged.length < max && !seen.has(key(error))) merged.push(error);
  return merged;
}
