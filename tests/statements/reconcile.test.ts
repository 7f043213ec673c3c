import fc from 'fast-check';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { balanceOnDate, bookBatch, getBalance, transferBetween, type LedgerRequest } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { addDays } from '../../src/schedule/index.js';
import { clientStatement, type Statement } from '../../src/statements/index.js';
import { ensureClient } from '../../src/clients/clients.js';
import { aChart, type Chart, type ClientAccounts } from '../support/ledger-fixture.js';
import { freshPGlite } from '../support/db.js';

/**
 * Statement totals reconcile with the ledger to the cent, for random histories: money in and out,
 * reservations paid in full or in part or released, reversals, an emergency advance and its
 * recovery, all on random and out-of-order booking dates; and a random period (a day to several
 * months, also before or after all bookings). The ledger's own `balanceOnDate` and counters are the
 * independent side. PGlite only: a few hundred bookings per run, fifty runs.
 */

const DAYS = Array.from({ length: 150 }, (_, i) => addDays('2026-01-01', i));
const day = fc.nat({ max: DAYS.length - 1 }).map((i) => DAYS[i]!);
const cents = (max: number) => fc.integer({ min: 1, max }).map((n) => Money.fromCents(BigInt(n)));

type Op =
  | { k: 'in'; amount: Money; date: string }
  | { k: 'out'; amount: Money; date: string }
  | { k: 'reserve'; amount: Money; date: string }
  | { k: 'post'; which: number; part: number; date: string }
  | { k: 'void'; which: number; date: string }
  | { k: 'reverse'; which: number; date: string }
  | { k: 'advance'; amount: Money; date: string }
  | { k: 'recover'; amount: Money; date: string };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ k: fc.constant('in' as const), amount: cents(200_000), date: day }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('out' as const), amount: cents(80_000), date: day }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('reserve' as const), amount: cents(60_000), date: day }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant('post' as const), which: fc.nat(), part: fc.integer({ min: 1, max: 100 }), date: day }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('void' as const), which: fc.nat(), date: day }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('reverse' as const), which: fc.nat(), date: day }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('advance' as const), amount: cents(50_000), date: day }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('recover' as const), amount: cents(5_000), date: day }) },
);

const period = fc.tuple(fc.integer({ min: -20, max: 170 }), fc.integer({ min: 0, max: 130 })).map(([start, length]) => ({ from: addDays('2026-01-01', start), to: addDays('2026-01-01', start + length) }));

let run = 0;

/** Books the operations one request at a time (refusals and rejections are part of a history too). */
async function book(db: Kysely<Database>, chart: Chart, client: ClientAccounts, ops: readonly Op[]): Promise<void> {
  const prefix = `rec/${process.pid}/${++run}`;
  const reservations: string[] = [];
  const reversible: string[] = [];
  let n = 0;
  for (const o of ops) {
    const key = `${prefix}/${++n}`;
    let request: LedgerRequest;
    switch (o.k) {
      case 'in':
        request = transferBetween({ idempotencyKey: key, bookingDate: o.date, description: 'in', debit: chart.bank, credit: client.available, amount: o.amount });
        reversible.push(key);
        break;
      case 'out':
        request = transferBetween({ idempotencyKey: key, bookingDate: o.date, description: 'out', debit: client.available, credit: chart.inTransit, amount: o.amount });
        reversible.push(key);
        break;
      case 'reserve':
        request = { type: 'pending', idempotencyKey: key, bookingDate: o.date, description: 'reserve', debit: client.available, credit: chart.inTransit, amount: o.amount };
        reservations.push(key);
        break;
      case 'post': {
        const pendingKey = reservations[o.which % Math.max(1, reservations.length)];
        if (!pendingKey) continue;
        const row = await db.selectFrom('ledger_transaction as t').innerJoin('ledger_posting as p', 'p.transaction_id', 't.id').select('p.amount_cents').where('t.idempotency_key', '=', pendingKey).executeTakeFirst();
        const full = row?.amount_cents ?? 1n;
        const part = (full * BigInt(o.part)) / 100n;
        request = { type: 'post_pending', idempotencyKey: key, pendingKey, bookingDate: o.date, description: 'post', ...(part > 0n && part < full ? { amount: Money.fromCents(part) } : {}) };
        reversible.push(key);
        break;
      }
      case 'void': {
        const pendingKey = reservations[o.which % Math.max(1, reservations.length)];
        if (!pendingKey) continue;
        request = { type: 'void_pending', idempotencyKey: key, pendingKey, bookingDate: o.date, description: 'void' };
        break;
      }
      case 'reverse': {
        const reversesKey = reversible[o.which % Math.max(1, reversible.length)];
        if (!reversesKey) continue;
        request = { type: 'reversal', idempotencyKey: key, reversesKey, bookingDate: o.date, description: 'reverse' };
        break;
      }
      case 'advance':
        request = transferBetween({ idempotencyKey: key, bookingDate: o.date, description: 'advance', debit: client.advances, credit: client.available, amount: o.amount });
        break;
      case 'recover':
        request = transferBetween({ idempotencyKey: key, bookingDate: o.date, description: 'recover', debit: client.available, credit: client.advances, amount: o.amount });
        break;
    }
    await inTransaction(db, (trx) => bookBatch(trx, [request]));
  }
}

async function postedLinesIn(db: Kysely<Database>, account: bigint, from: string, to: string): Promise<number> {
  const { rows } = await sql<{ n: bigint }>`
    SELECT count(*)::bigint AS n FROM ledger_posting WHERE account_id = ${account.toString()}::bigint AND phase = 'posted' AND booking_date BETWEEN ${from}::date AND ${to}::date
  `.execute(db);
  return Number(rows[0]!.n);
}

async function expectReconciles(db: Kysely<Database>, client: ClientAccounts, s: Statement): Promise<void> {
  const before = await balanceOnDate(db, client.available, addDays(s.from, -1));
  const atEnd = await balanceOnDate(db, client.available, s.to);
  const now = await getBalance(db, client.available);
  expect(s.opening.toString(), 'opening = the ledger by booking date, the day before').toBe(before.posted.toString());
  expect(s.closing.toString(), 'closing = the ledger by booking date on the last day').toBe(atEnd.posted.toString());
  let balance = s.opening.cents;
  let lines = 0;
  for (const [i, month] of s.months.entries()) {
    expect(month.opening.cents).toBe(balance);
    for (const line of month.lines) {
      expect(line.date >= month.from && line.date <= month.to).toBe(true);
      balance += line.amount.cents;
      expect(line.balance.cents).toBe(balance);
      lines += 1;
    }
    expect(month.closing.cents).toBe(balance);
    expect(month.closing.cents - month.opening.cents).toBe(month.moneyIn.cents - month.moneyOut.cents);
    if (i > 0) expect(month.from).toBe(addDays(s.months[i - 1]!.to, 1));
  }
  expect(balance, 'opening + every line = closing').toBe(s.closing.cents);
  expect(s.moneyIn.cents - s.moneyOut.cents).toBe(s.closing.cents - s.opening.cents);
  expect(lines, 'one line per posted movement').toBe(await postedLinesIn(db, client.available, s.from, s.to));
  expect(s.heldNow.toString()).toBe(now.posted.toString());
  expect(s.reserved.total.toString(), 'reserved now = the pending debits').toBe(now.debitsPending.toString());
  expect(Money.sum(s.reserved.items.map((i) => i.amount)).toString()).toBe(now.debitsPending.toString());
  expect(s.freeNow.toString()).toBe(now.available.toString());
  const advances = await getBalance(db, client.advances);
  expect(s.advance?.open.toString()).toBe(advances.posted.toString());
  const recovered = s.months.flatMap((m) => m.lines).filter((l) => l.event.kind === 'advance_recovery').reduce((sum, l) => sum - l.amount.cents, 0n);
  expect(s.advance?.recoveredInPeriod.cents).toBe(recovered);
}

describe('statement totals reconcile with the ledger to the cent, for random histories [pglite]', () => {
  let handle: DatabaseHandle;
  let chart: Chart;
  beforeAll(async () => {
    handle = await freshPGlite();
    chart = await aChart(handle.db);
  });
  afterAll(async () => handle.close());

  it('opening + lines = closing, equal to the ledger by booking date; reserved and free equal the counters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), fc.array(period, { minLength: 1, maxLength: 3 }), async (ops, periods) => {
        const client = await chart.client();
        await book(handle.db, chart, client, ops);
        for (const p of periods) {
          const statement = await clientStatement(handle.db, client.clientId, { ...p, asOf: '2026-06-30' });
          expect(statement).not.toBeNull();
          await expectReconciles(handle.db, client, statement!);
        }
      }),
      { numRuns: 50 },
    );
  });

  it('a client without any account has a statement of zeros and no advance; an unknown client has none', async () => {
    const bare = await ensureClient(handle.db, { gemeenteId: 'GM0505', reference: `bare-${process.pid}` });
    const empty = await clientStatement(handle.db, bare.id, { from: '2026-02-10', to: '2026-04-05', asOf: '2026-06-30' });
    expect(empty).toMatchObject({ from: '2026-02-10', to: '2026-04-05', advance: null, nextPayments: [] });
    expect([empty!.opening, empty!.closing, empty!.heldNow, empty!.freeNow, empty!.reserved.total].map(String)).toEqual(['0.00', '0.00', '0.00', '0.00', '0.00']);
    expect(empty!.months.map((m) => [m.month, m.from, m.to, m.lines.length])).toEqual([['2026-02', '2026-02-10', '2026-02-28', 0], ['2026-03', '2026-03-01', '2026-03-31', 0], ['2026-04', '2026-04-01', '2026-04-05', 0]]);
    expect(await clientStatement(handle.db, 987_654_321n, { from: '2026-01-01', to: '2026-01-31', asOf: '2026-06-30' })).toBeNull();
  });
});
