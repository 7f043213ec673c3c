/**
 * Releases one payment batch and kills itself (SIGKILL, no clean-up of any kind) right after the
 * step named in CRASH_AT. Used by tests/payments/release-crash.test.ts.
 * env: CRASH_DATABASE_URL, CRASH_BATCH, CRASH_AT (a release step, or "never"), CRASH_OUTBOX.
 */
import { connectPostgres } from '../../src/db/connect.js';
import { releaseBatch } from '../../src/payments/release.js';

async function main(): Promise<void> {
  const handle = connectPostgres({ url: process.env.CRASH_DATABASE_URL!, poolSize: 2 });
  const crashAt = process.env.CRASH_AT;
  await releaseBatch(handle.db, BigInt(process.env.CRASH_BATCH!), {
    releasedBy: 'operator-crash',
    now: new Date('2026-12-28T09:00:00Z'),
    outboxDir: process.env.CRASH_OUTBOX!,
    onStep: (step) => {
      if (step === crashAt) process.kill(process.pid, 'SIGKILL');
    },
  });
  process.stdout.write('done\n');
  await handle.close();
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
