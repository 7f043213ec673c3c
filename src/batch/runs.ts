import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { addDays, isBusinessDay, isIsoDate, type IsoDate } from '../schedule/index.js';
import { BatchError } from './errors.js';

/** One business day of a gemeente's daily batch, as the back office checks it each morning. */
export interface BatchRunDay {
  readonly runDate: IsoDate;
  /** `not_run`: no run is recorded for a business day that has come (a worker was down; the next run makes up what it can). */
  readonly status: 'completed' | 'failed' | 'running' | 'not_run';
  readonly runs: number;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly startedBy: string | null;
  /** Why the last run failed, for the operator who starts it again. */
  readonly error: string | null;
  /** From the stored report: the headline figures. */
  readonly summary: { readonly batches: number; readonly latePayments: number; readonly awaitingRetry: number; readonly failures: number } | null;
}

export const MAX_RUN_DAYS = 93;

/**
 * The business days from `from` to `to` (at most 93 days, none after today) with what the daily batch did on
 * each: completed, failed (with its error), still running, or not run at all. One query whatever the range.
 */
export async function batchRunDays(db: Kysely<Database>, gemeenteId: string, range: { from: IsoDate; to: IsoDate }, today: IsoDate): Promise<BatchRunDay[]> {
  if (!isIsoDate(range.from) || !isIsoDate(range.to)) throw new BatchError('invalid_run_date', 'from and to must be days written as YYYY-MM-DD');
  if (range.from > range.to) throw new BatchError('invalid_run_date', `from (${range.from}) lies after to (${range.to})`);
  if (addDays(range.from, MAX_RUN_DAYS - 1) < range.to) throw new BatchError('invalid_run_date', `at most ${MAX_RUN_DAYS} days at a time; ask for a shorter range`);
  const until = range.to < today ? range.to : today;
  const rows = await db
    .selectFrom('batch_run')
    .select(['run_date', 'status', 'runs', 'started_at', 'finished_at', 'started_by', 'error'])
    // The headline figures only: a stored report holds lists of up to 1,000 lines each.
    .select(
      sql<{ batches: number; latePayments: number; awaitingRetry: number; failures: number } | null>`CASE WHEN report IS NULL THEN NULL ELSE json_build_object(
        'batches', jsonb_array_length(report -> 'batches'), 'latePayments', (report ->> 'latePayments')::int,
        'awaitingRetry', coalesce((report -> 'awaitingRetry' ->> 'count')::int, 0), 'failures', jsonb_array_length(report -> 'failures')) END`.as('summary'),
    )
    .where('gemeente_id', '=', gemeenteId)
    .where('run_date', '>=', range.from)
    .where('run_date', '<=', until)
    .execute();
  const byDate = new Map(rows.map((r) => [r.run_date, r]));
  const days: BatchRunDay[] = [];
  for (let day = range.from; day <= until; day = addDays(day, 1)) {
    const row = byDate.get(day);
    // A run on a weekend or holiday (a catch-up by hand) is listed; a day off without one is not missing.
    if (!row && !isBusinessDay(day)) continue;
    days.push({
      runDate: day,
      status: row?.status ?? 'not_run',
      runs: row?.runs ?? 0,
      startedAt: row?.started_at.toISOString() ?? null,
      finishedAt: row?.finished_at?.toISOString() ?? null,
      startedBy: row?.started_by ?? null,
      error: row?.status === 'failed' ? row.error : null,
      summary: row?.summary ?? null,
    });
  }
  return days.reverse();
}
