import { mkdirSync } from 'node:fs';
import { PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, type LogEvent } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { DEFAULT_RANDOM_PAGE_COST } from '../config.js';
import { encodeTextArraysWhenMade, forPGlite } from './array-parameters.js';
import type { Database } from './schema.js';

/**
 * One place decides how values come back from either driver, so the rest of the
 * code sees the same types on PostgreSQL and on the embedded PGlite:
 * int8 → bigint (cents and ids), numeric → string (exact), date → 'YYYY-MM-DD'.
 */
const INT8 = 20;
const NUMERIC = 1700;
const DATE = 1082;

export type Driver = 'postgres' | 'pglite';

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly driver: Driver;
  close(): Promise<void>;
  /** Embedded only: the whole data directory as a gzipped tarball, to start another database from. */
  dump?(): Promise<Blob>;
}

export interface PostgresOptions {
  readonly url: string;
  readonly poolSize?: number;
  readonly applicationName?: string;
  /** Told when the server drops an idle connection; the pool replaces it. */
  readonly onIdleError?: (error: Error) => void;
  /** Every query with its duration, for profiling (the benchmarks). */
  readonly log?: (event: LogEvent) => void;
  /** The planner's price of a page read out of order on these connections (default `DEFAULT_RANDOM_PAGE_COST`, see there); null leaves the server's. */
  readonly randomPageCost?: number | null;
}

/**
 * How many transactions each database object can have open at once: its pool's size on PostgreSQL, one on PGlite
 * (a single connection: a second transaction would wait for the first forever). For callers that fan out.
 */
const connectionLimits = new WeakMap<Kysely<Database>, number>();

/** The connections `db` can use at once; 1 for PGlite and for a database object not made here. */
export function connectionLimit(db: Kysely<Database>): number {
  return connectionLimits.get(db) ?? 1;
}

export function connectPostgres(options: PostgresOptions): DatabaseHandle {
  encodeTextArraysWhenMade();
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    // A connection once opened stays open: pg-pool's default closes one idle for 10 s, and the next burst
    // then pays for new backends, whose first statements load catalogs and plan every query afresh.
    min: options.poolSize ?? 10,
    application_name: options.applicationName ?? 'ontzorg',
    // Set when the connection starts (no round trip); PGOPTIONS, which an explicit `options` would hide, is kept.
    options: startupOptions(options.randomPageCost === undefined ? DEFAULT_RANDOM_PAGE_COST : options.randomPageCost),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
        if (oid === INT8) return (value: string) => BigInt(value);
        if (oid === NUMERIC || oid === DATE) return (value: string) => value;
        return pg.types.getTypeParser(oid, format as 'text');
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle connection can be cut by the server (restart, failover, an administrator); without a
  // listener that error would crash the process. The pool drops the connection and opens a new one.
  pool.on('error', (error) => options.onIdleError?.(error));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(options.log ? { log: options.log } : {}) });
  connectionLimits.set(db, options.poolSize ?? 10);
  return { db, driver: 'postgres', close: () => db.destroy() };
}

function startupOptions(randomPageCost: number | null): string | undefined {
  const parts = [process.env.PGOPTIONS, randomPageCost === null ? undefined : `-c random_page_cost=${randomPageCost}`].filter((part) => part);
  return parts.length > 0 ? parts.join(' ') : undefined;
}

export interface PGliteOptions {
  /** A directory for the data, or undefined for an in-memory database. */
  readonly dataDir?: string;
  /** A migrated snapshot (from dumpDataDir) to start from: the fast path for tests. */
  readonly loadDataDir?: Blob | File;
  readonly log?: (event: LogEvent) => void;
}

export async function connectPGlite(options: PGliteOptions = {}): Promise<DatabaseHandle> {
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const pglite = await PGlite.create({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    parsers: {
      [pgliteTypes.INT8]: (value: string) => BigInt(value),
      [NUMERIC]: (value: string) => value,
      [DATE]: (value: string) => value,
    },
  });
  // The dialect calls only `query` and `close`. PGlite does not take array parameters in the binary format that
  // node-postgres is given (`array-parameters.ts`), so they reach it as their text literal.
  const connection = {
    query: (text: string, params?: unknown[]) => pglite.query(text, params?.map(forPGlite)),
    close: () => pglite.close(),
  } as unknown as PGlite;
  const db = new Kysely<Database>({ dialect: new PGliteDialect(connection), ...(options.log ? { log: options.log } : {}) });
  return { db, driver: 'pglite', close: () => db.destroy(), dump: async () => pglite.dumpDataDir('gzip') };
}

export async function connect(config: {
  databaseUrl: string | undefined;
  dataDir: string;
  databasePoolSize: number;
  databaseRandomPageCost: number | null;
}): Promise<DatabaseHandle> {
  return config.databaseUrl
    ? connectPostgres({ url: config.databaseUrl, poolSize: config.databasePoolSize, randomPageCost: config.databaseRandomPageCost })
    : connectPGlite({ dataDir: config.dataDir });
}
