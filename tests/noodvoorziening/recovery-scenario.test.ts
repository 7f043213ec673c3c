import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { grantsOfClient } from '../../src/noodvoorziening/index.js';
import { clientStatement, statementView } from '../../src/statements/index.js';
import { LANGUAGES } from '../../src/statements/languages.js';
import { freshPGlite } from '../support/db.js';
import { aServiceRegion, bankCredits, batch, bijstandFor, freeOf, paymentsOf, toeslagFor, type TestClient, aSingleAdultWithToeslagen, throughFirstPayday, businessDays } from '../batch/support.js';
import { aNoodvoorzieningPolicy, eur, grant, owedBy } from './support.js';

/**
 * Amira of the batch's month-in-the-life (Dordrecht, payday the 24th, leefgeld every Monday, fixed costs 1,024.00,
 * huurtoeslag 380 and zorgtoeslag 129 with consent) is short in her first weeks and gets an emergency advance of
 * 400.00 on 25 March 2026, repaid 50.00 per leefgeld payment; the gemeente lets her keep at least 150.00 per payment.
 * Without the advance her leefgeld is 163.84 a week in the March cycle (five Mondays) and 204.80 in the April and May
 * cycles (four Mondays), the last of each cycle a few cents more (tests/batch/month.test.ts).
 */
describe('rule 11: an emergency advance recovered in instalments over three months [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    await aNoodvoorzieningPolicy(handle.db);
    amira = await aSingleAdultWithToeslagen(handle.db);
    await throughFirstPayday(handle.db, amira);
  }, 120_000);
  afterAll(async () => handle.close());

  it('grants 400.00 as an advance at once (below the four-eyes threshold) and pays it to her own account today', async () => {
    const advance = await grant(handle.db, { clientId: amira.id, amount: eur('400.00'), today: '2026-03-25' });
    expect(advance).toMatchObject({ status: 'approved', kind: 'advance', fourEyes: false, decidedBy: 'operator-1' });
    expect(advance.instalment?.toString()).toBe('50.00');
    // The claim is on the advances-receivable account; her free money is what it was (819.23): the 400.00 is reserved for the payment.
    expect(await owedBy(handle.db, amira.id)).toBe('400.00');
    expect(await freeOf(handle.db, amira.id)).toBe('819.23');
    expect(await paymentsOf(handle.db, amira.id)).toContain('2026-03-25 noodvoorziening 2026-03-25 400.00');
  });

  it('in the first cycle, with 163.84 leefgeld, takes only 13.84 a week so she keeps 150.00 (the floor, not the 50.00 plan)', async () => {
    for (const day of businessDays('2026-03-26', '2026-04-24')) await batch(handle.db, day);
    const leefgeld = (await paymentsOf(handle.db, amira.id)).filter((p) => p.includes(' leefgeld '));
    // 163.84 − 150.00 = 13.84 four times, 163.87 − 150.00 = 13.87 on 27 April: 69.23 repaid.
    expect(leefgeld).toEqual([
      '2026-03-27 leefgeld 2026-03-30 150.00',
      '2026-04-01 leefgeld 2026-04-06 150.00',
      '2026-04-10 leefgeld 2026-04-13 150.00',
      '2026-04-17 leefgeld 2026-04-20 150.00',
      '2026-04-24 leefgeld 2026-04-27 150.00',
    ]);
    expect(await owedBy(handle.db, amira.id)).toBe('330.77');
    // 819.23 free went as 750.00 leefgeld and 69.23 repaid: nothing left, nothing below zero.
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
  });

  it('in the April cycle, with 204.80 leefgeld, takes the plan\'s 50.00 (154.80 paid; the last 154.83)', async () => {
    await bankCredits(handle.db, '2026-04-20', [toeslagFor(amira, 'HUURTOESLAG', '380.00', '2026-05'), toeslagFor(amira, 'ZORGTOESLAG', '129.00', '2026-05')]);
    await bankCredits(handle.db, '2026-04-24', [bijstandFor(amira, '1334.23', '2026-04')]);
    for (const day of businessDays('2026-04-27', '2026-05-22')) await batch(handle.db, day);
    const leefgeld = (await paymentsOf(handle.db, amira.id)).filter((p) => p.includes(' leefgeld ')).slice(5);
    expect(leefgeld).toEqual([
      '2026-04-30 leefgeld 2026-05-04 154.80',
      '2026-05-08 leefgeld 2026-05-11 154.80',
      '2026-05-15 leefgeld 2026-05-18 154.80',
      '2026-05-22 leefgeld 2026-05-25 154.83',
    ]);
    // 330.77 − 4 × 50.00.
    expect(await owedBy(handle.db, amira.id)).toBe('130.77');
  });

  it('a rerun of a day deducts nothing twice', async () => {
    const before = await paymentsOf(handle.db, amira.id);
    const again = await batch(handle.db, '2026-05-21');
    expect(again.created).toBe(0);
    expect(await paymentsOf(handle.db, amira.id)).toEqual(before);
    expect(await owedBy(handle.db, amira.id)).toBe('130.77');
  });

  it('every statement explains the loan in plain words with what is still owed and the instalment', async () => {
    const statement = (await clientStatement(handle.db, amira.id, { from: '2026-05-01', to: '2026-05-31', asOf: '2026-05-22' }))!;
    expect(statement.advance).toMatchObject({ grantedOn: '2026-03-25', handedOverOn: null });
    expect(statement.advance!.lent.toString()).toBe('400.00');
    expect(statement.advance!.repaid.toString()).toBe('269.23');
    expect(statement.advance!.open.toString()).toBe('130.77');
    expect(statement.advance!.instalment!.toString()).toBe('50.00');
    // Instalments of 4, 11 and 18 May were booked in May (the run days 30 April … 15 May; 30 April's in April).
    expect(statement.advance!.recoveredInPeriod.toString()).toBe('150.00');
    const nl = statementView(statement, LANGUAGES.get('nl')!);
    expect(nl.advance!.terms![0]).toContain('Dit is een lening: u betaalt het terug.');
    expect(nl.advance!.terms![0]).toMatch(/€\s?50,00/);
    const en = statementView(statement, LANGUAGES.get('en')!);
    expect(en.advance!.terms![0]).toContain('This is a loan: you pay it back.');
    for (const code of ['ar', 'ti']) expect(statementView(statement, LANGUAGES.get(code)!).advance!.terms!).toHaveLength(1);
  });

  it('in the May cycle repays the last 130.77 (50.00, 50.00, 30.77) and then pays leefgeld in full again', async () => {
    await bankCredits(handle.db, '2026-05-20', [toeslagFor(amira, 'HUURTOESLAG', '380.00', '2026-06'), toeslagFor(amira, 'ZORGTOESLAG', '129.00', '2026-06')]);
    await bankCredits(handle.db, '2026-05-25', [bijstandFor(amira, '1334.23', '2026-05')]);
    for (const day of businessDays('2026-05-25', '2026-06-19')) await batch(handle.db, day);
    const leefgeld = (await paymentsOf(handle.db, amira.id)).filter((p) => p.includes(' leefgeld ')).slice(9);
    expect(leefgeld).toEqual([
      '2026-05-29 leefgeld 2026-06-01 154.80',
      '2026-06-05 leefgeld 2026-06-08 154.80',
      '2026-06-12 leefgeld 2026-06-15 174.03',
      '2026-06-19 leefgeld 2026-06-22 204.83',
    ]);
    expect(await owedBy(handle.db, amira.id)).toBe('0.00');
    const [advance] = await grantsOfClient(handle.db, amira.id);
    expect(advance!.outstanding.toString()).toBe('0.00');
    expect(advance!.repayments.map((r) => r.amount.toString())).toEqual([
      '13.84', '13.84', '13.84', '13.84', '13.87', '50.00', '50.00', '50.00', '50.00', '50.00', '50.00', '30.77',
    ]);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
  });
});
