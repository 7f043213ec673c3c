/**
 * Ingests a fixed list of bank files one after another and can be killed at any moment.
 * Run again, it uploads them all again: a file already received is answered by its first
 * upload, one already ingested answers its stored result, the rest is ingested now.
 * Used by tests/ingest/crash.test.ts. env: CRASH_DATABASE_URL, CRASH_FILES (paths, comma-separated).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { connectPostgres } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { ingestBankFile, receiveBankFile } from '../../src/ingest/files.js';

async function main(): Promise<void> {
  const handle = connectPostgres({ url: process.env.CRASH_DATABASE_URL!, poolSize: 2 });
  for (const path of process.env.CRASH_FILES!.split(',')) {
    const bytes = readFileSync(path);
    const received = await inTransaction(handle.db, (trx) => receiveBankFile(trx, { bytes, fileName: basename(path), receivedBy: 'crash-child' }));
    process.stdout.write(`received ${basename(path)}\n`);
    const result = await ingestBankFile(handle.db, received.fileId);
    process.stdout.write(`ingested ${basename(path)} ${result.status}\n`);
  }
  process.stdout.write('done\n');
  await handle.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
