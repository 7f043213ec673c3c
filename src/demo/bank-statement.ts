/**
 * Writes camt.053 statements and camt.054 notifications the way a Dutch bank sends them,
 * for the demo's simulated month, for tests and for benchmarks. Not used on any real
 * money path: the service only reads bank files.
 */

export interface SimulatedEntry {
  readonly amount: string;
  readonly creditDebit: 'CRDT' | 'DBIT';
  readonly bookingDate: string;
  readonly valueDate?: string;
  readonly currency?: string;
  readonly status?: 'BOOK' | 'PDNG' | 'INFO';
  readonly accountServicerReference?: string;
  readonly entryReference?: string;
  /** ISO domain/family/sub-family, e.g. PMNT/RCDT/ESCT; or a proprietary code with its issuer. */
  readonly bankCode?: { readonly domain: string; readonly family: string; readonly subFamily: string } | { readonly proprietary: string; readonly issuer: string };
  readonly additionalInfo?: string;
  readonly details?: readonly SimulatedDetail[];
  /** A batch reported without (or with) details: PmtInfId, count and total. */
  readonly batch?: { readonly paymentInformationId: string; readonly count: number; readonly total: string };
}

export interface SimulatedDetail {
  readonly amount?: string;
  readonly endToEndId?: string;
  readonly instructionId?: string;
  readonly counterpartyName?: string;
  readonly counterpartyIban?: string;
  readonly unstructured?: string;
  readonly creditorReference?: { readonly reference: string; readonly issuer: 'CUR' | 'ISO' };
  readonly returnReason?: string;
}

export interface SimulatedStatement {
  readonly id: string;
  readonly iban: string;
  readonly electronicSequence?: number;
  readonly copyDuplicate?: 'COPY' | 'DUPL' | 'CODU';
  readonly opening?: { readonly amount: string; readonly date: string };
  readonly closing?: { readonly amount: string; readonly date: string };
  readonly entries: readonly SimulatedEntry[];
}

export interface SimulatedFile {
  readonly kind: 'camt.053' | 'camt.054';
  readonly messageId: string;
  readonly createdAt: string;
  readonly statements: readonly SimulatedStatement[];
  /** `02` writes Sts and parties as text; `08` as Sts/Cd and Pty/Nm. */
  readonly version?: '02' | '08';
  /** Namespace prefix, as some banks write it (`<ns2:Document>`). */
  readonly prefix?: string;
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function signedBalance(type: string, balance: { amount: string; date: string }): string {
  const debit = balance.amount.startsWith('-');
  const amount = debit ? balance.amount.slice(1) : balance.amount;
  return `<Bal><Tp><CdOrPrtry><Cd>${type}</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>${debit ? 'DBIT' : 'CRDT'}</CdtDbtInd><Dt><Dt>${balance.date}</Dt></Dt></Bal>`;
}

function party(role: 'Dbtr' | 'Cdtr', name: string | undefined, iban: string | undefined, v08: boolean): string {
  const nm = name === undefined ? '' : v08 ? `<${role}><Pty><Nm>${escapeXml(name)}</Nm></Pty></${role}>` : `<${role}><Nm>${escapeXml(name)}</Nm></${role}>`;
  const acct = iban === undefined ? '' : `<${role}Acct><Id><IBAN>${iban}</IBAN></Id></${role}Acct>`;
  return nm + acct;
}

function detail(d: SimulatedDetail, entry: SimulatedEntry, v08: boolean): string {
  const cd = entry.creditDebit;
  const returned = d.returnReason !== undefined;
  // A credit's counterparty is its debtor; a debit's (and a return's original payee) its creditor.
  const role: 'Dbtr' | 'Cdtr' = cd === 'CRDT' && !returned ? 'Dbtr' : 'Cdtr';
  const amount = d.amount === undefined ? '' : v08 ? `<Amt Ccy="EUR">${d.amount}</Amt>` : `<AmtDtls><TxAmt><Amt Ccy="EUR">${d.amount}</Amt></TxAmt></AmtDtls>`;
  const refs = [d.instructionId === undefined ? '' : `<InstrId>${escapeXml(d.instructionId)}</InstrId>`, `<EndToEndId>${escapeXml(d.endToEndId ?? 'NOTPROVIDED')}</EndToEndId>`].join('');
  const parties = d.counterpartyName === undefined && d.counterpartyIban === undefined ? '' : `<RltdPties>${party(role, d.counterpartyName, d.counterpartyIban, v08)}</RltdPties>`;
  const strd = d.creditorReference
    ? `<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>${d.creditorReference.issuer}</Issr></Tp><Ref>${escapeXml(d.creditorReference.reference)}</Ref></CdtrRefInf></Strd>`
    : '';
  const ustrd = d.unstructured === undefined ? '' : `<Ustrd>${escapeXml(d.unstructured)}</Ustrd>`;
  const rmt = strd || ustrd ? `<RmtInf>${ustrd}${strd}</RmtInf>` : '';
  const rtr = returned ? `<RtrInf><Rsn><Cd>${escapeXml(d.returnReason!)}</Cd></Rsn></RtrInf>` : '';
  return `<TxDtls><Refs>${refs}</Refs>${amount}${parties}${rmt}${rtr}</TxDtls>`;
}

function bankCode(code: SimulatedEntry['bankCode']): string {
  if (!code) return '';
  if ('proprietary' in code) return `<BkTxCd><Prtry><Cd>${escapeXml(code.proprietary)}</Cd><Issr>${escapeXml(code.issuer)}</Issr></Prtry></BkTxCd>`;
  return `<BkTxCd><Domn><Cd>${code.domain}</Cd><Fmly><Cd>${code.family}</Cd><SubFmlyCd>${code.subFamily}</SubFmlyCd></Fmly></Domn></BkTxCd>`;
}

function entry(e: SimulatedEntry, v08: boolean): string {
  const status = e.status ?? 'BOOK';
  const batch = e.batch
    ? `<Btch><PmtInfId>${escapeXml(e.batch.paymentInformationId)}</PmtInfId><NbOfTxs>${e.batch.count}</NbOfTxs><TtlAmt Ccy="EUR">${e.batch.total}</TtlAmt><CdtDbtInd>${e.creditDebit}</CdtDbtInd></Btch>`
    : '';
  const details = (e.details ?? []).map((d) => detail(d, e, v08)).join('');
  return [
    '<Ntry>',
    e.entryReference === undefined ? '' : `<NtryRef>${escapeXml(e.entryReference)}</NtryRef>`,
    `<Amt Ccy="${e.currency ?? 'EUR'}">${e.amount}</Amt>`,
    `<CdtDbtInd>${e.creditDebit}</CdtDbtInd>`,
    v08 ? `<Sts><Cd>${status}</Cd></Sts>` : `<Sts>${status}</Sts>`,
    `<BookgDt><Dt>${e.bookingDate}</Dt></BookgDt>`,
    `<ValDt><Dt>${e.valueDate ?? e.bookingDate}</Dt></ValDt>`,
    e.accountServicerReference === undefined ? '' : `<AcctSvcrRef>${escapeXml(e.accountServicerReference)}</AcctSvcrRef>`,
    bankCode(e.bankCode),
    batch || details ? `<NtryDtls>${batch}${details}</NtryDtls>` : '',
    e.additionalInfo === undefined ? '' : `<AddtlNtryInf>${escapeXml(e.additionalInfo)}</AddtlNtryInf>`,
    '</Ntry>',
  ].join('');
}

function statement(s: SimulatedStatement, kind: SimulatedFile['kind'], createdAt: string, v08: boolean): string {
  const tag = kind === 'camt.053' ? 'Stmt' : 'Ntfctn';
  return [
    `<${tag}>`,
    `<Id>${escapeXml(s.id)}</Id>`,
    s.electronicSequence === undefined ? '' : `<ElctrncSeqNb>${s.electronicSequence}</ElctrncSeqNb>`,
    `<CreDtTm>${createdAt}</CreDtTm>`,
    s.copyDuplicate === undefined ? '' : `<CpyDplctInd>${s.copyDuplicate}</CpyDplctInd>`,
    `<Acct><Id><IBAN>${s.iban}</IBAN></Id><Ccy>EUR</Ccy></Acct>`,
    s.opening ? signedBalance('OPBD', s.opening) : '',
    s.closing ? signedBalance('CLBD', s.closing) : '',
    ...s.entries.map((e) => entry(e, v08)),
    `</${tag}>`,
  ].join('\n');
}

/** The XML of a simulated file, UTF-8. */
export function writeCamt(file: SimulatedFile): string {
  const version = file.version ?? '02';
  const v08 = version === '08';
  const message = file.kind === 'camt.053' ? 'BkToCstmrStmt' : 'BkToCstmrDbtCdtNtfctn';
  const body = [
    `<${message}>`,
    `<GrpHdr><MsgId>${escapeXml(file.messageId)}</MsgId><CreDtTm>${file.createdAt}</CreDtTm></GrpHdr>`,
    ...file.statements.map((s) => statement(s, file.kind, file.createdAt, v08)),
    `</${message}>`,
  ].join('\n');
  const ns = `urn:iso:std:iso:20022:tech:xsd:${file.kind}.001.${version}`;
  const xml = file.prefix
    ? `<${file.prefix}:Document xmlns:${file.prefix}="${ns}">${body.replace(/<(\/?)([A-Za-z])/g, `<$1${file.prefix}:$2`)}</${file.prefix}:Document>`
    : `<Document xmlns="${ns}">\n${body}\n</Document>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`;
}
