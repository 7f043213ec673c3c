import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPostgres, type DatabaseHandle } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';

/**
 * The service's PostgreSQL connections price a page read out of order at 1.1 (DATABASE_RANDOM_PAGE_COST), not the
 * server's 4: a chunk of 2,000 clients out of 100,000 is then looked up through an index, not by reading every row.
 */
describe.skipIf(postgresSkipReason() !== '')('the planner settings of the service’s connections [postgres]', () => {
  let handle: (DatabaseHandle & { url: string }) | undefined;
  const db = () => handle!.db;
  beforeAll(async () => {
    handle = await freshPostgres(3);
    await sql`CREATE TABLE planner_probe (id bigint PRIMARY KEY, client_id bigint NOT NULL, pay_date date NOT NULL)`.execute(db());
    await sql`INSERT INTO planner_probe SELECT g, g % 100000, DATE '2026-03-01' + (g % 60) FROM generate_series(1, 200000) g`.execute(db());
    await sql`CREATE INDEX planner_probe_client_idx ON planner_probe (client_id, pay_date)`.execute(db());
    await sql`VACUUM ANALYZE planner_probe`.execute(db());
  });
  afterAll(async () => {
    await handle?.close();
  });

  const chunkPlan = async (on: Kysely<Database>): Promise<string> => {
    const clients = `{${Array.from({ length: 2_000 }, (_, n) => 40_000 + n).join(',')}}`;
    const { rows } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT id FROM planner_probe WHERE client_id = ANY(${clients}::bigint[]) AND pay_date >= DATE '2026-03-15'`.execute(on);
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  it('sets random_page_cost to 1.1 on every connection of the pool', async () => {
    const seen = await Promise.all([1, 2, 3].map(() => db().connection().execute(async (conn) => (await sql<{ random_page_cost: string }>`SHOW random_page_cost`.execute(conn)).rows[0]!.random_page_cost)));
    expect(seen).toEqual(['1.1', '1.1', '1.1']);
  });

  it('looks up one chunk of clients through the index, where the server’s own setting reads the whole table', async () => {
    expect(await chunkPlan(db())).toMatch(/Index (Only )?Scan using planner_probe_client_idx|Bitmap Index Scan on planner_probe_client_idx/);
    const server = connectPostgres({ url: handle!.url, poolSize: 1, randomPageCost: null });
    try {
      expect((await sql<{ random_page_cost: string }>`SHOW random_page_cost`.execute(server.db)).rows[0]!.random_page_cost).toBe('4');
      expect(await chunkPlan(server.db)).toMatch(/Seq Scan on planner_probe/);
    } finally {
      await server.close();
    }
  });
});
