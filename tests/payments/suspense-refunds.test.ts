import { XMLParser } from 'fast-xml-parser';
import type { Kysely } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { ensureGemeente } from '../../src/clients/clients.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import type { SimulatedEntry } from '../../src/demo/bank-statement.js';
import { runDailyBatch } from '../../src/batch/run.js';
import { undoBankFile } from '../../src/ingest/files.js';
import { assignSuspense, listSuspense, sendBackFromSuspense, suspenseItem, type SendBack } from '../../src/ingest/suspense.js';
import { findAccountByCode, getBalance, verifyLedger } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { gemeenteMonitor } from '../../src/monitor/index.js';
import { approveBatch, groupIntoBatches, rejectBatch } from '../../src/payments/batches.js';
import { releaseBatch } from '../../src/payments/release.js';
import { markBatchRejectedByBank, retryPayment } from '../../src/payments/retry.js';
import { applyStatusReport } from '../../src/payments/status-reports.js';
import { validatePain001, type Pain001Version } from '../../src/sepa/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aClient, aServiceRegion, GEMEENTE } from '../batch/support.js';
import { MANAGED, ingest, journalSize, posted, statementFile } from '../ingest/region.js';

/**
 * Issue 11, matching rule 4: a receipt nobody could match is sent back to its payer from the suspense
 * queue. The story: money from a stranger lands in suspense; an operator sends it back; it goes out with
 * Dordrecht's next daily batch (approved by someone else), settles, is returned by the payer's bank (AC04) and
 * waits in suspense again; sent back once more, the bank rejects it, then an approver rejects its batch,
 * then a status report rejects it: each time the money is back in suspense and never with a client.
 */

const NOW = new Date('2026-12-02T09:00:00Z');
const TODAY = '2026-12-02';
const PAYER = { name: 'J. de Vries', iban: 'NL51ABNA0987654321' };
const WRONG = '245.50';

const credit = (amount: string, ref: string, detail: { name?: string; iban?: string; text?: string; e2e?: string } | null): SimulatedEntry => ({
  amount, creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: ref, bankCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'ESCT' },
  ...(detail ? { details: [{ ...(detail.e2e ? { endToEndId: detail.e2e } : {}), ...(detail.name ? { counterpartyName: detail.name } : {}), ...(detail.iban ? { counterpartyIban: detail.iban } : {}), ...(detail.text ? { unstructured: detail.text } : {}) }] } : {}),
});

async function itemOf(db: Kysely<Database>, ref: string): Promise<bigint> {
  const row = await db.selectFrom('bank_entry_item as i').innerJoin('bank_entry as e', 'e.id', 'i.entry_id').select('i.id').where('e.acct_svcr_ref', '=', ref).where('e.undone_at', 'is', null).executeTakeFirstOrThrow();
  return row.id;
}

async function suspenseFree(db: Kysely<Database>): Promise<string> {
  return (await getBalance(db, (await findAccountByCode(db, `suspense/${MANAGED}`))!.id)).available.toString();
}

const sendBack = (db: Kysely<Database>, request: Omit<SendBack, 'gemeenteId' | 'by' | 'today'> & Partial<SendBack>) =>
  inTransaction(db, (trx) => sendBackFromSuspense(trx, { gemeenteId: GEMEENTE, by: 'operator-1', today: TODAY, now: NOW, ...request }));

async function batchOfRefunds(db: Kysely<Database>): Promise<bigint> {
  const batches = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: GEMEENTE, createdBy: 'batch:2026-12-02', executionUntil: '2026-12-04', now: NOW }));
  expect(batches).toHaveLength(1);
  return batches[0]!.id;
}

async function openIds(db: Kysely<Database>): Promise<string[]> {
  return (await listSuspense(db, { asOf: TODAY })).map((i) => i.itemId);
}

async function statusOf(db: Kysely<Database>, instructionId: bigint): Promise<{ status: string; return_reason: string | null; client_id: bigint | null }> {
  return db.selectFrom('payment_instruction').select(['status', 'return_reason', 'client_id']).where('id', '=', instructionId).executeTakeFirstOrThrow();
}

function pain002Rejecting(original: string, endToEndId: string, paymentInfoId: string): Uint8Array {
  return new TextEncoder().encode(
    `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>
<GrpHdr><MsgId>BNG-REFUND-STS-1</MsgId><CreDtTm>2026-12-03T09:00:00</CreDtTm></GrpHdr>
<OrgnlGrpInfAndSts><OrgnlMsgId>${original}</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.09</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
<OrgnlPmtInfAndSts><OrgnlPmtInfId>${paymentInfoId}</OrgnlPmtInfId><TxInfAndSts><OrgnlEndToEndId>${endToEndId}</OrgnlEndToEndId><TxSts>RJCT</TxSts><StsRsnInf><Rsn><Cd>AC06</Cd></Rsn></StsRsnInf></TxInfAndSts></OrgnlPmtInfAndSts>
</CstmrPmtStsRpt></Document>
`,
  );
}

describeOnEachDatabase('sending a receipt in suspense back to its payer', (handle) => {
  let wrong: bigint;
  let refund: bigint;
  let endToEndId: string;
  /** Suspense with the wrong receipt in it (and the others that wait there). */
  let suspenseAfterReceipts: Money;
  let returned: bigint;

  beforeAll(async () => {
    const { db } = handle();
    await aServiceRegion(db);
    await inTransaction(db, (trx) => ensureGemeente(trx, { id: 'GM0642', name: 'Zwijndrecht' }));
    await ingest(
      db,
      statementFile('REFUND-1', [
        credit(WRONG, 'RF-WRONG', { name: PAYER.name, iban: PAYER.iban, text: 'Factuur 2026-118 garagehuur', e2e: 'JDV-2026-118' }),
        credit('30.00', 'RF-NO-PAYER', null),
        credit('80.00', 'RF-BAD-IBAN', { name: 'K. Jansen', iban: 'NL02RABO0123456780', text: 'contributie' }),
        credit('55.00', 'RF-FOR-CLIENT', { name: 'Ahmed Ali', iban: 'NL20INGB0001234567', text: 'voor mijn broer' }),
        credit('20.00', 'RF-ZWIJNDRECHT', { name: 'M. Visser', iban: 'NL85BNGH0285059999', text: 'parkeervergunning' }),
        { amount: '12.00', creditDebit: 'DBIT', bookingDate: '2026-12-01', accountServicerReference: 'RF-DEBIT', details: [{ endToEndId: 'SOMETHING-ELSE', counterpartyName: 'Kiosk', counterpartyIban: 'NL44RABO0123456789' }] },
      ]),
    );
    wrong = await itemOf(db, 'RF-WRONG');
    suspenseAfterReceipts = Money.parse(await posted(db, `suspense/${MANAGED}`));
  });

  it('sends the receipt back: reserved from suspense for the payer\'s IBAN, out of the open queue, kept with who and why', async () => {
    const { db } = handle();
    expect(await openIds(db)).toContain(wrong.toString());
    const sent = await sendBack(db, { itemId: wrong, reason: 'not for any of our clients: paid to the wrong account' });
    expect(sent).toMatchObject({ attempt: 1, gemeenteId: GEMEENTE, amount: WRONG, executionDate: '2026-12-03', remittance: 'Retour: Factuur 2026-118 garagehuur', status: 'created', replayed: false });
    refund = sent.instructionId;
    endToEndId = sent.endToEndId;

    const row = await db.selectFrom('payment_instruction').selectAll().where('id', '=', refund).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kind: 'refund', client_id: null, gemeente_id: GEMEENTE, debtor_iban: MANAGED, creditor_iban: PAYER.iban, creditor_name: PAYER.name, amount_cents: 24550n, idempotency_key: `refund/${wrong}`, reservation_key: `reserve/refund/${wrong}` });
    // Still in suspense (posted), but reserved for the payer: not free to assign any more.
    expect(await posted(db, `suspense/${MANAGED}`)).toBe(suspenseAfterReceipts.toString());
    expect(await suspenseFree(db)).toBe(suspenseAfterReceipts.minus(Money.parse(WRONG)).toString());
    expect(await openIds(db)).not.toContain(wrong.toString());
    const view = await suspenseItem(db, wrong, TODAY);
    expect(view).toMatchObject({ state: 'sent_back', assignment: null });
    expect(view.refunds).toEqual([
      expect.objectContaining({ attempt: 1, sentBy: 'operator-1', reason: 'not for any of our clients: paid to the wrong account', endToEndId, gemeenteId: GEMEENTE, paymentStatus: 'created', why: null, returnedAs: null }),
    ]);
  });

  it('answers the same send-back again with the first refund, and refuses one with other content', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const again = await sendBack(db, { itemId: wrong, reason: 'not for any of our clients: paid to the wrong account' });
    expect(again).toMatchObject({ replayed: true, instructionId: refund, attempt: 1, endToEndId });
    await expect(sendBack(db, { itemId: wrong, reason: 'another reason' })).rejects.toMatchObject({ code: 'already_sent_back' });
    await expect(sendBack(db, { itemId: wrong, reason: 'not for any of our clients: paid to the wrong account', remittance: 'other words' })).rejects.toMatchObject({ code: 'already_sent_back' });
    expect(await journalSize(db)).toBe(before);
    expect(await db.selectFrom('suspense_refund').select('item_id').execute()).toHaveLength(1);
  });

  it('refuses, changing nothing: a debit, an assigned receipt, no payer IBAN, an invalid one, an undone file, a gemeente that does not pay from the account', async () => {
    const { db } = handle();
    const client = await aClient(db);
    const forClient = await itemOf(db, 'RF-FOR-CLIENT');
    await inTransaction(db, (trx) => assignSuspense(trx, { itemId: forClient, clientId: client.id, incomeType: 'other', by: 'operator-1', reason: 'the brother is our client', bookingDate: TODAY }));
    await ingest(db, statementFile('REFUND-2', [credit('99.00', 'RF-UNDONE', { name: 'P. Bakker', iban: 'NL69INGB0123456789', text: 'gift' })]));
    const undone = await itemOf(db, 'RF-UNDONE');
    const file = (await db.selectFrom('bank_entry as e').innerJoin('bank_entry_item as i', 'i.entry_id', 'e.id').select('e.file_id').where('i.id', '=', undone).executeTakeFirstOrThrow()).file_id;
    await undoBankFile(db, file, { user: 'operator-1', reason: 'uploaded the wrong day' });

    const before = await journalSize(db);
    const refusals: [bigint, string][] = [
      [await itemOf(db, 'RF-DEBIT'), 'not_refundable'],
      [forClient, 'already_assigned'],
      [await itemOf(db, 'RF-NO-PAYER'), 'payer_unknown'],
      [await itemOf(db, 'RF-BAD-IBAN'), 'payer_unknown'],
      [undone, 'suspense_item_not_found'],
    ];
    for (const [itemId, code] of refusals) await expect(sendBack(db, { itemId, reason: 'try to send it back' }), code).rejects.toMatchObject({ code });
    await expect(sendBack(db, { itemId: await itemOf(db, 'RF-BAD-IBAN'), reason: 'try' }).catch((e: Error) => e.message)).resolves.not.toContain('NL02RABO0123456780');
    // Zwijndrecht does not pay from the account that received it, so its batches cannot take the refund.
    await expect(sendBack(db, { itemId: await itemOf(db, 'RF-ZWIJNDRECHT'), reason: 'try', gemeenteId: 'GM0642' })).rejects.toMatchObject({ code: 'refund_gemeente_needed' });
    expect(await journalSize(db)).toBe(before);
    expect(await db.selectFrom('suspense_refund').select('item_id').execute()).toHaveLength(1);

    // The other way round: a receipt sent back is neither assigned to a client nor taken back by undoing its file.
    await expect(inTransaction(db, (trx) => assignSuspense(trx, { itemId: wrong, clientId: client.id, incomeType: 'other', by: 'operator-2', reason: 'is it hers?', bookingDate: TODAY }))).rejects.toMatchObject({ code: 'already_sent_back' });
    const firstFile = (await db.selectFrom('bank_entry as e').innerJoin('bank_entry_item as i', 'i.entry_id', 'e.id').select('e.file_id').where('i.id', '=', wrong).executeTakeFirstOrThrow()).file_id;
    await expect(undoBankFile(db, firstFile, { user: 'operator-1', reason: 'oops' })).rejects.toMatchObject({ code: 'undo_refused', message: expect.stringContaining('was sent back to its payer') as unknown });
    expect(await journalSize(db)).toBe(before);
    // From here on: suspense less the 55.00 assigned to the client.
    suspenseAfterReceipts = Money.parse(await posted(db, `suspense/${MANAGED}`));
  });

  it('goes out with the gemeente\'s next daily batch: not approved by who sent it back, a valid pain.001 with the payer\'s IBAN, name, amount and remittance', async () => {
    const { db } = handle();
    const run = await runDailyBatch(db, { gemeenteId: GEMEENTE, runDate: TODAY, startedBy: 'test', now: NOW });
    // With the client's own money passed on to her (the 55.00 assigned above), in a batch of its own date.
    const line = run.report.batches.find((b) => b.executionDate === '2026-12-03');
    expect(line).toMatchObject({ payments: 1, total: WRONG });
    const batchId = BigInt(line!.id);
    expect((await db.selectFrom('payment_instruction').select('id').where('batch_id', '=', batchId).execute()).map((r) => r.id)).toEqual([refund]);
    await expect(inTransaction(db, (trx) => approveBatch(trx, batchId, 'operator-1'))).rejects.toMatchObject({ code: 'four_eyes', message: expect.stringContaining('a refund you sent back') as unknown });
    expect((await inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-1'))).status).toBe('approved');
    const [file] = await releaseBatch(db, batchId, { releasedBy: 'operator-2', now: NOW });
    const version = (await db.selectFrom('payment_file').select('pain_version').where('batch_id', '=', batchId).executeTakeFirstOrThrow()).pain_version as Pain001Version;
    expect(validatePain001(file!.content, version, { today: TODAY }).errors).toEqual([]);
    const xml = new TextDecoder().decode(file!.content);
    const tx = (new XMLParser({ parseTagValue: false, ignoreAttributes: false }).parse(xml) as { Document: { CstmrCdtTrfInitn: { PmtInf: { CdtTrfTxInf: { PmtId: { EndToEndId: string }; Amt: { InstdAmt: { '#text': string } }; Cdtr: { Nm: string }; CdtrAcct: { Id: { IBAN: string } }; RmtInf: { Ustrd: string } } } } } }).Document.CstmrCdtTrfInitn.PmtInf.CdtTrfTxInf;
    expect(tx).toMatchObject({ PmtId: { EndToEndId: endToEndId }, Amt: { InstdAmt: { '#text': WRONG } }, Cdtr: { Nm: PAYER.name }, CdtrAcct: { Id: { IBAN: PAYER.iban } }, RmtInf: { Ustrd: 'Retour: Factuur 2026-118 garagehuur' } });
    // Released: the money left suspense for payments in transit.
    expect(await posted(db, `suspense/${MANAGED}`)).toBe(suspenseAfterReceipts.minus(Money.parse(WRONG)).toString());
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe(WRONG);
    expect((await statusOf(db, refund)).status).toBe('released');
  });

  it('is settled by the bank\'s debit: suspense is back to what it was less the refund, the ledger whole', async () => {
    const { db } = handle();
    const bankBefore = Money.parse(await posted(db, `bank/${MANAGED}`));
    const debit = await ingest(db, statementFile('REFUND-3', [{ amount: WRONG, creditDebit: 'DBIT', bookingDate: '2026-12-03', accountServicerReference: 'RF-OUT', details: [{ endToEndId, counterpartyName: PAYER.name, counterpartyIban: PAYER.iban }] }]));
    expect(debit.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect((await statusOf(db, refund)).status).toBe('settled');
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await posted(db, `bank/${MANAGED}`)).toBe(bankBefore.minus(Money.parse(WRONG)).toString());
    expect(await posted(db, `suspense/${MANAGED}`)).toBe(suspenseAfterReceipts.minus(Money.parse(WRONG)).toString());
    expect((await suspenseItem(db, wrong, TODAY)).refunds[0]).toMatchObject({ paymentStatus: 'settled' });
    expect((await verifyLedger(db)).problems).toEqual([]);
  });

  it('a return of the refund (AC04) waits in suspense again as a new receipt with its reason, never with a client', async () => {
    const { db } = handle();
    const clientMoney = await db.selectFrom('account').select((eb) => eb.fn.sum<string>('credits_posted').as('c')).where('purpose', '=', 'client_available').executeTakeFirstOrThrow();
    const result = await ingest(db, statementFile('REFUND-4', [{ amount: WRONG, creditDebit: 'CRDT', bookingDate: '2026-12-07', accountServicerReference: 'RF-BACK', bankCode: { domain: 'PMNT', family: 'ICDT', subFamily: 'RRTN' }, details: [{ endToEndId, returnReason: 'AC04', counterpartyName: PAYER.name, counterpartyIban: PAYER.iban }] }]));
    expect(result.summary).toMatchObject({ returns: 0, toSuspense: 1, toClients: 0 });
    expect(result.alerts.filter((a) => a.code !== 'balance_missing')).toEqual([expect.objectContaining({ code: 'payment_returned', message: expect.stringContaining('the account is closed (AC04); the money is in suspense again') as unknown })]);
    expect(await statusOf(db, refund)).toEqual({ status: 'returned', return_reason: 'AC04', client_id: null });
    returned = await itemOf(db, 'RF-BACK');
    const open = await listSuspense(db, { asOf: TODAY });
    expect(open.find((i) => i.itemId === returned.toString())).toMatchObject({ amount: WRONG, reason: 'a refund we sent back to the payer came back from the bank: the account is closed (AC04)' });
    // The first receipt stays out of the queue: its money went out and came back as this new one.
    expect(open.map((i) => i.itemId)).not.toContain(wrong.toString());
    expect((await suspenseItem(db, wrong, TODAY)).refunds[0]).toMatchObject({ paymentStatus: 'returned', why: 'the account is closed (AC04)', returnedAs: returned.toString() });
    expect(await posted(db, `suspense/${MANAGED}`)).toBe(suspenseAfterReceipts.toString());
    const clientMoneyAfter = await db.selectFrom('account').select((eb) => eb.fn.sum<string>('credits_posted').as('c')).where('purpose', '=', 'client_available').executeTakeFirstOrThrow();
    expect(clientMoneyAfter.c).toBe(clientMoney.c);
    // Nor in the gemeente's monitor: no client's payment came back, and the open suspense is the open queue.
    const monitor = await gemeenteMonitor(db, { gemeenteId: GEMEENTE, from: '2026-11', to: '2026-12', asOf: '2026-12-07' });
    expect(monitor.months.map((m) => m.returns.count)).toEqual([0, 0]);
    expect(monitor.months.at(-1)!.suspense.openAtMonthEnd).toBe((await listSuspense(db, { asOf: '2026-12-07' })).length);
    expect((await verifyLedger(db)).problems).toEqual([]);
  });

  it('a bank rejection of a refund puts the money back in suspense and the receipt back in the queue; it is sent again by a new send-back, not a retry', async () => {
    const { db } = handle();
    const sent = await sendBack(db, { itemId: returned, reason: 'the payer gave a new account by phone: no, same account, try once more', by: 'approver-2' });
    // What the payer read the first time.
    expect(sent).toMatchObject({ attempt: 1, remittance: 'Retour: Factuur 2026-118 garagehuur' });
    const batchId = await batchOfRefunds(db);
    await inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-1'));
    await releaseBatch(db, batchId, { releasedBy: 'operator-2', now: NOW });
    expect(await openIds(db)).not.toContain(returned.toString());
    const suspenseReleased = await posted(db, `suspense/${MANAGED}`);

    await markBatchRejectedByBank(db, batchId, { actor: 'operator-2', reason: 'the bank portal refused the upload', bookingDate: '2026-12-03' });
    expect((await statusOf(db, sent.instructionId)).status).toBe('bank_rejected');
    expect(await posted(db, `suspense/${MANAGED}`)).toBe(Money.parse(suspenseReleased).plus(Money.parse(WRONG)).toString());
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await suspenseFree(db)).toBe(await posted(db, `suspense/${MANAGED}`));
    expect(await openIds(db)).toContain(returned.toString());
    expect(await suspenseItem(db, returned, TODAY)).toMatchObject({ state: 'open', refunds: [expect.objectContaining({ paymentStatus: 'bank_rejected', why: expect.stringContaining('the bank portal refused the upload') as unknown })] });
    await expect(inTransaction(db, (trx) => retryPayment(trx, sent.instructionId, { actor: 'operator-2', executionDate: '2026-12-04' }))).rejects.toMatchObject({ code: 'not_retryable', message: expect.stringContaining('send the receipt back again from the suspense queue') as unknown });

    const second = await sendBack(db, { itemId: returned, reason: 'second try' });
    expect(second).toMatchObject({ attempt: 2, replayed: false });
    const row = await db.selectFrom('payment_instruction').select(['idempotency_key', 'retry_of', 'attempt']).where('id', '=', second.instructionId).executeTakeFirstOrThrow();
    expect(row).toEqual({ idempotency_key: `refund/${returned}#2`, retry_of: sent.instructionId, attempt: 2 });
    expect((await verifyLedger(db)).problems).toEqual([]);
  });

  it('a batch rejected before release releases the refund\'s reservation, and a status report\'s rejection gives the money back to suspense', async () => {
    const { db } = handle();
    const batchId = await batchOfRefunds(db);
    await inTransaction(db, (trx) => rejectBatch(trx, batchId, 'approver-1', 'we will call the payer first'));
    expect(await suspenseFree(db)).toBe(await posted(db, `suspense/${MANAGED}`));
    expect(await openIds(db)).toContain(returned.toString());
    expect((await suspenseItem(db, returned, TODAY)).refunds[1]).toMatchObject({ paymentStatus: 'cancelled', why: 'we will call the payer first' });

    const third = await sendBack(db, { itemId: returned, reason: 'the payer confirmed the account' });
    expect(third.attempt).toBe(3);
    const again = await batchOfRefunds(db);
    await inTransaction(db, (trx) => approveBatch(trx, again, 'approver-1'));
    const [file] = await releaseBatch(db, again, { releasedBy: 'operator-2', now: NOW });
    const block = await db.selectFrom('payment_block').select('payment_info_id').where('batch_id', '=', again).executeTakeFirstOrThrow();
    const report = await applyStatusReport(db, pain002Rejecting(file!.messageId, third.endToEndId, block.payment_info_id), { receivedBy: 'operator-2', bookingDate: '2026-12-03' });
    expect(report).toMatchObject({ counts: { rejected: 1 }, batchRejected: true });
    expect((await statusOf(db, third.instructionId)).status).toBe('bank_rejected');
    expect(await openIds(db)).toContain(returned.toString());
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await suspenseFree(db)).toBe(await posted(db, `suspense/${MANAGED}`));
    expect(await posted(db, `suspense/${MANAGED}`)).toBe(suspenseAfterReceipts.toString());
    expect((await verifyLedger(db)).problems).toEqual([]);
  });
});
