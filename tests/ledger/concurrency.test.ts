import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { getBalance, LedgerWriter, verifyLedger, type LedgerRequest } from '../../src/ledger/index.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { aChart, bookOne, eur, transfer, uniqueKey } from '../support/ledger-fixture.js';

/**
 * Real races on the real PostgreSQL: many connections at once on the same
 * accounts. Afterwards no overdraft, no lost update, one booking per key, and no
 * deadlock or serialization error ever reaches the caller.
 */
describe.skipIf(postgresSkipReason() !== '')('concurrent bookings [postgres]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPostgres(24);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('many callers draining one client account: exactly what fits is paid, the rest refused', async () => {
    const { db } = handle;
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '1000.00'));
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => bookOne(db, transfer(uniqueKey(`out-${i}`), client.available, chart.inTransit, '30.00'))));
    expect(results.filter((r) => r.outcome === 'booked')).toHaveLength(33);
    expect(results.filter((r) => r.outcome === 'refused')).toHaveLength(27);
    const balance = await getBalance(db, client.available);
    expect(balance.available.toString()).toBe('10.00');
    expect((await verifyLedger(db)).problems).toEqual([]);
  });

  it('opposite-direction transfers on the same pairs never deadlock and lose nothing', async () => {
    const { db } = handle;
    const chart = await aChart(db);
    const clients = await Promise.all(Array.from({ length: 4 }, () => chart.client()));
    for (const c of clients) await bookOne(db, transfer(uniqueKey('in'), chart.bank, c.available, '500.00'));
    const requests: LedgerRequest[] = [];
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < clients.length; i++) {
        const from = clients[i]!;
        const to = clients[(i + 1 + (round % 3)) % clients.length]!;
        requests.push(transfer(uniqueKey(`swap-${round}-${i}`), from.available, to.available, `${(round % 7) + 1}.00`));
        requests.push(transfer(uniqueKey(`back-${round}-${i}`), to.available, from.available, `${(round % 5) + 1}.00`));
      }
    }
    const results = await Promise.all(requests.map((r) => bookOne(db, r)));
    expect(results.every((r) => r.outcome === 'booked')).toBe(true);
    // Expected balances worked out from the requests themselves.
    const expected = new Map(clients.map((c) => [c.available, 50000n]));
    for (const r of requests) {
      if (r.type !== 'transfer') continue;
      const [debit, credit] = r.postings;
      expected.set(debit!.account, expected.get(debit!.account)! - debit!.amount.cents);
      expected.set(credit!.account, expected.get(credit!.account)! + credit!.amount.cents);
    }
    for (const c of clients) expect((await getBalance(db, c.available)).posted.cents).toBe(expected.get(c.available));
    expect((await verifyLedger(db)).problems).toEqual([]);
  });

  it('the same idempotency key submitted by 25 callers at once books once', async () => {
    const { db } = handle;
    const chart = await aChart(db);
    const client = await chart.client();
    const receipt = transfer(uniqueKey('camt/same-entry'), chart.bank, client.available, '1334.23');
    const results = await Promise.all(Array.from({ length: 25 }, () => bookOne(db, receipt)));
    const ids = new Set(results.map((r) => r.transactionId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.outcome === 'booked' && !r.replayed)).toHaveLength(1);
    expect((await getBalance(db, client.available)).posted.toString()).toBe('1334.23');
  });

  it('paying and releasing one reservation at the same time: exactly one wins', async () => {
    const { db } = handle;
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '720.00'));
    const key = uniqueKey('rent');
    await bookOne(db, { type: 'pending', idempotencyKey: key, bookingDate: '2026-11-24', description: 'rent', debit: client.available, credit: chart.inTransit, amount: eur('720.00') });
    const attempts = Array.from({ length: 10 }, (_, i): LedgerRequest =>
      i % 2 === 0
        ? { type: 'post_pending', idempotencyKey: uniqueKey('pay'), bookingDate: '2026-11-27', description: 'pay', pendingKey: key }
        : { type: 'void_pending', idempotencyKey: uniqueKey('void'), bookingDate: '2026-11-27', description: 'void', pendingKey: key },
    );
    const settled = await Promise.allSettled(attempts.map((r) => bookOne(db, r)));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(1);
    for (const s of settled) if (s.status === 'rejected') expect((s.reason as { code: string }).code).toMatch(/^pending_already_(posted|voided)$/);
    const balance = await getBalance(db, client.available);
    expect(balance.debitsPending.toString()).toBe('0.00');
    expect((await verifyLedger(db)).problems).toEqual([]);
  });

  it('group commit: 2,000 concurrent single callers through the writer, each gets its own exact answer', async () => {
    const { db } = handle;
    const chart = await aChart(db);
    const clients = await Promise.all(Array.from({ length: 20 }, () => chart.client()));
    for (const c of clients) await bookOne(db, transfer(uniqueKey('in'), chart.bank, c.available, '100.00'));
    const writer = new LedgerWriter(db, { maxBatch: 250, concurrency: 4 });
    // Each client is asked for 150 × 1.00 but holds 100.00: exactly 100 per client may book.
    const requests = clients.flatMap((c) => Array.from({ length: 150 }, (_, i) => transfer(uniqueKey(`w-${i}`), c.available, chart.inTransit, '1.00')));
    const results = await Promise.all([...requests, ...requests.slice(0, 200)].map((r) => writer.submit(r)));
    await writer.close();
    expect(results.filter((r) => r.outcome === 'booked' && !r.replayed)).toHaveLength(2000);
    expect(results.filter((r) => r.outcome === 'rejected')).toHaveLength(0);
    for (const c of clients) expect((await getBalance(db, c.available)).available.toString()).toBe('0.00');
    expect((await verifyLedger(db)).problems).toEqual([]);
  });
});
