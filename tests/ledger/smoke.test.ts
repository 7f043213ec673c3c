import { expect, it } from 'vitest';
import { getBalance } from '../../src/ledger/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';

describeOnEachDatabase('ledger smoke', (handle) => {
  it('books bijstand into a client account', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const result = await bookOne(db, transfer(uniqueKey('in'), chart.bank, client.available, '1334.23'));
    expect(result.outcome).toBe('booked');
    expect((await getBalance(db, client.available)).posted.toString()).toBe('1334.23');
  });
});
