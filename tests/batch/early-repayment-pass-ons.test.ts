import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { updateClient } from '../../src/clients/registry.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { NoodvoorzieningError, repayEarly } from '../../src/noodvoorziening/index.js';
import { freshPGlite } from '../support/db.js';
import { aNoodvoorzieningPolicy, eur, grant, owedBy } from '../noodvoorziening/support.js';
import { CLIENT_IBAN, aClient, aServiceRegion, bankCredits, batch, bijstandFor, freeOf, paymentsOf, toeslagFor, type TestClient } from './support.js';

/**
 * Rule 6 against rule 11: a toeslag without consent is the client's money, passed on to her. While it waits (no own
 * account yet, or not yet seen by the daily batch) it sits among her free money on the managed account, but it is
 * not free for an early repayment of an emergency advance: that would spend her own money on the gemeente's claim,
 * and the pass-on could then not be paid at all.
 */
describe('an early repayment and the passed-on money waiting for the client [pglite]', () => {
  let handle: DatabaseHandle;
  let noor: TestClient;
  let advance: bigint;
  const repay = (amount: string, key: string) =>
    inTransaction(handle.db, (trx) => repayEarly(trx, { clientId: noor.id, grantId: advance, amount: eur(amount), reason: 'decision 2026-031, extra receipt', decidedBy: 'operator-1', idempotencyKey: key, today: '2026-03-24' }));
  const refused = async (run: () => Promise<unknown>) => {
    const error = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NoodvoorzieningError);
    expect((error as NoodvoorzieningError).code).toBe('repayment_not_possible');
    return error as NoodvoorzieningError;
  };
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    await aNoodvoorzieningPolicy(handle.db);
    // No own account yet, no consent for the toeslagen: the zorgtoeslag is passed on and waits.
    noor = await aClient(handle.db, { ownIban: null });
    await bankCredits(handle.db, '2026-03-20', [toeslagFor(noor, 'ZORGTOESLAG', '129.00', '2026-04')]);
    await batch(handle.db, '2026-03-23');
    // Her account is recorded; an advance of 300.00 is granted and paid to it.
    await inTransaction(handle.db, (trx) => updateClient(trx, noor.id, { ownIban: CLIENT_IBAN }));
    advance = (await grant(handle.db, { clientId: noor.id, amount: eur('300.00'), today: '2026-03-23' })).id;
  });
  afterAll(async () => handle.close());

  it('the 129.00 passed on and not yet paid cannot repay the advance; the next batch pays it to her', async () => {
    const { db } = handle;
    expect(await freeOf(db, noor.id)).toBe('129.00');
    const error = await refused(() => repay('100.00', 'early-1'));
    expect(error.message).toContain('129.00');
    expect(await owedBy(db, noor.id)).toBe('300.00');
    await batch(db, '2026-03-24');
    expect((await paymentsOf(db, noor.id)).filter((p) => p.includes('pass_on'))).toEqual(['2026-03-24 pass_on 2026-03-24 129.00']);
  });

  it('a toeslag not yet seen by the batch is hers too; the bijstand is what may repay it', async () => {
    const { db } = handle;
    await bankCredits(db, '2026-03-24', [bijstandFor(noor, '400.00', '2026-03'), toeslagFor(noor, 'HUURTOESLAG', '380.00', '2026-04')]);
    expect(await freeOf(db, noor.id)).toBe('780.00');
    await refused(() => repay('400.01', 'early-2'));
    expect((await repay('150.00', 'early-3')).outstanding.toString()).toBe('150.00');
    expect(await freeOf(db, noor.id)).toBe('630.00');
    // The next batch passes the huurtoeslag on in full.
    await batch(db, '2026-03-25');
    expect((await paymentsOf(db, noor.id)).filter((p) => p.includes('pass_on'))).toEqual(['2026-03-24 pass_on 2026-03-24 129.00', '2026-03-25 pass_on 2026-03-25 380.00']);
  });
});
