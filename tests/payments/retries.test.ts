import { beforeAll, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount, setDoubleApprovalThreshold } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions, type InstructionDraft } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { markBatchRejectedByBank, retryPayment } from '../../src/payments/retry.js';
import { describeOnEachDatabase } from '../support/db.js';
import { MANAGED, aRegion, available, bijstand, ingest, posted, statementFile, type Region } from '../ingest/region.js';

const NOW = new Date('2027-01-04T08:00:00Z');

function leefgeld(region: Region, key: string, amount: string, date: string, over: Partial<InstructionDraft> = {}): InstructionDraft {
  return {
    idempotencyKey: key, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: key, dueDate: date, executionDate: date,
    amount: Money.parse(amount), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: 'Leefgeld', ...over,
  };
}

describeOnEachDatabase('approvals above the gemeente amount, urgent payments, bank rejections and retries', (handle) => {
  let region: Region;
  beforeAll(async () => {
    const { db } = handle();
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '03', instant: true }));
    await setDoubleApprovalThreshold(db, 'GM0505', 50_000n);
    await ingest(db, statementFile('RT-1', [bijstand('3000.00', 'BIJ-77002', 'RT-REF-1', '2027-01-04')]));
  });

  it('needs two different approvers above the gemeente\'s amount, and one below it', async () => {
    const { db } = handle();
    await inTransaction(db, (trx) => createPaymentInstructions(trx, [leefgeld(region, 'big', '600.00', '2027-01-05'), leefgeld(region, 'small', '100.00', '2027-01-06')]));
    const [big, small] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2027-01-06', now: NOW }));
    expect([big!.approvals_needed, small!.approvals_needed]).toEqual([2, 1]);
    expect((await inTransaction(db, (trx) => approveBatch(trx, big!.id, 'approver-1'))).status).toBe('awaiting_approval');
    await expect(inTransaction(db, (trx) => approveBatch(trx, big!.id, 'approver-1'))).rejects.toMatchObject({ code: 'already_approved_by_you' });
    expect((await inTransaction(db, (trx) => approveBatch(trx, big!.id, 'approver-2'))).status).toBe('approved');
    expect((await inTransaction(db, (trx) => approveBatch(trx, small!.id, 'approver-2'))).status).toBe('approved');
  });

  it('puts an urgent payment in its own instant batch, marked INST in the file', async () => {
    const { db } = handle();
    await inTransaction(db, (trx) => createPaymentInstructions(trx, [leefgeld(region, 'nood', '250.00', '2027-01-07', { kind: 'noodvoorziening', urgent: true }), leefgeld(region, 'regular', '50.00', '2027-01-07')]));
    const batches = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2027-01-07', now: NOW }));
    expect(batches.map((b) => [b.instant, b.payments])).toEqual([[false, 1], [true, 1]]);
    await inTransaction(db, (trx) => approveBatch(trx, batches[1]!.id, 'approver-1'));
    const [file] = await releaseBatch(db, batches[1]!.id, { releasedBy: 'operator-2', now: NOW });
    const xml = new TextDecoder().decode(file!.content);
    expect(xml).toContain('<LclInstrm>');
    expect(xml).toMatch(/<Cd>INST<\/Cd>/);
  });

  it('re-issues a batch the bank rejected under new identifiers, from the money kept reserved', async () => {
    const { db } = handle();
    const batch = (await db.selectFrom('payment_batch').select(['id']).where('status', '=', 'approved').where('payments', '=', 1).where('total_cents', '=', 10_000n).executeTakeFirstOrThrow()).id;
    const [released] = await releaseBatch(db, batch, { releasedBy: 'operator-2', now: NOW });
    const freeBefore = await available(db, region.dawit);
    await markBatchRejectedByBank(db, batch, { actor: 'operator-2', reason: 'bank portal: file refused', bookingDate: '2027-01-05' });
    expect(await available(db, region.dawit)).toBe(freeBefore);
    const original = await db.selectFrom('payment_instruction').select(['id', 'end_to_end_id', 'status']).where('batch_id', '=', batch).executeTakeFirstOrThrow();
    expect(original.status).toBe('bank_rejected');
    const retry = await inTransaction(db, (trx) => retryPayment(trx, original.id, { actor: 'operator-2', executionDate: '2027-01-08' }));
    expect(retry.outcome).toBe('created');
    const again = await inTransaction(db, (trx) => retryPayment(trx, original.id, { actor: 'operator-2', executionDate: '2027-01-08' }));
    expect(again).toMatchObject({ outcome: 'existing' });
    const [newBatch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2027-01-08', now: NOW }));
    await inTransaction(db, (trx) => approveBatch(trx, newBatch!.id, 'approver-1'));
    const [reissued] = await releaseBatch(db, newBatch!.id, { releasedBy: 'operator-2', now: NOW });
    expect(reissued!.messageId).not.toBe(released!.messageId);
    const xml = new TextDecoder().decode(reissued!.content);
    expect(xml).not.toContain(original.end_to_end_id!);
    expect(await available(db, region.dawit)).toBe(freeBefore);
    await expect(inTransaction(db, (trx) => retryPayment(trx, retry.outcome === 'created' ? retry.instructionId : 0n, { actor: 'x', executionDate: '2027-01-08' }))).rejects.toMatchObject({ code: 'not_retryable' });
    // The urgent 250.00 released earlier and the re-issued 100.00; the rejected release was reversed.
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('350.00');
  });
});
