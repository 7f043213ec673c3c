import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { dailyBatchProcessor } from '../../jobs/batch.js';
import { releaseJob } from '../../jobs/release.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { createLogger } from '../../src/logging/logger.js';
import { approveBatch } from '../../src/payments/batches.js';
import { freshPostgres } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, GEMEENTE, singleAdultObligations, toeslagFor, type TestClient } from '../batch/support.js';

const unavailable = inject('pgUnavailable');

/** 06:30 Amsterdam (CET) on a day, in epoch milliseconds: the due time BullMQ's scheduler puts in its job id. */
const dueAt0630 = (day: string): number => Date.parse(`${day}T05:30:00Z`);

/**
 * The workers were down on Monday 23 March 2026 (a deploy gone wrong, Redis restarted) and come back on Tuesday
 * 24 March at 09:00. BullMQ then hands them the scheduler's job that was due on Monday 06:30 (its id
 * `repeat:daily-batch-GM0505:<Monday 06:30>`), and makes the next one for Wednesday 06:30: no job for Tuesday.
 * The late job runs for Tuesday, the day it runs on (never before its due day). The batch it makes must be payable by the back
 * office on Tuesday: approved and released that day, the client's money goes to the bank.
 */
describe.skipIf(unavailable !== '')('a scheduled daily batch that runs late (workers down on its day)', () => {
  let handle: DatabaseHandle;
  let client: TestClient;
  const outbox = mkdtempSync(join(tmpdir(), 'ontzorg-late-'));
  const logger = createLogger({ level: 'silent' });

  beforeAll(async () => {
    handle = await freshPostgres();
    await aServiceRegion(handle.db);
    // No consent for toeslagen (rule 6): the zorgtoeslag that arrives is the client's money and is passed on.
    client = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(handle.db, '2026-03-20', [toeslagFor(client, 'ZORGTOESLAG', '129.00', '2026-04')]);
  }, 120_000);
  afterEach(() => vi.useRealTimers());
  afterAll(async () => {
    await handle?.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('the batch a late job makes is released on the day the workers are back, and the passed-on toeslag goes to the client', async () => {
    // Tuesday 24 March, 09:00 Amsterdam: the worker picks up Monday's job.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-03-24T08:00:00Z'));
    const monday = dueAt0630('2026-03-23');
    const run = dailyBatchProcessor(handle.db, logger);
    await run({
      data: { gemeenteId: GEMEENTE },
      id: `repeat:daily-batch-${GEMEENTE}:${monday}`,
      repeatJobKey: `daily-batch-${GEMEENTE}`,
      // BullMQ made it when Friday's job started (Friday 06:30), to wait until Monday 06:30.
      timestamp: dueAt0630('2026-03-20'),
      opts: { delay: monday - dueAt0630('2026-03-20') },
    });

    const passOn = await handle.db
      .selectFrom('payment_instruction as i')
      .innerJoin('scheduled_payment as s', 's.idempotency_key', 'i.idempotency_key')
      .select(['i.id', 'i.batch_id', 'i.amount_cents', 'i.execution_date', 'i.status'])
      .where('i.client_id', '=', client.id)
      .where('s.kind', '=', 'pass_on')
      .executeTakeFirstOrThrow();
    expect(passOn.amount_cents).toBe(12900n);
    expect(passOn.batch_id).not.toBeNull();

    // The back office approves it and releases it on Tuesday morning, as every day.
    await inTransaction(handle.db, (trx) => approveBatch(trx, passOn.batch_id!, 'approver-1'));
    vi.setSystemTime(new Date('2026-03-24T08:30:00Z'));
    const released = await releaseJob(handle.db, { batchId: passOn.batch_id!.toString(), releasedBy: 'operator-1' }, { outboxDir: outbox, now: () => new Date('2026-03-24T08:30:00Z') }).then(
      (r) => ({ ok: true as const, files: r.files.length }),
      (error: unknown) => ({ ok: false as const, error: error instanceof Error ? error.message : String(error) }),
    );
    expect(released).toEqual({ ok: true, files: 1 });
    const after = await handle.db.selectFrom('payment_instruction').select(['status', 'execution_date']).where('id', '=', passOn.id).executeTakeFirstOrThrow();
    expect(after.status).toBe('released');
    // Never dated before the day it was handed to the bank.
    expect(after.execution_date >= '2026-03-24').toBe(true);
  });
});
