import type { Kysely } from 'kysely';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions, type InstructionDraft } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { markBatchRejectedByBank, retryPayment } from '../../src/payments/retry.js';
import { applyStatusReport, type StatusReportResult } from '../../src/payments/status-reports.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { describeOnEachDatabase, freshPGlite, freshPostgres, postgresSkipReason } from '../support/db.js';
import { writeCamt } from '../../src/demo/bank-statement.js';
import { ingestBankFile, receiveBankFile } from '../../src/ingest/files.js';
import { MANAGED, aRegion, bijstand, ingest, journalSize, posted, statementFile, type Region } from '../ingest/region.js';
import { availableAccounts } from '../../src/clients/accounts.js';
import { getBalance, verifyLedger } from '../../src/ledger/index.js';
import pg from 'pg';

const NOW = new Date('2027-01-04T08:00:00Z');
const TODAY = '2027-01-04';
const CLIENT_IBAN = 'NL02ABNA0123456789';

interface ReportTx {
  e2e: string;
  status?: string;
  reason?: string;
  words?: string;
  amount?: string;
}
interface ReportBlock {
  id: string;
  status?: string;
  txs?: ReportTx[];
}

/** A pain.002 as a bank writes it, about our file; .10 with a `ns2:` prefix as ING does, .03 without. */
function statusReport(o: { version?: '03' | '10'; messageId: string; original: string; group?: string; groupReason?: string; blocks?: ReportBlock[] }): Uint8Array {
  const version = o.version ?? '03';
  const p = version === '10' ? 'ns2:' : '';
  const t = (name: string, inner: string) => `<${p}${name}>${inner}</${p}${name}>`;
  const reason = (code?: string, words?: string) => (code || words ? t('StsRsnInf', (code ? t('Rsn', t('Cd', code)) : '') + (words ? t('AddtlInf', words) : '')) : '');
  const blocks = (o.blocks ?? [])
    .map((b) =>
      t(
        'OrgnlPmtInfAndSts',
        t('OrgnlPmtInfId', b.id) +
          (b.status ? t('PmtInfSts', b.status) : '') +
          (b.txs ?? []).map((x) => t('TxInfAndSts', t('OrgnlEndToEndId', x.e2e) + (x.status ? t('TxSts', x.status) : '') + reason(x.reason, x.words) + (x.amount ? t('OrgnlTxRef', t('Amt', `<${p}InstdAmt Ccy="EUR">${x.amount}</${p}InstdAmt>`)) : ''))).join('\n'),
      ),
    )
    .join('\n');
  const xmlns = p ? 'xmlns:ns2' : 'xmlns';
  return new TextEncoder().encode(
    `<?xml version="1.0" encoding="UTF-8"?>\n<${p}Document ${xmlns}="urn:iso:std:iso:20022:tech:xsd:pain.002.001.${version}">\n${t(
      'CstmrPmtStsRpt',
      t('GrpHdr', t('MsgId', o.messageId) + t('CreDtTm', '2027-01-04T09:00:00')) +
        t('OrgnlGrpInfAndSts', t('OrgnlMsgId', o.original) + t('OrgnlMsgNmId', 'pain.001.001.03') + (o.group ? t('GrpSts', o.group) : '') + reason(o.groupReason)) +
        blocks,
    )}\n</${p}Document>\n`,
  );
}

interface Released {
  batchId: bigint;
  messageId: string;
  paymentInfoId: string;
  endToEndIds: string[];
  ids: bigint[];
}

let keys = 0;
async function releaseLeefgeld(db: Kysely<Database>, region: Region, date: string, amounts: string[]): Promise<Released> {
  const drafts: InstructionDraft[] = amounts.map((amount) => {
    const key = `sr-${++keys}`;
    return { idempotencyKey: key, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: key, dueDate: date, executionDate: date, amount: Money.parse(amount), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: CLIENT_IBAN }, remittance: 'Leefgeld' };
  });
  await inTransaction(db, (trx) => createPaymentInstructions(trx, drafts));
  const batches = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: date, now: NOW }));
  expect(batches).toHaveLength(1);
  const batchId = batches[0]!.id;
  await inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-1'));
  const [file] = await releaseBatch(db, batchId, { releasedBy: 'operator-2', now: NOW });
  const block = await db.selectFrom('payment_block').select('payment_info_id').where('batch_id', '=', batchId).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('payment_instruction').select(['id', 'end_to_end_id']).where('batch_id', '=', batchId).orderBy('id').execute();
  return { batchId, messageId: file!.messageId, paymentInfoId: block.payment_info_id, endToEndIds: rows.map((r) => r.end_to_end_id!), ids: rows.map((r) => r.id) };
}

async function dawit(db: Kysely<Database>, region: Region): Promise<{ free: string; reserved: string }> {
  const account = (await availableAccounts(db, [region.dawit])).get(region.dawit)!;
  const balance = await getBalance(db, account);
  return { free: balance.available.toString(), reserved: balance.debitsPending.toString() };
}

async function statusOf(db: Kysely<Database>, e2e: string): Promise<string> {
  return (await db.selectFrom('payment_instruction').select('status').where('end_to_end_id', '=', e2e).executeTakeFirstOrThrow()).status;
}

const apply = (db: Kysely<Database>, bytes: Uint8Array): Promise<StatusReportResult> => applyStatusReport(db, bytes, { receivedBy: 'operator-2', bookingDate: TODAY });

describeOnEachDatabase('the bank\'s status reports (pain.002) on our payment files', (handle) => {
  let region: Region;
  let partial: Released;
  let partialReport: Uint8Array;
  let accepted: Released;

  beforeAll(async () => {
    const { db } = handle();
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '03' }));
    await ingest(db, statementFile('SR-1', [bijstand('3000.00', 'BIJ-77002', 'SR-REF-1', TODAY)]));
  });

  it('rejects the whole file on a group RJCT: the money goes back to its reservations, and the payments are issued again under new ids', async () => {
    const { db } = handle();
    const file = await releaseLeefgeld(db, region, '2027-01-05', ['100.00', '200.00', '55.50']);
    // 3000.00 in, 355.50 released to the bank: free 2644.50, nothing reserved, 355.50 in transit.
    expect(await dawit(db, region)).toEqual({ free: '2644.50', reserved: '0.00' });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('355.50');

    const result = await apply(db, statusReport({ messageId: 'BNG-STS-1', original: file.messageId, group: 'RJCT', groupReason: 'FF01' }));
    expect(result).toMatchObject({ replayed: false, batchRejected: true, groupStatus: 'RJCT', counts: { rejected: 3, accepted: 0, conflicts: 0 } });
    expect(result.alerts).toEqual([
      { code: 'batch_rejected_by_bank', severity: 'warning', message: expect.stringContaining(`the bank rejected file ${file.messageId} of batch ${file.batchId} (3 payment(s), € 355.50): the payment file was not in a valid format (FF01)`) as unknown },
    ]);
    // Nothing left the account: the 355.50 is reserved again, free money is unchanged, the bank untouched.
    expect(await dawit(db, region)).toEqual({ free: '2644.50', reserved: '355.50' });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('3000.00');
    expect((await db.selectFrom('payment_batch').select('status').where('id', '=', file.batchId).executeTakeFirstOrThrow()).status).toBe('bank_rejected');
    for (const e2e of file.endToEndIds) expect(await statusOf(db, e2e)).toBe('bank_rejected');

    for (const id of file.ids) await inTransaction(db, (trx) => retryPayment(trx, id, { actor: 'operator-2', executionDate: '2027-01-05' }));
    const [again] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2027-01-05', now: NOW }));
    await inTransaction(db, (trx) => approveBatch(trx, again!.id, 'approver-1'));
    const [reissued] = await releaseBatch(db, again!.id, { releasedBy: 'operator-2', now: NOW });
    expect(reissued!.messageId).not.toBe(file.messageId);
    const xml = new TextDecoder().decode(reissued!.content);
    for (const e2e of file.endToEndIds) expect(xml).not.toContain(`>${e2e}<`);
    expect(reissued!.total).toBe('355.50');
    expect(await dawit(db, region)).toEqual({ free: '2644.50', reserved: '0.00' });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('355.50');
  });

  it('rejects 2 of 5 payments on a partial report (.10, prefixed): only those two come back, with their reasons in plain words', async () => {
    const { db } = handle();
    partial = await releaseLeefgeld(db, region, '2027-01-06', ['10.00', '20.00', '30.00', '40.00', '50.00']);
    expect(await dawit(db, region)).toEqual({ free: '2494.50', reserved: '0.00' });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('505.50');
    const [p1, p2, , p4] = partial.endToEndIds;
    partialReport = statusReport({
      version: '10',
      messageId: 'ING-STS-2',
      original: partial.messageId,
      group: 'PART',
      blocks: [{ id: partial.paymentInfoId, status: 'PART', txs: [{ e2e: p1!, status: 'ACSP' }, { e2e: p2!, status: 'RJCT', reason: 'AM04', amount: '20.00' }, { e2e: p4!, status: 'RJCT', reason: 'AC04', words: 'Account closed per 31-12' }] }],
    });
    const result = await apply(db, partialReport);
    expect(result).toMatchObject({ batchRejected: false, counts: { rejected: 2, accepted: 1, pending: 0, conflicts: 0 } });
    expect(result.rejected.map((r) => [r.endToEndId, r.amount, r.reason])).toEqual([
      [p2, '20.00', 'the bank had insufficient funds to make the payment (AM04)'],
      [p4, '40.00', 'the account is closed (AC04); the bank says: "Account closed per 31-12"'],
    ]);
    expect(result.alerts.map((a) => a.code)).toEqual(['payment_rejected_by_bank', 'payment_rejected_by_bank']);
    expect(result.alerts[0]!.message).toContain(`(instruction ${partial.ids[1]}, ${p2}, € 20.00) was rejected by the bank: the bank had insufficient funds to make the payment (AM04). The money is reserved again`);
    // 20.00 + 40.00 back from the bank's hands to their reservations: in transit 505.50 − 60.00.
    expect(await dawit(db, region)).toEqual({ free: '2494.50', reserved: '60.00' });
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('445.50');
    expect(await Promise.all(partial.endToEndIds.map((e) => statusOf(db, e)))).toEqual(['released', 'bank_rejected', 'released', 'bank_rejected', 'released']);
    expect((await db.selectFrom('payment_batch').select('status').where('id', '=', partial.batchId).executeTakeFirstOrThrow()).status).toBe('released');
  });

  it('then settles the block from the bank\'s debit of the three payments that did go out', async () => {
    const { db } = handle();
    const debit = await ingest(db, statementFile('SR-2', [{ amount: '90.00', creditDebit: 'DBIT', bookingDate: '2027-01-06', accountServicerReference: 'SR-DEBIT-2', batch: { paymentInformationId: partial.paymentInfoId, count: 3, total: '90.00' } }]));
    expect(debit.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await Promise.all(partial.endToEndIds.map((e) => statusOf(db, e)))).toEqual(['settled', 'bank_rejected', 'settled', 'bank_rejected', 'settled']);
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('355.50');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('2910.00');
  });

  it('replays the same report without changing anything, and refuses the same MsgId with other content', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const rows = await db.selectFrom('payment_status').select('instruction_id').execute();
    const again = await apply(db, partialReport);
    expect(again).toMatchObject({ replayed: true, counts: { rejected: 2, accepted: 1 } });
    expect(await journalSize(db)).toBe(before);
    expect(await db.selectFrom('payment_status').select('instruction_id').execute()).toHaveLength(rows.length);
    const altered = statusReport({ version: '10', messageId: 'ING-STS-2', original: partial.messageId, group: 'RJCT', groupReason: 'AM05' });
    await expect(apply(db, altered)).rejects.toMatchObject({ code: 'status_report_conflict' });
    expect(await journalSize(db)).toBe(before);
  });

  it('records an acceptance and moves no money', async () => {
    const { db } = handle();
    accepted = await releaseLeefgeld(db, region, '2027-01-07', ['25.00']);
    const before = await journalSize(db);
    const result = await apply(db, statusReport({ messageId: 'RABO-PSR-3', original: accepted.messageId, group: 'ACTC' }));
    expect(result).toMatchObject({ counts: { accepted: 1, rejected: 0 }, alerts: [], batchRejected: false });
    expect(await journalSize(db)).toBe(before);
    expect(await statusOf(db, accepted.endToEndIds[0]!)).toBe('released');
    expect(await db.selectFrom('payment_status').select(['status', 'level', 'outcome', 'ledger_key']).where('instruction_id', '=', accepted.ids[0]!).execute()).toEqual([{ status: 'ACTC', level: 'group', outcome: 'accepted', ledger_key: null }]);
  });

  it('refuses a report on a file we never sent, on a payment not in the file, or with another amount, changing nothing', async () => {
    const { db } = handle();
    // A batch still awaiting approval has no file at the bank.
    await inTransaction(db, (trx) => createPaymentInstructions(trx, [{ idempotencyKey: 'sr-unreleased', clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: 'sr-unreleased', dueDate: '2027-01-08', executionDate: '2027-01-08', amount: Money.parse('5.00'), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: CLIENT_IBAN }, remittance: 'Leefgeld' }]));
    const [waiting] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2027-01-08', now: NOW }));
    const waitingFile = await db.selectFrom('payment_file').select('message_id').where('batch_id', '=', waiting!.id).executeTakeFirstOrThrow();
    const before = await journalSize(db);
    const reports = await db.selectFrom('payment_status_report').select('id').execute();
    await expect(apply(db, statusReport({ messageId: 'X-1', original: 'OZB-9999999999', group: 'RJCT', groupReason: 'FF01' }))).rejects.toMatchObject({ code: 'status_report_unknown_file', message: expect.stringContaining('OZB-9999999999') as unknown });
    await expect(apply(db, statusReport({ messageId: 'X-2', original: accepted.messageId, group: 'PART', blocks: [{ id: accepted.paymentInfoId, txs: [{ e2e: 'OZ-NOT-OURS', status: 'RJCT' }] }] }))).rejects.toMatchObject({ code: 'status_report_unknown_payment', message: expect.stringContaining('OZ-NOT-OURS') as unknown });
    await expect(apply(db, statusReport({ messageId: 'X-3', original: accepted.messageId, group: 'PART', blocks: [{ id: accepted.paymentInfoId, txs: [{ e2e: accepted.endToEndIds[0]!, status: 'RJCT', amount: '52.00' }] }] }))).rejects.toMatchObject({ code: 'status_report_unknown_payment', message: expect.stringContaining('€ 25.00') as unknown });
    await expect(apply(db, statusReport({ messageId: 'X-4', original: accepted.messageId, blocks: [{ id: 'OZB-0000000001-9', status: 'RJCT' }] }))).rejects.toMatchObject({ code: 'status_report_unknown_payment' });
    await expect(apply(db, new TextEncoder().encode('<!DOCTYPE x [<!ENTITY a "b">]><x/>'))).rejects.toMatchObject({ code: 'status_report_not_readable' });
    await expect(apply(db, statusReport({ messageId: 'X-5', original: waitingFile.message_id, group: 'RJCT' }))).rejects.toMatchObject({ code: 'status_report_unknown_file', message: expect.stringContaining('never released') as unknown });
    expect(await journalSize(db)).toBe(before);
    expect(await db.selectFrom('payment_status_report').select('id').execute()).toHaveLength(reports.length);
  });

  it('never un-settles: a rejection after the bank statement settled the payment, or an acceptance after a rejection, is a conflict alert', async () => {
    const { db } = handle();
    const e2e = accepted.endToEndIds[0]!;
    await ingest(db, statementFile('SR-3', [{ amount: '25.00', creditDebit: 'DBIT', bookingDate: '2027-01-07', accountServicerReference: 'SR-DEBIT-3', details: [{ endToEndId: e2e, counterpartyIban: CLIENT_IBAN }] }]));
    expect(await statusOf(db, e2e)).toBe('settled');
    const money = { dawit: await dawit(db, region), transit: await posted(db, `in-transit/${MANAGED}`), journal: await journalSize(db) };
    const late = await apply(db, statusReport({ messageId: 'RABO-PSR-4', original: accepted.messageId, group: 'RJCT', groupReason: 'AM04' }));
    expect(late).toMatchObject({ batchRejected: false, counts: { conflicts: 1, rejected: 0 } });
    expect(late.alerts).toEqual([{ code: 'status_after_settlement', severity: 'error', message: expect.stringContaining(`already booked it as settled. Nothing was undone`) as unknown }]);
    const [, p2] = partial.endToEndIds;
    const contrary = await apply(db, statusReport({ version: '10', messageId: 'ING-STS-5', original: partial.messageId, blocks: [{ id: partial.paymentInfoId, txs: [{ e2e: p2!, status: 'ACSC' }] }] }));
    expect(contrary.alerts.map((a) => a.code)).toEqual(['status_after_rejection']);
    expect(await statusOf(db, e2e)).toBe('settled');
    expect(await statusOf(db, p2!)).toBe('bank_rejected');
    expect({ dawit: await dawit(db, region), transit: await posted(db, `in-transit/${MANAGED}`), journal: await journalSize(db) }).toEqual(money);
  });

  it('takes a report through the HTTP door: operators and administrators only, problem+json when refused, a retry answers the first result', async () => {
    const { db } = handle();
    const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 5), issuer: 'ontzorg', audience: 'ontzorg-api' };
    const app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings) });
    try {
      const as = async (role: 'operator' | 'approver') => ({ authorization: `Bearer ${await mintLocalToken(settings, { userId: `${role}-9`, role, gemeenten: ['GM0505'] })}`, 'content-type': 'application/xml' });
      const file = await releaseLeefgeld(db, region, '2027-01-11', ['12.34']);
      const body = Buffer.from(statusReport({ messageId: 'HTTP-STS-1', original: file.messageId, group: 'RJCT', groupReason: 'DU01' }));
      expect((await app.inject({ method: 'POST', url: '/api/status-reports', headers: await as('approver'), payload: body })).statusCode).toBe(403);
      const first = await app.inject({ method: 'POST', url: '/api/status-reports', headers: { ...(await as('operator')), 'idempotency-key': 'sts-1' }, payload: body });
      expect(first.statusCode).toBe(200);
      expect(first.json()).toMatchObject({ batchRejected: true, counts: { rejected: 1 }, alerts: [{ code: 'batch_rejected_by_bank' }] });
      expect((first.json() as { alerts: { message: string }[] }).alerts[0]!.message).toContain('the file\'s message id was used before (DU01)');
      const retried = await app.inject({ method: 'POST', url: '/api/status-reports', headers: { ...(await as('operator')), 'idempotency-key': 'sts-1' }, payload: body });
      expect(retried.headers['idempotency-hit']).toBe('true');
      const unknown = await app.inject({ method: 'POST', url: '/api/status-reports', headers: await as('operator'), payload: Buffer.from(statusReport({ messageId: 'HTTP-STS-2', original: 'OZB-NOPE', group: 'RJCT' })) });
      expect(unknown.statusCode).toBe(422);
      expect(unknown.headers['content-type']).toContain('application/problem+json');
      expect(unknown.json()).toMatchObject({ code: 'status_report_unknown_file' });
      const shown = await app.inject({ method: 'GET', url: `/api/status-reports/${(first.json() as { reportId: string }).reportId}`, headers: await as('approver') });
      expect(shown.json()).toMatchObject({ messageId: 'HTTP-STS-1', batchRejected: true });
      const missing = await app.inject({ method: 'GET', url: '/api/status-reports/999999', headers: await as('approver') });
      expect([missing.statusCode, (missing.json() as { code: string }).code]).toEqual([404, 'status_report_not_found']);
    } finally {
      await app.close();
    }
  });
});

describe('a status report moves exactly the money of the payments it rejects [pglite]', () => {
  let handle: DatabaseHandle;
  let region: Region;
  beforeAll(async () => {
    handle = await freshPGlite();
    region = await aRegion(handle.db, '0.00');
    await inTransaction(handle.db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    await ingest(handle.db, statementFile('SRP-1', [bijstand('3000.00', 'BIJ-77002', 'SRP-REF-1', TODAY)]));
  });
  afterAll(async () => handle.close());

  it('rejected payments go back to their reservations to the cent, nothing else moves, and a replay moves nothing', async () => {
    const { db } = handle;
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ cents: fc.bigInt({ min: 1n, max: 2_000n }), status: fc.constantFrom('ACSP', 'RJCT', 'PDNG', undefined) }), { minLength: 1, maxLength: 5 }),
        async (payments) => {
          run += 1;
          const file = await releaseLeefgeld(db, region, '2027-01-05', payments.map((p) => Money.fromCents(p.cents).toString()));
          const before = { money: await dawit(db, region), transit: Money.parse(await posted(db, `in-transit/${MANAGED}`)) };
          const txs = payments.flatMap((p, n) => (p.status ? [{ e2e: file.endToEndIds[n]!, status: p.status, reason: p.status === 'RJCT' ? 'AC01' : undefined }] : []));
          const bytes = statusReport({ version: run % 2 === 0 ? '10' : '03', messageId: `PROP-${run}`, original: file.messageId, group: 'PART', blocks: [{ id: file.paymentInfoId, txs }] });
          const result = await apply(db, bytes);
          const rejected = payments.filter((p) => p.status === 'RJCT').reduce((sum, p) => sum + p.cents, 0n);
          expect(result.counts).toMatchObject({ rejected: payments.filter((p) => p.status === 'RJCT').length, accepted: payments.filter((p) => p.status === 'ACSP').length, pending: payments.filter((p) => p.status === 'PDNG').length });
          const after = { money: await dawit(db, region), transit: Money.parse(await posted(db, `in-transit/${MANAGED}`)) };
          expect(after.money.free).toBe(before.money.free);
          expect(Money.parse(after.money.reserved).minus(Money.parse(before.money.reserved)).toString()).toBe(Money.fromCents(rejected).toString());
          expect(before.transit.minus(after.transit).toString()).toBe(Money.fromCents(rejected).toString());
          const journal = await journalSize(db);
          expect((await apply(db, bytes)).replayed).toBe(true);
          expect(await journalSize(db)).toBe(journal);
        },
      ),
      { numRuns: 15 },
    );
  }, 120_000);
});

/**
 * A bank that contradicts itself: its statement debits a payment while its status report rejects it. Whatever
 * the order, the books must stay right and a person must be told. Both dangerous orders are forced here, for
 * real, by another transaction holding a lock that ingestion needs at a chosen point:
 * - before it locks the payments (the file's row): the rejection commits after ingestion planned the debit;
 * - after it locked them (the bank account's ledger row): the report comes while ingestion books the debit.
 */
describe.skipIf(postgresSkipReason() !== '')('a status report racing the bank statement on the same payment [postgres]', () => {
  let handle: DatabaseHandle & { url: string };
  let holder: pg.Client;
  let region: Region;
  let round = 0;

  beforeAll(async () => {
    handle = await freshPostgres(6);
    holder = new pg.Client({ connectionString: handle.url, application_name: 'lock-holder' });
    await holder.connect();
    const { db } = handle;
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '03' }));
    await ingest(db, statementFile('RACE-0', [bijstand('3000.00', 'BIJ-77002', 'RACE-REF-0', TODAY)]));
  });
  afterAll(async () => {
    await holder?.end();
    await handle?.close();
  });

  const waiting = async (): Promise<number> =>
    Number((await holder.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`)).rows[0]!.n);

  async function until(condition: () => Promise<boolean>): Promise<void> {
    for (let i = 0; !(await condition()); i++) {
      if (i > 600) throw new Error('the race never reached its lock');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Releases one payment of 25.00, then lets the debit and the rejection meet with `hold` locked by another transaction. */
  type Rejector = (released: Released, e2e: string) => Promise<StatusReportResult | Error>;
  const byReport: Rejector = (released, e2e) =>
    apply(handle.db, statusReport({ messageId: `RACE-PSR-${round}`, original: released.messageId, blocks: [{ id: released.paymentInfoId, txs: [{ e2e, status: 'RJCT', reason: 'AC04' }] }] }));
  /** A person marks the batch rejected (the bank's portal refused the upload); a refusal comes back as the error. */
  const byPerson: Rejector = (released) =>
    markBatchRejectedByBank(handle.db, released.batchId, { actor: 'operator-2', reason: 'portal refused the upload', bookingDate: TODAY }).then(
      () => new Error('no refusal'),
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );

  async function race(hold: (fileId: bigint) => { text: string; values: unknown[] }, reject: Rejector = byReport) {
    const { db } = handle;
    const released = await releaseLeefgeld(db, region, TODAY, ['25.00']);
    const e2e = released.endToEndIds[0]!;
    round += 1;
    const bytes = new TextEncoder().encode(writeCamt(statementFile(`RACE-D${round}`, [{ amount: '25.00', creditDebit: 'DBIT', bookingDate: '2027-01-05', accountServicerReference: `RACE-DEBIT-${round}`, details: [{ endToEndId: e2e, counterpartyIban: CLIENT_IBAN }] }])));
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: `race-${round}.xml`, receivedBy: 'test-operator' }));
    const lock = hold(received.fileId);
    await holder.query('BEGIN');
    await holder.query(lock.text, lock.values);
    const debit = ingestBankFile(db, received.fileId);
    await until(async () => (await waiting()) >= 1);
    let reportDone = false;
    const report = reject(released, e2e).finally(() => {
      reportDone = true;
    });
    // The report either finishes (it needs nothing ingestion holds) or queues behind ingestion.
    await until(async () => reportDone || (await waiting()) >= 2);
    await holder.query('COMMIT');
    const [ingested, reported] = await Promise.all([debit, report]);
    return { e2e, ingested, reported: reported as StatusReportResult, outcome: reported };
  }

  it('a rejection committed after ingestion planned the debit: the file is planned again, the debit waits in suspense for a person, nothing is taken twice', async () => {
    const { db } = handle;
    const { e2e, ingested, reported } = await race((fileId) => ({ text: 'SELECT id FROM bank_file WHERE id = $1 FOR UPDATE', values: [fileId.toString()] }));
    expect(reported.counts.rejected).toBe(1);
    expect(await statusOf(db, e2e)).toBe('bank_rejected');
    expect(ingested.status).toBe('ingested');
    // In the suspense queue for a person, with why.
    const item = await db.selectFrom('bank_entry_item').select(['destination', 'match_detail']).where('end_to_end_id', '=', e2e).where('credit_debit', '=', 'DBIT').executeTakeFirstOrThrow();
    expect(item).toEqual({ destination: 'suspense', match_detail: { reason: 'own_payment_mismatch', why: `a debit for payment ${e2e}, which is bank_rejected` } });
    // The rejection gave the money back; the debit was not also taken from it: nothing left in transit, nothing below zero.
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await verifyLedger(db)).toMatchObject({ ok: true, problems: [] });
  });

  it('a person marking the batch rejected while ingestion books its debit: it waits, finds the payment settled and is refused, undoing nothing', async () => {
    const { db } = handle;
    const { e2e, outcome } = await race(() => ({ text: 'SELECT id FROM account WHERE code = $1 FOR UPDATE', values: [`bank/${MANAGED}`] }), byPerson);
    expect(outcome).toMatchObject({ code: 'not_retryable' });
    expect(await statusOf(db, e2e)).toBe('settled');
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await verifyLedger(db)).toMatchObject({ ok: true, problems: [] });
  });

  it('a report arriving while ingestion books the debit: it waits, finds the payment settled and raises a conflict, undoing nothing', async () => {
    const { db } = handle;
    const { e2e, reported } = await race(() => ({ text: 'SELECT id FROM account WHERE code = $1 FOR UPDATE', values: [`bank/${MANAGED}`] }));
    expect(await statusOf(db, e2e)).toBe('settled');
    expect(reported).toMatchObject({ counts: { conflicts: 1, rejected: 0 } });
    expect(reported.alerts.map((a) => a.code)).toEqual(['status_after_settlement']);
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await verifyLedger(db)).toMatchObject({ ok: true, problems: [] });
  });
});
