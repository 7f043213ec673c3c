import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookMany, transfer, uniqueKey } from '../support/ledger-fixture.js';

const pageOf = (ctid: string): string => ctid.slice(1, ctid.indexOf(','));

/**
 * 0028: a booking rewrites the balance columns of every account it touches. With room on the page the new row
 * version stays there (a HOT update, no new index entries); at the default fillfactor a page of accounts made one
 * after another is full, and the first booking of each moved it to another page.
 */
describeOnEachDatabase('migration 0028: balance updates keep an account on its page', (handle) => {
  it('books onto 400 accounts made one after another, and each account is still on the page it was made on', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const clients = [];
    for (let i = 0; i < 200; i++) clients.push(await chart.client());
    const ids = clients.flatMap((c) => [c.available, c.advances]);
    const where = async () =>
      new Map(
        (await sql<{ id: bigint; ctid: string }>`SELECT id, ctid::text AS ctid FROM account WHERE id = ANY(${`{${ids.join(',')}}`}::bigint[])`.execute(db)).rows.map((r) => [
          String(r.id),
          pageOf(r.ctid),
        ]),
      );
    const before = await where();
    const results = await bookMany(
      db,
      clients.flatMap((c) => [transfer(uniqueKey('in'), chart.bank, c.available, '10.00'), transfer(uniqueKey('advance'), c.advances, chart.bank, '1.00')]),
    );
    expect(results.every((r) => r.outcome === 'booked')).toBe(true);
    const after = await where();
    expect(after.size).toBe(400);
    const moved = [...after].filter(([id, page]) => before.get(id) !== page);
    expect(moved).toEqual([]);
  });
});
