import { describe, expect, it } from 'vitest';
import { postgresSkipReason } from '../support/db.js';
import { TEST_DATABASE_URL } from '../support/services.js';

/**
 * `npm run bench` does not run the daily batch's bench (it takes minutes at its real size), so nothing noticed when a
 * migration broke its set-up (session 14). Run at 30 clients, it takes seconds: the five days, the rerun that must
 * create nothing and the bench's own check that the books add up.
 */
describe.skipIf(postgresSkipReason() !== '')('the daily batch bench, at 30 clients [postgres]', () => {
  it('runs its five days and finds the books adding up', async () => {
    process.env.BENCH_DATABASE_URL = TEST_DATABASE_URL;
    const { runBatchBench } = await import('../../bench/batch.js');
    const lines: string[] = [];
    const result = await runBatchBench(30, (line) => lines.push(line));
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.days.map((d) => [d.day, d.reservations, d.instructions])).toEqual([
      ['2026-03-25', 120, 0],
      ['2026-03-26', 0, 30],
      ['2026-03-27', 0, 0],
      ['2026-03-30', 0, 120],
      ['2026-03-31', 0, 30],
    ]);
    expect(lines.some((line) => line.includes('rerun of 2026-03-31') && line.includes('0 instructions created'))).toBe(true);
  }, 120_000);
});
