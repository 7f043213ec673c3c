import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { bookBatch, getBalance, LedgerError, type LedgerRequest } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookMany, bookOne, eur, transfer, uniqueKey } from '../support/ledger-fixture.js';

async function counters(db: Parameters<typeof getBalance>[0], ids: bigint[]) {
  const rows = await db.selectFrom('account').select(['id', 'debits_posted', 'credits_posted', 'debits_pending', 'credits_pending', 'last_seq']).where('id', 'in', ids).orderBy('id').execute();
  return JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

describeOnEachDatabase('booking money', (handle) => {
  it('books a balanced transfer and moves both balances by exactly the amount', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('bijstand'), chart.bank, client.available, '1334.23'));
    expect((await getBalance(db, client.available)).available.toString()).toBe('1334.23');
    expect((await getBalance(db, chart.bank)).posted.toString()).toBe('1334.23');
  });

  it('books a transfer with several postings (one receipt split over two clients)', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const [a, b] = [await chart.client(), await chart.client()];
    const result = await bookOne(db, {
      type: 'transfer',
      idempotencyKey: uniqueKey('split'),
      bookingDate: '2026-11-24',
      description: 'one bank entry for two clients',
      postings: [
        { account: chart.bank, side: 'debit', amount: eur('2000.00') },
        { account: a.available, side: 'credit', amount: eur('1334.23') },
        { account: b.available, side: 'credit', amount: eur('665.77') },
      ],
    });
    expect(result.outcome).toBe('booked');
    expect((await getBalance(db, a.available)).posted.toString()).toBe('1334.23');
    expect((await getBalance(db, b.available)).posted.toString()).toBe('665.77');
  });

  it('refuses an overdraft of a client account with a clear message and changes nothing', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '100.00'));
    const before = await counters(db, [client.available, chart.inTransit]);
    const result = await bookOne(db, transfer(uniqueKey('leefgeld'), client.available, chart.inTransit, '100.01'));
    expect(result).toMatchObject({ outcome: 'refused', code: 'insufficient_funds' });
    expect(result.outcome === 'refused' && result.message).toMatch(/insufficient funds on account ".*available": 100\.00 free, 100\.01 needed/);
    expect(await counters(db, [client.available, chart.inTransit])).toBe(before);
  });

  it('keeps a refusal: the same key is refused again after the money has arrived', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const leefgeld = transfer(uniqueKey('leefgeld'), client.available, chart.inTransit, '50.00');
    expect((await bookOne(db, leefgeld)).outcome).toBe('refused');
    await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '500.00'));
    const again = await bookOne(db, leefgeld);
    expect(again).toMatchObject({ outcome: 'refused', code: 'insufficient_funds', replayed: true });
    expect((await getBalance(db, client.available)).available.toString()).toBe('500.00');
  });

  it('lets an advance receivable never be repaid beyond what was lent', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    await bookOne(db, transfer(uniqueKey('advance'), client.advances, chart.inTransit, '300.00'));
    const over = await bookOne(db, transfer(uniqueKey('repay'), chart.bank, client.advances, '300.01'));
    expect(over).toMatchObject({ outcome: 'refused', code: 'exceeds_debits' });
    expect((await bookOne(db, transfer(uniqueKey('repay'), chart.bank, client.advances, '300.00'))).outcome).toBe('booked');
    expect((await getBalance(db, client.advances)).posted.toString()).toBe('0.00');
  });

  it('carries the client\'s gemeente on every posting to a client account', async () => {
    const { db } = handle();
    const chart = await aChart(db, 'GM0590');
    const client = await chart.client();
    const result = await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '10.00'));
    const postings = await db.selectFrom('ledger_posting').select(['account_id', 'gemeente_id']).where('transaction_id', '=', result.transactionId).execute();
    expect(postings.find((p) => p.account_id === client.available)?.gemeente_id).toBe('GM0590');
    expect(postings.find((p) => p.account_id === chart.bank)?.gemeente_id).toBeNull();
  });

  it('in one batch, refuses one request without affecting the others', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const results = await bookMany(db, [
      transfer(uniqueKey('in'), chart.bank, client.available, '100.00'),
      transfer(uniqueKey('too-much'), client.available, chart.inTransit, '150.00'),
      transfer(uniqueKey('ok'), client.available, chart.inTransit, '60.00'),
      { ...transfer(uniqueKey('bad'), chart.bank, client.available, '1.00'), bookingDate: '2026-02-30' },
    ]);
    expect(results.map((r) => r.outcome)).toEqual(['booked', 'refused', 'booked', 'rejected']);
    expect((await getBalance(db, client.available)).available.toString()).toBe('40.00');
  });
});

describeOnEachDatabase('bad booking requests are rejected and change nothing', (handle) => {
  const cases: [string, (chart: { bank: bigint; client: bigint }) => LedgerRequest, RegExp][] = [
    ['an unbalanced transfer', (c) => ({ type: 'transfer', idempotencyKey: uniqueKey('x'), bookingDate: '2026-11-02', description: 'x', postings: [{ account: c.bank, side: 'debit', amount: eur('10.00') }, { account: c.client, side: 'credit', amount: eur('9.99') }] }), /postings: debits and credits differ by 0\.01/],
    ['a zero amount', (c) => ({ type: 'pending', idempotencyKey: uniqueKey('x'), bookingDate: '2026-11-02', description: 'x', debit: c.client, credit: c.bank, amount: Money.ZERO }), /amount: must be more than 0\.00/],
    ['a negative amount', (c) => ({ type: 'pending', idempotencyKey: uniqueKey('x'), bookingDate: '2026-11-02', description: 'x', debit: c.client, credit: c.bank, amount: eur('-5.00') }), /amount: must be more than 0\.00/],
    ['an amount as a JS number', (c) => ({ type: 'pending', idempotencyKey: uniqueKey('x'), bookingDate: '2026-11-02', description: 'x', debit: c.client, credit: c.bank, amount: 12.5 as unknown as Money }), /amount: must be an amount \(Money\), not a number/],
    ['an amount above the maximum', (c) => transfer(uniqueKey('x'), c.bank, c.client, '1000000001.00'), /above the maximum/],
    ['a date that does not exist', (c) => ({ ...transfer(uniqueKey('x'), c.bank, c.client, '1.00'), bookingDate: '2026-02-29' }), /bookingDate: "2026-02-29" is not a date/],
    ['a date out of range', (c) => ({ ...transfer(uniqueKey('x'), c.bank, c.client, '1.00'), bookingDate: '1999-12-31' }), /between 2000-01-01 and 2099-12-31/],
    ['an empty description', (c) => ({ ...transfer(uniqueKey('x'), c.bank, c.client, '1.00'), description: ' ' }), /description/],
    ['an empty idempotency key', (c) => ({ ...transfer('', c.bank, c.client, '1.00') }), /idempotencyKey/],
    ['one account on both sides', (c) => transfer(uniqueKey('x'), c.client, c.client, '1.00'), /debited and credited in the same transfer/],
    ['an unknown account', (c) => transfer(uniqueKey('x'), c.bank, 987654321n, '1.00'), /account 987654321 does not exist/],
  ];
  for (const [what, make, message] of cases) {
    it(`rejects ${what}`, async () => {
      const { db } = handle();
      const chart = await aChart(db);
      const client = await chart.client();
      const before = await counters(db, [chart.bank, client.available]);
      const request = make({ bank: chart.bank, client: client.available });
      const error = await bookOne(db, request).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerError);
      expect((error as LedgerError).message).toMatch(message);
      expect(await counters(db, [chart.bank, client.available])).toBe(before);
      const stored = await db.selectFrom('ledger_transaction').select('id').where('idempotency_key', '=', request.idempotencyKey).execute();
      expect(stored).toEqual([]);
    });
  }

  it('rejects in a batch per request, with the field named', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const [result] = await inTransaction(db, (trx) => bookBatch(trx, [{ ...transfer(uniqueKey('x'), chart.bank, client.available, '1.00'), bookingDate: '31-12-2026' }]));
    expect(result).toMatchObject({ outcome: 'rejected', error: { code: 'invalid_request', details: { field: 'bookingDate' } } });
  });
});

describe('amount parsing at the edge', () => {
  it.each(['12.345', 'NaN', 'Infinity', '1e3', '', '12,50', '0x10', ' ', '--1'])('refuses "%s"', (text) => {
    expect(() => Money.parse(text)).toThrow(/amount/);
  });
});
