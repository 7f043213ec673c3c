#!/usr/bin/env node
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from '../config.js';
import { connect, type DatabaseHandle } from '../db/connect.js';
import { migrateToLatest } from '../db/migrate.js';
import type { PlanSummary } from '../ingest/plan.js';
import type { WebhookSettings } from '../webhooks/index.js';
import { createLogger } from '../logging/logger.js';

/** Exit codes scripts can trust. */
const EXIT = { ok: 0, failed: 1, usage: 2, config: 3 } as const;
const seconds = new Intl.NumberFormat('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

const HELP = `ontzorg — payment engine for financieel ontzorgen

Usage: ontzorg <command> [options]

Commands:
  batch --date YYYY-MM-DD [--gemeente GMxxxx]
                   The daily batch for that run date (every gemeente with a policy, or one):
                   allocate, create the payments due, group them for approval, print the report.
  batches [list [--status S] | approve <id> --as <user> | reject <id> --as <user> --reason "…" |
           release <id> --as <user> [--outbox DIR] |
           hand-over-again <id> --as <user> [--file N] --reason "…" [--outbox DIR]]
                   The payment batches: list them (with each file's SHA-256), approve (four eyes),
                   reject, or release (writes the pain.001 files to the outbox, default ./out/outbox;
                   each file once ever: hand-over-again puts one back, only after the bank confirmed
                   it did not receive it).
  statements --month YYYY-MM [--gemeente GMxxxx] [--out DIR] [--language nl]
                   Every client's statement of that month as HTML and CSV, written to
                   DIR/<gemeente>/<YYYY-MM>/ (default ./out/statements). Safe to run twice.
  monitor --gemeente GMxxxx --from YYYY-MM --to YYYY-MM [--format text|json|csv|html] [--out FILE]
                   The monitor of a gemeente per month: client-months (Q of P*Q), new and ended
                   clients, maatwerk, noodvoorzieningen, rent on time, returns, arrears, suspense.
                   Prints a table (or JSON/CSV/HTML); --out writes the file. Exit 1 when refused.
  token --role R --user U [--gemeente GM0505,GM0642] [--client ID] [--org O] [--team T]
                   Mint a local bearer token (signed with AUTH_JWT_SECRET, or the embedded mode's own
                   secret) for a role: administrator, operator, approver, auditor, caseworker, client.
  demo [--reset]   Run a month of ontzorgen on the ledger for a demo region, on the
                   configured database (embedded by default), and verify the books.
                   Safe to run twice: the second run books nothing new.
                   --reset removes the embedded demo database first.
  migrate          Bring the database schema up to date.
  ingest <file>... [--preview]
                   Book bank statements (camt.053 / camt.054) on the ledger, each file in one
                   database transaction: new entries, entries already known, to suspense, alerts.
                   --preview shows what would happen and writes nothing. Exit 1 when a file
                   is refused or raises an error alert. A bank's status report (pain.002) on
                   one of our payment files is recognised by its namespace and applied.
  verify [--seal]  Recompute every balance from the journal and every seal (the hash chain over
                   the journal); exit 1 on a difference. --seal first seals what is new. Says what
                   is not sealed yet, and which open database transaction holds sealing back.
  serve [--with-workers]
                   Run the HTTP API (health: /healthz, /readyz); with --with-workers and
                   REDIS_URL also the job workers in the same process.
  worker           Run the job workers only (needs REDIS_URL).
  ready            Check that the database (and Redis, when configured) answer; exit 1 if not.
  help             Show this text.

Configuration comes from environment variables; see README.md.
Exit codes: 0 done, 1 failed, 2 wrong usage, 3 invalid configuration.`;

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: { role: { type: 'string' }, user: { type: 'string' }, client: { type: 'string' }, org: { type: 'string' }, team: { type: 'string' }, date: { type: 'string' }, gemeente: { type: 'string' }, as: { type: 'string' }, reason: { type: 'string' }, outbox: { type: 'string' }, file: { type: 'string' }, status: { type: 'string' }, month: { type: 'string' }, out: { type: 'string' }, language: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, preview: { type: 'boolean', default: false }, reset: { type: 'boolean', default: false }, seal: { type: 'boolean', default: false }, 'with-workers': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  const command = positionals[0] ?? 'help';
  if (values.help || command === 'help') {
    console.log(HELP);
    return EXIT.ok;
  }
  const config = loadConfig();
  switch (command) {
    case 'migrate':
      return withDatabase(config, async (handle) => {
        const applied = await migrateToLatest(handle.db);
        console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'the schema is up to date');
        return EXIT.ok;
      });
    case 'verify':
      return withDatabase(config, async (handle) => {
        const { describeSealStatus, sealLedger, sealStatus, verifyLedger, verifySeals } = await import('../ledger/index.js');
        const report = await verifyLedger(handle.db);
        if (values.seal) await sealLedger(handle.db);
        const seals = await verifySeals(handle.db);
        console.log(`${report.accounts} accounts, ${report.transactions} transactions, ${report.refusals} refusals, ${report.postings} postings, ${seals.seals} seals`);
        const problems = [...report.problems, ...seals.problems];
        for (const problem of problems) console.log(`  ✗ ${problem}`);
        console.log(problems.length === 0 ? 'the books add up and every seal holds' : `${problems.length} difference(s) found`);
        console.log(describeSealStatus(await sealStatus(handle.db)));
        return problems.length === 0 ? EXIT.ok : EXIT.failed;
      });
    case 'batches':
      return withDatabase(config, async (handle) => {
        const { runBatchCommand } = await import('./payments.js');
        return runBatchCommand(handle.db, { action: positionals[1], batchId: positionals[2], as: values.as, reason: values.reason, outbox: values.outbox ?? './out/outbox', status: values.status, file: values.file }, (line) => console.log(line));
      });
    case 'batch':
      return withDatabase(config, async (handle) => {
        if (config.migrateOnStart) await migrateToLatest(handle.db);
        const { runBatchCli } = await import('../batch/cli.js');
        return runBatchCli(handle.db, { date: values.date, gemeente: values.gemeente, user: process.env['USER'] ?? 'unknown' }, (line) => console.log(line));
      });
    case 'statements':
      return withDatabase(config, async (handle) => {
        if (config.migrateOnStart) await migrateToLatest(handle.db);
        const { runStatementsCli } = await import('./statements.js');
        return runStatementsCli(handle.db, { month: values.month, gemeente: values.gemeente, out: values.out, language: values.language }, (line) => console.log(line));
      });
    case 'monitor':
      return withDatabase(config, async (handle) => {
        if (config.migrateOnStart) await migrateToLatest(handle.db);
        const { runMonitorCli } = await import('./monitor.js');
        return runMonitorCli(handle.db, { gemeente: values.gemeente, from: values.from, to: values.to, format: values.format, out: values.out }, (line) => console.log(line));
      });
    case 'token':
      return mintToken(config, { role: values.role, user: values.user, gemeente: values.gemeente, client: values.client, org: values.org, team: values.team });
    case 'ingest':
      return ingest(config, positionals.slice(1), values.preview === true);
    case 'demo':
      return demo(config, values.reset === true);
    case 'serve':
      return serve(config, values['with-workers'] === true);
    case 'worker':
      return worker(config);
    case 'ready':
      return ready(config);
    default:
      console.error(`unknown command "${command}"\n\n${HELP}`);
      return EXIT.usage;
  }
}

async function withDatabase(config: Config, work: (handle: DatabaseHandle) => Promise<number>): Promise<number> {
  const handle = await connect(config);
  try {
    return await work(handle);
  } finally {
    await handle.close();
  }
}

async function demo(config: Config, reset: boolean): Promise<number> {
  const started = Date.now();
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `the embedded database in ${resolve(config.dataDir)}`;
  const outDir = resolve(process.env['ONTZORG_OUT_DIR'] ?? './out');
  if (reset) {
    if (!config.databaseUrl) rmSync(config.dataDir, { recursive: true, force: true });
    rmSync(outDir, { recursive: true, force: true });
    console.log(`reset: removed ${config.databaseUrl ? '' : `${resolve(config.dataDir)} and `}${outDir}`);
  }
  console.log(`ontzorg demo — five weeks of ontzorgen (23 November – 31 December 2026) on ${where}`);
  return withDatabase(config, async (handle) => {
    const applied = await migrateToLatest(handle.db);
    console.log(applied.length > 0 ? `· schema created (${applied.length} migrations)` : '· schema up to date');
    const { resolveBsnKeys, ingestOptionsFor } = await import('../clients/bsn-keys.js');
    const { runFirstRun } = await import('../demo/first-run.js');
    const s = await runFirstRun(handle.db, { outDir, bsnKeys: resolveBsnKeys(config), planOptions: ingestOptionsFor(config), progress: (line) => console.log(`· ${line}`) });
    console.log('');
    console.log(s.reused ? 'The demo data was already there: everything was replayed and nothing was booked twice (use --reset to start over).' : 'Done.');
    console.log(`clients: ${s.clients} in 2 gemeenten; ${s.days} business days; ${s.bankFiles} bank statements ingested`);
    console.log(`receipts booked to clients (bijstand, toeslagen): € ${s.receipts.toString()}`);
    console.log(`payments released: ${s.paymentsReleased}, € ${s.paidOut.toString()}`);
    for (const [kind, k] of Object.entries(s.byKind)) console.log(`  ${kind}: ${k.count} payments, € ${k.total}`);
    console.log(`pain.001 files: ${s.painFiles}, ${s.painValid ? 'all valid against the XSD and the business rules' : 'NOT ALL VALID'}`);
    console.log(`exceptions: ${s.returned.length} returned, ${s.held} held (no machtiging for the payee), ${s.suspense} in suspense`);
    for (const r of s.returned) console.log(`  ! ${r}`);
    for (const a of s.alerts.slice(0, 5)) console.log(`  ! ${a}`);
    for (const b of s.balances) console.log(`  ${b.reference}: € ${b.free} free, € ${b.reserved} reserved`);
    console.log(`statements: ${s.statements.length} clients, HTML and CSV each (${[...new Set(s.statements.map((f) => f.language))].join(', ')})`);
    console.log(s.verified ? 'books verified: every balance equals the sum of its postings' : 'BOOKS DO NOT ADD UP:');
    for (const p of s.problems) console.log(`  ✗ ${p}`);
    console.log(`Look in ${outDir}: bank/ (the camt.053 statements), pain001/ (the payment files), reports/ (batch reports), statements/ (each client's statement, HTML and CSV), summary.json.`);
    console.log(`done in ${seconds.format((Date.now() - started) / 1000)} s. Next: npm start, then open http://${config.host}:${config.port}/docs`);
    return s.verified && s.painValid ? EXIT.ok : EXIT.failed;
  });
}

async function mintToken(config: Config, options: { role?: string | undefined; user?: string | undefined; gemeente?: string | undefined; client?: string | undefined; org?: string | undefined; team?: string | undefined }): Promise<number> {
  const { ROLES } = await import('../auth/principal.js');
  const { loadAuthSettings, mintLocalToken } = await import('../auth/tokens.js');
  if (!options.role || !(ROLES as readonly string[]).includes(options.role) || !options.user) {
    console.error(`token needs --role (${ROLES.join(', ')}) and --user`);
    return EXIT.usage;
  }
  if (options.client !== undefined && !/^\d{1,18}$/.test(options.client)) {
    console.error('--client must be a client id (digits)');
    return EXIT.usage;
  }
  const settings = loadAuthSettings(process.env, config);
  const token = await mintLocalToken(settings, {
    userId: options.user,
    role: options.role as (typeof ROLES)[number],
    gemeenten: options.gemeente ? options.gemeente.split(',') : [],
    ...(options.org ? { organisation: options.org } : {}),
    ...(options.team ? { team: options.team } : {}),
    ...(options.client ? { clientId: BigInt(options.client) } : {}),
  });
  console.log(token);
  return EXIT.ok;
}

async function ingest(config: Config, files: string[], preview: boolean): Promise<number> {
  if (files.length === 0) {
    console.error(`ingest needs at least one file\n\n${HELP}`);
    return EXIT.usage;
  }
  const { readFileSync } = await import('node:fs');
  const { basename } = await import('node:path');
  const { inTransaction } = await import('../db/transaction.js');
  const { IngestError } = await import('../ingest/errors.js');
  const bankFiles = await import('../ingest/files.js');
  const { looksLikePain002 } = await import('../sepa/pain002.js');
  const options = (await import('../clients/bsn-keys.js')).ingestOptionsFor(config);
  return withDatabase(config, async (handle) => {
    if (config.migrateOnStart) await migrateToLatest(handle.db);
    let failed = false;
    for (const path of files) {
      const bytes = readFileSync(path);
      try {
        if (!preview && looksLikePain002(bytes)) {
          if (!(await applyStatusReportFile(handle, basename(path), bytes))) failed = true;
          continue;
        }
        if (preview) {
          const p = await bankFiles.previewBankFile(handle.db, bytes, options);
          printSummary(basename(path), 'preview', p.summary, p.alerts);
          if (p.alreadyReceived) console.log('  this exact file was uploaded before');
          continue;
        }
        const received = await inTransaction(handle.db, (trx) => bankFiles.receiveBankFile(trx, { bytes, fileName: basename(path), receivedBy: `cli:${process.env['USER'] ?? 'unknown'}` }));
        const result = received.alreadyReceived ? await bankFiles.bankFileResult(handle.db, received.fileId) : await bankFiles.ingestBankFile(handle.db, received.fileId, options);
        if (received.alreadyReceived) console.log(`${basename(path)}: already uploaded as file ${received.fileId} (${result.status}); nothing booked again`);
        if (result.status === 'refused') {
          console.log(`${basename(path)}: REFUSED (${result.error?.code ?? ''}): ${result.error?.message ?? ''}`);
          failed = true;
        } else if (result.summary) {
          printSummary(basename(path), `file ${result.fileId} ${result.status}`, result.summary, result.alerts);
          if (result.alerts.some((a) => a.severity === 'error')) failed = true;
        }
      } catch (error) {
        if (!(error instanceof IngestError)) throw error;
        console.log(`${basename(path)}: REFUSED (${error.code}): ${error.message}`);
        failed = true;
      }
    }
    return failed ? EXIT.failed : EXIT.ok;
  });
}

/** A pain.002 from `ingest`: applied in one transaction; false when refused or when it raised an error alert. */
async function applyStatusReportFile(handle: DatabaseHandle, name: string, bytes: Uint8Array): Promise<boolean> {
  const { applyStatusReport } = await import('../payments/status-reports.js');
  const { PaymentError } = await import('../payments/errors.js');
  const { amsterdamToday } = await import('../schedule/index.js');
  try {
    const r = await applyStatusReport(handle.db, bytes, { receivedBy: `cli:${process.env['USER'] ?? 'unknown'}`, bookingDate: amsterdamToday(new Date()) });
    console.log(`${name}: status report ${r.messageId} on file ${r.originalMessageId} (batch ${r.batchId})${r.replayed ? ', applied before; nothing changed' : ''}`);
    console.log(`  accepted: ${r.counts.accepted}, pending: ${r.counts.pending}, rejected: ${r.counts.rejected}, already rejected: ${r.counts.alreadyRejected}, conflicts: ${r.counts.conflicts}`);
    for (const a of r.alerts) console.log(`  ${a.severity === 'error' ? '✗' : '!'} ${a.code}: ${a.message}`);
    return !r.alerts.some((a) => a.severity === 'error');
  } catch (error) {
    if (!(error instanceof PaymentError)) throw error;
    console.log(`${name}: REFUSED (${error.code}): ${error.message}`);
    return false;
  }
}

function printSummary(name: string, what: string, s: PlanSummary, alerts: readonly { severity: string; code: string; message: string }[]): void {
  console.log(`${name}: ${what}`);
  console.log(`  ${s.statements} statement(s), ${s.entriesInFile} entries (${s.notBooked} pending/info, not booked)`);
  console.log(`  new: ${s.newEntries}, already known: ${s.alreadyKnown}, exceptions: ${s.exceptions}`);
  console.log(`  to clients: ${s.toClients}, to suspense: ${s.toSuspense}; credited € ${s.credited}, debited € ${s.debited}`);
  for (const a of alerts) console.log(`  ${a.severity === 'error' ? '✗' : '!'} ${a.code}: ${a.message}`);
}

/** The folders the release and statements jobs write to: with several workers, a volume they all share. */
function jobFolders(): { outboxDir: string; statementsDir: string } {
  return { outboxDir: process.env['ONTZORG_OUTBOX_DIR'] ?? './out/outbox', statementsDir: process.env['ONTZORG_STATEMENTS_DIR'] ?? './out/statements' };
}

function waitForStopSignal(): Promise<void> {
  return new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
}

/**
 * Where organisation webhooks may point, and the key their signing secrets are sealed with (derived
 * from the data key, ONTZORG_BSN_KEY). With the key at hand, a secret still stored in clear (set
 * before migration 0015) is sealed now.
 */
async function webhookSettings(config: Config, handle: DatabaseHandle, logger: Logger): Promise<WebhookSettings> {
  const { resolveBsnKeys } = await import('../clients/bsn-keys.js');
  const { sealStoredWebhookSecrets, webhookSecretKeyFrom } = await import('../webhooks/index.js');
  const keys = resolveBsnKeys(config);
  if (!keys) return { allowLocal: config.webhookAllowLocal };
  const secretKey = webhookSecretKeyFrom(keys.encryption);
  const sealed = await sealStoredWebhookSecrets(handle.db, secretKey);
  if (sealed > 0) logger.info({ sealed }, 'webhook signing secrets stored in clear were sealed');
  return { allowLocal: config.webhookAllowLocal, secretKey };
}

async function serve(config: Config, withWorkers: boolean): Promise<number> {
  const logger = createLogger({ level: config.logLevel });
  const handle = await connect(config);
  if (config.migrateOnStart) await migrateToLatest(handle.db);
  const webhooks = await webhookSettings(config, handle, logger);
  const { buildApp } = await import('../http/app.js');
  let redis: Redis | undefined;
  let workers: { close(): Promise<void> } | undefined;
  if (config.redisUrl) {
    const { connectRedis } = await import('../../jobs/connection.js');
    redis = connectRedis(config.redisUrl);
    if (withWorkers) {
      const { startWorkers } = await import('../../jobs/worker.js');
      workers = await startWorkers({ db: handle.db, redisUrl: config.redisUrl, logger, ingest: (await import('../clients/bsn-keys.js')).ingestOptionsFor(config), webhooks, ...jobFolders() });
    }
  } else if (withWorkers) {
    const { startInlineJobs } = await import('../../jobs/inline.js');
    const inline = startInlineJobs({ db: handle.db, logger, statementsDir: jobFolders().statementsDir, webhooks });
    workers = { close: async () => inline.close() };
    logger.info('REDIS_URL is not set: the daily jobs run inline in this process');
  }
  const { loadAuthSettings, tokenVerifier } = await import('../auth/tokens.js');
  const auth = loadAuthSettings(process.env, config);
  const bsnKeyModule = await import('../clients/bsn-keys.js');
  const planOptions = bsnKeyModule.ingestOptionsFor(config);
  const bsnKeys = bsnKeyModule.resolveBsnKeys(config);
  const ingestJobs = await import('../../jobs/ingest.js');
  const ingestQueue = redis ? ingestJobs.ingestQueue({ connection: redis }) : undefined;
  const runner = ingestQueue ? ingestJobs.queuedIngestRunner(ingestQueue) : ingestJobs.inlineIngestRunner(handle.db, logger, planOptions);
  const waitingFiles = ingestJobs.startWaitingFileSweep(handle.db, runner, logger);
  const dashboardQueues = [];
  let submitRelease: ((batchId: bigint, releasedBy: string) => Promise<void>) | undefined;
  if (redis && ingestQueue) {
    const { dailyBatchQueue } = await import('../../jobs/batch.js');
    const { verifyLedgerQueue } = await import('../../jobs/verify-ledger.js');
    const { enqueueRelease, releaseQueue } = await import('../../jobs/release.js');
    const { statementsQueue } = await import('../../jobs/statements.js');
    const { webhooksQueue } = await import('../../jobs/webhooks.js');
    const release = releaseQueue({ connection: redis });
    submitRelease = async (batchId, releasedBy) => void (await enqueueRelease(release, batchId, releasedBy));
    dashboardQueues.push(ingestQueue, dailyBatchQueue({ connection: redis }), release, statementsQueue({ connection: redis }), verifyLedgerQueue({ connection: redis }), webhooksQueue({ connection: redis }));
  }
  const app = await buildApp({ db: handle.db, logger, ...(redis ? { redis } : {}), verify: tokenVerifier(auth), submitIngest: (fileId) => runner.submit(fileId), planOptions, bsnKeys, webhooks, outboxDir: jobFolders().outboxDir, ...(submitRelease ? { submitRelease } : {}), queues: dashboardQueues });
  await app.listen({ host: config.host, port: config.port });
  await waitForStopSignal();
  await app.close();
  waitingFiles.stop();
  await runner.close();
  for (const q of dashboardQueues.slice(1)) await q.close();
  await workers?.close();
  redis?.disconnect();
  await handle.close();
  return EXIT.ok;
}

async function worker(config: Config): Promise<number> {
  if (!config.redisUrl) {
    console.error('REDIS_URL is not set: the worker needs Redis (without it, `ontzorg serve --with-workers` runs the jobs inline).');
    return EXIT.config;
  }
  const logger = createLogger({ level: config.logLevel });
  const handle = await connect(config);
  if (config.migrateOnStart) await migrateToLatest(handle.db);
  const webhooks = await webhookSettings(config, handle, logger);
  const { startWorkers } = await import('../../jobs/worker.js');
  const workers = await startWorkers({ db: handle.db, redisUrl: config.redisUrl, logger, ingest: (await import('../clients/bsn-keys.js')).ingestOptionsFor(config), webhooks, ...jobFolders() });
  logger.info('workers started');
  await waitForStopSignal();
  await workers.close();
  await handle.close();
  return EXIT.ok;
}

async function ready(config: Config): Promise<number> {
  const { sql } = await import('kysely');
  const problems: string[] = [];
  await withDatabase(config, async (handle) => {
    await sql`SELECT 1`.execute(handle.db).catch((error: unknown) => problems.push(`database: ${String(error)}`));
    return EXIT.ok;
  });
  if (config.redisUrl) {
    const { connectRedis } = await import('../../jobs/connection.js');
    const redis = connectRedis(config.redisUrl);
    await redis.ping().catch((error: unknown) => problems.push(`redis: ${String(error)}`));
    redis.disconnect();
  }
  for (const p of problems) console.error(p);
  if (problems.length === 0) console.log('ready');
  return problems.length === 0 ? EXIT.ok : EXIT.failed;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exitCode = EXIT.config;
    } else if (error instanceof TypeError && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS')) {
      console.error(`${error.message}\n\n${HELP}`);
      process.exitCode = EXIT.usage;
    } else {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exitCode = EXIT.failed;
    }
  },
);
