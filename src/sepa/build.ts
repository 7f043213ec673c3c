import { createHash } from 'node:crypto';
import { Money } from '../money/money.js';
import { isIsoDate } from '../schedule/index.js';
import { normaliseIban } from '../references/index.js';
import { assessEpcText, isEpcIdentifier, toEpcText } from './charset.js';
import {
  MAX_PAYMENTS_PER_FILE,
  type BuildOptions,
  type CreditTransfer,
  type CreditTransferBatch,
  type DebtorAccount,
  type Pain001File,
  type Pain001Version,
  type PaymentInfoSummary,
} from './types.js';

/**
 * pain.001 credit-transfer files, .03 or .09, written as plain strings from
 * the batch: deterministic (the creation time and every id are inputs),
 * UTF-8 without BOM, one default namespace, no prefixes, amounts from integer
 * cents. The builder refuses only what it cannot write; every business rule
 * (IBAN checksums, amount range, execution date, references) is checked by
 * `validatePain001` on the bytes, which is what gates a release.
 */

export const NAME_MAX = 70;
export const REMITTANCE_MAX = 140;

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

interface Block {
  executionDate: string;
  debtor: DebtorAccount & { iban: string };
  payments: CreditTransfer[];
}

/** Groups into PmtInf blocks: one per (execution date, debtor IBAN), sorted by both; payments keep their order. */
function groupBlocks(payments: readonly CreditTransfer[], problems: BuildProblem[]): Block[] {
  const blocks = new Map<string, Block>();
  for (const payment of payments) {
    const iban = normaliseIban(payment.debtor.iban);
    const key = `${payment.executionDate}|${iban}`;
    let block = blocks.get(key);
    if (!block) {
      block = { executionDate: payment.executionDate, debtor: { ...payment.debtor, iban }, payments: [] };
      blocks.set(key, block);
    } else if (block.debtor.name !== payment.debtor.name || block.debtor.bic !== payment.debtor.bic) {
      problems.push({
        endToEndId: payment.endToEndId,
        rule: 'debtor_consistent',
        message: `payment ${payment.endToEndId}: debtor account ${iban} appears with another name or BIC in the same batch`,
      });
    }
    block.payments.push(payment);
  }
  return [...blocks.values()].sort((a, b) =>
    a.executionDate < b.executionDate ? -1 : a.executionDate > b.executionDate ? 1 : a.debtor.iban < b.debtor.iban ? -1 : a.debtor.iban > b.debtor.iban ? 1 : 0,
  );
}

const XML_SPECIAL = /[&<>"]/;
function esc(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function checkName(text: string, what: string, problems: BuildProblem[], endToEndId?: string): string {
  const assessed = assessEpcText(text, NAME_MAX);
  if (!/[A-Za-z0-9]/.test(assessed.text)) {
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
    ? `${indent}    <${version === '03' ? 'BIC' : 'BICFI'}>${esc(bic.toUpperCase())}</${version === '03' ? 'BIC' : 'BICFI'}>`
    : `${indent}    <Othr>\n${indent}      <Id>NOTPROVIDED</Id>\n${indent}    </Othr>`;
  return `${indent}<${tag}>\n${indent}  <FinInstnId>\n${id}\n${indent}  </FinInstnId>\n${indent}</${tag}>`;
}

/** Same shape valid in .03 and .09: Tp (CdOrPrtry/Cd SCOR, then Issr) before Ref. */
function structuredRemittance(issuer: string, reference: string): string {
  return `
        <RmtInf>
          <Strd>
            <CdtrRefInf>
              <Tp>
                <CdOrPrtry>
                  <Cd>SCOR</Cd>
                </CdOrPrtry>
                <Issr>${esc(issuer)}</Issr>
              </Tp>
              <Ref>${esc(reference.replace(/\s+/g, '').toUpperCase())}</Ref>
            </CdtrRefInf>
          </Strd>
        </RmtInf>`;
}

/** One CdtTrfTxInf as one string: 100,000 of them must not become millions of small strings. */
function transaction(version: Pain001Version, payment: CreditTransfer, creditorName: string, remittanceText: string | undefined): string {
  const remittance = payment.remittance;
  let rmtInf = '';
  // An empty text (refused at entry already) means no remittance at all: Ustrd must not be empty.
  if (remittance?.kind === 'unstructured' && remittanceText) rmtInf = `\n        <RmtInf>\n          <Ustrd>${esc(remittanceText)}</Ustrd>\n        </RmtInf>`;
  else if (remittance?.kind === 'structured') rmtInf = structuredRemittance(remittance.issuer, remittance.reference);
  const creditorAgent = payment.creditor.bic ? `\n${agent(version, payment.creditor.bic, '        ', 'CdtrAgt')}` : '';
  return `      <CdtTrfTxInf>
        <PmtId>
          <InstrId>${esc(payment.instructionId ?? payment.endToEndId)}</InstrId>
          <EndToEndId>${esc(payment.endToEndId)}</EndToEndId>
        </PmtId>
        <Amt>
          <InstdAmt Ccy="EUR">${payment.amount.toString()}</InstdAmt>
        </Amt>${creditorAgent}
        <Cdtr>
          <Nm>${esc(creditorName)}</Nm>
        </Cdtr>
        <CdtrAcct>
          <Id>
            <IBAN>${esc(normaliseIban(payment.creditor.iban))}</IBAN>
          </Id>
        </CdtrAcct>${rmtInf}
      </CdtTrfTxInf>`;
}

interface Converted {
  name: string;
  remittance: string | undefined;
}

interface Written {
  xml: string;
  paymentInfos: PaymentInfoSummary[];
  controlSum: Money;
}

function write(batch: CreditTransferBatch, version: Pain001Version): Written {
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
  const nameCache = new Map<string, string>();
  const converts = new Map<CreditTransfer, Converted>();
  const validDates = new Set<string>();
  for (const payment of batch.payments) {
    checkId(payment.endToEndId, 'EndToEndId', problems, payment.endToEndId);
    if (payment.instructionId !== undefined) checkId(payment.instructionId, 'InstrId', problems, payment.endToEndId);
    if (!validDates.has(payment.executionDate) && isIsoDate(payment.executionDate)) validDates.add(payment.executionDate);
    if (!validDates.has(payment.executionDate)) {
      problems.push({ endToEndId: payment.endToEndId, rule: 'execution_date', message: `payment ${payment.endToEndId}: execution date "${payment.executionDate}" is not YYYY-MM-DD` });
    }
    let name = nameCache.get(payment.creditor.name);
    if (name === undefined) {
      name = checkName(payment.creditor.name, 'creditor name', problems, payment.endToEndId);
      if (/[A-Za-z0-9]/.test(name)) nameCache.set(payment.creditor.name, name);
    }
    const remittance = payment.remittance?.kind === 'unstructured' ? toEpcText(payment.remittance.text, REMITTANCE_MAX) : undefined;
    converts.set(payment, { name, remittance });
  }
  const blocks = groupBlocks(batch.payments, problems);
  const debtorNames = blocks.map((b) => checkName(b.debtor.name, `debtor name of ${b.debtor.iban}`, problems));
  blocks.forEach((_, n) => checkId(`${batch.messageId}-${n + 1}`, 'PmtInfId (MsgId + "-" + sequence)', problems));
  if (problems.length > 0) throw new Pain001BuildError(problems);

  const controlSum = Money.sum(batch.payments.map((p) => p.amount));
  const lines: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.${version}">`,
    '  <CstmrCdtTrfInitn>',
    '    <GrpHdr>',
    `      <MsgId>${esc(batch.messageId)}</MsgId>`,
    `      <CreDtTm>${batch.creationDateTime}</CreDtTm>`,
    `      <NbOfTxs>${batch.payments.length}</NbOfTxs>`,
    `      <CtrlSum>${controlSum.toString()}</CtrlSum>`,
    '      <InitgPty>',
    `        <Nm>${esc(initiator)}</Nm>`,
    '      </InitgPty>',
    '    </GrpHdr>',
  ];
  const paymentInfos: PaymentInfoSummary[] = [];
  blocks.forEach((block, n) => {
    const paymentInfoId = `${batch.messageId}-${n + 1}`;
    const blockSum = Money.sum(block.payments.map((p) => p.amount));
    paymentInfos.push({
      paymentInfoId,
      executionDate: block.executionDate,
      debtorIban: block.debtor.iban,
      numberOfTransactions: block.payments.length,
      controlSum: blockSum,
      endToEndIds: block.payments.map((p) => p.endToEndId),
    });
    lines.push(
      '    <PmtInf>',
      `      <PmtInfId>${esc(paymentInfoId)}</PmtInfId>`,
      '      <PmtMtd>TRF</PmtMtd>',
      `      <BtchBookg>${batch.batchBooking === false ? 'false' : 'true'}</BtchBookg>`,
      `      <NbOfTxs>${block.payments.length}</NbOfTxs>`,
      `      <CtrlSum>${blockSum.toString()}</CtrlSum>`,
      '      <PmtTpInf>',
      '        <SvcLvl>',
      '          <Cd>SEPA</Cd>',
      '        </SvcLvl>',
    );
    if (batch.instant) lines.push('        <LclInstrm>', '          <Cd>INST</Cd>', '        </LclInstrm>');
    lines.push('      </PmtTpInf>');
    if (version === '03') lines.push(`      <ReqdExctnDt>${block.executionDate}</ReqdExctnDt>`);
    else lines.push('      <ReqdExctnDt>', `        <Dt>${block.executionDate}</Dt>`, '      </ReqdExctnDt>');
    lines.push(
      '      <Dbtr>',
      `        <Nm>${esc(debtorNames[n] as string)}</Nm>`,
      '      </Dbtr>',
      '      <DbtrAcct>',
      '        <Id>',
      `          <IBAN>${esc(block.debtor.iban)}</IBAN>`,
      '        </Id>',
      '      </DbtrAcct>',
    );
    lines.push(agent(version, block.debtor.bic, '      ', 'DbtrAgt'), '      <ChrgBr>SLEV</ChrgBr>');
    for (const payment of block.payments) {
      const converted = converts.get(payment) as Converted;
      lines.push(transaction(version, payment, converted.name, converted.remittance));
    }
    lines.push('    </PmtInf>');
  });
  lines.push('  </CstmrCdtTrfInitn>', '</Document>', '');
  return { xml: lines.join('\n'), paymentInfos, controlSum };
}

/** One pain.001 message as an XML string; refuses more than 100,000 payments (see `buildPain001Files`). */
export function buildPain001(batch: CreditTransferBatch, options: BuildOptions): string {
  return write(batch, options.version).xml;
}

/** SHA-256 of the file's UTF-8 bytes as lower-case hex, as shown at approval. */
export function sha256Hex(xml: string): string {
  return createHash('sha256').update(xml, 'utf8').digest('hex');
}

/**
 * The batch as one or more files of at most `maxPaymentsPerFile` payments
 * (BNG's 100,000). The split lives here, at file level, so a PmtInf never
 * exceeds the limit either and each file stays self-contained (its own
 * NbOfTxs, CtrlSum and SHA-256). Payments are taken in PmtInf order (execution
 * date, debtor IBAN, input order), so a block is only cut when it alone is too
 * large. One file keeps the batch's MsgId; several get `<MsgId>-1`, `-2`, …
 * (still an input-derived id, never a clock or random one).
 */
export function buildPain001Files(
  batch: CreditTransferBatch,
  options: BuildOptions & { maxPaymentsPerFile?: number },
): Pain001File[] {
  const limit = options.maxPaymentsPerFile ?? MAX_PAYMENTS_PER_FILE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAYMENTS_PER_FILE) {
    throw new RangeError(`maxPaymentsPerFile must be 1–${MAX_PAYMENTS_PER_FILE}`);
  }
  const parts: CreditTransfer[][] = [];
  if (batch.payments.length <= limit) parts.push([...batch.payments]);
  else {
    const problems: BuildProblem[] = [];
    const ordered = groupBlocks(batch.payments, problems).flatMap((b) => b.payments);
    if (problems.length > 0) throw new Pain001BuildError(problems);
    for (let start = 0; start < ordered.length; start += limit) parts.push(ordered.slice(start, start + limit));
  }
  return parts.map((payments, n) => {
    const messageId = parts.length === 1 ? batch.messageId : `${batch.messageId}-${n + 1}`;
    const written = write({ ...batch, messageId, payments }, options.version);
    return {
      messageId,
      xml: written.xml,
      sha256: sha256Hex(written.xml),
      numberOfTransactions: payments.length,
      controlSum: written.controlSum,
      paymentInfos: written.paymentInfos,
    };
  });
}
