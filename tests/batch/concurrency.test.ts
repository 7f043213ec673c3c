import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runDailyBatch } from '../../src/batch/run.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { freshPostgres } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, GEMEENTE, singleAdultObligations, toeslagFor, type TestClient } from './support.js';

async function snapshot(db: DatabaseHandle['db']) {
  const instructions = await db.selectFrom('payment_instruction').select(['idempotency_key', 'amount_cents', 'status', 'batch_id']).orderBy('idempotency_key').execute();
  const batches = await db.selectFrom('payment_batch').select(['id', 'execution_date', 'payments', 'total_cents']).orderBy('id').execute();
  const journal = await db.selectFrom('ledger_transaction').select(['idempotency_key', 'outcome']).orderBy('idempotency_key').execute();
  return { instructions, batches, journal };
}

/** Two workers running the same gemeente's batch at the same moment, on the real PostgreSQL: one result. */
describe.skipIf(inject('pgUnavailable') !== '')('the daily batch run twice at once [postgres]', () => {
  let handle: DatabaseHandle;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    handle = await freshPostgres(8);
    await aServiceRegion(handle.db);
    for (let i = 0; i < 12; i += 1) clients.push(await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01'), toeslagenConsentReference: i % 2 === 0 ? 'consent' : null }));
    await bankCredits(handle.db, '2026-03-20', clients.map((c) => toeslagFor(c, 'HUURTOESLAG', '380.00', '2026-04')));
    await bankCredits(handle.db, '2026-03-24', clients.map((c) => bijstandFor(c, '1334.23', '2026-03')));
  }, 120_000);
  afterAll(async () => handle.close());

  it('two runs of each day at once create every reservation and payment once, the same batches and one report', async () => {
    for (const day of ['2026-03-25', '2026-03-26', '2026-03-27', '2026-03-30']) {
      const run = (who: string) => runDailyBatch(handle.db, { gemeenteId: GEMEENTE, runDate: day, startedBy: who, chunkSize: 5, now: new Date(`${day}T05:30:00Z`) });
      const [a, b] = await Promise.all([run('worker-a'), run('worker-b')]);
      // One of them did the work, the other found nothing left to do; both answer the same report.
      expect(a.created * b.created).toBe(0);
      expect(a.batchesCreated * b.batchesCreated).toBe(0);
      expect(b.report).toEqual(a.report);
      const stored = await handle.db.selectFrom('batch_run').select(['report', 'runs', 'status']).where('gemeente_id', '=', GEMEENTE).where('run_date', '=', day).executeTakeFirstOrThrow();
      expect(stored).toMatchObject({ runs: 2, status: 'completed', report: a.report });
    }
    const before = await snapshot(handle.db);
    // 12 clients: on 26 March every Monday-30-March leefgeld, on 30 March the April costs (5 each), one batch a day.
    expect(before.instructions.filter((i) => i.idempotency_key.startsWith('pay/'))).toHaveLength(60);
    expect(before.instructions.filter((i) => i.idempotency_key.startsWith('leefgeld/'))).toHaveLength(12);
    expect(before.journal.filter((t) => t.outcome === 'refused')).toEqual([]);
    // Once more, again both at once: nothing changes anywhere.
    await Promise.all([runDailyBatch(handle.db, { gemeenteId: GEMEENTE, runDate: '2026-03-30', startedBy: 'c' }), runDailyBatch(handle.db, { gemeenteId: GEMEENTE, runDate: '2026-03-30', startedBy: 'd' })]);
    expect(await snapshot(handle.db)).toEqual(before);
    const report = await verifyLedger(handle.db);
    expect(report.problems).toEqual([]);
  });
});
