import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connectPGlite, connectPostgres } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { TEST_DATABASE_URL, TEST_REDIS_URL, UNDER_CI, databaseUrl, postgresReachable, redisReachable } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Name of a migrated PostgreSQL database to copy per test file, or '' when PostgreSQL is not reachable. */
    pgTemplate: string;
    /** Path of a migrated PGlite data-dir dump to start each embedded database from. */
    pgliteSnapshot: string;
    /** '' when Redis is reachable, else why not. */
    redisUnavailable: string;
    pgUnavailable: string;
    /** Names this run's databases, so a concurrent run's are left alone. */
    runId: string;
  }
}

/**
 * Migrates once per run, so each test file starts from a copy in milliseconds:
 * a template database on PostgreSQL, a data-dir dump for PGlite. Under CI a
 * missing PostgreSQL or Redis fails the run here, before any test can skip.
 */
const RUN = `${process.pid}_${Date.now().toString(36)}`;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [pgProblem, redisProblem] = await Promise.all([postgresReachable(), redisReachable()]);
  if (UNDER_CI && (pgProblem || redisProblem)) {
    throw new Error(
      [
        'CI=true but a required service is missing; under CI nothing skips.',
        pgProblem ? `PostgreSQL at ${TEST_DATABASE_URL}: ${pgProblem}` : '',
        redisProblem ? `Redis at ${TEST_REDIS_URL}: ${redisProblem}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    );
  }
  if (pgProblem) console.warn(`\n⚠ PostgreSQL not reachable at ${TEST_DATABASE_URL} (${pgProblem}): its tests are SKIPPED on this machine.\n`);
  if (redisProblem) console.warn(`\n⚠ Redis not reachable at ${TEST_REDIS_URL} (${redisProblem}): its tests are SKIPPED on this machine.\n`);

  const workDir = mkdtempSync(join(tmpdir(), 'ontzorg-test-'));
  const embedded = await connectPGlite();
  await migrateToLatest(embedded.db);
  const snapshotPath = join(workDir, 'pglite-migrated.tar.gz');
  writeFileSync(snapshotPath, Buffer.from(await (await embedded.dump!()).arrayBuffer()));
  await embedded.close();

  let template = '';
  if (!pgProblem) {
    template = `ontzorg_${RUN}_tpl`;
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${template}`);
    await admin.end();
    const handle = connectPostgres({ url: databaseUrl(template), poolSize: 1 });
    await migrateToLatest(handle.db);
    await handle.close();
  }

  project.provide('pgTemplate', template);
  project.provide('runId', RUN);
  project.provide('pgliteSnapshot', snapshotPath);
  project.provide('redisUnavailable', redisProblem ?? '');
  project.provide('pgUnavailable', pgProblem ?? '');

  return async () => {
    rmSync(workDir, { recursive: true, force: true });
    if (template) {
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      const { rows } = await admin.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [`ontzorg_${RUN}_%`]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
      await admin.end();
    }
  };
}
