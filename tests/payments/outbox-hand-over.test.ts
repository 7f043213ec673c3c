import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { handOverAgain } from '../../src/payments/files.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { runBatchCommand } from '../../src/cli/payments.js';
import { freshPostgres } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, statementFile, type Region } from '../ingest/region.js';

const unavailable = inject('pgUnavailable');

/**
 * The outbox is a hand-over folder: the bank-upload software takes each pain.001 out of it and uploads it
 * (README: "where released pain.001 files are written for the bank-upload software"). Once a file has been
 * handed over and taken, it must never appear there again: the upload software would send it a second time
 * and every payment in it would be paid twice.
 */
describe.skipIf(unavailable !== '')('the outbox hands each released pain.001 over once', () => {
  let handle: DatabaseHandle;
  let region: Region;
  const outbox = mkdtempSync(join(tmpdir(), 'ontzorg-review-outbox-'));
  const logger = createLogger({ level: 'silent' });
  const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 9), issuer: 'ontzorg', audience: 'ontzorg-api' };

  async function anApprovedBatch(tag: string, day: string): Promise<bigint> {
    const drafts = Array.from({ length: 3 }, (_, n) => ({
      idempotencyKey: `review-outbox/${tag}/${n}`, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld' as const, period: `2027-01-${day}/${tag}/${n}`,
      dueDate: `2027-01-${day}`, executionDate: `2027-01-${day}`, amount: Money.parse('50.00'), debtorIban: MANAGED,
      creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: `Leefgeld ${n}`,
    }));
    await inTransaction(handle.db, (trx) => createPaymentInstructions(trx, drafts));
    const [batch] = await inTransaction(handle.db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: `2027-01-${day}`, now: new Date('2026-12-27T09:00:00Z') }));
    await inTransaction(handle.db, (trx) => approveBatch(trx, batch!.id, 'approver-1'));
    return batch!.id;
  }

  /** What the bank-upload software does: takes every file out of the outbox (and uploads it). */
  function uploadSoftwareTakesTheFiles(): string[] {
    const taken = readdirSync(outbox).filter((f) => f.endsWith('.xml'));
    for (const f of taken) unlinkSync(join(outbox, f));
    return taken;
  }

  beforeAll(async () => {
    handle = await freshPostgres();
    region = await aRegion(handle.db, '0.00');
    await inTransaction(handle.db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD' }));
    await ingest(handle.db, statementFile('REVIEW-OUTBOX-1', [bijstand('10000.00', 'BIJ-77002', 'REVIEW-OUTBOX-REF', '2026-12-24')]));
  }, 120_000);
  afterAll(async () => {
    await handle?.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('a second release request for a batch whose file the upload software already took does not put the file back (paid twice)', async () => {
    const app = await buildApp({ db: handle.db, logger, verify: tokenVerifier(settings), outboxDir: outbox });
    try {
      const tokens = new Map<string, string>();
      for (const user of ['operator-7', 'operator-8']) tokens.set(user, await mintLocalToken(settings, { userId: user, role: 'operator', gemeenten: ['GM0505'] }));
      const operator = (user: string) => ({ authorization: `Bearer ${tokens.get(user)!}` });

      const batchId = await anApprovedBatch('api', '11');
      const first = await app.inject({ method: 'POST', url: `/api/batches/${batchId}/release`, headers: operator('operator-7') });
      expect(first.statusCode).toBe(200);
      const taken = uploadSoftwareTakesTheFiles();
      expect(taken).toHaveLength(1);

      // A colleague (or the browser retrying after a time-out) asks to release the same batch again.
      const second = await app.inject({ method: 'POST', url: `/api/batches/${batchId}/release`, headers: operator('operator-8') });
      expect(second.statusCode).toBeLessThan(500);
      // The file the bank already has must not be handed to the upload software a second time.
      expect(readdirSync(outbox).filter((f) => f.endsWith('.xml'))).toEqual([]);
      // The batch view says when each file was handed over.
      const view = await app.inject({ method: 'GET', url: `/api/batches/${batchId}`, headers: operator('operator-7') });
      const [file] = view.json<{ files: { handedOverAt: string | null }[] }>().files;
      expect(Date.parse(file!.handedOverAt!)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      uploadSoftwareTakesTheFiles();
      await app.close();
    }
  });

  it('`ontzorg batches release` run again for a released batch does not put its taken file back in the outbox', async () => {
    const batchId = await anApprovedBatch('cli', '12');
    const lines: string[] = [];
    expect(await runBatchCommand(handle.db, { action: 'release', batchId: batchId.toString(), as: 'operator-7', reason: undefined, outbox, status: undefined }, (l) => lines.push(l))).toBe(0);
    expect(uploadSoftwareTakesTheFiles()).toHaveLength(1);
    // The operator is not sure it went through and runs the command again.
    await runBatchCommand(handle.db, { action: 'release', batchId: batchId.toString(), as: 'operator-7', reason: undefined, outbox, status: undefined }, (l) => lines.push(l));
    expect(readdirSync(outbox).filter((f) => f.endsWith('.xml'))).toEqual([]);
  });
  it('a file the bank confirms it never received is put back by a person, with the reason recorded; once, not by a retry', async () => {
    const batchId = await anApprovedBatch('again', '13');
    await releaseBatch(handle.db, batchId, { releasedBy: 'operator-7', now: new Date('2026-12-28T09:00:00Z'), outboxDir: outbox });
    const [taken] = uploadSoftwareTakesTheFiles();
    expect(taken).toBeDefined();
    await expect(handOverAgain(handle.db, batchId, 1, { actor: 'operator-8', reason: '' }, outbox)).rejects.toMatchObject({ code: 'hand_over_reason_required' });
    expect(readdirSync(outbox)).toEqual([]);
    const again = await handOverAgain(handle.db, batchId, 1, { actor: 'operator-8', reason: 'ING confirmed by phone (ticket 4411) the upload never arrived' }, outbox);
    expect(readdirSync(outbox)).toEqual([taken]);
    expect(Buffer.compare(readFileSync(join(outbox, taken!)), Buffer.from(again.content))).toBe(0);
    const events = await handle.db.selectFrom('payment_event').select(['kind', 'actor', 'details']).where('batch_id', '=', batchId).where('kind', '=', 'handed_over_again').execute();
    expect(events).toEqual([{ kind: 'handed_over_again', actor: 'operator-8', details: { file: again.messageId, reason: 'ING confirmed by phone (ticket 4411) the upload never arrived' } }]);
    uploadSoftwareTakesTheFiles();
    // The same command retried (same reason) is the same decision: nothing is handed over again, nothing recorded twice.
    await handOverAgain(handle.db, batchId, 1, { actor: 'operator-8', reason: 'ING confirmed by phone (ticket 4411) the upload never arrived' }, outbox);
    expect(readdirSync(outbox)).toEqual([]);
    expect(await handle.db.selectFrom('payment_event').select('id').where('batch_id', '=', batchId).where('kind', '=', 'handed_over_again').execute()).toHaveLength(1);
    // A release asked again afterwards still does not write it a third time.
    await releaseBatch(handle.db, batchId, { releasedBy: 'operator-7', now: new Date('2026-12-28T10:00:00Z'), outboxDir: outbox });
    expect(readdirSync(outbox)).toEqual([]);
  });

  it('a write to the outbox that fails gives the hand-over back, so the retry writes the file', async () => {
    const batchId = await anApprovedBatch('denied', '14');
    // The outbox path is a file, not a folder (a mount gone wrong): the write fails, for root too.
    const notAFolder = join(outbox, 'not-a-folder');
    writeFileSync(notAFolder, 'x');
    await expect(releaseBatch(handle.db, batchId, { releasedBy: 'operator-7', now: new Date('2026-12-28T09:00:00Z'), outboxDir: notAFolder })).rejects.toThrow(/EEXIST|ENOTDIR/);
    expect(await handle.db.selectFrom('payment_file').select(['handed_over_at']).where('batch_id', '=', batchId).execute()).toEqual([{ handed_over_at: null }]);
    // The money moved at the release (committed before the hand-over); the retry only writes the file.
    expect(await handle.db.selectFrom('payment_batch').select('status').where('id', '=', batchId).executeTakeFirstOrThrow()).toEqual({ status: 'released' });
    unlinkSync(notAFolder);
    await releaseBatch(handle.db, batchId, { releasedBy: 'operator-7', now: new Date('2026-12-28T09:05:00Z'), outboxDir: outbox });
    expect(uploadSoftwareTakesTheFiles()).toHaveLength(1);
  });
});
