import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';

/**
 * 0019: the daily report reads, every day and per gemeente, the payments that did not go out and were not issued
 * again. The planner must be able to answer that from the partial index, not by reading every payment ever made.
 */
describe('migration 0019: the payments waiting to be issued again are found through their index [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPGlite();
  });
  afterAll(async () => handle?.close());

  it('the report\'s query and the retry look-up use payment_instruction_not_paid_idx and payment_instruction_retry_of_idx', async () => {
    const plan = await handle.db.transaction().execute(async (trx) => {
      // With a sequential scan priced out, what remains is what the indexes can answer.
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`
        EXPLAIN SELECT i.id FROM payment_instruction i
         WHERE i.gemeente_id = ${'GM0505'} AND i.status IN ('cancelled', 'returned', 'bank_rejected') AND i.client_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM payment_instruction r WHERE r.retry_of = i.id)
         ORDER BY i.execution_date, i.id LIMIT 1000
      `.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('payment_instruction_not_paid_idx');
    expect(plan).toContain('payment_instruction_retry_of_idx');
  });
});
