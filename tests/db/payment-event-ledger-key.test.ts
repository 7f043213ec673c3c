import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../migrations/index.js';
import { connectPGlite, connectPostgres, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { paymentsReturnedBy, undoSettlements } from '../../src/payments/reconcile.js';
import { freshPostgres, migrateTo, postgresSkipReason } from '../support/db.js';

const INDEX = 'payment_event_ledger_key_idx';
const hasIndex = async (db: Kysely<Database>) => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = ${INDEX}`.execute(db)).rows[0]!.n === 1;

/** 0016: the bank-outcome lookups of payment events by ledger key (statement undo, the returns check) get an index. */
describe('migration 0016: payment_event (ledger_key) [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await connectPGlite();
  });
  afterAll(async () => handle?.close());

  it('runs the whole list up on an empty database, then 0016 down and up again', async () => {
    const applied = await migrateToLatest(handle.db);
    expect(applied).toEqual(Object.keys(migrations));
    expect(applied).toContain('0016_payment_event_ledger_key');
    expect(await hasIndex(handle.db)).toBe(true);

    // Down to 0015: every later migration goes down first, then 0016.
    const later = applied.slice(applied.indexOf('0016_payment_event_ledger_key'));
    const down = await migrateTo(handle.db, '0015_webhook_secret_sealed');
    expect(down.error).toBeUndefined();
    expect(down.results?.map((r) => [r.migrationName, r.direction, r.status])).toEqual([...later].reverse().map((name) => [name, 'Down', 'Success']));
    expect(await hasIndex(handle.db)).toBe(false);
    // 0015 and earlier stay; 0004 refuses to go down (payments are records), so the list ends here.
    expect(await migrateToLatest(handle.db)).toEqual(later);
    expect(await hasIndex(handle.db)).toBe(true);
  }, 120_000);
});

describe.skipIf(postgresSkipReason() !== '')('migration 0016: the undo and returns lookups use the index [postgres]', () => {
  let handle: DatabaseHandle & { url: string };
  let logged: DatabaseHandle;
  const queries: { sql: string; parameters: readonly unknown[] }[] = [];
  beforeAll(async () => {
    handle = await freshPostgres(2);
    logged = connectPostgres({ url: handle.url, poolSize: 1, log: (event) => void (event.level === 'query' && queries.push({ sql: event.query.sql, parameters: event.query.parameters })) });
    // A year of bank outcomes: 60,000 settled and returned events, each with its bank item's ledger key.
    await sql`
      INSERT INTO payment_event (kind, actor, ledger_key)
      SELECT CASE WHEN g % 20 = 0 THEN 'returned' ELSE 'settled' END, 'bank', 'camt/BO-' || (g / 500) || '/' || g FROM generate_series(1, 60000) AS g
    `.execute(handle.db);
    await sql`INSERT INTO payment_event (kind, actor) SELECT 'approved', 'approver-1' FROM generate_series(1, 20000)`.execute(handle.db);
    await sql`ANALYZE payment_event`.execute(handle.db);
  });
  afterAll(async () => {
    await logged?.close();
    await handle?.close();
  });

  /** The plan of the query exactly as the code sent it, with its parameters. */
  async function plan(query: { sql: string; parameters: readonly unknown[] }): Promise<string> {
    const client = new pg.Client({ connectionString: handle.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${query.sql}`, [...query.parameters]);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    } finally {
      await client.end();
    }
  }

  it('statement undo (undoSettlements) and the returns check (paymentsReturnedBy) look events up through payment_event_ledger_key_idx', async () => {
    const keys = ['camt/BO-7/3501', 'camt/BO-7/3502'];
    queries.length = 0;
    await inTransaction(logged.db, async (trx) => {
      expect(await paymentsReturnedBy(trx, keys)).toEqual([]);
      expect(await undoSettlements(trx, keys.map((ledgerKey, n) => ({ id: BigInt(n + 1), ledgerKey })), { user: 'operator-1', why: 'test' })).toBe(0);
    });
    const returnsCheck = queries.find((q) => q.sql.includes("ev.kind = 'returned'"))!;
    const undo = queries.find((q) => q.sql.includes("ev.kind = 'settled'"))!;
    expect(returnsCheck).toBeDefined();
    expect(undo).toBeDefined();
    for (const query of [returnsCheck, undo]) {
      const text = await plan(query);
      expect(text, text).toContain(INDEX);
      expect(text, text).not.toMatch(/Seq Scan on payment_event/);
    }
  });
});
