import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { balanceAt, balanceOnDate, getBalance, verifyLedger } from '../../src/ledger/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';

describeOnEachDatabase('balances through time', (handle) => {
  it('answers the balance as it stood at any moment from the running balance', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const start = new Date();
    await sleep(5);
    await bookOne(db, transfer(uniqueKey('a'), chart.bank, client.available, '100.00'));
    await sleep(5);
    const middle = new Date();
    await sleep(5);
    await bookOne(db, transfer(uniqueKey('b'), client.available, chart.inTransit, '30.00'));
    expect((await balanceAt(db, client.available, start)).posted.toString()).toBe('0.00');
    expect((await balanceAt(db, client.available, middle)).posted.toString()).toBe('100.00');
    expect((await balanceAt(db, client.available, new Date())).posted.toString()).toBe('70.00');
  });

  it('answers the balance by booking date, including bookings written later for an earlier day', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('bijstand'), chart.bank, client.available, '1334.23', '2026-11-24'));
    // A toeslag from the 20th reported late: written after, booked before.
    await bookOne(db, transfer(uniqueKey('zorgtoeslag'), chart.bank, client.available, '129.00', '2026-11-20'));
    await bookOne(db, transfer(uniqueKey('leefgeld'), client.available, chart.inTransit, '200.00', '2026-11-30'));
    expect((await balanceOnDate(db, client.available, '2026-11-19')).posted.toString()).toBe('0.00');
    expect((await balanceOnDate(db, client.available, '2026-11-20')).posted.toString()).toBe('129.00');
    expect((await balanceOnDate(db, client.available, '2026-11-24')).posted.toString()).toBe('1463.23');
    expect((await balanceOnDate(db, client.available, '2026-12-31')).posted.toString()).toBe((await getBalance(db, client.available)).posted.toString());
  });

  it('verifies that every balance equals the sum of its postings and all accounts sum to zero', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '10.00'));
    const report = await verifyLedger(db);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.postings).toBeGreaterThan(0n);
  });
});
