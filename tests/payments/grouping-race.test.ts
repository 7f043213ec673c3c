import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { groupIntoBatches } from '../../src/payments/batches.js';
import { releasedFiles } from '../../src/payments/files.js';
import { createPaymentInstructions, type InstructionDraft } from '../../src/payments/instructions.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, statementFile, type Region } from '../ingest/region.js';

/**
 * groupIntoBatches counts the ready instructions per batch and then moves them with one UPDATE, without locking them
 * first. An instruction held by someone else in between (a back-office hold committed while the grouping waits for
 * its row) must stay out of the batch, and the batch, its pain.001 file and its event must say what really moved.
 * Needs two connections at once: PostgreSQL only.
 */
const NOW = new Date('2026-12-28T09:15:00Z');

function leefgeld(region: Region, key: string, executionDate: string): InstructionDraft {
  return {
    idempotencyKey: key, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: key, dueDate: executionDate, executionDate,
    amount: Money.parse('100.00'), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: `Leefgeld ${key}`,
  };
}

describe.skipIf(postgresSkipReason() !== '')('grouping while another transaction holds an instruction [postgres]', () => {
  let handle: DatabaseHandle & { url: string };
  let region: Region;
  beforeAll(async () => {
    handle = await freshPostgres();
    const { db } = handle;
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    await ingest(db, statementFile('G-1', [bijstand('1334.23', 'BIJ-77002', 'G-REF-1', '2026-12-24')]));
    const made = await inTransaction(db, (trx) =>
      createPaymentInstructions(trx, [
        leefgeld(region, 'w53-a', '2026-12-29'),
        leefgeld(region, 'w53-b', '2026-12-29'),
        leefgeld(region, 'w53-c', '2026-12-29'),
        leefgeld(region, 'w01-a', '2026-12-31'),
      ]),
    );
    expect(made.map((m) => m.outcome)).toEqual(['created', 'created', 'created', 'created']);
  });
  afterAll(async () => {
    await handle?.close();
  });

  it('leaves a held instruction out, corrects the batch to what moved, and keeps no empty batch', async () => {
    const { db, url } = handle;
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      // The other transaction holds one instruction of the 29th and the only one of the 31st, and has not committed.
      await other.query('BEGIN');
      await other.query(`UPDATE payment_instruction SET status = 'held', hold_reason = 'back office: check the IBAN' WHERE idempotency_key IN ('w53-b', 'w01-a')`);
      const grouping = inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'batch:2026-12-28', executionUntil: '2026-12-31', now: NOW }));
      // It counted four ready instructions in two groups, and now waits for the held rows' locks.
      for (let i = 0; ; i++) {
        const { rows } = await other.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (rows[0]!.n !== '0') break;
        if (i > 500) throw new Error('the grouping never waited for the held instructions');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await other.query('COMMIT');
      const batches = await grouping;

      expect(batches.map((b) => [b.execution_date, b.payments, b.total_cents, b.status])).toEqual([['2026-12-29', 2, 20000n, 'awaiting_approval']]);
      const stored = await db.selectFrom('payment_batch').select(['execution_date', 'payments', 'total_cents']).orderBy('id').execute();
      expect(stored).toEqual([{ execution_date: '2026-12-29', payments: 2, total_cents: 20000n }]);
      const instructions = await db.selectFrom('payment_instruction').select(['idempotency_key', 'status', 'batch_id']).orderBy('idempotency_key').execute();
      expect(instructions).toEqual([
        { idempotency_key: 'w01-a', status: 'held', batch_id: null },
        { idempotency_key: 'w53-a', status: 'batched', batch_id: batches[0]!.id },
        { idempotency_key: 'w53-b', status: 'held', batch_id: null },
        { idempotency_key: 'w53-c', status: 'batched', batch_id: batches[0]!.id },
      ]);
      const [file] = await releasedFiles(db, batches[0]!.id);
      expect([file!.payments, file!.total]).toEqual([2, '200.00']);
      const xml = new TextDecoder().decode(file!.content);
      expect(xml).toContain('<NbOfTxs>2</NbOfTxs>');
      expect(xml).toContain('<CtrlSum>200.00</CtrlSum>');
      expect(xml).not.toContain('Leefgeld w53-b');
      const event = await db.selectFrom('payment_event').select('details').where('batch_id', '=', batches[0]!.id).where('kind', '=', 'batch_created').executeTakeFirstOrThrow();
      expect(event.details).toEqual({ payments: 2, total_cents: '20000' });
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
    }
  });

  it('batches a held instruction once it is released again, and a second run finds nothing', async () => {
    const { db } = handle;
    await db.updateTable('payment_instruction').set({ status: 'created', hold_reason: null }).where('idempotency_key', 'in', ['w53-b', 'w01-a']).execute();
    const batches = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'batch:2026-12-29', executionUntil: '2026-12-31', now: NOW }));
    expect(batches.map((b) => [b.execution_date, b.payments, b.total_cents])).toEqual([['2026-12-29', 1, 10000n], ['2026-12-31', 1, 10000n]]);
    expect(await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'batch:2026-12-29', executionUntil: '2026-12-31', now: NOW }))).toEqual([]);
  });
});
