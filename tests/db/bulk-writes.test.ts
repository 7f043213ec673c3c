import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { numberArray, textArray } from '../../src/db/array-parameters.js';
import { insertColumns } from '../../src/db/bulk-insert.js';
import { inTransaction } from '../../src/db/transaction.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aChart, bookOne, transfer, uniqueKey } from '../support/ledger-fixture.js';

// Texts PostgreSQL can hold (no NUL), with the characters an array literal treats specially over-represented.
const pgText = fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', ',', '{', '}', ' ', 'N', 'U', 'L', "'", '\n', 'é', '؟', 'ሰ', '😀'), fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }).filter((c) => !c.includes('\u0000'))), maxLength: 40 });

// On PostgreSQL the arrays go in the binary format, on PGlite as text literals: the same tests hold for both.
describeOnEachDatabase('array parameters for the bulk writes', (handle) => {
  it('PostgreSQL reads back every text exactly as written, NULL, empty and "NULL" included', async () => {
    const { db } = handle();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(pgText, { nil: null }), { maxLength: 30 }), async (values) => {
        const { rows } = await sql<{ v: string | null }>`SELECT v FROM unnest(${textArray(values)}::text[]) WITH ORDINALITY AS u (v, n) ORDER BY n`.execute(db);
        expect(rows.map((r) => r.v)).toEqual(values);
      }),
      { numRuns: 60 },
    );
    const { rows } = await sql<{ v: string | null }>`SELECT v FROM unnest(${textArray(['NULL', '', null, 'a,b', '{x}', 'say "hi"', 'back\\slash'])}::text[]) WITH ORDINALITY AS u (v, n) ORDER BY n`.execute(db);
    expect(rows.map((r) => r.v)).toEqual(['NULL', '', null, 'a,b', '{x}', 'say "hi"', 'back\\slash']);
  });

  it('numbers and ids keep every digit, NULL stays NULL', async () => {
    const { db } = handle();
    const values = [0n, 1n, 9_223_372_036_854_775_807n, null, 42n];
    const { rows } = await sql<{ v: string | null }>`SELECT v::text AS v FROM unnest(${numberArray(values)}::bigint[]) WITH ORDINALITY AS u (v, n) ORDER BY n`.execute(db);
    expect(rows.map((r) => r.v)).toEqual(['0', '1', '9223372036854775807', null, '42']);
    const negative = [-9_223_372_036_854_775_808n, -1n, 7];
    const back = await sql<{ v: string }>`SELECT v::text AS v FROM unnest(${numberArray(negative)}::bigint[]) WITH ORDINALITY AS u (v, n) ORDER BY n`.execute(db);
    expect(back.rows.map((r) => r.v)).toEqual(['-9223372036854775808', '-1', '7']);
  });

  it('every int8, from either a bigint or a whole number, arrives as sent', async () => {
    const { db } = handle();
    const int8 = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }),
      fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, -(2n ** 32n), 2n ** 32n - 1n, 2n ** 32n, -1n, 0n, 2n ** 53n, 2n ** 53n + 1n),
      fc.maxSafeInteger(),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(int8, { nil: null }), { maxLength: 25 }), async (values) => {
        const { rows } = await sql<{ v: string | null }>`SELECT v::text AS v FROM unnest(${numberArray(values)}::bigint[]) WITH ORDINALITY AS u (v, n) ORDER BY n`.execute(db);
        expect(rows.map((r) => r.v)).toEqual(values.map((v) => (v === null ? null : BigInt(v).toString())));
      }),
      { numRuns: 60 },
    );
    expect(() => numberArray([1.5])).toThrow(RangeError);
    expect(() => numberArray([2n ** 63n])).toThrow(RangeError);
  });

  it('integers, empty arrays and texts cast to dates, booleans and JSON arrive as sent', async () => {
    const { db } = handle();
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 20 }), async (values) => {
        const { rows } = await sql<{ v: number | null }>`SELECT v FROM unnest(${numberArray(values, 'integer')}::integer[]) WITH ORDINALITY AS u (v, n) ORDER BY n`.execute(db);
        expect(rows.map((r) => r.v)).toEqual(values);
      }),
      { numRuns: 30 },
    );
    const empty = await sql<{ n: number }>`SELECT cardinality(${numberArray([])}::bigint[]) + cardinality(${textArray([])}::text[]) AS n`.execute(db);
    expect(empty.rows).toEqual([{ n: 0 }]);
    const { rows } = await sql<{ d: string; b: boolean; j: unknown }>`
      SELECT d::text AS d, b, j FROM unnest(${textArray(['2026-12-01', '2000-02-29'])}::text[]::date[], ${textArray(['t', 'f'])}::text[]::boolean[],
                                            ${textArray(['{"a":"é \\"x\\""}', '[1,null]'])}::text[]::jsonb[]) AS u (d, b, j)`.execute(db);
    expect(rows).toEqual([
      { d: '2026-12-01', b: true, j: { a: 'é "x"' } },
      { d: '2000-02-29', b: false, j: [1, null] },
    ]);
  });

  it('refuses what the column cannot hold: a date the server checks, a number when its parameter is made', async () => {
    const { db } = handle();
    await expect(sql`SELECT ${textArray(['2026-02-30'])}::text[]::date[]`.execute(db)).rejects.toThrow(/date/);
    expect(() => numberArray([2 ** 31], 'integer')).toThrow(RangeError);
    await expect(sql`SELECT ${numberArray([2 ** 31 - 1], 'integer')}::integer[] AS v`.execute(db)).resolves.toMatchObject({ rows: [{ v: [2 ** 31 - 1] }] });
  });

  it('a bulk insert that skips existing keys writes the new rows and leaves the ones already there as they were', async () => {
    const { db } = handle();
    await sql`CREATE TABLE bulk_skip_test (key text PRIMARY KEY, amount_cents bigint NOT NULL, on_day date NOT NULL, late boolean NOT NULL)`.execute(db);
    const write = (keys: string[], cents: bigint, options: { skipExisting?: readonly string[] }) =>
      inTransaction(db, (trx) =>
        insertColumns(
          trx,
          'bulk_skip_test',
          {
            key: { type: 'text', values: keys },
            amount_cents: { type: 'bigint', values: keys.map(() => cents) },
            on_day: { type: 'date', values: keys.map(() => '2026-03-30') },
            late: { type: 'boolean', values: keys.map((_, n) => n % 2 === 0) },
          },
          options,
        ),
      );
    await write(['a', 'b'], 100n, {});
    await write(['b', 'c'], 999n, { skipExisting: ['key'] });
    const rows = await sql<{ key: string; amount_cents: string; on_day: string; late: boolean }>`SELECT key, amount_cents::text, on_day::text, late FROM bulk_skip_test ORDER BY key`.execute(db);
    expect(rows.rows).toEqual([
      { key: 'a', amount_cents: '100', on_day: '2026-03-30', late: true },
      { key: 'b', amount_cents: '100', on_day: '2026-03-30', late: false },
      { key: 'c', amount_cents: '999', on_day: '2026-03-30', late: false },
    ]);
    // Without it, a key already there is refused and nothing of the statement is kept.
    await expect(write(['d', 'a'], 5n, {})).rejects.toMatchObject({ code: '23505' });
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM bulk_skip_test`.execute(db)).rows).toEqual([{ n: 3 }]);
  });

  it('a booking whose description holds quotes, backslashes and braces is stored as given', async () => {
    const { db } = handle();
    const chart = await aChart(db);
    const client = await chart.client();
    const description = 'Huur "november" {Woonbron}, C:\\betaling\\ NULL';
    const key = uniqueKey('odd "key" \\ {x}');
    const booked = await bookOne(db, { ...transfer(key, chart.bank, client.available, '12.34'), description });
    expect(booked.outcome).toBe('booked');
    const stored = await db.selectFrom('ledger_transaction').select(['idempotency_key', 'description']).where('idempotency_key', '=', key).executeTakeFirstOrThrow();
    expect(stored).toEqual({ idempotency_key: key, description });
    const again = await bookOne(db, { ...transfer(key, chart.bank, client.available, '12.34'), description });
    expect(again).toMatchObject({ outcome: 'booked', replayed: true });
  });
});
