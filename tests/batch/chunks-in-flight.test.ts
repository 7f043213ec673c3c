import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { availableAccountCode } from '../../src/clients/accounts.js';
import { runDailyBatch } from '../../src/batch/run.js';
import { connectPostgres, connectionLimit, type DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { bookBatch, findAccountByCode, transferBetween, verifyLedger } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { freshPostgres } from '../support/db.js';
import { TEST_DATABASE_URL, databaseUrl } from '../support/services.js';
import { MANAGED } from '../ingest/region.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, GEMEENTE, singleAdultObligations, toeslagFor, type TestClient } from './support.js';

/**
 * On PostgreSQL the daily batch runs two chunk transactions at once (src/batch/run.ts). These tests hold it to the
 * same outcome as one chunk at a time: the same report and the same rows, on copies of one database (so every key,
 * bank reference and id is the same), and a chunk failing on a real database error leaves the run failed with nothing
 * of the run still open, after which a rerun ends where an uninterrupted run ends.
 */
const DAYS = ['2026-03-25', '2026-03-26', '2026-03-27', '2026-03-30'] as const;
const CHUNK = 3;

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Waits until nothing is connected to `name` (pg's pool resolves end() before its sockets are gone). */
async function disconnected(name: string): Promise<void> {
  await admin(async (c) => {
    for (let i = 0; i < 200; i++) {
      const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
      if (rows[0]?.n === '0') return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`connections to ${name} did not close`);
  });
}

interface Copy extends DatabaseHandle {
  readonly name: string;
}

async function copyOf(template: string, poolSize: number): Promise<Copy> {
  const name = `${template}_${randomBytes(3).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return { ...connectPostgres({ url: databaseUrl(name), poolSize }), name };
}

async function dropCopy(copy: Copy): Promise<void> {
  await copy.close();
  await disconnected(copy.name);
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${copy.name}`));
}

const runDay = (db: DatabaseHandle['db'], day: string, who = 'test') => runDailyBatch(db, { gemeenteId: GEMEENTE, runDate: day, startedBy: who, chunkSize: CHUNK, now: new Date(`${day}T05:30:00Z`) });

/** Everything the batch writes, without what a sequence hands out in whatever order the chunks ask (instruction and journal ids). */
async function snapshot(db: DatabaseHandle['db']) {
  // Without the moments rows were written at (`…_at`): when is not what.
  const rows = async (query: string) =>
    (await sql.raw<Record<string, unknown>>(query).execute(db)).rows.map((row) => Object.fromEntries(Object.entries(row).filter(([column]) => !column.endsWith('_at'))));
  // A batch by its place among the batches, not its id: a rerun after a crash dissolves the batches the crashed run
  // left assembling and opens new ones, the same batches under other numbers.
  const place = `WITH place AS (SELECT id, row_number() OVER (ORDER BY id) AS batch FROM payment_batch)`;
  return {
    runs: await rows(`SELECT run_date, status, report FROM batch_run ORDER BY run_date`),
    instructions: await rows(
      `${place} SELECT idempotency_key, client_id, kind, obligation_id, period, attempt, due_date, execution_date, amount_cents, creditor_iban, remittance,
              reservation_key, status, hold_reason, p.batch FROM payment_instruction i LEFT JOIN place p ON p.id = i.batch_id ORDER BY idempotency_key`,
    ),
    events: await rows(
      `${place} SELECT i.idempotency_key, p.batch, e.kind, e.actor, e.details FROM payment_event e LEFT JOIN payment_instruction i ON i.id = e.instruction_id
         LEFT JOIN place p ON p.id = e.batch_id ORDER BY i.idempotency_key NULLS FIRST, p.batch, e.kind`,
    ),
    batches: await rows(`${place} SELECT p.batch, execution_date, status, payments, total_cents, approvals_needed FROM payment_batch b JOIN place p ON p.id = b.id ORDER BY b.id`),
    journal: await rows(
      `SELECT t.idempotency_key, t.type, t.outcome, t.booking_date, p.idempotency_key AS pending_key
         FROM ledger_transaction t LEFT JOIN ledger_transaction p ON p.id = t.pending_id ORDER BY t.idempotency_key`,
    ),
    accounts: await rows(`SELECT code, debits_posted, credits_posted, debits_pending, credits_pending, last_seq FROM account ORDER BY code`),
    reservations: await rows(`SELECT * FROM allocation_reservation ORDER BY ledger_key`),
    receipts: await rows(`SELECT * FROM allocation_receipt ORDER BY receipt_key`),
    scheduled: await rows(
      `SELECT idempotency_key, client_id, kind, obligation_id, period_key, pay_date, execution_date, amount_cents, reservation_key, hold_reason, late, run_date
         FROM scheduled_payment ORDER BY idempotency_key`,
    ),
    signals: await rows(`SELECT signal_key, client_id, kind, message, details, first_seen_on FROM back_office_signal ORDER BY signal_key`),
  };
}

/** What is still running or holding a transaction on the database, from outside the pool. */
async function busyConnections(name: string): Promise<number> {
  return admin(async (c) => {
    const { rows } = await c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state IS DISTINCT FROM 'idle'`, [name]);
    return Number(rows[0]!.n);
  });
}

describe.skipIf(inject('pgUnavailable') !== '')('two chunks of the daily batch in flight [postgres]', () => {
  let template: string;
  let clients: TestClient[] = [];

  beforeAll(async () => {
    // The fixture once, then copies of it: every key, bank reference and id is the same in each copy.
    const fixture = await freshPostgres(4);
    const url = new URL(fixture.url);
    template = url.pathname.slice(1);
    await aServiceRegion(fixture.db);
    clients = [];
    for (let i = 0; i < 20; i += 1) {
      clients.push(
        await aClient(fixture.db, {
          reference: `CF-${String(i).padStart(3, '0')}`,
          obligations: singleAdultObligations('2026-04-01'),
          toeslagenConsentReference: i % 3 === 0 ? 'consent' : null,
          // One without a machtiging (its obligations held, rule 4).
          machtiging: i !== 7,
        }),
      );
    }
    await bankCredits(fixture.db, '2026-03-20', clients.filter((_, i) => i % 2 === 0).map((c) => toeslagFor(c, 'HUURTOESLAG', '380.00', '2026-04')));
    // One with less than the month's costs (a shortfall in the report).
    await bankCredits(fixture.db, '2026-03-24', clients.map((c, i) => bijstandFor(c, i === 11 ? '600.00' : '1334.23', '2026-03')));
    await fixture.db.destroy();
    await disconnected(template);
  }, 180_000);

  afterAll(async () => {
    if (template) await admin((c) => c.query(`DROP DATABASE IF EXISTS ${template}`));
  });

  it('gives the same report and the same rows as one chunk at a time, and a rerun changes nothing', async () => {
    const sequential = await copyOf(template, 1);
    const parallel = await copyOf(template, 6);
    try {
      // A pool of one is the run's own connection: that run goes one chunk at a time, as on PGlite.
      expect(connectionLimit(sequential.db)).toBe(1);
      expect(connectionLimit(parallel.db)).toBe(6);
      for (const day of DAYS) {
        const one = await runDay(sequential.db, day);
        const two = await runDay(parallel.db, day);
        expect(two.report).toEqual(one.report);
        expect(two.created).toBe(one.created);
        expect(two.batchesCreated).toBe(one.batchesCreated);
      }
      const expected = await snapshot(sequential.db);
      expect(await snapshot(parallel.db)).toEqual(expected);
      // Enough happened for the comparison to mean something: 7 chunks, reservations, payments, a hold, a shortfall.
      expect(expected.instructions.length).toBeGreaterThan(100);
      expect(expected.instructions.some((i) => i['status'] === 'held')).toBe(true);
      expect(expected.runs.some((r) => (r['report'] as { shortfallCount: number }).shortfallCount > 0)).toBe(true);
      const again = await runDay(parallel.db, '2026-03-30', 'rerun');
      expect(again.created).toBe(0);
      const after = await snapshot(parallel.db);
      expect({ ...after, runs: [] }).toEqual({ ...expected, runs: [] });
      expect((await verifyLedger(parallel.db)).problems).toEqual([]);
    } finally {
      await dropCopy(sequential);
      await dropCopy(parallel);
    }
  }, 180_000);

  it('a chunk failing on a database error fails the run with nothing of it still open; a rerun ends as an uninterrupted run', async () => {
    const reference = await copyOf(template, 6);
    const failing = await copyOf(template, 6);
    try {
      for (const day of DAYS) await runDay(reference.db, day);
      const expected = await snapshot(reference.db);

      // A real database error in the chunk of client 10 (the fourth of seven): on the reservation day its reservations
      // cannot be recorded, on the costs day its payments cannot be made (chunks then lock no in-transit account).
      const victim = clients[10]!.id.toString();
      await sql
        .raw(
          `CREATE FUNCTION refuse_victim() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN
             IF NEW.client_id = ${victim} THEN RAISE EXCEPTION 'injected failure for client %', NEW.client_id; END IF;
             RETURN NEW;
           END $$`,
        )
        .execute(failing.db);
      for (const [day, table] of [
        ['2026-03-25', 'allocation_reservation'],
        ['2026-03-26', null],
        ['2026-03-27', null],
        ['2026-03-30', 'payment_instruction'],
      ] as const) {
        if (table) {
          await sql.raw(`CREATE TRIGGER refuse_victim BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_victim()`).execute(failing.db);
          await expect(runDay(failing.db, day, 'first')).rejects.toThrow(/injected failure/);
          // The run failed only once every chunk of it had committed or rolled back.
          expect(await busyConnections(failing.name)).toBe(0);
          const run = await failing.db.selectFrom('batch_run').select(['status', 'error', 'report']).where('run_date', '=', day).executeTakeFirstOrThrow();
          expect(run).toMatchObject({ status: 'failed', report: null, error: expect.stringContaining('injected failure') as string });
          // The victim's chunk kept nothing: neither the victim nor the two clients chunked with it.
          const chunkOf = clients.slice(9, 12).map((c) => c.id.toString());
          const kept = await sql<{ n: bigint }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE client_id = ANY(${chunkOf}::bigint[]) AND ${sql.ref(table === 'payment_instruction' ? 'execution_date' : 'booked_on')} >= ${day}::date`.execute(failing.db);
          expect(kept.rows[0]!.n).toBe(0n);
          await sql.raw(`DROP TRIGGER refuse_victim ON ${table}`).execute(failing.db);
        }
        await runDay(failing.db, day, 'again');
      }
      // The same rows. The reports of the two days that failed first count fewer signals: a rerun counts those of the
      // plans it makes, and the chunks the failed run committed have their payments already (as one chunk at a time).
      // Every day's batches are the same under other numbers: a failed run's assembling batches were dissolved by its
      // rerun, and the numbers they took are not handed out again.
      const withoutSignals = (snap: typeof expected) => ({
        ...snap,
        runs: snap.runs.map((r) => {
          const report = r['report'] as { signals: unknown; batches: { id: string }[] };
          const failedFirst = r['run_date'] === '2026-03-25' || r['run_date'] === '2026-03-30';
          return { ...r, report: { ...report, signals: failedFirst ? null : report.signals, batches: report.batches.map((b) => ({ ...b, id: null })) } };
        }),
      });
      const after = await snapshot(failing.db);
      expect(withoutSignals(after)).toEqual(withoutSignals(expected));
      expect((await verifyLedger(failing.db)).problems).toEqual([]);
    } finally {
      await dropCopy(reference);
      await dropCopy(failing);
    }
  }, 240_000);

  it('money booked away between a chunk reading and locking is seen: the chunk reads and decides again under its locks', async () => {
    const reference = await copyOf(template, 6);
    const raced = await copyOf(template, 6);
    try {
      await runDay(reference.db, '2026-03-25');
      await runDay(raced.db, '2026-03-25');
      // On the leefgeld day 300.00 of a client's free money (about 310) is booked away: in one copy before the run, in
      // the other after the client's chunk read it and while the chunk waits for its locks. Decided on what it read,
      // the chunk would reserve leefgeld the money is no longer there for (refused, and the run failed).
      const victim = clients[1]!;
      const accountsOf = async (db: DatabaseHandle['db']) => ({
        bank: (await findAccountByCode(db, `bank/${MANAGED}`))!.id,
        client: (await findAccountByCode(db, availableAccountCode(victim.id)))!.id,
        inTransit: (await db.selectFrom('payment_account').select('in_transit_account_id').where('iban', '=', MANAGED).executeTakeFirstOrThrow()).in_transit_account_id,
      });
      const takeAway = (trx: Parameters<Parameters<typeof inTransaction>[1]>[0], accounts: { bank: bigint; client: bigint }) =>
        bookBatch(trx, [transferBetween({ idempotencyKey: 'test/take-away', bookingDate: '2026-03-26', description: 'correction', debit: accounts.client, credit: accounts.bank, amount: Money.parse('300.00') })]);
      const refAccounts = await accountsOf(reference.db);
      await inTransaction(reference.db, async (trx) => takeAway(trx, refAccounts));
      await runDay(reference.db, '2026-03-26');

      const accounts = await accountsOf(raced.db);
      let run: Promise<{ ok: boolean; error?: unknown }> | undefined;
      await raced.db.transaction().execute(async (trx) => {
        // Hold the in-transit account (every chunk of a leefgeld day locks it first): the chunks read and decide, then wait.
        await sql`SELECT id FROM account WHERE id = ${accounts.inTransit.toString()}::bigint FOR UPDATE`.execute(trx);
        // eslint-disable-next-line no-restricted-syntax -- the run is another worker, on its own connections
        run = runDay(raced.db, '2026-03-26').then(
          () => ({ ok: true }),
          (error: unknown) => ({ ok: false, error }),
        );
        for (let i = 0; ; i++) {
          const waiting = await admin((c) => c.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, [raced.name]));
          if (waiting.rows[0]!.n !== '0') break;
          if (i > 1_000) throw new Error('the run never waited for the in-transit account');
          await new Promise((r) => setTimeout(r, 10));
        }
        const booked = await takeAway(trx, accounts);
        expect(booked[0]!.outcome).toBe('booked');
      });
      expect(await run).toEqual({ ok: true });
      for (const day of DAYS.slice(2)) {
        await runDay(reference.db, day);
        await runDay(raced.db, day);
      }
      // The same as with the money booked away before the run.
      const expected = await snapshot(reference.db);
      // And the correction mattered: the victim's leefgeld is less than that of a client like it (clients[5]), or none.
      const leefgeld = (client: TestClient) => expected.instructions.find((i) => i['idempotency_key'] === `leefgeld/${client.id.toString()}/2026-03-30`)?.['amount_cents'] as bigint | undefined;
      expect(leefgeld(clients[5]!)).toBeDefined();
      expect(leefgeld(victim) ?? 0n).toBeLessThan(leefgeld(clients[5]!)!);
      expect(await snapshot(raced.db)).toEqual(expected);
      expect((await verifyLedger(raced.db)).problems).toEqual([]);
    } finally {
      await dropCopy(reference);
      await dropCopy(raced);
    }
  }, 240_000);
});
