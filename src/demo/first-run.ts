import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { runDailyBatch } from '../batch/run.js';
import { reportSummaryLines } from '../batch/report.js';
import type { BsnKeys } from '../clients/bsn-keys.js';
import { availableAccountCode } from '../clients/accounts.js';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { bankFileResult, ingestBankFile, receiveBankFile, type IngestResult } from '../ingest/files.js';
import type { PlanOptions } from '../ingest/plan.js';
import { findAccountByCode, getBalance, verifyLedger } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { approveBatch } from '../payments/batches.js';
import { fileBytes, STORED_FILE_COLUMNS } from '../payments/files.js';
import { releaseBatch } from '../payments/release.js';
import { addDays, isBusinessDay } from '../schedule/index.js';
import { validatePain001, type Pain001Version } from '../sepa/index.js';
import { writeStatementFiles, type StatementFile } from '../statements/index.js';
import { writeCamt, type SimulatedEntry } from './bank-statement.js';
import { DEMO_CLIENTS, MANAGEMENT_ACCOUNT, PAYERS, demoRegionExists, setUpDemoRegion } from './region.js';

/**
 * The first run (issue 8): a simulated month on the real code. For every TARGET2 business day from
 * 23 November to 31 December 2026 the bank's camt.053 is written (bijstand on the 24th, toeslagen on
 * the 20th, the bank's debits of the batches released before, one returned rent payment), ingested,
 * then every gemeente's daily batch runs, and each new batch is approved by one demo user and
 * released by another. At the end each client's statement of the whole period is written as HTML
 * and CSV. Files land in `out/`. Replayable: a second run reuses the data, books nothing twice and
 * writes the same statement bytes.
 */
export interface FirstRunOptions {
  readonly outDir: string;
  readonly bsnKeys: BsnKeys | null;
  readonly planOptions: PlanOptions;
  readonly progress: (line: string) => void;
}

export interface FirstRunSummary {
  readonly reused: boolean;
  readonly clients: number;
  readonly days: number;
  readonly bankFiles: number;
  readonly receipts: Money;
  readonly paymentsReleased: number;
  readonly paidOut: Money;
  readonly byKind: Record<string, { count: number; total: string }>;
  readonly returned: readonly string[];
  readonly held: number;
  readonly suspense: number;
  readonly alerts: readonly string[];
  readonly painFiles: number;
  readonly painValid: boolean;
  /** One HTML and one CSV file per client in `out/statements/`, in the household's language. */
  readonly statements: readonly StatementFile[];
  readonly balances: readonly { reference: string; free: string; reserved: string }[];
  readonly verified: boolean;
  readonly problems: readonly string[];
}

const FROM = '2026-11-23';
const TO = '2026-12-31';
const APPROVER = 'demo-approver';
const OPERATOR = 'demo-operator';

function businessDays(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) if (isBusinessDay(d)) days.push(d);
  return days;
}

function ref(day: string, n: number): string {
  return `SDD${day.replace(/-/g, '')}${String(n).padStart(4, '0')}`;
}

/** What the bank books on `day`: receipts for the clients, and the debits (and one return) of our own payments. */
async function bankEntries(db: Kysely<Database>, day: string, returnedAlready: boolean): Promise<{ entries: SimulatedEntry[]; returnOf: string | null }> {
  const entries: SimulatedEntry[] = [];
  let n = 0;
  const credit = (amount: string, from: string, name: string, text: string) =>
    entries.push({ amount, creditDebit: 'CRDT', bookingDate: day, accountServicerReference: ref(day, ++n), bankCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'ESCT' }, details: [{ endToEndId: `E2E-${ref(day, n)}`, counterpartyName: name, counterpartyIban: from, unstructured: text }] });
  const month = day.slice(0, 7);
  for (const c of DEMO_CLIENTS) {
    const benefits = c.gemeenteId === 'GM0505' ? PAYERS.dordrecht : PAYERS.zwijndrecht;
    const gemeente = c.gemeenteId === 'GM0505' ? 'Gemeente Dordrecht' : 'Gemeente Zwijndrecht';
    if (day.endsWith('-24')) credit(c.bijstand, benefits, gemeente, `Uitkering ${month} dossier ${c.caseNumber}`);
    // Toeslagen arrive on the 20th, or the next business day (20 December 2026 is a Sunday).
    if (day === '2026-12-21') {
      if (c.huurtoeslag) credit(c.huurtoeslag, PAYERS.toeslagen, 'Belastingdienst Toeslagen', `HUURTOESLAG 2027-01 ${c.toeslagenReference}`);
      if (c.zorgtoeslag) credit(c.zorgtoeslag, PAYERS.toeslagen, 'Belastingdienst Toeslagen', `ZORGTOESLAG 2027-01 ${c.toeslagenReference}`);
    }
  }
  // The bank debits each released block on its execution date, as one entry without details (batch booking).
  const blocks = await db
    .selectFrom('payment_block as b')
    .innerJoin('payment_batch as t', 't.id', 'b.batch_id')
    .select(['b.payment_info_id', 'b.payments', 'b.total_cents'])
    .where('t.status', '=', 'released')
    .where('b.execution_date', '=', day)
    .orderBy('b.payment_info_id')
    .execute();
  for (const b of blocks) {
    const total = Money.fromCents(b.total_cents).toString();
    entries.push({ amount: total, creditDebit: 'DBIT', bookingDate: day, accountServicerReference: ref(day, ++n), bankCode: { domain: 'PMNT', family: 'ICDT', subFamily: 'ESCT' }, batch: { paymentInformationId: b.payment_info_id, count: b.payments, total }, additionalInfo: `/TRTP/SEPA BATCH/PREF/${b.payment_info_id}/NRTX/${b.payments}` });
  }
  // One rent payment comes back: Trivire's account for Şükrü Öztürk was closed (AC04).
  let returnOf: string | null = null;
  if (!returnedAlready) {
    const rent = await db
      .selectFrom('payment_instruction as i')
      .innerJoin('client as c', 'c.id', 'i.client_id')
      .innerJoin('obligation as o', 'o.id', 'i.obligation_id')
      .select(['i.end_to_end_id', 'i.amount_cents', 'i.execution_date'])
      .where('c.reference', '=', 'ZW-2026-0001')
      .where('o.type', '=', 'rent')
      .where('i.status', '=', 'settled')
      .where('i.execution_date', '<', addDays(day, -1))
      .executeTakeFirst();
    if (rent?.end_to_end_id) {
      returnOf = rent.end_to_end_id;
      entries.push({ amount: Money.fromCents(rent.amount_cents).toString(), creditDebit: 'CRDT', bookingDate: day, accountServicerReference: ref(day, ++n), bankCode: { proprietary: '00190', issuer: 'INGGroup' }, details: [{ endToEndId: rent.end_to_end_id, returnReason: 'AC04', counterpartyName: 'Trivire', counterpartyIban: 'NL39RABO0300065264' }] });
    }
  }
  return { entries, returnOf };
}

async function bankBalance(db: Kysely<Database>): Promise<Money> {
  const account = await findAccountByCode(db, `bank/${MANAGEMENT_ACCOUNT}`);
  return account ? (await getBalance(db, account.id)).posted : Money.ZERO;
}

export async function runFirstRun(db: Kysely<Database>, options: FirstRunOptions): Promise<FirstRunSummary> {
  const out = (sub: string) => {
    const dir = join(options.outDir, sub);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const reused = await demoRegionExists(db);
  options.progress(reused ? 'the demo region is already there: reusing it (nothing is booked twice)' : 'setting up the demo region: 2 gemeenten, 4 households, the SDD management account');
  const ids = await setUpDemoRegion(db, options.bsnKeys, FROM);
  const days = businessDays(FROM, TO);
  const alerts: string[] = [];
  let returnDone = (await db.selectFrom('payment_instruction').select('id').where('status', '=', 'returned').executeTakeFirst()) !== undefined;
  // A run that got through a day has that day's statement ingested: continue after the last one (a second run
  // after a complete one does nothing but summarise; one cut off half-way picks up where it stopped).
  const done = new Set((await db.selectFrom('bank_file').select('file_name').where('status', '=', 'ingested').execute()).map((f) => f.file_name));
  let skipped = 0;
  for (const [index, day] of days.entries()) {
    if (done.has(`camt053-${day}.xml`) && (index + 1 < days.length ? done.has(`camt053-${days[index + 1]!}.xml`) : true)) {
      skipped += 1;
      continue;
    }
    // The statement of `day`, ingested the next morning: opening balance = the ledger's bank balance.
    const { entries, returnOf } = await bankEntries(db, day, returnDone);
    const opening = await bankBalance(db);
    const closing = entries.reduce((sum, e) => (e.creditDebit === 'CRDT' ? sum.plus(Money.parse(e.amount)) : sum.minus(Money.parse(e.amount))), opening);
    const xml = writeCamt({ kind: 'camt.053', messageId: `SDD-${day}`, createdAt: `${day}T22:00:00`, statements: [{ id: `STMT-${day}`, iban: MANAGEMENT_ACCOUNT, electronicSequence: index + 1, opening: { amount: opening.toString(), date: day }, closing: { amount: closing.toString(), date: day }, entries }] });
    const bytes = new TextEncoder().encode(xml);
    writeFileSync(join(out('bank'), `camt053-${day}.xml`), bytes);
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: `camt053-${day}.xml`, receivedBy: OPERATOR }));
    const result: IngestResult = received.alreadyReceived ? await bankFileResult(db, received.fileId) : await ingestBankFile(db, received.fileId, options.planOptions);
    for (const a of result.alerts) if (a.severity === 'error' || a.code === 'payment_returned') alerts.push(`${day}: ${a.message}`);
    if (returnOf) returnDone = true;
    // Every gemeente's daily batch, then approval by one person and release by another.
    for (const gemeenteId of ['GM0505', 'GM0642']) {
      const run = await runDailyBatch(db, { gemeenteId, runDate: day, startedBy: 'demo-batch', now: new Date(`${day}T06:00:00Z`) });
      if (run.created > 0 || day === days[days.length - 1]) writeFileSync(join(out('reports'), `batch-${gemeenteId}-${day}.txt`), `${reportSummaryLines(run.report).join('\n')}\n`);
      const waiting = await db.selectFrom('payment_batch').select('id').where('gemeente_id', '=', gemeenteId).where('status', '=', 'awaiting_approval').orderBy('id').execute();
      for (const { id } of waiting) {
        const approved = await inTransaction(db, (trx) => approveBatch(trx, id, APPROVER));
        if (approved.status !== 'approved') continue;
        await releaseBatch(db, id, { releasedBy: OPERATOR, now: new Date(`${day}T07:00:00Z`), outboxDir: out('pain001') });
      }
    }
    if (index % 5 === 4 || index === days.length - 1) options.progress(`${day}: ${index + 1} of ${days.length} business days done`);
  }
  if (skipped > 0) options.progress(`${skipped} of ${days.length} days were already done and were not run again`);
  options.progress('writing each client\'s statement of the period (HTML and CSV)');
  const languages = new Map(DEMO_CLIENTS.map((c) => [c.reference, c.language]));
  const statements = await writeStatementFiles(db, {
    clientIds: [...ids.values()],
    period: { from: FROM, to: TO },
    asOf: TO,
    outDir: out('statements'),
    languageOf: (client) => languages.get(client.reference),
  });
  return summarise(db, options, ids, { reused, days: days.length, alerts }, statements.files);
}

async function summarise(
  db: Kysely<Database>,
  options: FirstRunOptions,
  ids: Map<string, bigint>,
  run: { reused: boolean; days: number; alerts: string[] },
  statements: readonly StatementFile[],
): Promise<FirstRunSummary> {
  const receipts = await db.selectFrom('bank_entry_item').select((eb) => eb.fn.sum<string>('amount_cents').as('c')).where('destination', '=', 'client').executeTakeFirst();
  const released = await db.selectFrom('payment_instruction').select(['kind', 'amount_cents', 'status']).where('status', 'in', ['released', 'settled', 'returned']).execute();
  const byKind: Record<string, { count: number; total: string }> = {};
  let paidOut = Money.ZERO;
  for (const r of released) {
    const entry = byKind[r.kind] ?? { count: 0, total: '0.00' };
    byKind[r.kind] = { count: entry.count + 1, total: Money.parse(entry.total).plus(Money.fromCents(r.amount_cents)).toString() };
    paidOut = paidOut.plus(Money.fromCents(r.amount_cents));
  }
  const held = await db.selectFrom('payment_instruction').select('id').where('status', '=', 'held').execute();
  const bankFiles = await db.selectFrom('bank_file').select('id').where('status', '=', 'ingested').execute();
  const returnedRows = await db.selectFrom('payment_instruction').select(['end_to_end_id', 'kind', 'period', 'return_reason']).where('status', '=', 'returned').orderBy('id').execute();
  const suspense = await db.selectFrom('bank_entry_item').select('id').where('destination', '=', 'suspense').execute();
  const painFiles = await db.selectFrom('payment_file').select([...STORED_FILE_COLUMNS, 'pain_version']).execute();
  const painValid = painFiles.every((f) => validatePain001(fileBytes(f), f.pain_version as Pain001Version, { today: '2026-11-23' }).errors.length === 0);
  const balances = [];
  for (const c of DEMO_CLIENTS) {
    const account = await findAccountByCode(db, availableAccountCode(ids.get(c.reference)!));
    const balance = account ? await getBalance(db, account.id) : null;
    balances.push({ reference: c.reference, free: balance?.available.toString() ?? '0.00', reserved: balance?.debitsPending.toString() ?? '0.00' });
  }
  const report = await verifyLedger(db);
  writeFileSync(join(options.outDir, 'summary.json'), `${JSON.stringify({ ...run, byKind, paidOut: paidOut.toString(), balances, statements, verified: report.problems.length === 0 }, null, 2)}\n`);
  return {
    reused: run.reused,
    clients: DEMO_CLIENTS.length,
    days: run.days,
    bankFiles: bankFiles.length,
    receipts: Money.fromCents(BigInt(receipts?.c ?? '0')),
    paymentsReleased: released.length,
    paidOut,
    byKind,
    returned: returnedRows.map((r) => `${r.kind} ${r.period} (${r.end_to_end_id ?? ''}) returned by the bank: ${r.return_reason ?? 'no reason'}; the money is reserved again for a retry`),
    held: held.length,
    suspense: suspense.length,
    alerts: run.alerts,
    painFiles: painFiles.length,
    painValid,
    statements,
    balances,
    verified: report.problems.length === 0,
    problems: report.problems,
  };
}
