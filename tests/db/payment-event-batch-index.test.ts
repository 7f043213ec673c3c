import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeOnEachDatabase } from '../support/db.js';

/** 0029: the index on a payment event's batch holds the events of batches only, not every payment's null. */
describeOnEachDatabase('migration 0029: the index on payment events by batch', (handle) => {
  it('indexes the events of batches only, and a batch\'s events are still found through it', async () => {
    const { db } = handle();
    const { rows: definition } = await sql<{ indexdef: string }>`SELECT indexdef FROM pg_indexes WHERE indexname = 'payment_event_batch_idx'`.execute(db);
    expect(definition[0]!.indexdef).toContain('WHERE (batch_id IS NOT NULL)');
    const plan = await db.transaction().execute(async (trx) => {
      // With a sequential scan priced out, what remains is what the index can answer.
      await sql`SET LOCAL enable_seqscan = off`.execute(trx);
      const { rows } = await sql<{ 'QUERY PLAN': string }>`EXPLAIN SELECT kind FROM payment_event WHERE batch_id = ${'7'}::bigint ORDER BY id`.execute(trx);
      return rows.map((r) => r['QUERY PLAN']).join('\n');
    });
    expect(plan).toContain('payment_event_batch_idx');
  });
});
