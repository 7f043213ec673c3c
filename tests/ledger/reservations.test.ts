import { expect, it } from 'vitest';
import { getBalance, LedgerError, type LedgerRequest } from '../../src/ledger/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookMany, bookOne, eur, transfer, uniqueKey } from '../support/ledger-fixture.js';

const reserve = (key: string, debit: bigint, credit: bigint, amount: string): LedgerRequest => ({
  type: 'pending',
  idempotencyKey: key,
  bookingDate: '2026-11-24',
  description: 'rent for December reserved',
  debit,
  credit,
  amount: eur(amount),
});
const pay = (pendingKey: string, amount?: string): LedgerRequest => ({
  type: 'post_pending',
  idempotencyKey: `${pendingKey}/paid`,
  bookingDate: '2026-11-27',
  description: 'rent paid',
  pendingKey,
  ...(amount ? { amount: eur(amount) } : {}),
});
const release = (pendingKey: string): LedgerRequest => ({
  type: 'void_pending',
  idempotencyKey: `${pendingKey}/released`,
  bookingDate: '2026-11-27',
  description: 'rent reservation released',
  pendingKey,
});
const reverse = (reversesKey: string): LedgerRequest => ({
  type: 'reversal',
  idempotencyKey: `${reversesKey}/reversed`,
  bookingDate: '2026-11-30',
  description: 'payment returned by the bank',
  reversesKey,
});

describeOnEachDatabase('reservations (art. 56a: withhold, then pay)', (handle) => {
  async function clientWith(amount: string) {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('bijstand'), chart.bank, client.available, amount));
    return { db, chart, client };
  }

  it('a reservation counts against the free balance at once, so leefgeld cannot spend the rent', async () => {
    const { db, chart, client } = await clientWith('1000.00');
    expect((await bookOne(db, reserve(uniqueKey('rent'), client.available, chart.inTransit, '720.00'))).outcome).toBe('booked');
    const balance = await getBalance(db, client.available);
    expect(balance.posted.toString()).toBe('1000.00');
    expect(balance.available.toString()).toBe('280.00');
    const leefgeld = await bookOne(db, transfer(uniqueKey('leefgeld'), client.available, chart.inTransit, '280.01'));
    expect(leefgeld).toMatchObject({ outcome: 'refused', code: 'insufficient_funds' });
  });

  it('paying a reservation moves the money and can never overdraw', async () => {
    const { db, chart, client } = await clientWith('720.00');
    const key = uniqueKey('rent');
    await bookOne(db, reserve(key, client.available, chart.inTransit, '720.00'));
    expect((await bookOne(db, pay(key))).outcome).toBe('booked');
    const balance = await getBalance(db, client.available);
    expect([balance.posted.toString(), balance.available.toString(), balance.debitsPending.toString()]).toEqual(['0.00', '0.00', '0.00']);
    expect((await getBalance(db, chart.inTransit)).posted.toString()).toBe('720.00');
  });

  it('paying part of a reservation releases the rest to the client', async () => {
    const { db, chart, client } = await clientWith('200.00');
    const key = uniqueKey('energy');
    await bookOne(db, reserve(key, client.available, chart.inTransit, '150.00'));
    await bookOne(db, pay(key, '120.00'));
    const balance = await getBalance(db, client.available);
    expect([balance.posted.toString(), balance.available.toString()]).toEqual(['80.00', '80.00']);
  });

  it('releasing a reservation gives the money back in full', async () => {
    const { db, chart, client } = await clientWith('159.00');
    const key = uniqueKey('insurance');
    await bookOne(db, reserve(key, client.available, chart.inTransit, '159.00'));
    await bookOne(db, release(key));
    expect((await getBalance(db, client.available)).available.toString()).toBe('159.00');
  });

  it('a reservation is paid or released once, never both and never twice', async () => {
    const { db, chart, client } = await clientWith('720.00');
    const key = uniqueKey('rent');
    await bookOne(db, reserve(key, client.available, chart.inTransit, '720.00'));
    await bookOne(db, pay(key));
    await expect(bookOne(db, { ...pay(key), idempotencyKey: uniqueKey('second-pay') })).rejects.toMatchObject({ code: 'pending_already_posted' });
    await expect(bookOne(db, release(key))).rejects.toMatchObject({ code: 'pending_already_posted' });
    const other = uniqueKey('rent2');
    await bookOne(db, transfer(uniqueKey('more'), chart.bank, client.available, '10.00'));
    await bookOne(db, reserve(other, client.available, chart.inTransit, '10.00'));
    await bookOne(db, release(other));
    await expect(bookOne(db, pay(other))).rejects.toMatchObject({ code: 'pending_already_voided' });
  });

  it('refuses to pay more than was reserved', async () => {
    const { db, chart, client } = await clientWith('720.00');
    const key = uniqueKey('rent');
    await bookOne(db, reserve(key, client.available, chart.inTransit, '700.00'));
    const error = await bookOne(db, pay(key, '700.01')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerError);
    expect((error as LedgerError).message).toMatch(/cannot pay 700\.01 out of reservation ".*" of 700\.00/);
  });

  it('refuses a reservation the client cannot cover, and remembers it', async () => {
    const { db, chart, client } = await clientWith('600.00');
    const key = uniqueKey('rent');
    const result = await bookOne(db, reserve(key, client.available, chart.inTransit, '720.00'));
    expect(result).toMatchObject({ outcome: 'refused', code: 'insufficient_funds' });
    await expect(bookOne(db, pay(key))).rejects.toMatchObject({ code: 'pending_not_found' });
  });

  it('a paid reservation can be reversed (the bank returned it), once', async () => {
    const { db, chart, client } = await clientWith('720.00');
    const key = uniqueKey('rent');
    await bookOne(db, reserve(key, client.available, chart.inTransit, '720.00'));
    await bookOne(db, pay(key));
    expect((await bookOne(db, reverse(`${key}/paid`))).outcome).toBe('booked');
    expect((await getBalance(db, client.available)).available.toString()).toBe('720.00');
    await expect(bookOne(db, { ...reverse(`${key}/paid`), idempotencyKey: uniqueKey('again') })).rejects.toMatchObject({ code: 'already_reversed' });
  });

  it('a reservation itself is released, not reversed', async () => {
    const { db, chart, client } = await clientWith('720.00');
    const key = uniqueKey('rent');
    await bookOne(db, reserve(key, client.available, chart.inTransit, '720.00'));
    await expect(bookOne(db, reverse(key))).rejects.toMatchObject({ code: 'not_reversible' });
  });

  it('refuses a reversal that would overdraw (a receipt already spent)', async () => {
    const { db, chart, client } = await clientWith('100.00');
    const receipt = uniqueKey('wrong-client');
    await bookOne(db, transfer(receipt, chart.bank, client.available, '50.00'));
    await bookOne(db, transfer(uniqueKey('leefgeld'), client.available, chart.inTransit, '120.00'));
    expect(await bookOne(db, reverse(receipt))).toMatchObject({ outcome: 'refused', code: 'insufficient_funds' });
  });

  it('reserves, pays and releases within one batch in order', async () => {
    const { db, chart, client } = await clientWith('1000.00');
    const rent = uniqueKey('rent');
    const energy = uniqueKey('energy');
    const results = await bookMany(db, [
      reserve(rent, client.available, chart.inTransit, '720.00'),
      reserve(energy, client.available, chart.inTransit, '120.00'),
      pay(rent),
      release(energy),
      pay(energy),
    ]);
    expect(results.map((r) => (r.outcome === 'rejected' ? r.error.code : r.outcome))).toEqual(['booked', 'booked', 'booked', 'booked', 'pending_already_voided']);
    expect((await getBalance(db, client.available)).available.toString()).toBe('280.00');
  });
});
