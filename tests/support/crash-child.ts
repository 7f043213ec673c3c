/**
 * A worker that books a fixed day of ledger work in batches and can be killed
 * at any moment. Run again, it starts from the beginning: what was committed
 * answers as a replay, what was not is booked now. Used by tests/ledger/crash.test.ts.
 *
 * env: CRASH_DATABASE_URL (PostgreSQL) or CRASH_DATA_DIR (embedded PGlite)
 */
import { connectPGlite, connectPostgres, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { inTransaction } from '../../src/db/transaction.js';
import { bookBatch } from '../../src/ledger/index.js';
import { crashWorkload, openWorkloadAccounts } from './crash-workload.js';

async function main(): Promise<void> {
  const url = process.env.CRASH_DATABASE_URL;
  const handle: DatabaseHandle = url ? connectPostgres({ url, poolSize: 2 }) : await connectPGlite({ dataDir: process.env.CRASH_DATA_DIR! });
  await migrateToLatest(handle.db);
  const accounts = await openWorkloadAccounts(handle.db);
  const batches = crashWorkload(accounts);
  for (let i = 0; i < batches.length; i++) {
    await inTransaction(handle.db, (trx) => bookBatch(trx, batches[i]!));
    process.stdout.write(`committed ${i}\n`);
  }
  process.stdout.write('done\n');
  await handle.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
