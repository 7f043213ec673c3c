import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BatchReport } from '../../src/batch/report.js';
import { endOntzorgen } from '../../src/clients/ontzorg-periods.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, eur, freeOf, paymentsOf, type TestClient } from './support.js';

const handedBack = (db: DatabaseHandle['db'], clientId: bigint) =>
  db.selectFrom('back_office_signal').select(['details']).where('client_id', '=', clientId).where('kind', '=', 'arrears_handed_back').orderBy('signal_key').execute();

/**
 * Rule 12 with a debt the money can never cover. Amira's bijstand ended with March (600.00 of a part month), her
 * ontzorgen on 30 April; April rent (720.00) holds 600.00 and April water (25.00) nothing. What was due before the
 * end is paid if the money is there, in the gemeente's order; what cannot be covered is handed back to her (she pays
 * it herself, the back office is told) and the rest of her money is paid to her own account, not held back forever.
 */
describe('ontzorgen ends with rent in arrears the money cannot cover [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  const reports = new Map<string, BatchReport>();
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db, { leefgeldFloor: eur('0.00') });
    amira = await aClient(handle.db, {
      obligations: [
        { type: 'rent', amount: '720.00', from: '2026-04-01', reference: 'contract 4711' },
        { type: 'water', amount: '25.00', from: '2026-04-01' },
      ],
    });
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '600.00', '2026-03')]);
    for (const day of businessDays('2026-03-24', '2026-04-20')) await batch(handle.db, day);
    await inTransaction(handle.db, (trx) => endOntzorgen(trx, amira.id, '2026-04-30', 'bijstand ended'));
    for (const day of businessDays('2026-04-21', '2026-05-08')) reports.set(day, (await batch(handle.db, day)).report);
  });
  afterAll(async () => handle.close());

  it('pays the water it can, hands the rent back, and pays the rest to her on the first business day after the end', async () => {
    const { db } = handle;
    expect(await paymentsOf(db, amira.id)).toEqual(['2026-05-04 water 2026-04 25.00', '2026-05-04 closing 2026-05-04 575.00']);
    expect(await freeOf(db, amira.id)).toBe('0.00');
    expect(await handedBack(db, amira.id)).toEqual([{ details: { obligation: amira.obligations.rent!.toString(), period: '2026-04', unpaid: '720.00', paid: '0.00' } }]);
    const report = reports.get('2026-05-04')!;
    expect(report.payments.closing).toEqual({ count: 1, total: '575.00' });
    expect(report.signals['arrears_handed_back']).toBe(1);
    expect(report.ended).toEqual([{ clientId: amira.id.toString(), handedBack: [{ obligationId: amira.obligations.rent!.toString(), type: 'rent' }, { obligationId: amira.obligations.water!.toString(), type: 'water' }] }]);
    // Later days: nothing reserved, nothing more paid, no arrears reported any more.
    expect(reports.get('2026-05-08')!.shortfalls.filter((s) => s.clientId === amira.id.toString())).toEqual([]);
    expect((await batch(db, '2026-05-08')).created).toBe(0);
  });

  it('money arriving later is hers: paid to her, never to the landlord for the rent handed back', async () => {
    const { db } = handle;
    await bankCredits(db, '2026-05-20', [bijstandFor(amira, '800.00', '2026-04')]);
    await batch(db, '2026-05-20');
    expect((await paymentsOf(db, amira.id)).slice(2)).toEqual(['2026-05-20 closing 2026-05-20 800.00']);
    expect(await freeOf(db, amira.id)).toBe('0.00');
  });
});

describe('ontzorgen ends with the rest of a rent paid in part (partial payment policy) [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db, { leefgeldFloor: eur('0.00'), partialPayment: true });
    amira = await aClient(handle.db, {
      obligations: [
        { type: 'rent', amount: '720.00', from: '2026-04-01', reference: 'contract 4711' },
        { type: 'water', amount: '25.00', from: '2026-04-01' },
      ],
    });
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '600.00', '2026-03')]);
    for (const day of businessDays('2026-03-24', '2026-04-20')) await batch(handle.db, day);
    await inTransaction(handle.db, (trx) => endOntzorgen(trx, amira.id, '2026-04-30', 'bijstand ended'));
    for (const day of businessDays('2026-04-21', '2026-05-08')) await batch(handle.db, day);
  });
  afterAll(async () => handle.close());

  it('the 600.00 paid in part stays paid; the 120.00 rest and the water are handed back; late money goes to her', async () => {
    const { db } = handle;
    expect(await paymentsOf(db, amira.id)).toEqual(['2026-03-31 rent 2026-04 600.00']);
    expect(await handedBack(db, amira.id)).toEqual([
      { details: { obligation: amira.obligations.rent!.toString(), period: '2026-04', unpaid: '120.00', paid: '600.00' } },
      { details: { obligation: amira.obligations.water!.toString(), period: '2026-04', unpaid: '25.00', paid: '0.00' } },
    ]);
    await bankCredits(db, '2026-05-20', [bijstandFor(amira, '800.00', '2026-04')]);
    await batch(db, '2026-05-20');
    expect((await paymentsOf(db, amira.id)).slice(1)).toEqual(['2026-05-20 closing 2026-05-20 800.00']);
    expect(await freeOf(db, amira.id)).toBe('0.00');
  });
});
