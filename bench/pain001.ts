/**
 * pain.001 at national scale, side by side with the `sepa` npm package (3.0.0):
 * the same N payments become one pain.001 file on each side, each side in its
 * own child process so peak memory (maxRSS) and CPU time belong to it alone.
 *
 * - ours: `buildAndValidatePain001Files`, the release gate: the file written
 *   straight into bytes, every value checked by the business rules as it is
 *   written, the bytes checked against the XSD (in pieces), SHA-256.
 * - sepa: the same job done with the `sepa` package, so that it too ends in
 *   an XSD-validated file a bank takes: `new SEPA.Document(...)` with its own
 *   field checks (IBAN checksum, lengths, decimals), `toString()`, its
 *   structured references rewritten into the shape both XSDs require (sepa
 *   writes `Tp/CdorPrtry/(Cd, Issr, Ref)`, which no XSD accepts), then the same
 *   XSD check of its bytes. Its input names and texts are converted to the EPC
 *   set before the clock starts (sepa has no transliteration; charging that
 *   to sepa would only make it slower). Both phases are timed and reported, so
 *   the ratio to sepa's build alone is shown too. Our business rules are run on
 *   its file afterwards, untimed, to say whether a bank would take it.
 * - recheck: our file read back by `validatePain001` (XSD + rules on the
 *   bytes), what a file from elsewhere or from the outbox goes through.
 *
 * Usage: `npm run build && node dist/bench/pain001.js 100000 [03|09]`.
 * Never fails on timing; exits non-zero only when our file is not valid.
 */
import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import IBAN from 'iban';
import { Document as SepaDocument } from 'sepa';
import { Money } from '../src/money/money.js';
import { makeBetalingskenmerk, makeRfReference } from '../src/references/index.js';
import {
  buildAndValidatePain001Files,
  buildPain001Files,
  toEpcText,
  validatePain001,
  type CreditTransfer,
  type CreditTransferBatch,
  type Pain001Version,
} from '../src/sepa/index.js';
import { PAIN_001_LAYOUT, validateXmlInPieces } from '../src/xml/xsd.js';

const TODAY = '2026-11-25';
const EXECUTION_DATE = '2026-11-27';
const CREATED = '2026-11-25T06:00:00';
const DEBTOR = { name: 'Sociale Dienst Drechtsteden', iban: 'NL49BNGH0285010110', bic: 'BNGHNL2G' };

const nl = (bban: string): string => IBAN.fromBBAN('NL', bban);
const LANDLORDS = [
  { name: 'Woonbron & Co "Zuid"', iban: nl('ABNA0417164300') },
  { name: 'Trivire', iban: nl('INGB0001234567') },
  { name: 'Woonkracht10 – Zwijndrecht', iban: nl('RABO0123456789') },
  { name: 'Rhiant', iban: nl('BNGH0285010111') },
];
const SUPPLIERS = [
  { name: 'Eneco Energie', iban: nl('INGB0002445588') },
  { name: 'Vattenfall Klantenservice N.V.', iban: nl('RABO0123459876') },
  { name: 'Evides Waterbedrijf', iban: nl('ABNA0123456789') },
  { name: 'Zilveren Kruis Zorgverzekeringen', iban: nl('RABO0300065264') },
];
/** Clients: their Latin spelling (BRP) goes out; some are shown to people in another script. */
const CLIENTS = [
  { name: 'Şükrü Öztürk' },
  { name: 'Łucja Wiśniewska-Żółkiewska' },
  { name: 'Олександр Шевченко' },
  { name: 'Tesfay Gebremedhin', displayName: 'ተስፋይ ገብረመድህን' },
  { name: 'Mohammed Al-Hassan', displayName: 'محمد الحسن' },
  { name: 'Aimée Noël François' },
];

/**
 * `n` payments of a month: rent with a betalingskenmerk (CUR), energy, water
 * and health insurance with an RF reference (ISO), leefgeld to the client's own
 * account with free text; names and texts that need transliteration.
 */
export function pain001Payments(n: number): CreditTransfer[] {
  const payments: CreditTransfer[] = [];
  for (let i = 0; i < n; i += 1) {
    const endToEndId = `OZ-2026-11-${String(i).padStart(7, '0')}`;
    const kind = i % 3;
    if (kind === 0) {
      const landlord = LANDLORDS[i % LANDLORDS.length] as (typeof LANDLORDS)[number];
      payments.push({
        endToEndId,
        executionDate: EXECUTION_DATE,
        debtor: DEBTOR,
        amount: Money.fromCents(65_000n + BigInt((i * 7919) % 25_000)),
        creditor: landlord,
        remittance: { kind: 'structured', issuer: 'CUR', reference: makeBetalingskenmerk(String(100_000_000_000_000 + i)) },
      });
    } else if (kind === 1) {
      const supplier = SUPPLIERS[i % SUPPLIERS.length] as (typeof SUPPLIERS)[number];
      payments.push({
        endToEndId,
        executionDate: EXECUTION_DATE,
        debtor: DEBTOR,
        amount: Money.fromCents(2_500n + BigInt((i * 104_729) % 15_000)),
        creditor: supplier,
        remittance: { kind: 'structured', issuer: 'ISO', reference: makeRfReference(`OZ2026${i}`) },
      });
    } else {
      const client = CLIENTS[i % CLIENTS.length] as (typeof CLIENTS)[number];
      payments.push({
        endToEndId,
        executionDate: EXECUTION_DATE,
        debtor: DEBTOR,
        amount: Money.fromCents(15_000n + BigInt((i * 31) % 10_000)),
        creditor: { ...client, iban: nl(`INGB${String(i).padStart(10, '0')}`) },
        remittance: { kind: 'unstructured', text: `Leefgeld week 48 – dossier ${i} – “vaste lasten betaald”` },
      });
    }
  }
  return payments;
}

function batchOf(payments: CreditTransfer[], version: Pain001Version): CreditTransferBatch {
  return { messageId: `OZ-BENCH-${version}`, creationDateTime: CREATED, initiatingPartyName: DEBTOR.name, payments };
}

/**
 * What a caller of `sepa` must hand it for a file a bank takes: names and free texts already in the
 * EPC set (sepa sends what it is given). Done in place, before the clock starts, so sepa's side holds
 * no second copy of the payments.
 */
function convertForSepa(payments: readonly CreditTransfer[]): void {
  const names = new Map<string, string>();
  for (const payment of payments) {
    const creditor = payment.creditor as { name: string };
    let name = names.get(creditor.name);
    if (name === undefined) names.set(creditor.name, (name = toEpcText(creditor.name, 70)));
    creditor.name = name;
    const remittance = payment.remittance as { kind: string; text?: string } | undefined;
    if (remittance?.kind === 'unstructured' && remittance.text !== undefined) remittance.text = toEpcText(remittance.text, 140);
  }
}

/**
 * sepa 3.0.0 writes a structured reference as `Tp/CdorPrtry/(Cd, Issr, Ref)`, which fails the XSD of
 * both versions; its user has to rewrite it into `Tp/(CdOrPrtry/Cd, Issr)` and `Ref`. The right
 * shape has exactly the same tags, so it is rewritten in place in the file's bytes: no second copy
 * of a 40 MB file.
 */
function fixStructuredReferences(bytes: Buffer): void {
  const open = Buffer.from('<Tp><CdorPrtry><Cd>');
  const value = (from: number, tag: string): { text: string; end: number } => {
    const start = bytes.indexOf(`<${tag}>`, from) + tag.length + 2;
    const end = bytes.indexOf(`</${tag}>`, start);
    return { text: bytes.toString('latin1', start, end), end: end + tag.length + 3 };
  };
  for (let at = bytes.indexOf(open); at !== -1; at = bytes.indexOf(open, at + 1)) {
    const code = value(at, 'Cd');
    const issuer = value(code.end, 'Issr');
    const reference = value(issuer.end, 'Ref');
    const end = bytes.indexOf('</Tp>', reference.end) + 5;
    const fixed = `<Tp><CdOrPrtry><Cd>${code.text}</Cd></CdOrPrtry><Issr>${issuer.text}</Issr></Tp><Ref>${reference.text}</Ref>`;
    if (fixed.length !== end - at) throw new Error(`unexpected structured reference at byte ${at}`);
    bytes.write(fixed, at, 'latin1');
  }
}

/** The same payments through the `sepa` package, as its README shows. */
function sepaXml(payments: CreditTransfer[], version: Pain001Version): string {
  const doc = new SepaDocument(`pain.001.001.${version}`);
  doc.grpHdr.id = `OZ-BENCH-${version}`;
  doc.grpHdr.created = new Date(CREATED);
  doc.grpHdr.initiatorName = DEBTOR.name;
  const info = doc.createPaymentInfo();
  info.requestedExecutionDate = new Date(`${EXECUTION_DATE}T00:00:00`);
  info.debtorIBAN = DEBTOR.iban;
  info.debtorBIC = DEBTOR.bic;
  info.debtorName = DEBTOR.name;
  info.batchBooking = true;
  doc.addPaymentInfo(info);
  for (const payment of payments) {
    const tx = info.createTransaction();
    tx.end2endId = payment.endToEndId;
    tx.creditorName = payment.creditor.name; // sepa does not transliterate: the caller would have to
    tx.creditorIBAN = payment.creditor.iban;
    // sepa's API takes a JS number: the float enters on its side only, never in ours.
    tx.amount = Number(payment.amount.toString());
    if (payment.remittance?.kind === 'structured') {
      tx.structuredRemittanceInfo = { typeCode: 'SCOR', issuer: payment.remittance.issuer, reference: payment.remittance.reference };
    } else if (payment.remittance) tx.remittanceInfo = payment.remittance.text;
    info.addTransaction(tx);
  }
  return doc.toString();
}

export type Pain001Side = 'ours' | 'sepa' | 'recheck';

export interface Phase {
  what: string;
  seconds: number;
  cpuSeconds: number;
  /** maxRSS of the process at the end of the phase. */
  peakRssMb: number;
}

export interface SideFigures {
  side: Pain001Side;
  version: Pain001Version;
  payments: number;
  fileMb: number;
  sha256: string;
  /** The side's whole job (ours: build + rules + XSD; sepa: build with its checks + XSD; recheck: read back). */
  seconds: number;
  cpuSeconds: number;
  /** Peak RSS of the child process over its work, and before it (runtime, modules, the input payments). */
  peakRssMb: number;
  baselineRssMb: number;
  phases: Phase[];
  xsdValid: boolean;
  xsdFirstError?: string;
  rulesValid: boolean;
  ruleErrors: number;
  firstRuleErrors: string[];
}

const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
const maxRssMb = (): number => Math.round(process.resourceUsage().maxRSS / 1024);

/** Runs one side in this process (the child) and returns its figures. */
function runSide(side: Pain001Side, n: number, version: Pain001Version): SideFigures {
  const payments = pain001Payments(n);
  const schema = version === '03' ? 'pain.001.001.03' : 'pain.001.001.09';
  // The wasm module is loaded by the import; the schema is compiled inside the work, as in a fresh process.
  (globalThis as { gc?: () => void }).gc?.();
  const baselineRssMb = maxRssMb();
  const phases: Phase[] = [];
  let mark = { t: performance.now(), cpu: process.cpuUsage() };
  const phase = (what: string): void => {
    const cpu = process.cpuUsage(mark.cpu);
    phases.push({ what, seconds: (performance.now() - mark.t) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: maxRssMb() });
    mark = { t: performance.now(), cpu: process.cpuUsage() };
  };

  if (side === 'ours') {
    const files = buildAndValidatePain001Files(batchOf(payments, version), { version, today: TODAY });
    phase('build + rules + XSD + SHA-256');
    const file = files[0];
    if (!file || files.length !== 1) throw new Error(`expected one file, got ${files.length}`);
    const v = file.validation;
    return {
      side,
      version,
      payments: n,
      fileMb: mb(file.bytes.length),
      sha256: file.sha256,
      seconds: phases[0]?.seconds ?? 0,
      cpuSeconds: phases[0]?.cpuSeconds ?? 0,
      peakRssMb: maxRssMb(),
      baselineRssMb,
      phases,
      xsdValid: !v.errors.some((e) => e.rule === 'xsd'),
      rulesValid: v.valid,
      ruleErrors: v.errors.length,
      firstRuleErrors: v.errors.slice(0, 3).map((e) => e.message),
    };
  }

  if (side === 'recheck') {
    const files = buildPain001Files(batchOf(payments, version), { version });
    const bytes = files[0]?.bytes ?? Buffer.alloc(0);
    (globalThis as { gc?: () => void }).gc?.();
    const before = maxRssMb();
    mark = { t: performance.now(), cpu: process.cpuUsage() };
    const check = validatePain001(bytes, version, { today: TODAY });
    phase('validatePain001: XSD + scan + rules');
    return {
      side,
      version,
      payments: n,
      fileMb: mb(bytes.length),
      sha256: check.sha256,
      seconds: phases[0]?.seconds ?? 0,
      cpuSeconds: phases[0]?.cpuSeconds ?? 0,
      peakRssMb: maxRssMb(),
      baselineRssMb: before,
      phases,
      xsdValid: !check.errors.some((e) => e.rule === 'xsd'),
      rulesValid: check.valid,
      ruleErrors: check.errors.length,
      firstRuleErrors: check.errors.slice(0, 3).map((e) => e.message),
    };
  }

  convertForSepa(payments);
  (globalThis as { gc?: () => void }).gc?.();
  mark = { t: performance.now(), cpu: process.cpuUsage() };
  const bytes = Buffer.from(sepaXml(payments, version), 'utf8');
  fixStructuredReferences(bytes);
  phase('sepa: build with its checks + toString + references fixed');
  const xsd = validateXmlInPieces(bytes, schema, PAIN_001_LAYOUT, { forceUtf8: true });
  phase('XSD of its bytes (same validator)');
  const [build, xsdPhase] = phases as [Phase, Phase];
  const peak = xsdPhase.peakRssMb;
  // Not timed as sepa's work: would a bank take the file? (our business rules on its bytes)
  const check = validatePain001(bytes, version, { today: TODAY, maxErrors: 100_000 });
  const notXsd = check.errors.filter((e) => e.rule !== 'xsd');
  return {
    side,
    version,
    payments: n,
    fileMb: mb(bytes.length),
    sha256: check.sha256,
    seconds: build.seconds + xsdPhase.seconds,
    cpuSeconds: build.cpuSeconds + xsdPhase.cpuSeconds,
    peakRssMb: peak,
    baselineRssMb,
    phases,
    xsdValid: xsd.valid,
    ...(xsd.errors[0] ? { xsdFirstError: `line ${xsd.errors[0].line}: ${xsd.errors[0].message}` } : {}),
    rulesValid: notXsd.length === 0,
    ruleErrors: notXsd.length,
    firstRuleErrors: summarise(notXsd.map((e) => e.rule)),
  };
}

/** "epc_characters × 66,667" for a long list of rule codes. */
function summarise(rules: string[]): string[] {
  const counts = new Map<string, number>();
  for (const rule of rules) counts.set(rule, (counts.get(rule) ?? 0) + 1);
  return [...counts].map(([rule, count]) => `${rule} × ${int.format(count)}`);
}

const CHILD_FLAG = '--pain001-child';
const MARK = 'PAIN001-FIGURES ';

function runChild(side: Pain001Side, n: number, version: Pain001Version): SideFigures {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--expose-gc', script, CHILD_FLAG, side, String(n), version], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = child.stdout.split('\n').find((l) => l.startsWith(MARK));
  if (child.status !== 0 || !line) throw new Error(`pain.001 bench child (${side}) failed: ${child.stderr || child.stdout}`);
  return JSON.parse(line.slice(MARK.length)) as SideFigures;
}

const int = new Intl.NumberFormat('en-US');
const secs = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const ratio = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export interface Pain001BenchResult {
  payments: number;
  version: Pain001Version;
  ours: SideFigures;
  sepa: SideFigures;
  recheck: SideFigures;
  /** sepa ÷ ours: how many times faster (wall, CPU) and leaner (peak RSS) ours is, for the same job. */
  ratios: {
    seconds: number;
    cpuSeconds: number;
    peakRss: number;
    /** sepa's build alone (no XSD check) ÷ ours: the comparison before the job was made the same. */
    secondsBuildOnly: number;
    cpuSecondsBuildOnly: number;
    /** Peak RSS over each side's baseline (the input payments and runtime are the same on both sides). */
    rssOverBaseline: number;
  };
  targets: { threeTimesFaster: boolean; thirdOfMemory: boolean; bothFilesValid: boolean; withinFiveSeconds: boolean };
  table: string;
}

function row(f: SideFigures, what: string): string {
  const valid = f.xsdValid ? (f.rulesValid ? 'XSD valid, rules pass' : `XSD valid; rules: ${f.firstRuleErrors.join(', ')}`) : `**XSD invalid** (${f.xsdFirstError ?? 'see errors'})${f.rulesValid ? '' : `; rules: ${f.firstRuleErrors.join(', ')}`}`;
  return `| ${what} | ${ratio.format(f.fileMb)} | ${secs.format(f.seconds)} | ${secs.format(f.cpuSeconds)} | ${int.format(f.peakRssMb)} | ${int.format(f.peakRssMb - f.baselineRssMb)} | ${valid} |`;
}

/**
 * Builds `payments` payments into one pain.001 on both sides, each in its own
 * child process, prints a table and returns the figures.
 */
export function runPain001Bench(payments: number, options: { version?: Pain001Version; log?: (line: string) => void } = {}): Pain001BenchResult {
  const version = options.version ?? '09';
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  log(`pain.001.001.${version}: ${int.format(payments)} payments, ours and sepa ${'3.0.0'} each in a child process`);
  const ours = runChild('ours', payments, version);
  const sepa = runChild('sepa', payments, version);
  const recheck = runChild('recheck', payments, version);
  const [sepaBuild, sepaXsd] = sepa.phases as [Phase, Phase];
  const ratios = {
    seconds: sepa.seconds / ours.seconds,
    cpuSeconds: sepa.cpuSeconds / ours.cpuSeconds,
    peakRss: sepa.peakRssMb / ours.peakRssMb,
    secondsBuildOnly: sepaBuild.seconds / ours.seconds,
    cpuSecondsBuildOnly: sepaBuild.cpuSeconds / ours.cpuSeconds,
    rssOverBaseline: (sepa.peakRssMb - sepa.baselineRssMb) / Math.max(1, ours.peakRssMb - ours.baselineRssMb),
  };
  const targets = {
    threeTimesFaster: ratios.seconds >= 3,
    thirdOfMemory: ratios.peakRss >= 3,
    bothFilesValid: ours.rulesValid && ours.xsdValid && sepa.xsdValid,
    withinFiveSeconds: ours.seconds <= 5,
  };
  const lines = [
    '| side | file MB | wall s | CPU s | peak RSS MB | over input MB | file |',
    '|:--|--:|--:|--:|--:|--:|:--|',
    row(ours, `ours: build + rules + XSD (.${version})`),
    row(sepa, `sepa 3.0.0: build + its checks + XSD (.${version})`),
    `| … of which sepa's build (its checks, toString, references fixed) | | ${secs.format(sepaBuild.seconds)} | ${secs.format(sepaBuild.cpuSeconds)} | ${int.format(sepaBuild.peakRssMb)} | | |`,
    `| … of which the XSD check of its bytes | | ${secs.format(sepaXsd.seconds)} | ${secs.format(sepaXsd.cpuSeconds)} | ${int.format(sepaXsd.peakRssMb)} | | |`,
    row(recheck, `ours read back: validatePain001 (.${version})`),
  ];
  const table = lines.join('\n');
  log(table);
  log(
    `ours vs sepa, the same job (an XSD-checked file): ${ratio.format(ratios.seconds)}× faster (wall), ${ratio.format(ratios.cpuSeconds)}× less CPU; ` +
      `against sepa's build alone ${ratio.format(ratios.secondsBuildOnly)}× (wall), ${ratio.format(ratios.cpuSecondsBuildOnly)}× (CPU); ` +
      `${ratio.format(ratios.peakRss)}× less peak RSS (${ratio.format(ratios.rssOverBaseline)}× over the shared input); ` +
      `targets: ≥ 3× faster ${targets.threeTimesFaster ? 'met' : 'MISSED'}, ≤ 1/3 memory ${targets.thirdOfMemory ? 'met' : 'MISSED'}, ` +
      `both files valid ${targets.bothFilesValid ? 'yes' : `NO (${sepa.xsdValid ? '' : 'sepa fails the XSD'}${ours.rulesValid ? '' : ' ours fails'})`}, ` +
      `ours ≤ 5 s ${targets.withinFiveSeconds ? 'met' : 'MISSED'} (${secs.format(ours.seconds)} s)`,
  );
  return { payments, version, ours, sepa, recheck, ratios, targets, table };
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  if (process.argv[2] === CHILD_FLAG) {
    const [side, n, version] = process.argv.slice(3) as [Pain001Side, string, Pain001Version];
    process.stdout.write(`${MARK}${JSON.stringify(runSide(side, Number(n), version))}\n`);
  } else {
    const n = Number(process.argv[2] ?? 100_000);
    const version = (process.argv[3] ?? '09') as Pain001Version;
    if (!Number.isInteger(n) || n < 1 || n > 100_000 || (version !== '03' && version !== '09')) {
      process.stderr.write('usage: node dist/bench/pain001.js [payments 1–100000] [03|09]\n');
      process.exit(2);
    }
    const result = runPain001Bench(n, { version });
    if (!result.ours.rulesValid) process.exitCode = 1;
  }
}
