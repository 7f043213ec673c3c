import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { undoBankFile } from '../../src/ingest/files.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions, type InstructionDraft } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { sendBackFromSuspense } from '../../src/ingest/suspense.js';
import { freshPGlite } from '../support/db.js';
import { aServiceRegion, GEMEENTE } from '../batch/support.js';
import { MANAGED, aRegion, bijstand, ingest, posted, statementFile, type Region } from '../ingest/region.js';

const NOW = new Date('2026-12-28T09:15:00Z');
const PAYEE = 'NL02ABNA0123456789';

function leefgeld(region: Region, key: string, amount: string): InstructionDraft {
  return {
    idempotencyKey: key, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: key, dueDate: '2026-12-29', executionDate: '2026-12-29',
    amount: Money.parse(amount), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: PAYEE }, remittance: 'Leefgeld',
  };
}

const debitOf = (endToEndId: string, amount: string, ref: string, bookingDate = '2026-12-29') => ({
  amount, creditDebit: 'DBIT' as const, bookingDate, accountServicerReference: ref, details: [{ endToEndId, counterpartyIban: PAYEE, counterpartyName: 'Dawit Tesfaye' }],
});
const returnOf = (endToEndId: string, amount: string, ref: string) => ({
  amount, creditDebit: 'CRDT' as const, bookingDate: '2026-12-31', accountServicerReference: ref, details: [{ endToEndId, returnReason: 'AC04', counterpartyIban: PAYEE }],
});

/** What the bank booked of our payments closes payments in transit once: in whatever order the files come, and again after an undo. */
describe('bank outcomes of our payments: files in any order, undo and ingest again [pglite]', () => {
  let handle: DatabaseHandle;
  let region: Region;
  let batchId: bigint;
  let e2e: string[];
  let ids: bigint[];
  let block: string;

  const statuses = async () => (await handle.db.selectFrom('payment_instruction').select('status').where('batch_id', '=', batchId).orderBy('id').execute()).map((r) => r.status);
  const blockSettled = async () => (await handle.db.selectFrom('payment_block').select('settled_by_item').where('payment_info_id', '=', block).executeTakeFirstOrThrow()).settled_by_item !== null;

  beforeEach(async () => {
    handle = await freshPGlite();
    const { db } = handle;
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    await ingest(db, statementFile('BO-1', [bijstand('1334.23', 'BIJ-77002', 'BO-REF-1', '2026-12-24')]));
    await inTransaction(db, (trx) => createPaymentInstructions(trx, [leefgeld(region, 'a', '150.00'), leefgeld(region, 'b', '50.00')]));
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2026-12-29', now: NOW }));
    batchId = batch!.id;
    await inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-1'));
    await releaseBatch(db, batchId, { releasedBy: 'operator-2', now: NOW });
    const rows = await db.selectFrom('payment_instruction').select(['id', 'end_to_end_id']).where('batch_id', '=', batchId).orderBy('id').execute();
    e2e = rows.map((r) => r.end_to_end_id!);
    ids = rows.map((r) => r.id);
    block = (await db.selectFrom('payment_block').select('payment_info_id').where('batch_id', '=', batchId).executeTakeFirstOrThrow()).payment_info_id;
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('200.00');
  });
  afterEach(async () => handle.close());

  it('settles a payment whose return was ingested before its debit, keeps it returned, and never settles it twice', async () => {
    const { db } = handle;
    // The return (camt.054 of the 31st) is uploaded before the statement with the debit (camt.053 of the 29th).
    const ret = await ingest(db, statementFile('BO-RET', [returnOf(e2e[0]!, '150.00', 'RET-1')]));
    expect(ret.summary).toMatchObject({ returns: 1, toSuspense: 0 });
    const debit = await ingest(db, statementFile('BO-DEB', [debitOf(e2e[0]!, '150.00', 'DEB-1'), debitOf(e2e[1]!, '50.00', 'DEB-2')]));
    expect(debit.summary).toMatchObject({ settlements: 2, toSuspense: 0 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    // Returned and then debited is still returned: the money came back.
    expect(await statuses()).toEqual(['returned', 'settled']);
    const events = await db.selectFrom('payment_event').select('kind').where('instruction_id', '=', ids[0]!).orderBy('id').execute();
    expect(events.map((e) => e.kind).slice(-2)).toEqual(['returned', 'settled']);

    // The same debit once more (another statement) is for a person: in transit never goes below zero.
    const twice = await ingest(db, statementFile('BO-DEB2', [debitOf(e2e[0]!, '150.00', 'DEB-3', '2026-12-30')]));
    expect(twice.summary).toMatchObject({ settlements: 0, toSuspense: 1 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
  });

  it('puts the payments of an undone statement back in transit, and settles them again when it is ingested again', async () => {
    const { db } = handle;
    const file = statementFile('BO-BATCH', [{ amount: '200.00', creditDebit: 'DBIT', bookingDate: '2026-12-29', accountServicerReference: 'BATCH-1', batch: { paymentInformationId: block, count: 2, total: '200.00' } }]);
    const first = await ingest(db, file, 'batch-debit.xml');
    expect(first.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await statuses()).toEqual(['settled', 'settled']);
    expect(await blockSettled()).toBe(true);

    await undoBankFile(db, BigInt(first.fileId), { user: 'operator-1', reason: 'uploaded to the wrong environment' });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('200.00');
    expect(await statuses()).toEqual(['released', 'released']);
    expect(await blockSettled()).toBe(false);
    const undone = await db.selectFrom('payment_event').select(['actor', 'ledger_key']).where('kind', '=', 'settlement_undone').where('instruction_id', 'in', ids).execute();
    expect(undone).toHaveLength(2);
    expect(undone[0]).toMatchObject({ actor: 'operator-1', ledger_key: expect.stringMatching(/^undo\//) as unknown });

    const again = await ingest(db, file, 'batch-debit-again.xml');
    expect(again.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await statuses()).toEqual(['settled', 'settled']);
  });

  it('puts a payment debited one by one back in transit when its statement is undone, and settles it again when it is ingested again', async () => {
    const { db } = handle;
    const file = statementFile('BO-SINGLE', [debitOf(e2e[0]!, '150.00', 'DEB-1')]);
    const first = await ingest(db, file);
    await undoBankFile(db, BigInt(first.fileId), { user: 'operator-1', reason: 'wrong day loaded' });
    expect(await statuses()).toEqual(['released', 'released']);
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('200.00');
    const again = await ingest(db, file);
    expect(again.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await statuses()).toEqual(['settled', 'released']);
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('50.00');
  });

  it('refuses to undo a statement that returned one of our payments, says what to do instead, and changes nothing', async () => {
    const { db } = handle;
    await ingest(db, statementFile('BO-DEB', [debitOf(e2e[0]!, '150.00', 'DEB-1')]));
    const ret = await ingest(db, statementFile('BO-RET', [returnOf(e2e[0]!, '150.00', 'RET-1')]));
    const error = await undoBankFile(db, BigInt(ret.fileId), { user: 'operator-1', reason: 'test' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'undo_has_returns', message: expect.stringContaining(`returned 1 of our payment(s) (${e2e[0]!})`) as unknown });
    expect((error as Error).message).toContain('report it to the application administrator');
    expect((await db.selectFrom('bank_file').select('status').where('id', '=', BigInt(ret.fileId)).executeTakeFirstOrThrow()).status).toBe('ingested');
    expect(await statuses()).toEqual(['returned', 'released']);
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('50.00');
  });

  it('does not settle a whole block when one of its payments was settled one by one in an earlier file; the debit of the rest settles the rest', async () => {
    const { db } = handle;
    const single = await ingest(db, statementFile('BO-S1', [debitOf(e2e[0]!, '150.00', 'INST-1')]));
    expect(single.summary).toMatchObject({ settlements: 1 });
    // The full block again would settle the first payment twice: a mismatch for a person.
    const whole = await ingest(db, statementFile('BO-S2', [{ amount: '200.00', creditDebit: 'DBIT', bookingDate: '2026-12-30', accountServicerReference: 'BATCH-2', batch: { paymentInformationId: block, count: 2, total: '200.00' } }]));
    expect(whole.summary).toMatchObject({ settlements: 0, toSuspense: 1 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('50.00');
    const why = await db.selectFrom('bank_entry_item').select('match_detail').where('payment_info_id', '=', block).executeTakeFirstOrThrow();
    expect(JSON.stringify(why.match_detail)).toContain('already settled one by one');
    expect(await blockSettled()).toBe(false);

    // The block's debit of what is still in transit of it settles that.
    const rest = await ingest(db, statementFile('BO-S3', [{ amount: '50.00', creditDebit: 'DBIT', bookingDate: '2026-12-30', accountServicerReference: 'BATCH-3', batch: { paymentInformationId: block, count: 1, total: '50.00' } }]));
    expect(rest.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await statuses()).toEqual(['settled', 'settled']);
    expect(await blockSettled()).toBe(true);
  });
});

describe('a block debit for a batch that was never released [pglite]', () => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    handle = await freshPGlite();
  });
  afterEach(async () => handle.close());

  it('goes to suspense and leaves payments in transit alone', async () => {
    const { db } = handle;
    const region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    await ingest(db, statementFile('BO-NR-1', [bijstand('1334.23', 'BIJ-77002', 'BO-NR-REF', '2026-12-24')]));
    await inTransaction(db, (trx) => createPaymentInstructions(trx, [leefgeld(region, 'a', '150.00')]));
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2026-12-29', now: NOW }));
    const block = (await db.selectFrom('payment_block').select('payment_info_id').where('batch_id', '=', batch!.id).executeTakeFirstOrThrow()).payment_info_id;
    const debit = await ingest(db, statementFile('BO-NR-2', [{ amount: '150.00', creditDebit: 'DBIT', bookingDate: '2026-12-29', accountServicerReference: 'NR-1', batch: { paymentInformationId: block, count: 1, total: '150.00' } }]));
    expect(debit.summary).toMatchObject({ settlements: 0, toSuspense: 1 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect((await db.selectFrom('payment_instruction').select('status').where('batch_id', '=', batch!.id).executeTakeFirstOrThrow()).status).toBe('batched');
  });
});

/** A refund from suspense is a payment like any other: its return ingested before its debit still leaves in transit whole. */
describe('a refund from suspense whose return arrives before its debit [pglite]', () => {
  let handle: DatabaseHandle;
  beforeEach(async () => {
    handle = await freshPGlite();
  });
  afterEach(async () => handle.close());

  it('settles the refund by its debit after the return put the money back in suspense, and keeps it returned', async () => {
    const { db } = handle;
    const now = new Date('2026-12-02T09:00:00Z');
    await aServiceRegion(db);
    await ingest(db, statementFile('BO-RF-1', [{ amount: '245.50', creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: 'RF-WRONG', details: [{ counterpartyName: 'J. de Vries', counterpartyIban: 'NL51ABNA0987654321', unstructured: 'Factuur 2026-118 garagehuur' }] }]));
    const item = (await db.selectFrom('bank_entry_item as i').innerJoin('bank_entry as e', 'e.id', 'i.entry_id').select('i.id').where('e.acct_svcr_ref', '=', 'RF-WRONG').executeTakeFirstOrThrow()).id;
    const sent = await inTransaction(db, (trx) => sendBackFromSuspense(trx, { itemId: item, reason: 'paid to the wrong account', gemeenteId: GEMEENTE, by: 'operator-1', today: '2026-12-02', now }));
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: GEMEENTE, createdBy: 'batch:2026-12-02', executionUntil: '2026-12-04', now }));
    await inTransaction(db, (trx) => approveBatch(trx, batch!.id, 'approver-1'));
    await releaseBatch(db, batch!.id, { releasedBy: 'operator-2', now });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('245.50');
    const suspenseBefore = await posted(db, `suspense/${MANAGED}`);

    const ret = await ingest(db, statementFile('BO-RF-RET', [{ amount: '245.50', creditDebit: 'CRDT', bookingDate: '2026-12-07', accountServicerReference: 'RF-BACK', details: [{ endToEndId: sent.endToEndId, returnReason: 'AC04', counterpartyName: 'J. de Vries', counterpartyIban: 'NL51ABNA0987654321' }] }]));
    expect(ret.summary).toMatchObject({ toSuspense: 1 });
    const debit = await ingest(db, statementFile('BO-RF-DEB', [{ amount: '245.50', creditDebit: 'DBIT', bookingDate: '2026-12-03', accountServicerReference: 'RF-OUT', details: [{ endToEndId: sent.endToEndId, counterpartyName: 'J. de Vries', counterpartyIban: 'NL51ABNA0987654321' }] }]));
    expect(debit.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    // The money that came back waits in suspense once (the return), not twice.
    expect(Money.parse(await posted(db, `suspense/${MANAGED}`)).minus(Money.parse(suspenseBefore)).toString()).toBe('245.50');
    expect((await db.selectFrom('payment_instruction').select('status').where('id', '=', sent.instructionId).executeTakeFirstOrThrow()).status).toBe('returned');
  });
});
