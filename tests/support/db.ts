import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { connectPGlite, connectPostgres, type DatabaseHandle, type Driver } from '../../src/db/connect.js';
import type { Database } from '../../src/db/schema.js';
import { constraintName, sqlState } from '../../src/db/errors.js';
import { migrations } from '../../migrations/index.js';
import { TEST_DATABASE_URL, databaseUrl } from './services.js';

/** A fresh, migrated PGlite database in memory, from the run's snapshot (about half a second). */
export async function freshPGlite(): Promise<DatabaseHandle> {
  const snapshot = readFileSync(inject('pgliteSnapshot'));
  return connectPGlite({ loadDataDir: new Blob([snapshot]) });
}

/** A fresh, migrated PostgreSQL database copied from the run's template; dropped when closed. */
export async function freshPostgres(poolSize = 10): Promise<DatabaseHandle & { url: string }> {
  const template = inject('pgTemplate');
  if (!template) throw new Error('PostgreSQL is not reachable: ' + inject('pgUnavailable'));
  const name = `ontzorg_${inject('runId')}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const handle = connectPostgres({ url, poolSize });
  return {
    ...handle,
    url,
    close: async () => {
      await handle.close();
      const cleanup = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await cleanup.connect();
      try {
        // pg's pool resolves end() before its sockets are gone; a forced drop now would hit them.
        for (let i = 0; i < 100; i++) {
          const { rows } = await cleanup.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [name]);
          if (rows[0]?.n === '0') break;
          await new Promise((r) => setTimeout(r, 20));
        }
        await cleanup.query(`DROP DATABASE IF EXISTS ${name}`);
      } finally {
        await cleanup.end();
      }
    },
  };
}

export const postgresSkipReason = (): string => inject('pgUnavailable');

export function freshDatabase(driver: Driver): Promise<DatabaseHandle> {
  return driver === 'pglite' ? freshPGlite() : freshPostgres();
}

/**
 * Runs the same suite on the embedded PGlite and on the real PostgreSQL. The
 * PostgreSQL half is skipped, loudly, only when PostgreSQL is unreachable on a
 * developer's machine; under CI the global setup has already failed the run.
 */
export function describeOnEachDatabase(name: string, suite: (handle: () => DatabaseHandle, driver: Driver) => void): void {
  for (const driver of ['pglite', 'postgres'] as const) {
    const skip = driver === 'postgres' && postgresSkipReason() !== '';
    describe.skipIf(skip)(`${name} [${driver}]`, () => {
      let handle: DatabaseHandle | undefined;
      beforeAll(async () => {
        handle = await freshDatabase(driver);
      });
      afterAll(async () => {
        await handle?.close();
      });
      suite(() => {
        if (!handle) throw new Error('database not ready');
        return handle;
      }, driver);
    });
  }
}

/** How the database refused a statement: its SQLSTATE, the constraint named, the message. Fails the test if it was accepted. */
export async function refusal(work: Promise<unknown>): Promise<{ state: string | undefined; constraint: string | undefined; message: string }> {
  try {
    await work;
  } catch (error) {
    return { state: sqlState(error), constraint: constraintName(error), message: error instanceof Error ? error.message : String(error) };
  }
  throw new Error('the statement was accepted');
}

/** Migrates a database up or down to the named migration (tests of a migration's `down`, and of data older than it). */
export function migrateTo(db: Kysely<Database>, name: string): Promise<MigrationResultSet> {
  return new Migrator({ db, provider: { getMigrations: async () => migrations } }).migrateTo(name);
}
