import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { loadOwnPayments } from '../../src/payments/reconcile.js';
import { releaseBatch } from '../../src/payments/release.js';
import { applyStatusReport } from '../../src/payments/status-reports.js';
import { freshPGlite } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, posted, statementFile, type Region } from '../ingest/region.js';
import { statusReport } from './status-report-file.js';

const NOW = new Date('2027-01-04T08:00:00Z');
const CLIENT_IBAN = 'NL02ABNA0123456789';
const blockDebit = (ref: string, paymentInformationId: string, count: number, total: string) => ({ amount: total, creditDebit: 'DBIT' as const, bookingDate: '2027-01-05', accountServicerReference: ref, batch: { paymentInformationId, count, total } });

/**
 * A batch above the bank's limit per file (BNG: 100,000) goes out as several pain.001 files, one payment-information
 * block each. On an account with batch booking the bank debits each block as one entry (PmtInfId, count, total):
 * that debit settles exactly the payments of its block. The limit is set to 3 here, so five payments make two files.
 */
describe('a batch cut into two files: each block debit settles its own payments [pglite]', () => {
  let handle: DatabaseHandle;
  let region: Region;
  let batchId: bigint;
  let blocks: { id: string; messageId: string }[];
  let rows: { id: bigint; e2e: string; amount: string }[];
  const statuses = async () => (await handle.db.selectFrom('payment_instruction').select('status').where('batch_id', '=', batchId).orderBy('id').execute()).map((r) => r.status);

  beforeAll(async () => {
    handle = await freshPGlite();
    const { db } = handle;
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '03', batchBooking: true }));
    await ingest(db, statementFile('SB-1', [bijstand('3000.00', 'BIJ-77002', 'SB-REF-1', '2027-01-04')]));
    await inTransaction(db, (trx) =>
      createPaymentInstructions(
        trx,
        ['10.00', '20.00', '30.00', '40.00', '50.00'].map((amount, n) => ({ idempotencyKey: `sb-${n}`, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld' as const, period: `2027-W0${n + 1}`, dueDate: '2027-01-05', executionDate: '2027-01-05', amount: Money.parse(amount), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: CLIENT_IBAN }, remittance: 'Leefgeld' })),
      ),
    );
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2027-01-05', now: NOW, maxPaymentsPerFile: 3 }));
    batchId = batch!.id;
    await inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-1'));
    const files = await releaseBatch(db, batchId, { releasedBy: 'operator-2', now: NOW });
    expect(files.map((f) => [f.payments, f.total])).toEqual([[3, '60.00'], [2, '90.00']]);
    blocks = (await db.selectFrom('payment_block as b').innerJoin('payment_file as f', 'f.id', 'b.file_id').select(['b.payment_info_id', 'f.message_id']).where('b.batch_id', '=', batchId).orderBy('f.sequence').execute()).map((b) => ({ id: b.payment_info_id, messageId: b.message_id }));
    expect(blocks).toHaveLength(2);
    rows = (await db.selectFrom('payment_instruction').select(['id', 'end_to_end_id', 'amount_cents']).where('batch_id', '=', batchId).orderBy('id').execute()).map((r) => ({ id: r.id, e2e: r.end_to_end_id!, amount: Money.fromCents(r.amount_cents).toString() }));
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('150.00');
  });
  afterAll(async () => handle?.close());

  it('knows each block\'s own payments, as the file says', async () => {
    const own = await loadOwnPayments(handle.db, [], blocks.map((b) => b.id));
    expect(own.byBlock.get(blocks[0]!.id)!.members.map((m) => m.id)).toEqual(rows.slice(0, 3).map((r) => r.id));
    expect(own.byBlock.get(blocks[1]!.id)!.members.map((m) => m.id)).toEqual(rows.slice(3).map((r) => r.id));
  });

  it('sends a debit of the first block for more than it holds to suspense, settling nothing', async () => {
    const wrong = await ingest(handle.db, statementFile('SB-2', [blockDebit('SB-WRONG', blocks[0]!.id, 5, '150.00')]));
    expect(wrong.summary).toMatchObject({ settlements: 0, toSuspense: 1 });
    expect(await statuses()).toEqual(['released', 'released', 'released', 'released', 'released']);
    expect(await posted(handle.db, `in-transit/${MANAGED}`)).toBe('150.00');
  });

  it('settles the first block\'s three payments (60.00) by its debit, and only those', async () => {
    const first = await ingest(handle.db, statementFile('SB-3', [blockDebit('SB-B1', blocks[0]!.id, 3, '60.00')]));
    expect(first.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await statuses()).toEqual(['settled', 'settled', 'settled', 'released', 'released']);
    expect(await posted(handle.db, `in-transit/${MANAGED}`)).toBe('90.00');
  });

  it('after the bank rejected one payment of the second file, settles that block\'s other payment by the debit of what went out', async () => {
    const { db } = handle;
    const rejected = await applyStatusReport(db, statusReport({ messageId: 'SB-STS-1', original: blocks[1]!.messageId, blocks: [{ id: blocks[1]!.id, txs: [{ e2e: rows[4]!.e2e, status: 'RJCT', reason: 'AC04' }] }] }), { receivedBy: 'operator-2', bookingDate: '2027-01-05' });
    expect(rejected.counts.rejected).toBe(1);
    const second = await ingest(db, statementFile('SB-4', [blockDebit('SB-B2', blocks[1]!.id, 1, '40.00')]));
    expect(second.summary).toMatchObject({ settlements: 1, toSuspense: 0 });
    expect(await statuses()).toEqual(['settled', 'settled', 'settled', 'settled', 'bank_rejected']);
    expect(await posted(db, `in-transit/${MANAGED}`)).toBe('0.00');
    expect((await db.selectFrom('payment_block').select('settled_by_item').where('batch_id', '=', batchId).execute()).every((b) => b.settled_by_item !== null)).toBe(true);
    expect(await verifyLedger(db)).toMatchObject({ ok: true, problems: [] });
  });
});
