/**
 * End-to-end ingestion (issue 11): a camt.053 of N entries (default 100,000) for a region of
 * 10,000 clients, read + matched + booked on the real PostgreSQL in one transaction, beside a
 * raw COPY of the same number of ledger rows (the floor). A second ingestion of the same
 * statement (re-sent under another message id) shows the cost of finding everything known.
 *
 *   node dist/bench/ingest.js [entries]     (BENCH_DATABASE_URL: admin connection)
 */
import os from 'node:os';
import { inTransaction } from '../src/db/transaction.js';
import { cpuProfileTo } from './profile-files.js';
import { QueryTimes } from './query-times.js';
import { ensureClient, ensureGemeente } from '../src/clients/clients.js';
import { writeCamt, type SimulatedEntry } from '../src/demo/bank-statement.js';
import { ingestBankFile, previewBankFile, receiveBankFile } from '../src/ingest/files.js';
import { addClientIdentifier, registerBankAccount, registerKnownPayer } from '../src/ingest/setup.js';
import { makeRfReference } from '../src/references/index.js';
import { verifyLedger } from '../src/ledger/index.js';
import { copyFloorPostgres, describeYardstick } from './copy.js';
import { cpuMark, cpuSince, databaseName, type CpuSpent } from './cpu.js';
import { freshDatabase } from './db.js';

const MANAGED = 'NL91ABNA0417164300';
const BENEFITS = 'NL20INGB0001234567';
const SOMEONE = 'NL02RABO0123456789';

const one = new Intl.NumberFormat('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const two = new Intl.NumberFormat('en', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

export interface IngestBenchResult {
  readonly entries: number;
  readonly clients: number;
  readonly bytes: number;
  readonly ingestMs: number;
  /** CPU of this process and of the database's backends during the first ingestion. */
  readonly ingestCpu: CpuSpent;
  /** The preview (dry run) of the re-sent statement: the reads of an ingestion, nothing written. */
  readonly previewMs: number;
  readonly replayMs: number;
  readonly copyMs: number;
  readonly copyRows: number;
  readonly summary: unknown;
  /** The issues' COPY yardstick, measured after the run (see `copyYardstick`). */
  readonly yardstick: string;
}

/**
 * A statement shaped as Dutch banks send it: every entry with its value date, bank transaction code, the MT940-style
 * additional information Dutch banks add, and the counterparty's name; 100,000 entries come to 70 MB, near the
 * 66 MB issue 11 names (the camt reading bench's file is 65 MB).
 */
function statement(n: number, clients: number, messageId: string): Uint8Array {
  const entries: SimulatedEntry[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % clients;
    const cents = 1000 + ((i * 7919) % 150_000);
    const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    const kind = i % 10;
    const common = { amount, creditDebit: 'CRDT', bookingDate: '2026-12-24', valueDate: '2026-12-24', bankCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'ESCT' } } as const;
    const info = (name: string, remittance: string, reference: string) => `/TRTP/SEPA OVERBOEKING/NAME/${name}/REMI/${remittance}/EREF/${reference}`;
    entries.push(
      kind < 6
        ? { ...common, accountServicerReference: `B${i}`, additionalInfo: info('Gemeente Dordrecht', `Uitkering december dossier BIJ-${c}`, `UITK-${i}`), details: [{ endToEndId: `UITK-${i}`, counterpartyName: 'Gemeente Dordrecht', counterpartyIban: BENEFITS, unstructured: `Uitkering december dossier BIJ-${c}` }] }
        : kind < 9
          ? { ...common, accountServicerReference: `R${i}`, additionalInfo: info('Dienst Toeslagen', makeRfReference(`C${c}`), 'NOTPROVIDED'), details: [{ endToEndId: 'NOTPROVIDED', counterpartyName: 'Belastingdienst/Toeslagen', counterpartyIban: SOMEONE, creditorReference: { issuer: 'ISO', reference: makeRfReference(`C${c}`) } }] }
          : { ...common, accountServicerReference: `U${i}`, additionalInfo: info('J. Jansen', 'onbekend', 'NOTPROVIDED'), details: [{ counterpartyName: 'J. Jansen', counterpartyIban: SOMEONE, unstructured: 'onbekend' }] },
    );
  }
  return new TextEncoder().encode(writeCamt({ kind: 'camt.053', messageId, createdAt: '2026-12-25T06:00:00', statements: [{ id: 'BENCH-STMT', iban: MANAGED, electronicSequence: 1, entries }] }));
}

export async function runIngestBench(entries: number, log: (line: string) => void = console.log): Promise<IngestBenchResult> {
  const clients = Math.min(10_000, entries);
  // BENCH_INGEST_QUERIES=1: every statement of the first ingestion with its time, summed by its first words.
  const queries = process.env.BENCH_INGEST_QUERIES === '1' ? new QueryTimes(70) : undefined;
  const database = await freshDatabase('postgres', queries ? { log: queries.log } : {});
  try {
    const db = database.handle.db;
    log(`ingest bench: setting up ${clients} clients …`);
    await inTransaction(db, async (trx) => {
      await ensureGemeente(trx, { id: 'GM0505', name: 'Dordrecht' });
      await registerBankAccount(trx, { iban: MANAGED, name: 'beheerrekening' });
      await registerKnownPayer(trx, { gemeenteId: 'GM0505', iban: BENEFITS, name: 'Gemeente Dordrecht', kind: 'bijstand' });
      for (let c = 0; c < clients; c++) {
        const client = await ensureClient(trx, { gemeenteId: 'GM0505', reference: `C${c}` });
        await addClientIdentifier(trx, { clientId: client.id, gemeenteId: 'GM0505', kind: 'case_number', value: `BIJ-${c}` });
        await addClientIdentifier(trx, { clientId: client.id, gemeenteId: 'GM0505', kind: 'rf_reference', value: makeRfReference(`C${c}`) });
      }
    });
    const bytes = statement(entries, clients, 'BENCH-1');
    log(`ingest bench: ${entries} entries, ${one.format(bytes.length / 1e6)} MB; ingesting …`);
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'bench.xml', receivedBy: 'bench' }));
    const mark = await cpuMark(databaseName(database.url));
    const t0 = performance.now();
    if (queries) queries.on = true;
    // BENCH_INGEST_CPUPROF=<file>: a CPU profile of the first ingestion only (not the set-up, the re-send or the COPY).
    const profile = await cpuProfileTo(process.env.BENCH_INGEST_CPUPROF);
    const result = await ingestBankFile(db, received.fileId);
    await profile?.stop();
    if (queries) queries.on = false;
    const ingestMs = performance.now() - t0;
    if (queries) {
      log(`ingest bench: ${queries.statements} statements, ${Math.round(queries.totalMs)} ms waiting for the server of ${Math.round(ingestMs)} ms`);
      for (const q of queries.top(25)) log(`  ${String(Math.round(q.ms)).padStart(7)} ms ${String(q.count).padStart(4)}× ${q.kind}`);
    }
    const ingestCpu = await cpuSince(mark, databaseName(database.url));
    if (result.status !== 'ingested') throw new Error(`bench file was ${result.status}: ${JSON.stringify(result.error)}`);

    const resent = statement(entries, clients, 'BENCH-1-RESENT');
    // The preview (dry run) of the re-sent statement: every read of an ingestion, nothing written.
    const tp = performance.now();
    const preview = await previewBankFile(db, resent);
    const previewMs = performance.now() - tp;
    if (preview.summary.alreadyKnown !== entries) throw new Error('the preview of the re-sent statement found new entries');
    const again = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes: resent, fileName: 'bench-again.xml', receivedBy: 'bench' }));
    const t1 = performance.now();
    const replay = await ingestBankFile(db, again.fileId);
    const replayMs = performance.now() - t1;
    const report = await verifyLedger(db);
    if (report.problems.length > 0) throw new Error(`ledger does not add up after the bench: ${report.problems.join('; ')}`);
    if ((replay.summary as { newEntries: number }).newEntries !== 0) throw new Error('the re-sent statement booked something');

    const copy = await copyFloorPostgres(database.url!, entries * 2, entries, clients);
    const yardstick = await describeYardstick();
    return { entries, clients, bytes: bytes.length, ingestMs, ingestCpu, previewMs, replayMs, copyMs: copy.postingMs + copy.transactionMs, copyRows: entries * 3, summary: result.summary, yardstick };
  } finally {
    await database.dispose();
  }
}

export function ingestTable(r: IngestBenchResult): string {
  const s = (ms: number) => `${two.format(ms / 1000)} s`;
  return [
    `| what | entries | time | per second |`,
    `|---|---:|---:|---:|`,
    `| ingest camt.053 (read + identity + match + book, one transaction) | ${r.entries} | ${s(r.ingestMs)} | ${Math.round(r.entries / (r.ingestMs / 1000))} |`,
    `| preview of the same statement re-sent (reads only, nothing written) | ${r.entries} | ${s(r.previewMs)} | ${Math.round(r.entries / (r.previewMs / 1000))} |`,
    `| the same statement re-sent (all known, nothing booked) | ${r.entries} | ${s(r.replayMs)} | ${Math.round(r.entries / (r.replayMs / 1000))} |`,
    `| COPY floor: ${r.copyRows} rows (2 postings + 1 transaction per entry) | ${r.entries} | ${s(r.copyMs)} | — |`,
    `ratio ingest / COPY floor: ${one.format(r.ingestMs / r.copyMs)}×; file ${one.format(r.bytes / 1e6)} MB; ${r.clients} clients`,
    `CPU of the first ingestion: node ${two.format(r.ingestCpu.nodeMs / 1000)} s + PostgreSQL ${two.format(r.ingestCpu.serverMs / 1000)} s (µs per entry: ${Math.round((r.ingestCpu.nodeMs * 1000) / r.entries)} + ${Math.round((r.ingestCpu.serverMs * 1000) / r.entries)}); CPU-bound ${Math.round(r.entries / ((r.ingestCpu.nodeMs + r.ingestCpu.serverMs) / 1000))} entries/s; load ${os.loadavg().map((l) => one.format(l)).join(' ')}`,
    r.yardstick,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const n = Number(process.argv[2] ?? 100_000);
  runIngestBench(n).then(
    (r) => {
      console.log(ingestTable(r));
      console.log(JSON.stringify(r.summary));
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
