import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { rejectBatch } from '../../src/payments/batches.js';
import { applyStatusReport } from '../../src/payments/status-reports.js';
import { freshPGlite } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, statementFile, type Region } from '../ingest/region.js';
import { issueLeefgeld, statusReport, type Issued } from '../payments/status-report-file.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 53), issuer: 'ontzorg', audience: 'ontzorg-api' };
const CLIENT_IBAN = 'NL02ABNA0123456789';

interface Item {
  id: string;
  status: string;
  kind: string;
  period: string;
  amount: string;
  executionDate: string;
  dueDate: string;
  obligationId: string | null;
  batchId: string | null;
  reason: { code: string | null; text: string; source: string } | null;
  reissuedAs: string | null;
}

/**
 * The back office's list of payments that did not go out: cancelled with a batch rejected before release, refused by
 * the bank (its status report, or its portal as recorded by an operator), returned. Nobody re-issues them
 * automatically: a person decides, and needs amount, kind, period, dates and why, without names or IBANs.
 */
describe('GET /api/payments lists what did not go out with what a person needs to decide [pglite]', () => {
  let handle: DatabaseHandle;
  let region: Region;
  let app: FastifyInstance;
  let operator = '';
  let cancelled: Issued;
  let refused: Issued;
  let returned: Issued;
  const list = async (query: string): Promise<{ body: string; items: Item[] }> => {
    const response = await app.inject({ method: 'GET', url: `/api/payments?${query}`, headers: { authorization: `Bearer ${operator}` } });
    expect(response.statusCode, response.body).toBe(200);
    return { body: response.body, items: response.json<{ items: Item[] }>().items };
  };

  beforeAll(async () => {
    handle = await freshPGlite();
    const { db } = handle;
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '03' }));
    await ingest(db, statementFile('NP-1', [bijstand('3000.00', 'BIJ-77002', 'NP-REF-1', '2027-01-04')]));
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings) });
    operator = await mintLocalToken(settings, { userId: 'operator-3', role: 'operator', gemeenten: ['GM0505'] });

    // An approver rejects a batch before release: its payment is cancelled.
    cancelled = await issueLeefgeld(db, region.dawit, '2027-01-05', ['25.00'], { release: false });
    await inTransaction(db, (trx) => rejectBatch(trx, cancelled.batchId, 'approver-1', 'amounts look wrong, check first'));
    // The bank refuses one payment of a file in its status report (with its own words naming the payee), then the operator records that its portal refused the rest.
    refused = await issueLeefgeld(db, region.dawit, '2027-01-06', ['10.00', '20.00', '30.00']);
    await applyStatusReport(db, statusReport({ messageId: 'NP-STS-1', original: refused.messageId, blocks: [{ id: refused.paymentInfoId, txs: [{ e2e: refused.e2e[1]!, status: 'RJCT', reason: 'AC04', words: `Rekening ${CLIENT_IBAN} van D. Tesfaye opgeheven` }] }] }), { receivedBy: 'operator-2', bookingDate: '2027-01-05' });
    const portal = await app.inject({ method: 'POST', url: `/api/batches/${refused.batchId}/bank-rejected`, headers: { authorization: `Bearer ${operator}` }, payload: { reason: 'the portal refused the upload: wrong signature', bookingDate: '2027-01-05' } });
    expect(portal.statusCode, portal.body).toBe(200);
    // The bank debits one payment and then returns it: account closed.
    returned = await issueLeefgeld(db, region.dawit, '2027-01-07', ['45.00']);
    await ingest(db, statementFile('NP-2', [{ amount: '45.00', creditDebit: 'DBIT', bookingDate: '2027-01-07', accountServicerReference: 'NP-DEBIT', details: [{ endToEndId: returned.e2e[0]!, counterpartyIban: CLIENT_IBAN }] }]));
    await ingest(db, statementFile('NP-3', [{ amount: '45.00', creditDebit: 'CRDT', bookingDate: '2027-01-08', accountServicerReference: 'NP-RETURN', details: [{ endToEndId: returned.e2e[0]!, returnReason: 'AC04', counterpartyIban: CLIENT_IBAN }] }]));
  });
  afterAll(async () => {
    await app?.close();
    await handle?.close();
  });

  it('lists a cancelled payment with its amount, kind, period, dates and the approver\'s reason; once issued again, with the new instruction', async () => {
    const before = await list('status=cancelled');
    expect(before.items).toEqual([
      expect.objectContaining({ id: cancelled.ids[0]!.toString(), status: 'cancelled', kind: 'leefgeld', period: expect.stringMatching(/^issued-/) as unknown, amount: '25.00', executionDate: '2027-01-05', dueDate: '2027-01-05', obligationId: null, batchId: cancelled.batchId.toString(), reissuedAs: null, reason: { code: null, text: `batch ${cancelled.batchId} was rejected before release: amounts look wrong, check first`, source: 'batch_rejected' } }),
    ]);
    const retry = await app.inject({ method: 'POST', url: `/api/payments/${cancelled.ids[0]}/retry`, headers: { authorization: `Bearer ${operator}` }, payload: { executionDate: '2027-01-08' } });
    expect(retry.statusCode, retry.body).toBe(201);
    const after = await list('status=cancelled');
    expect(after.items[0]!.reissuedAs).toBe(retry.json<{ instructionId: string }>().instructionId);
  });

  it('lists bank-rejected payments with why: the status report\'s code in plain words, or the refusal of the whole batch as recorded', async () => {
    const { items } = await list(`status=bank_rejected&batch=${refused.batchId}`);
    const byId = new Map(items.map((i) => [i.id, i]));
    expect(items).toHaveLength(3);
    expect(byId.get(refused.ids[1]!.toString())).toMatchObject({ amount: '20.00', kind: 'leefgeld', executionDate: '2027-01-06', reason: { code: 'AC04', text: 'the account is closed (AC04)', source: 'status_report' }, reissuedAs: null });
    for (const n of [0, 2]) {
      expect(byId.get(refused.ids[n]!.toString())).toMatchObject({ status: 'bank_rejected', reason: { code: null, text: `the bank refused batch ${refused.batchId} as a whole: the portal refused the upload: wrong signature`, source: 'bank_refused_batch' } });
    }
  });

  it('lists a returned payment with the bank\'s return reason', async () => {
    const { items } = await list('status=returned');
    expect(items).toEqual([expect.objectContaining({ id: returned.ids[0]!.toString(), amount: '45.00', executionDate: '2027-01-07', reason: { code: 'AC04', text: 'the account is closed (AC04)', source: 'return' } })]);
  });

  it('shows no names and no IBANs, not even the ones in the bank\'s own words', async () => {
    for (const status of ['cancelled', 'bank_rejected', 'returned']) {
      const { body } = await list(`status=${status}`);
      for (const secret of ['Dawit', 'Tesfaye', CLIENT_IBAN, MANAGED, 'opgeheven']) expect(body, `${status}: ${secret}`).not.toContain(secret);
    }
  });
});
