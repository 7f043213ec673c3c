import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { createLogger } from '../../src/logging/logger.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { retryPayment } from '../../src/payments/retry.js';
import { applyStatusReport } from '../../src/payments/status-reports.js';
import { freshPGlite } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, journalSize, posted, statementFile, type Region } from '../ingest/region.js';
import { issueLeefgeld, moneyOf, statusReport } from './status-report-file.js';

const TODAY = '2027-01-04';
const CLIENT_IBAN = 'NL02ABNA0123456789';
const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 47), issuer: 'ontzorg', audience: 'ontzorg-api' };

/**
 * A bank that first refuses some payments of a file (a partial pain.002) and then the file as a whole (its portal,
 * recorded by an operator): the payments still in transit come back too; the ones already back are not given back twice.
 */
describe('the bank rejects a whole batch after it rejected some of its payments [pglite]', () => {
  let handle: DatabaseHandle;
  let region: Region;
  let app: FastifyInstance;
  let operator = '';
  const statuses = async (batchId: bigint) => (await handle.db.selectFrom('payment_instruction').select('status').where('batch_id', '=', batchId).orderBy('id').execute()).map((r) => r.status);
  const batchStatus = async (batchId: bigint) => (await handle.db.selectFrom('payment_batch').select('status').where('id', '=', batchId).executeTakeFirstOrThrow()).status;
  const markRejected = (batchId: bigint, key: string) =>
    app.inject({ method: 'POST', url: `/api/batches/${batchId}/bank-rejected`, headers: { authorization: `Bearer ${operator}`, 'idempotency-key': key }, payload: { reason: 'the bank refused the whole file after all', bookingDate: TODAY } });

  beforeAll(async () => {
    handle = await freshPGlite();
    const { db } = handle;
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '03' }));
    await ingest(db, statementFile('WR-1', [bijstand('3000.00', 'BIJ-77002', 'WR-REF-1', TODAY)]));
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings) });
    operator = await mintLocalToken(settings, { userId: 'operator-5', role: 'operator', gemeenten: ['GM0505'] });
  });
  afterAll(async () => {
    await app?.close();
    await handle?.close();
  });

  it('gives back the money of the three payments still in transit, leaves the two already rejected alone, and a replay changes nothing', async () => {
    const { db } = handle;
    const file = await issueLeefgeld(db, region.dawit, '2027-01-05', ['10.00', '20.00', '30.00', '40.00', '50.00']);
    expect(await moneyOf(db, region.dawit)).toEqual({ free: '2850.00', reserved: '0.00' });
    const [, p2, , p4] = file.e2e;
    const partial = await applyStatusReport(db, statusReport({ messageId: 'WR-STS-1', original: file.messageId, group: 'PART', blocks: [{ id: file.paymentInfoId, status: 'PART', txs: [{ e2e: p2!, status: 'RJCT', reason: 'AM04' }, { e2e: p4!, status: 'RJCT', reason: 'AC04' }] }] }), { receivedBy: 'operator-2', bookingDate: TODAY });
    expect(partial.counts.rejected).toBe(2);
    expect(await statuses(file.batchId)).toEqual(['released', 'bank_rejected', 'released', 'bank_rejected', 'released']);
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('90.00');
    expect(await moneyOf(db, region.dawit)).toEqual({ free: '2850.00', reserved: '60.00' });
    const journal = await journalSize(db);

    const whole = await markRejected(file.batchId, 'wr-1');
    expect(whole.statusCode, whole.body).toBe(200);
    expect(whole.json()).toMatchObject({ status: 'bank_rejected' });
    expect(await batchStatus(file.batchId)).toBe('bank_rejected');
    expect(await statuses(file.batchId)).toEqual(['bank_rejected', 'bank_rejected', 'bank_rejected', 'bank_rejected', 'bank_rejected']);
    // Nothing of the file is in transit any more; all 150.00 is reserved again for Dawit, his free money untouched.
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect(await moneyOf(db, region.dawit)).toEqual({ free: '2850.00', reserved: '150.00' });
    expect(await posted(db, `bank/${MANAGED}`)).toBe('3000.00');
    // Two bookings (reversal, reservation) for each of the three payments still in transit; none for the two before.
    expect(await journalSize(db)).toBe(journal + 6);
    const keysOf = async (id: bigint) => (await db.selectFrom('ledger_transaction').select('idempotency_key').where('idempotency_key', 'in', [`bank-rejected/${id}`, `bank-rejected-reserve/${id}`]).execute()).length;
    for (const id of file.ids) expect(await keysOf(id)).toBe(2);

    // A second click (a new request), and the bank's own report of the whole file afterwards: nothing moves again.
    const again = await markRejected(file.batchId, 'wr-2');
    expect(again.statusCode).toBe(200);
    const report = await applyStatusReport(db, statusReport({ messageId: 'WR-STS-2', original: file.messageId, group: 'RJCT', groupReason: 'FF01' }), { receivedBy: 'operator-2', bookingDate: TODAY });
    expect(report.counts).toMatchObject({ rejected: 0, alreadyRejected: 5 });
    expect(await journalSize(db)).toBe(journal + 6);
    expect(await moneyOf(db, region.dawit)).toEqual({ free: '2850.00', reserved: '150.00' });
    expect(await verifyLedger(db)).toMatchObject({ ok: true, problems: [] });

    // Each payment can be issued again, once, from the money reserved for it.
    const retried = await inTransaction(db, (trx) => retryPayment(trx, file.ids[2]!, { actor: 'operator-5', executionDate: '2027-01-06' }));
    expect(retried.outcome).toBe('created');
    expect(await moneyOf(db, region.dawit)).toEqual({ free: '2850.00', reserved: '150.00' });
  });

  it('still refuses the whole-batch rejection when the bank booked one of its payments, naming it, and changes nothing', async () => {
    const { db } = handle;
    const file = await issueLeefgeld(db, region.dawit, '2027-01-07', ['11.00', '22.00', '33.00']);
    const [p1, p2] = file.e2e;
    await ingest(db, statementFile('WR-2', [{ amount: '11.00', creditDebit: 'DBIT', bookingDate: '2027-01-07', accountServicerReference: 'WR-DEBIT-1', details: [{ endToEndId: p1!, counterpartyIban: CLIENT_IBAN }] }]));
    await applyStatusReport(db, statusReport({ messageId: 'WR-STS-3', original: file.messageId, blocks: [{ id: file.paymentInfoId, txs: [{ e2e: p2!, status: 'RJCT', reason: 'AC04' }] }] }), { receivedBy: 'operator-2', bookingDate: TODAY });
    const before = { journal: await journalSize(db), money: await moneyOf(db, region.dawit), transit: await posted(db, `in-transit/${MANAGED}`) };
    expect(before.transit).toBe('33.00');

    const refused = await markRejected(file.batchId, 'wr-3');
    expect(refused.statusCode).toBe(409);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'not_retryable', detail: expect.stringContaining(`instruction ${file.ids[0]} (settled)`) as unknown });
    expect(await statuses(file.batchId)).toEqual(['settled', 'bank_rejected', 'released']);
    expect(await batchStatus(file.batchId)).toBe('released');
    expect({ journal: await journalSize(db), money: await moneyOf(db, region.dawit), transit: await posted(db, `in-transit/${MANAGED}`) }).toEqual(before);
  });
});
