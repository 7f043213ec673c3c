import { expect, it } from 'vitest';
import { getBalance, LedgerError } from '../../src/ledger/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookMany, bookOne, eur, transfer, uniqueKey } from '../support/ledger-fixture.js';

describeOnEachDatabase('idempotency keys', (handle) => {
  it('the same key with the same content returns the first outcome, marked replayed, and books nothing', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const receipt = transfer(uniqueKey('camt/NTRY-1'), chart.bank, client.available, '1334.23');
    const first = await bookOne(db, receipt);
    const second = await bookOne(db, receipt);
    expect(first).toMatchObject({ outcome: 'booked', replayed: false });
    expect(second).toMatchObject({ outcome: 'booked', replayed: true, transactionId: first.transactionId });
    expect((await getBalance(db, client.available)).posted.toString()).toBe('1334.23');
  });

  it('the same key with other content is a conflict that names what differs', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const key = uniqueKey('camt/NTRY-2');
    await bookOne(db, transfer(key, chart.bank, client.available, '100.00'));
    const error = await bookOne(db, transfer(key, chart.bank, client.available, '120.00', '2026-11-03')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).code).toBe('duplicate_with_different_content');
    expect((error as LedgerError).message).toContain('bookingDate: "2026-11-02" before, "2026-11-03" now');
    expect((error as LedgerError).message).toContain('postings[0].amount: "100.00" before, "120.00" now');
    expect((await getBalance(db, client.available)).posted.toString()).toBe('100.00');
  });

  it('a key repeated inside one batch books once', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const receipt = transfer(uniqueKey('camt/NTRY-3'), chart.bank, client.available, '25.00');
    const results = await bookMany(db, [receipt, receipt, receipt]);
    expect(results.map((r) => r.outcome === 'booked' && r.replayed)).toEqual([false, true, true]);
    expect((await getBalance(db, client.available)).posted.toString()).toBe('25.00');
  });

  it('a rejected request is not remembered: the key can be used once the request is right', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const key = uniqueKey('api/req-1');
    await expect(bookOne(db, { ...transfer(key, chart.bank, client.available, '5.00'), bookingDate: '2026-13-01' })).rejects.toMatchObject({ code: 'invalid_request' });
    expect((await bookOne(db, transfer(key, chart.bank, client.available, '5.00'))).outcome).toBe('booked');
  });

  it('replaying a whole day of bookings changes nothing', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const clients = [await chart.client(), await chart.client(), await chart.client()];
    const day = clients.flatMap((c, i) => [
      transfer(uniqueKey(`in-${i}`), chart.bank, c.available, `${100 + i}.00`),
      { type: 'pending' as const, idempotencyKey: uniqueKey(`rent-${i}`), bookingDate: '2026-11-24', description: 'rent', debit: c.available, credit: chart.inTransit, amount: eur('90.00') },
      transfer(uniqueKey(`leefgeld-${i}`), c.available, chart.inTransit, '50.00'),
    ]);
    const first = await bookMany(db, day);
    const balances = await Promise.all(clients.map(async (c) => (await getBalance(db, c.available)).available.toString()));
    const again = await bookMany(db, day);
    expect(again.map((r) => r.outcome)).toEqual(first.map((r) => r.outcome));
    expect(again.every((r) => r.outcome !== 'rejected' && r.replayed)).toBe(true);
    expect(await Promise.all(clients.map(async (c) => (await getBalance(db, c.available)).available.toString()))).toEqual(balances);
  });
});
