import { XMLParser } from 'fast-xml-parser';
import { beforeAll, expect, it } from 'vitest';
import { availableAccounts } from '../../src/clients/accounts.js';
import { inTransaction } from '../../src/db/transaction.js';
import { book, findAccountByCode, getBalance } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount, setDoubleApprovalThreshold } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches, rejectBatch } from '../../src/payments/batches.js';
import { createPaymentInstructions, type InstructionDraft } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { describeOnEachDatabase } from '../support/db.js';
import { MANAGED, aRegion, available, bijstand, ingest, posted, statementFile, type Region } from '../ingest/region.js';

const WOONBRON = 'NL44RABO0123456789';
const NOW = new Date('2026-12-28T09:15:00Z');

function draft(region: Region, over: Partial<InstructionDraft> & Pick<InstructionDraft, 'idempotencyKey'>): InstructionDraft {
  return {
    clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: '2026-W53', dueDate: '2026-12-29', executionDate: '2026-12-29',
    amount: Money.parse('150.00'), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: 'Leefgeld week 53', ...over,
  };
}

describeOnEachDatabase('a payment from reservation to the bank and back', (handle) => {
  let region: Region;
  let batchId: bigint;
  let firstBytes: Uint8Array;
  beforeAll(async () => {
    const { db } = handle();
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    await setDoubleApprovalThreshold(db, 'GM0505', 100_000n);
    await ingest(db, statementFile('P-1', [bijstand('1334.23', 'BIJ-77002', 'P-REF-1', '2026-12-24')]));
    // Rule 4: Dawit's signed machtiging lets his rent go to his landlord (written directly: the region's clients have no full record).
    const { id: machtiging } = await db.insertInto('machtiging').values({ client_id: region.dawit, gemeente_id: 'GM0505', document_reference: 'M-DAWIT-1', signed_on: '2026-12-01' }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('machtiging_payee').values({ machtiging_id: machtiging, payee_iban: WOONBRON, payee_name: 'Woonbron & Partners' }).execute();
    const accounts = await availableAccounts(db, [region.dawit]);
    const inTransit = (await findAccountByCode(db, `in-transit/${MANAGED}`))!.id;
    await inTransaction(db, (trx) => book(trx, { type: 'pending', idempotencyKey: 'reserve/dawit/rent/2027-01', bookingDate: '2026-12-24', description: 'rent January', debit: accounts.get(region.dawit)!, credit: inTransit, amount: Money.parse('720.00') }));
  });

  it('refuses at entry a payee name with no Latin spelling and an invalid IBAN, naming the field', async () => {
    const { db } = handle();
    await expect(inTransaction(db, (trx) => createPaymentInstructions(trx, [draft(region, { idempotencyKey: 'bad-name', creditor: { name: 'ዳዊት ተስፋዬ', iban: 'NL02ABNA0123456789' } })]))).rejects.toMatchObject({
      code: 'invalid_instruction',
      message: expect.stringContaining('creditor name') as unknown,
    });
    await expect(inTransaction(db, (trx) => createPaymentInstructions(trx, [draft(region, { idempotencyKey: 'bad-iban', creditor: { name: 'Dawit', iban: 'NL02ABNA0123456780' } })]))).rejects.toMatchObject({ code: 'invalid_instruction' });
  });

  it('creates each instruction once by its key, reserves leefgeld itself, and refuses what the money does not cover', async () => {
    const { db } = handle();
    const drafts = [
      draft(region, { idempotencyKey: 'dawit/rent/2027-01', kind: 'obligation', period: '2027-01', dueDate: '2027-01-01', executionDate: '2026-12-31', amount: Money.parse('720.00'), creditor: { name: 'Woonbron & Partners', iban: WOONBRON }, reference: { issuer: 'CUR', reference: '5000056789012345' }, remittance: null, reservationKey: 'reserve/dawit/rent/2027-01' }),
      draft(region, { idempotencyKey: 'dawit/leefgeld/2026-W53', creditor: { name: 'ዳዊት ተስፋዬ', latinName: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' } }),
      draft(region, { idempotencyKey: 'dawit/leefgeld/too-much', amount: Money.parse('5000.00') }),
    ];
    const first = await inTransaction(db, (trx) => createPaymentInstructions(trx, drafts));
    expect(first.map((o) => o.outcome)).toEqual(['created', 'created', 'refused']);
    const again = await inTransaction(db, (trx) => createPaymentInstructions(trx, drafts.slice(0, 2)));
    expect(again.map((o) => o.outcome)).toEqual(['existing', 'existing']);
    expect(await available(db, region.dawit)).toBe('464.23');
  });

  it('batches what is ready, and keeps four eyes: not the creator, not the same approver twice', async () => {
    const { db } = handle();
    const batches = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2026-12-31', now: NOW }));
    expect(batches.map((b) => [b.execution_date, b.payments, b.total_cents])).toEqual([['2026-12-29', 1, 15000n], ['2026-12-31', 1, 72000n]]);
    expect(await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2026-12-31', now: NOW }))).toEqual([]);
    batchId = batches[1]!.id;
    await expect(inTransaction(db, (trx) => approveBatch(trx, batchId, 'operator-1'))).rejects.toMatchObject({ code: 'four_eyes' });
    expect((await inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-1'))).status).toBe('approved');
    await expect(inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-2'))).rejects.toMatchObject({ code: 'batch_not_awaiting_approval' });
    const rejected = await inTransaction(db, (trx) => rejectBatch(trx, batches[0]!.id, 'approver-1', 'wrong week'));
    expect(rejected.status).toBe('rejected');
    const cancelled = await db.selectFrom('payment_instruction').select('status').where('batch_id', '=', batches[0]!.id).execute();
    expect(cancelled).toEqual([{ status: 'cancelled' }]);
    // The rejected leefgeld stays reserved where it was: the client's free money does not change.
    expect(await available(db, region.dawit)).toBe('464.23');
  });

  it('releases the approved batch once: a valid pain.001, the reservation moved to payments in transit, and the same bytes again', async () => {
    const { db } = handle();
    const files = await releaseBatch(db, batchId, { releasedBy: 'operator-2', now: NOW });
    expect(files).toHaveLength(1);
    firstBytes = files[0]!.content;
    const xml = new TextDecoder().decode(firstBytes);
    const parsed = new XMLParser({ ignoreAttributes: false, parseTagValue: false }).parse(xml) as { Document: { CstmrCdtTrfInitn: { PmtInf: { CdtTrfTxInf: { Amt: { InstdAmt: { '#text': string } }; Cdtr: { Nm: string }; CdtrAcct: { Id: { IBAN: string } }; PmtId: { EndToEndId: string }; RmtInf: { Strd: { CdtrRefInf: { Ref: string } } } } } } } };
    const tx = parsed.Document.CstmrCdtTrfInitn.PmtInf.CdtTrfTxInf;
    const instruction = await db.selectFrom('payment_instruction').select(['end_to_end_id', 'status']).where('batch_id', '=', batchId).executeTakeFirstOrThrow();
    expect(tx.PmtId.EndToEndId).toBe(instruction.end_to_end_id);
    expect(tx.Amt.InstdAmt['#text']).toBe('720.00');
    expect(tx.CdtrAcct.Id.IBAN).toBe(WOONBRON);
    expect(tx.Cdtr.Nm).toBe('Woonbron + Partners');
    expect(tx.RmtInf.Strd.CdtrRefInf.Ref).toBe('5000056789012345');
    expect(xml).toContain('<CreDtTm>2026-12-28T10:15:00</CreDtTm>');
    expect(instruction.status).toBe('released');
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('720.00');
    const again = await releaseBatch(db, batchId, { releasedBy: 'operator-3', now: new Date('2026-12-29T12:00:00Z') });
    expect(Buffer.compare(Buffer.from(again[0]!.content), Buffer.from(firstBytes))).toBe(0);
    const releases = await db.selectFrom('payment_release').select('instruction_id').execute();
    expect(releases).toHaveLength(1);
  });

  it('settles from the bank\'s batch debit without details, then gives a returned payment back and reserves it again', async () => {
    const { db } = handle();
    const block = await db.selectFrom('payment_block').select(['payment_info_id']).where('batch_id', '=', batchId).executeTakeFirstOrThrow();
    const e2e = (await db.selectFrom('payment_instruction').select('end_to_end_id').where('batch_id', '=', batchId).executeTakeFirstOrThrow()).end_to_end_id!;
    const bankBefore = Money.parse(await posted(db, `bank/${MANAGED}`));
    const debit = await ingest(db, statementFile('P-2', [{ amount: '720.00', creditDebit: 'DBIT', bookingDate: '2026-12-31', accountServicerReference: 'BATCH-DEBIT', batch: { paymentInformationId: block.payment_info_id, count: 1, total: '720.00' } }]));
    expect(debit.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(Money.parse(await posted(db, `bank/${MANAGED}`)).toString()).toBe(bankBefore.minus(Money.parse('720.00')).toString());
    expect((await db.selectFrom('payment_instruction').select('status').where('end_to_end_id', '=', e2e).executeTakeFirstOrThrow()).status).toBe('settled');

    const ret = await ingest(db, statementFile('P-3', [{ amount: '720.00', creditDebit: 'CRDT', bookingDate: '2027-01-04', accountServicerReference: 'RET-1', details: [{ endToEndId: e2e, returnReason: 'AC04', counterpartyIban: WOONBRON }] }]));
    expect(ret.summary).toMatchObject({ returns: 1, toSuspense: 0 });
    expect(ret.alerts.find((a) => a.code === 'payment_returned')?.message).toContain('the account is closed (AC04)');
    const row = await db.selectFrom('payment_instruction').select(['status', 'return_reason']).where('end_to_end_id', '=', e2e).executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'returned', return_reason: 'AC04' });
    const account = (await availableAccounts(db, [region.dawit])).get(region.dawit)!;
    const balance = await getBalance(db, account);
    // Back with the client, and reserved again for the retry: free money unchanged, 720.00 + the rejected leefgeld reserved.
    expect(balance.available.toString()).toBe('464.23');
    expect(balance.debitsPending.toString()).toBe('870.00');
  });
});
