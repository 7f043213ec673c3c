/**
 * Fresh databases for the bench: one PostgreSQL database per scenario (created and
 * dropped here), or one in-memory PGlite. PGlite runs use the service's own
 * `connectPGlite`; PostgreSQL runs use `benchPostgres`, a copy of `connectPostgres`
 * (same pool, same type parsers) with a pool error listener; the phase profile
 * switches kysely's query log on.
 */
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { connectPGlite, type DatabaseHandle, type Driver } from '../src/db/connect.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { Database } from '../src/db/schema.js';

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

async function createDatabase(): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = `ontzorg_bench_${process.pid}_${++counter}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return { name, url: url.toString(), drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined) };
}

/** A migrated, empty database on `driver`. */
export async function freshDatabase(driver: Driver, options: { poolSize?: number; log?: (event: LogEvent) => void } = {}): Promise<BenchDatabase> {
  if (driver === 'postgres') {
    const created = await createDatabase();
    try {
      const handle = benchPostgres(created.url, options.poolSize ?? 10, options.log);
      await migrateToLatest(handle.db);
      return {
        handle,
        url: created.url,
        dispose: async () => {
          await handle.close();
          await created.drop();
        },
      };
    } catch (error) {
      await created.drop();
      throw error;
    }
  }
  const handle = options.log ? await profiledPGlite(options.log) : await connectPGlite();
  await migrateToLatest(handle.db);
  return { handle, url: undefined, dispose: () => handle.close() };
}

// The same parsers as src/db/connect.ts, so profiled runs see the same types.
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;

/**
 * `connectPostgres` with two additions: an optional query log (the phase profile) and a
 * pool error listener. Without the listener, a server-side termination of an idle pooled
 * connection (pg_terminate_backend, restart) is an unhandled 'error' event that kills the
 * process — it killed a bench run on this shared server, and `connectPostgres` has the same gap.
 */
function benchPostgres(url: string, poolSize: number, log: ((event: LogEvent) => void) | undefined): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    application_name: 'ontzorg-bench',
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8) return (value: string) => BigInt(value);
        if (oid === NUMERIC || oid === DATE) return (value: string) => value;
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  pool.on('error', (error) => process.stderr.write(`bench: an idle PostgreSQL connection failed: ${error.message}\n`));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(log ? { log } : {}) });
  return { db, driver: 'postgres', close: () => db.destroy() };
}

async function profiledPGlite(log: (event: LogEvent) => void): Promise<DatabaseHandle> {
  const pglite = await PGlite.create({
    parsers: {
      [pgliteTypes.INT8]: (value: string) => BigInt(value),
      [NUMERIC]: (value: string) => value,
      [DATE]: (value: string) => value,
    },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite), log });
  return { db, driver: 'pglite', close: () => db.destroy() };
}

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
