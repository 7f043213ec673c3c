import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Small writers of CAMT XML for tests: just enough structure to say one thing per test. */

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'camt');

export function fixture(name: string): Uint8Array {
  return readFileSync(join(FIXTURES, name));
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface EntrySpec {
  amount: string;
  creditDebit?: 'CRDT' | 'DBIT';
  currency?: string;
  status?: string;
  bookingDate?: string | null;
  accountServicerReference?: string;
  endToEndId?: string;
  debtorName?: string;
  unstructured?: string;
  /** Raw XML placed inside NtryDtls instead of the generated TxDtls. */
  details?: string;
}

export interface StatementSpec {
  id?: string;
  iban?: string;
  opening?: string;
  closing?: string;
  entries: EntrySpec[];
}

export function camt053(statements: StatementSpec[], version: '02' | '08' = '02'): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.${version}">`,
    '<BkToCstmrStmt>',
    '<GrpHdr><MsgId>TEST-MSG</MsgId><CreDtTm>2025-01-31T06:00:00</CreDtTm></GrpHdr>',
    ...statements.map((s, i) => statement(s, i, version)),
    '</BkToCstmrStmt>',
    '</Document>',
    '',
  ].join('\n');
}

function statement(spec: StatementSpec, index: number, version: '02' | '08'): string {
  return [
    '<Stmt>',
    `<Id>${escapeXml(spec.id ?? `STMT-${index + 1}`)}</Id>`,
    `<ElctrncSeqNb>${index + 1}</ElctrncSeqNb>`,
    `<Acct><Id><IBAN>${spec.iban ?? 'NL91ABNA0417164300'}</IBAN></Id><Ccy>EUR</Ccy></Acct>`,
    spec.opening === undefined ? '' : balance('OPBD', spec.opening),
    spec.closing === undefined ? '' : balance('CLBD', spec.closing),
    ...spec.entries.map((e) => entry(e, version)),
    '</Stmt>',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/** A signed decimal balance such as "-12.00" becomes a DBIT balance of 12.00. */
function balance(type: string, signed: string): string {
  const debit = signed.startsWith('-');
  const amount = debit ? signed.slice(1) : signed;
  return `<Bal><Tp><CdOrPrtry><Cd>${type}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${debit ? 'DBIT' : 'CRDT'}</CdtDbtInd><Dt><Dt>2025-01-31</Dt></Dt></Bal>`;
}

function entry(spec: EntrySpec, version: '02' | '08'): string {
  const status = spec.status ?? 'BOOK';
  const bookingDate = spec.bookingDate === undefined ? '2025-01-31' : spec.bookingDate;
  const details =
    spec.details ??
    [
      '<TxDtls>',
      spec.endToEndId === undefined ? '' : `<Refs><EndToEndId>${escapeXml(spec.endToEndId)}</EndToEndId></Refs>`,
      spec.debtorName === undefined
        ? ''
        : `<RltdPties><Dbtr>${version === '08' ? `<Pty><Nm>${escapeXml(spec.debtorName)}</Nm></Pty>` : `<Nm>${escapeXml(spec.debtorName)}</Nm>`}</Dbtr></RltdPties>`,
      spec.unstructured === undefined ? '' : `<RmtInf><Ustrd>${escapeXml(spec.unstructured)}</Ustrd></RmtInf>`,
      '</TxDtls>',
    ].join('');
  return [
    '<Ntry>',
    `<Amt Ccy="${spec.currency ?? 'EUR'}">${spec.amount}</Amt>`,
    `<CdtDbtInd>${spec.creditDebit ?? 'CRDT'}</CdtDbtInd>`,
    version === '08' ? `<Sts><Cd>${status}</Cd></Sts>` : `<Sts>${status}</Sts>`,
    bookingDate === null ? '' : `<BookgDt><Dt>${bookingDate}</Dt></BookgDt>`,
    spec.accountServicerReference === undefined ? '' : `<AcctSvcrRef>${escapeXml(spec.accountServicerReference)}</AcctSvcrRef>`,
    `<NtryDtls>${details}</NtryDtls>`,
    '</Ntry>',
  ]
    .filter((line) => line !== '')
    .join('\n');
}

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
