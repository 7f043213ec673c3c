import { Migrator, type Kysely, type MigrationResultSet } from 'kysely';
import { migrations } from '../../migrations/index.js';

export class MigrationFailed extends Error {
  constructor(
    readonly migration: string | undefined,
    reason: unknown,
  ) {
    super(`database migration ${migration ?? '(unknown)'} failed: ${reason instanceof Error ? reason.message : String(reason)}`, { cause: reason });
    this.name = 'MigrationFailed';
  }
}

/** Brings the schema to the newest version; kysely runs all pending migrations in one transaction under a lock. */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    throw new MigrationFailed(failed?.migrationName, result.error);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
