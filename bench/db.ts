/**
 * Fresh databases for the bench: one PostgreSQL database per scenario (created and
 * dropped here), or one in-memory PGlite, both through the service's own `connect*`
 * functions; the phase profile switches kysely's query log on.
 */
import type { LogEvent } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { connectPGlite, connectPostgres, type DatabaseHandle, type Driver } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';

export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

let counter = 0;

export interface BenchDatabase {
  readonly handle: DatabaseHandle;
  readonly url: string | undefined;
  /** Closes the connections and, on PostgreSQL, drops the database. */
  dispose(): Promise<void>;
}

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function postgresVersion(): Promise<string> {
  return admin(async (c) => {
    const { rows } = await c.query<{ v: string; fsync: string; sc: string; sb: string }>(
      "SELECT current_setting('server_version') AS v, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sc, current_setting('shared_buffers') AS sb",
    );
    const r = rows[0]!;
    return `PostgreSQL ${r.v} (fsync=${r.fsync}, synchronous_commit=${r.sc}, shared_buffers=${r.sb})`;
  });
}

/** An empty database (no migrations), or a copy of `template`; `drop` removes it. */
export async function createDatabase(template?: string): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `ontzorg_bench_${process.pid}_${++counter}`;
  if (template !== undefined && !/^[a-z0-9_]+$/.test(template)) throw new Error(`bench: "${template}" is not a database name this bench made`);
  await admin((c) => c.query(template === undefined ? `CREATE DATABASE "${name}"` : `CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined) };
}

/**
 * A migrated, empty database on `driver`; or, with `template` (PostgreSQL only), a copy of that database, brought up
 * to the latest migration (so a day can be run again and again from the same state, also with a new migration).
 */
export async function freshDatabase(driver: Driver, options: { poolSize?: number; log?: (event: LogEvent) => void; template?: string } = {}): Promise<BenchDatabase> {
  if (driver === 'postgres') {
    const created = await createDatabase(options.template);
    try {
      const handle = connectPostgres({
        url: created.url,
        poolSize: options.poolSize ?? 10,
        applicationName: 'ontzorg-bench',
        // As the service would run with this environment (DATABASE_RANDOM_PAGE_COST=server: the server's own setting).
        randomPageCost: loadConfig().databaseRandomPageCost,
        onIdleError: (error) => process.stderr.write(`bench: an idle PostgreSQL connection failed: ${error.message}\n`),
        ...(options.log ? { log: options.log } : {}),
      });
      await migrateToLatest(handle.db);
      return {
        handle,
        url: created.url,
        dispose: async () => {
          await handle.close();
          // BENCH_KEEP_DATABASE=1 leaves the database for reading query plans afterwards (dropped by the next person, by hand).
          if (process.env.BENCH_KEEP_DATABASE === '1') process.stderr.write(`bench: kept database ${created.name}\n`);
          else await created.drop();
        },
      };
    } catch (error) {
      await created.drop();
      throw error;
    }
  }
  const handle = await connectPGlite(options.log ? { log: options.log } : {});
  await migrateToLatest(handle.db);
  return { handle, url: undefined, dispose: () => handle.close() };
}

// The same parsers as src/db/connect.ts, so profiled runs see the same types.

/** Runs raw SQL on a bench database (for the COPY floor and the ablations). */
export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
