import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endOntzorgen } from '../../src/clients/ontzorg-periods.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { grantsOfClient, type OpenAdvanceAtEnd } from '../../src/noodvoorziening/index.js';
import { clientStatement, statementView } from '../../src/statements/index.js';
import { LANGUAGES } from '../../src/statements/languages.js';
import { freshPGlite } from '../support/db.js';
import { aServiceRegion, batch, freeOf, paymentsOf, type TestClient, aSingleAdultWithToeslagen, throughFirstPayday, businessDays } from '../batch/support.js';
import { aNoodvoorzieningPolicy, eur, grant, owedBy } from './support.js';

/**
 * Rule 12 with an advance still open. Amira (as in recovery-scenario.test.ts) gets 400.00 on 25 March, repaid
 * 50.00 per leefgeld but keeping 150.00: 13.84 from each of the leefgeld payments of 30 March, 6 and 13 April
 * (163.84 each), 41.52 in all, so 358.48 is still owed. Ontzorgen ends on 15 April; the leefgeld of 20 and 27 April
 * is not paid, so of the 819.23 free for the March cycle 819.23 − 3 × 163.84 = 327.71 is left for the closing.
 */
async function amiraUntilTheEnd(atEnd: OpenAdvanceAtEnd): Promise<{ handle: DatabaseHandle; amira: TestClient }> {
  const handle = await freshPGlite();
  await aServiceRegion(handle.db);
  await aNoodvoorzieningPolicy(handle.db, { openAdvanceAtEnd: atEnd });
  const amira = await aSingleAdultWithToeslagen(handle.db);
  await throughFirstPayday(handle.db, amira);
  await grant(handle.db, { clientId: amira.id, amount: eur('400.00'), today: '2026-03-25' });
  for (const day of businessDays('2026-03-26', '2026-04-14')) await batch(handle.db, day);
  await inTransaction(handle.db, (trx) => endOntzorgen(trx, amira.id, '2026-04-15', 'client moved to another gemeente'));
  for (const day of businessDays('2026-04-15', '2026-04-17')) await batch(handle.db, day);
  return { handle, amira };
}

describe('rule 12: an advance still open when ontzorgen ends, settled from the balance [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => ({ handle, amira } = await amiraUntilTheEnd('settle_from_balance')), 180_000);
  afterAll(async () => handle.close());

  it('repays 327.71 of the 358.48 from what is left, pays no closing amount, and 30.77 stays owed', async () => {
    const payments = await paymentsOf(handle.db, amira.id);
    expect(payments.filter((p) => p.includes(' leefgeld '))).toEqual([
      '2026-03-27 leefgeld 2026-03-30 150.00',
      '2026-04-01 leefgeld 2026-04-06 150.00',
      '2026-04-10 leefgeld 2026-04-13 150.00',
    ]);
    expect(payments.some((p) => p.includes(' closing '))).toBe(false);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
    expect(await owedBy(handle.db, amira.id)).toBe('30.77');
    const [advance] = await grantsOfClient(handle.db, amira.id);
    expect(advance!.repayments.map((r) => `${r.kind} ${r.amount.toString()}`)).toEqual(['instalment 13.84', 'instalment 13.84', 'instalment 13.84', 'settlement 327.71']);
    expect(advance!.handedOverOn).toBeNull();
  });

  it('the final statement shows the advance still open, in plain words', async () => {
    const statement = (await clientStatement(handle.db, amira.id, { from: '2026-04-01', to: '2026-04-30', asOf: '2026-04-17' }))!;
    expect(statement.advance!.open.toString()).toBe('30.77');
    expect(statement.advance!.repaid.toString()).toBe('369.23');
    // The batches are never released here, so every payment's money is still held, reserved: the noodvoorziening's
    // 400.00, the April costs 1,024.00 and three leefgeld payments of 150.00. Nothing is free, nothing below zero.
    expect(statement.closing.toString()).toBe('1874.00');
    expect(statement.reserved.total.toString()).toBe('1874.00');
    expect(statement.freeNow.toString()).toBe('0.00');
    expect(statementView(statement, LANGUAGES.get('en')!).advance!.terms![0]).toContain('This is a loan');
  });
});

describe('rule 12: an advance still open when ontzorgen ends, handed over as a claim [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => ({ handle, amira } = await amiraUntilTheEnd('hand_over_as_claim')), 180_000);
  afterAll(async () => handle.close());

  it('pays the 327.71 left to the client and leaves the 358.48 owed, handed over on the last day', async () => {
    const payments = await paymentsOf(handle.db, amira.id);
    expect(payments.filter((p) => p.includes(' closing '))).toEqual(['2026-04-16 closing 2026-04-16 327.71']);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
    expect(await owedBy(handle.db, amira.id)).toBe('358.48');
    const [advance] = await grantsOfClient(handle.db, amira.id);
    expect(advance!.handedOverOn).toBe('2026-04-15');
    expect(advance!.outstanding.toString()).toBe('358.48');
  });

  it('the final statement says the rest was handed over to the gemeente', async () => {
    const statement = (await clientStatement(handle.db, amira.id, { from: '2026-04-01', to: '2026-04-30', asOf: '2026-04-17' }))!;
    expect(statement.advance).toMatchObject({ handedOverOn: '2026-04-15' });
    expect(statement.advance!.open.toString()).toBe('358.48');
    const nl = statementView(statement, LANGUAGES.get('nl')!).advance!;
    expect(nl.terms!).toHaveLength(2);
    expect(nl.terms![0]).not.toContain('houden we'); // nothing is deducted any more
    expect(nl.terms![1]).toContain('De gemeente neemt contact met u op');
    expect(nl.terms![1]).toMatch(/358,48/);
  });
});
