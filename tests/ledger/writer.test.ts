import { expect, it } from 'vitest';
import { getBalance, LedgerWriter, verifyLedger } from '../../src/ledger/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';

describeOnEachDatabase('group commit through the ledger writer', (handle) => {
  it('gathers concurrent single callers into shared commits and answers each exactly', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '50.00'));
    const writer = new LedgerWriter(db, { maxBatch: 40, concurrency: 2 });
    const requests = Array.from({ length: 120 }, (_, i) => transfer(uniqueKey(`leefgeld-${i}`), client.available, chart.inTransit, '0.50'));
    const results = await Promise.all(requests.map((r) => writer.submit(r)));
    await writer.close();
    // 50.00 covers exactly 100 payments of 0.50; the order of commits decides which, never how many.
    expect(results.filter((r) => r.outcome === 'booked')).toHaveLength(100);
    expect(results.filter((r) => r.outcome === 'refused')).toHaveLength(20);
    expect((await getBalance(db, client.available)).available.toString()).toBe('0.00');
    const commits = await db.selectFrom('ledger_transaction').select('created_xid').distinct().where('idempotency_key', 'like', 'leefgeld-%').execute();
    expect(commits.length).toBeLessThan(20);
    expect((await verifyLedger(db)).problems).toEqual([]);
  });

  it('answers a bad request with its own rejection without failing the others in its commit', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const writer = new LedgerWriter(db, { maxBatch: 10 });
    const good = transfer(uniqueKey('in'), chart.bank, client.available, '10.00');
    const bad = { ...transfer(uniqueKey('bad'), chart.bank, client.available, '1.00'), bookingDate: '2026-02-30' };
    const [a, b] = await Promise.all([writer.submit(good), writer.submit(bad)]);
    await writer.close();
    expect(a.outcome).toBe('booked');
    expect(b).toMatchObject({ outcome: 'rejected', error: { code: 'invalid_request' } });
    await expect(writer.submit(good)).rejects.toThrow('the ledger writer is closed');
  });
});
