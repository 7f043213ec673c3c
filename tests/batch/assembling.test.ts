import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runDailyBatch } from '../../src/batch/run.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { revokeMachtiging } from '../../src/clients/machtigingen.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { approveBatch, groupIntoBatches, rejectBatch } from '../../src/payments/batches.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { freshDatabase, postgresSkipReason } from '../support/db.js';
import { MANAGED } from '../ingest/region.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, CLIENT_IBAN, GEMEENTE, singleAdultObligations, type TestClient } from './support.js';

/**
 * The daily batch writes its payments straight into the batch they go out in (migration 0026): a run opens one
 * `assembling` batch per execution date of its window, its chunks insert their payments there as `batched`, and the
 * grouping at the end counts them and hands the batch over for approval. A run stopped after a chunk shows the
 * half-way state a back office could meet while a run goes on; the next run dissolves what it left.
 */
type Db = DatabaseHandle['db'];

const STOPPED = 'the worker was stopped';

/** The daily batch in chunks of two clients; `stopAfter`: the run fails once that many chunks have committed. */
const run = (db: Db, day: string, stopAfter?: number) =>
  runDailyBatch(db, {
    gemeenteId: GEMEENTE,
    runDate: day,
    startedBy: 'test',
    chunkSize: 2,
    now: new Date(`${day}T05:30:00Z`),
    onChunk: () => {
      if (stopAfter !== undefined && --stopAfter === 0) throw new Error(STOPPED);
    },
  });

async function batches(db: Db) {
  return db.selectFrom('payment_batch').select(['id', 'status', 'execution_date', 'payments', 'total_cents']).orderBy('id').execute();
}

/** Per batch, what is really in it: the batched payments' count and total. */
async function contents(db: Db) {
  const { rows } = await sql<{ batch_id: bigint; payments: number; total_cents: bigint }>`
    SELECT batch_id, count(*)::int AS payments, sum(amount_cents)::bigint AS total_cents FROM payment_instruction WHERE status = 'batched' GROUP BY batch_id ORDER BY batch_id
  `.execute(db);
  return rows;
}

/** What each batch awaiting approval says it holds: equal to `contents` when every batch tells the truth. */
async function claimed(db: Db) {
  return (await batches(db)).filter((b) => b.status === 'awaiting_approval').map((b) => ({ batch_id: b.id, payments: b.payments, total_cents: b.total_cents }));
}

/** The April costs of every client: 6 with a machtiging × 5 obligations in batches, the other's 5 held (rule 4). */
async function aprilCosts(db: Db) {
  const rows = await db.selectFrom('payment_instruction').select(['status']).where('period', '=', '2026-04').where('kind', '=', 'obligation').execute();
  return { batched: rows.filter((r) => r.status === 'batched').length, held: rows.filter((r) => r.status === 'held').length, all: rows.length };
}

for (const driver of ['pglite', 'postgres'] as const) {
  describe.skipIf(driver === 'postgres' && postgresSkipReason() !== '')(`payments written straight into the batch being assembled [${driver}]`, () => {
    let handle: DatabaseHandle;
    let clients: TestClient[];

    beforeEach(async () => {
      handle = await freshDatabase(driver);
      await aServiceRegion(handle.db);
      clients = [];
      for (let i = 0; i < 7; i += 1) {
        // The fourth has no machtiging: its obligations are made held, outside any batch (rule 4).
        clients.push(await aClient(handle.db, { reference: `AS-${i}`, obligations: singleAdultObligations('2026-04-01'), machtiging: i !== 3 }));
      }
      await bankCredits(handle.db, '2026-03-24', clients.map((c) => bijstandFor(c, '1334.23', '2026-03')));
      // The reservation day, the leefgeld day and a quiet day: the costs day of 30 March is the one looked at.
      for (const day of ['2026-03-25', '2026-03-26', '2026-03-27']) await run(handle.db, day);
    }, 120_000);

    afterEach(async () => {
      await handle?.close();
    });

    it('half-way, the payments are in a batch still assembling that nobody can approve, reject, release or group into; the rerun judges them again and hands over complete batches', async () => {
      const { db } = handle;
      const before = new Set((await batches(db)).map((b) => b.id));
      await expect(run(db, '2026-03-30', 2)).rejects.toThrow(STOPPED);
      const assembling = (await batches(db)).filter((b) => b.status === 'assembling');
      expect(assembling.length).toBeGreaterThan(0);
      const partly = (await contents(db)).filter((c) => assembling.some((b) => b.id === c.batch_id));
      // Two chunks of two clients: their payments are in; the rest is not made yet.
      expect(partly.length).toBeGreaterThan(0);
      expect((await aprilCosts(db)).all).toBeLessThan(35);
      const [first] = partly;
      const refusal = (work: Promise<unknown>) => work.then(() => 'allowed', (error: Error & { code?: string }) => `${error.code}: ${error.message}`);
      expect(await refusal(inTransaction(db, (trx) => approveBatch(trx, first!.batch_id, 'approver-1')))).toBe(
        `batch_not_awaiting_approval: payment batch ${first!.batch_id} is still being put together by the daily batch`,
      );
      expect(await refusal(inTransaction(db, (trx) => rejectBatch(trx, first!.batch_id, 'approver-1', 'looks wrong')))).toBe(
        `batch_not_awaiting_approval: payment batch ${first!.batch_id} is still being put together by the daily batch`,
      );
      expect(await refusal(releaseBatch(db, first!.batch_id, { releasedBy: 'operator-1', now: new Date('2026-03-30T08:00:00Z') }))).toBe(
        `batch_not_approved: payment batch ${first!.batch_id} is still being put together by the daily batch; only an approved batch can be released`,
      );

      // A noodvoorziening paid meanwhile, from the same account on the same date, is grouped at once: into a batch of its
      // own, leaving the one being assembled alone.
      const date = assembling.find((b) => b.id === first!.batch_id)!.execution_date;
      await inTransaction(db, (trx) =>
        createPaymentInstructions(trx, [
          {
            idempotencyKey: 'noodvoorziening-1', clientId: clients[0]!.id, gemeenteId: GEMEENTE, kind: 'noodvoorziening', period: date, dueDate: date, executionDate: date,
            amount: Money.parse('10.00'), debtorIban: MANAGED, creditor: { name: 'Amira Haddad', iban: CLIENT_IBAN }, remittance: 'Voorschot',
          },
        ]),
      );
      const urgent = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: GEMEENTE, createdBy: 'noodvoorziening', executionUntil: date, now: new Date('2026-03-30T06:00:00Z') }));
      expect(urgent.map((b) => [b.payments, b.total_cents, b.status])).toEqual([[1, 1000n, 'awaiting_approval']]);
      expect((await batches(db)).filter((b) => b.status === 'assembling')).toEqual(assembling);
      expect((await contents(db)).filter((c) => assembling.some((b) => b.id === c.batch_id))).toEqual(partly);

      // Before the rerun the second client revokes her machtiging: her payments, made by the stopped run, must not go.
      await inTransaction(db, (trx) => revokeMachtiging(trx, clients[1]!.id, 'M-AS-1', { revokedOn: '2026-03-30', reason: 'client wants to pay herself' }));
      await run(db, '2026-03-30');
      const made = (await batches(db)).filter((b) => !before.has(b.id));
      // The half-full batches are gone; the ones handed over hold every payment of the day, and say so.
      for (const batch of assembling) expect(made.some((b) => b.id === batch.id)).toBe(false);
      expect(made.filter((b) => b.status === 'assembling')).toEqual([]);
      expect(await contents(db)).toEqual(await claimed(db));
      // 5 clients with a valid machtiging × 5 obligations in batches; the one without and the one who revoked held.
      expect(await aprilCosts(db)).toEqual({ batched: 25, held: 10, all: 35 });
      const hers = await db.selectFrom('payment_instruction').select(['status', 'batch_id']).where('client_id', '=', clients[1]!.id).where('period', '=', '2026-04').execute();
      expect(hers.map((i) => [i.status, i.batch_id])).toEqual(hers.map(() => ['held', null]));
      // Each batch's file and event were made once it was complete.
      for (const batch of made.filter((b) => b.status === 'awaiting_approval')) {
        const files = await db.selectFrom('payment_file').select(sql<number>`sum(payments)::int`.as('payments')).where('batch_id', '=', batch.id).executeTakeFirstOrThrow();
        expect(files.payments).toBe(batch.payments);
        const events = await db.selectFrom('payment_event').select('details').where('batch_id', '=', batch.id).where('kind', '=', 'batch_created').execute();
        expect(events).toEqual([{ details: { payments: batch.payments, total_cents: batch.total_cents.toString() } }]);
      }
      // And they are approved as any other.
      const day = made.find((b) => b.status === 'awaiting_approval' && b.id !== urgent[0]!.id)!;
      expect((await inTransaction(db, (trx) => approveBatch(trx, day.id, 'approver-1'))).status).toBe('approved');
      expect((await verifyLedger(db)).problems).toEqual([]);
    }, 120_000);

    it('a batch left assembling by a run nobody reran that day is dissolved by the next run: its payments go out late, each once', async () => {
      const { db } = handle;
      await expect(run(db, '2026-03-30', 1)).rejects.toThrow(STOPPED);
      const left = (await batches(db)).filter((b) => b.status === 'assembling');
      const stranded = await db.selectFrom('payment_instruction').select(['id', 'execution_date']).where('batch_id', 'in', left.map((b) => b.id)).orderBy('id').execute();
      expect(stranded.length).toBeGreaterThan(0);
      expect(stranded.every((s) => s.execution_date < '2026-04-01')).toBe(true);

      await run(db, '2026-04-01');
      const after = await batches(db);
      expect(after.filter((b) => b.status === 'assembling')).toEqual([]);
      for (const batch of left) expect(after.some((b) => b.id === batch.id)).toBe(false);
      // Each stranded payment is in one of the day's batches, executed on 1 April, with the move on its record.
      const now = await db
        .selectFrom('payment_instruction as i')
        .innerJoin('payment_batch as b', 'b.id', 'i.batch_id')
        .select(['i.status', 'i.execution_date', 'b.status as batch'])
        .where('i.id', 'in', stranded.map((s) => s.id))
        .orderBy('i.id')
        .execute();
      expect(now).toEqual(stranded.map(() => ({ status: 'batched', execution_date: '2026-04-01', batch: 'awaiting_approval' })));
      const moved = await db.selectFrom('payment_event').select('instruction_id').where('kind', '=', 'execution_moved').where('instruction_id', 'in', stranded.map((s) => s.id)).execute();
      expect(moved).toHaveLength(stranded.length);
      expect(await aprilCosts(db)).toEqual({ batched: 30, held: 5, all: 35 });
      expect(await contents(db)).toEqual(await claimed(db));
      expect((await verifyLedger(db)).problems).toEqual([]);
    }, 120_000);
  });
}
