/**
 * Bank files at national scale, one after the other in one process: reading a
 * camt.053 with N entries (whole, and streamed), and the release gate and the
 * read-back check of a pain.001 with N payments (XSD + business rules), in both
 * versions. Prints sizes, seconds, CPU and the process's RSS after each step
 * (it holds what earlier steps and the generated inputs left, so it is no
 * measure of one step: bench/camt.ts and bench/pain001.ts measure one reader or
 * side per child process for that). Never fails on timing, only when a file
 * does not come back whole.
 */
import { cpuUsage, memoryUsage } from 'node:process';
import { readCamt, streamCamt } from '../src/camt/index.js';
import { Money } from '../src/money/money.js';
import { makeBetalingskenmerk } from '../src/references/index.js';
import { buildAndValidatePain001Files, validatePain001, type CreditTransfer, type Pain001Version } from '../src/sepa/index.js';

const int = new Intl.NumberFormat('en-US');
const secs = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

/** A camt.053.001.02 statement with `n` credit entries: bijstand and toeslagen with remittance and a debtor. */
export function camtStatement(n: number): Uint8Array {
  const parts: string[] = [];
  let total = 0n;
  for (let i = 0; i < n; i++) {
    const cents = 10_000n + BigInt((i * 7919) % 150_000);
    total += cents;
    const amount = Money.fromCents(cents).toString();
    parts.push(
      `<Ntry><NtryRef>${i}</NtryRef><Amt Ccy="EUR">${amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>` +
        `<BookgDt><Dt>2026-11-24</Dt></BookgDt><ValDt><Dt>2026-11-24</Dt></ValDt><AcctSvcrRef>REF${i}</AcctSvcrRef>` +
        `<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>` +
        `<NtryDtls><TxDtls><Refs><EndToEndId>BIJSTAND-${i}</EndToEndId></Refs><AmtDtls><TxAmt><Amt Ccy="EUR">${amount}</Amt></TxAmt></AmtDtls>` +
        `<RltdPties><Dbtr><Nm>Gemeente Dordrecht</Nm></Dbtr><DbtrAcct><Id><IBAN>NL91ABNA0417164300</IBAN></Id></DbtrAcct></RltdPties>` +
        `<RmtInf><Ustrd>Bijstand november 2026 dossier ${100000 + i}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>`,
    );
  }
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>` +
    `<GrpHdr><MsgId>BENCH-1</MsgId><CreDtTm>2026-11-24T18:00:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id><ElctrncSeqNb>1</ElctrncSeqNb>` +
    `<CreDtTm>2026-11-24T18:00:00</CreDtTm><Acct><Id><IBAN>NL20INGB0001234567</IBAN></Id><Ccy>EUR</Ccy></Acct>` +
    `<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">0.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-24</Dt></Dt></Bal>` +
    `<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">${Money.fromCents(total).toString()}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-24</Dt></Dt></Bal>` +
    parts.join('') +
    `</Stmt></BkToCstmrStmt></Document>`;
  return Buffer.from(xml, 'utf8');
}

/** `n` payments: rent with a betalingskenmerk, the rest leefgeld with free text, to names that need transliteration. */
export function payments(n: number): CreditTransfer[] {
  const debtor = { name: 'Sociale Dienst Drechtsteden', iban: 'NL20INGB0001234567' };
  return Array.from({ length: n }, (_, i) => ({
    endToEndId: `OZ-2026-12-${i}`,
    executionDate: '2026-11-27',
    debtor,
    amount: Money.fromCents(1_000n + BigInt((i * 7919) % 90_000)),
    creditor: { name: i % 2 === 0 ? 'Woonbron & Co "Zuid"' : 'Şükrü Öztürk', iban: 'NL91ABNA0417164300' },
    remittance:
      i % 2 === 0
        ? { kind: 'structured' as const, issuer: 'CUR' as const, reference: makeBetalingskenmerk(String(100_000_000_000_000 + i).slice(0, 15)) }
        : { kind: 'unstructured' as const, text: `Leefgeld week 49 client ${i}` },
  }));
}

interface Row {
  what: string;
  size: string;
  seconds: number;
  cpu: number;
  rssMb: number;
  result: string;
}

function measure(what: string, size: string, work: () => string): Row {
  global.gc?.();
  const before = cpuUsage();
  const t0 = performance.now();
  const result = work();
  const cpu = cpuUsage(before);
  // A timer sampling RSS never fires during synchronous work: the RSS after the step is what can be had here.
  return { what, size, seconds: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6, rssMb: Math.round(memoryUsage.rss() / 1048576), result };
}

export function runBankFileBench(n: number, log: (line: string) => void): { rows: Row[]; failures: number } {
  const rows: Row[] = [];
  let failures = 0;
  log(`bank files: camt.053 with ${int.format(n)} entries`);
  const camt = camtStatement(n);
  rows.push(
    measure('readCamt (camt.053.001.02)', `${int.format(n)} entries, ${int.format(Math.round(camt.length / 1048576))} MB`, () => {
      const doc = readCamt(camt);
      const entries = doc.statements.reduce((sum, s) => sum + s.entries.length, 0);
      const ok = entries === n && doc.statements[0]?.balanceCheck.status === 'ok';
      if (!ok) failures++;
      return ok ? `${int.format(entries)} entries, balances ok` : `FAILED: ${entries} entries, balance ${doc.statements[0]?.balanceCheck.status}`;
    }),
  );
  rows.push(
    measure('streamCamt (camt.053.001.02)', `${int.format(n)} entries, ${int.format(Math.round(camt.length / 1048576))} MB`, () => {
      let entries = 0;
      const doc = streamCamt(camt, () => (entries += 1));
      const ok = entries === n && doc.statements[0]?.balanceCheck.status === 'ok';
      if (!ok) failures++;
      return ok ? `${int.format(entries)} entries streamed, balances ok` : `FAILED: ${entries} entries, balance ${doc.statements[0]?.balanceCheck.status}`;
    }),
  );
  const list = payments(n);
  for (const version of ['03', '09'] as Pain001Version[]) {
    log(`bank files: pain.001.001.${version} with ${int.format(n)} payments`);
    let bytes: Uint8Array = new Uint8Array(0);
    rows.push(
      measure(`buildAndValidatePain001Files (.${version}): write + rules + XSD`, `${int.format(n)} payments`, () => {
        const files = buildAndValidatePain001Files(
          { messageId: `BENCH-${version}`, creationDateTime: '2026-11-25T06:00:00', initiatingPartyName: 'Sociale Dienst Drechtsteden', payments: list },
          { version, today: '2026-11-25' },
        );
        bytes = files[0]!.bytes;
        if (!files.every((f) => f.validation.valid)) failures++;
        return `${files.length} file(s), ${int.format(Math.round(bytes.length / 1048576))} MB, ${files.every((f) => f.validation.valid) ? 'valid' : 'FAILED'}`;
      }),
    );
    rows.push(
      measure(`validatePain001 (.${version}): XSD + rules on the bytes`, `${int.format(n)} payments`, () => {
        const check = validatePain001(bytes, version, { today: '2026-11-25' });
        if (!check.valid || check.numberOfTransactions !== n) failures++;
        return check.valid ? `valid, ${int.format(check.numberOfTransactions)} payments` : `FAILED: ${check.errors[0]?.message}`;
      }),
    );
  }
  return { rows, failures };
}

export function bankFileTable(rows: readonly Row[]): string {
  const lines = ['| step | size | s | CPU s | RSS MB after (process) | result |', '|:--|:--|--:|--:|--:|:--|'];
  for (const r of rows) lines.push(`| ${r.what} | ${r.size} | ${secs.format(r.seconds)} | ${secs.format(r.cpu)} | ${int.format(r.rssMb)} | ${r.result} |`);
  return lines.join('\n');
}
