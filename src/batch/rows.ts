import type { ColumnType, Generated } from 'kysely';

/** Row shapes of the daily batch (migration 0005). */

export interface BatchRunTable {
  gemeente_id: string;
  run_date: string;
  status: 'running' | 'completed' | 'failed';
  runs: Generated<number>;
  started_at: Generated<Date>;
  finished_at: Date | null;
  started_by: string;
  error: string | null;
  report: ColumnType<unknown, string | null, string | null>;
}

export interface BatchTables {
  batch_run: BatchRunTable;
}
