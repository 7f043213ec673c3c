import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endOntzorgen } from '../../src/clients/ontzorg-periods.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, freeOf, paymentsOf, singleAdultObligations, toeslagFor, type TestClient } from './support.js';

/**
 * Rule 12 long after the end. The daily batch looks at clients whose ontzorgen ended in the last 92 days (it must
 * not walk every client that ever left). Money that arrives later still lands on the client's free money (a
 * bijstand back-payment, a toeslag): it is the client's, so it is paid to the client's own account, or, with none
 * recorded, the back office is told. Never left unseen on the managed account.
 */
describe('money arriving more than 92 days after ontzorgen ended [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  let noor: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    amira = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    noor = await aClient(handle.db, { ownIban: null, obligations: singleAdultObligations('2026-04-01') });
    await inTransaction(handle.db, async (trx) => {
      await endOntzorgen(trx, amira.id, '2026-03-31', 'moved to another gemeente');
      await endOntzorgen(trx, noor.id, '2026-03-31', 'moved to another gemeente');
    });
    await batch(handle.db, '2026-04-01');
  });
  afterAll(async () => handle.close());

  it('a bijstand back-payment and a toeslag on 10 August (131 days after the end) are paid to her own account', async () => {
    const { db } = handle;
    await bankCredits(db, '2026-08-10', [bijstandFor(amira, '250.00', '2026-03'), toeslagFor(amira, 'ZORGTOESLAG', '129.00', '2026-04')]);
    expect(await freeOf(db, amira.id)).toBe('379.00');
    const { report } = await batch(db, '2026-08-10');
    expect(await paymentsOf(db, amira.id)).toEqual(['2026-08-10 pass_on 2026-08-10 129.00', '2026-08-10 closing 2026-08-10 250.00']);
    expect(report.payments.closing).toEqual({ count: 1, total: '250.00' });
    expect(report.receipts).toMatchObject({ count: 2, total: '379.00', passedOnCount: 1 });
    expect(await freeOf(db, amira.id)).toBe('0.00');
    // A rerun pays nothing twice; the next day she is not looked at again (nothing of hers waits).
    expect((await batch(db, '2026-08-10')).created).toBe(0);
    expect((await batch(db, '2026-08-11')).report.clients).toBe(0);
  });

  it('with no own account recorded, the back office is told what waits', async () => {
    const { db } = handle;
    await bankCredits(db, '2026-08-12', [bijstandFor(noor, '250.00', '2026-03')]);
    const { report } = await batch(db, '2026-08-12');
    expect(await paymentsOf(db, noor.id)).toEqual([]);
    const signals = await db.selectFrom('back_office_signal').select(['kind', 'details']).where('client_id', '=', noor.id).where('kind', '=', 'no_own_iban').execute();
    expect(signals).toEqual([{ kind: 'no_own_iban', details: expect.objectContaining({ amount: '250.00' }) }]);
    expect(report.signals['no_own_iban']).toBe(1);
    expect(await freeOf(db, noor.id)).toBe('250.00');
  });
});
