import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, freeOf, paymentsOf, singleAdultObligations, type TestClient } from '../batch/support.js';
import { decide, revoke, runDays, setAsideOf } from './support.js';

/**
 * Maatwerk over several months, through the daily batch on the real (embedded) database. The single adult of
 * domain.md in Dordrecht (payday the 24th, leefgeld every Monday, the gemeente's rule "income minus
 * obligations"), without toeslagen consent: bijstand 1,334.23 a month; rent 720, gas 55, electricity 65,
 * water 25, basic premium 159 (1,024.00), all due on the 1st. Every payment and balance below is worked out
 * by hand in the comments.
 *
 * The months as the calendar makes them (TARGET2, lead one business day):
 * - March bijstand (24 March) lasts to 27 April: Mondays 30 March – 27 April (5). 310.23 / 5 = 62.04, last 62.07.
 * - April bijstand (24 April, usable 27 April) lasts to 26 May: Mondays 4, 11, 18, 25 May (4).
 *   May costs are due Friday 1 May, a TARGET2 holiday: executed 29 April; leefgeld of 4 May on 30 April.
 * - May bijstand (24 May is a Sunday: 25 May, usable 26 May) lasts to 25 June: Mondays 1, 8, 15, 22 June (4).
 *   June costs due Monday 1 June, executed Friday 29 May.
 */
const MARCH_AND_APRIL = [
  '2026-03-27 leefgeld 2026-03-30 62.04',
  '2026-03-31 rent 2026-04 720.00',
  '2026-03-31 gas 2026-04 55.00',
  '2026-03-31 electricity 2026-04 65.00',
  '2026-03-31 water 2026-04 25.00',
  '2026-03-31 basic_health_insurance 2026-04 159.00',
  '2026-04-01 leefgeld 2026-04-06 62.04',
  '2026-04-10 leefgeld 2026-04-13 62.04',
  '2026-04-17 leefgeld 2026-04-20 62.04',
  '2026-04-24 leefgeld 2026-04-27 62.07',
];

async function aMarchAndApril(handle: DatabaseHandle): Promise<TestClient> {
  await aServiceRegion(handle.db);
  const client = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
  await bankCredits(handle.db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
  await runDays(handle.db, '2026-03-24', '2026-04-23');
  await bankCredits(handle.db, '2026-04-24', [bijstandFor(client, '1334.23', '2026-04')]);
  await runDays(handle.db, '2026-04-24', '2026-04-27');
  return client;
}

describe('maatwerk: a partial opt-out keeping only rent [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    amira = await aMarchAndApril(handle);
  });
  afterAll(async () => handle.close());

  it('before the decision, the April bijstand reserved all of May: 1,024.00 reserved, 310.23 free', async () => {
    expect(await setAsideOf(handle.db, amira.id)).toBe('1024.00');
    expect(await freeOf(handle.db, amira.id)).toBe('310.23');
  });

  it('rule 10: from 28 April only rent is withheld; May energy, water and premium (304.00) go back to the client\'s free money', async () => {
    await decide(handle.db, amira.id, '2026-04-27', { scope: 'partial', kept: [amira.obligations.rent!.toString()], effectiveDate: '2026-04-28', reasonCategory: 'own_account_automatic_payments' });
    await runDays(handle.db, '2026-04-28', '2026-04-28');
    // 55 + 65 + 25 + 159 = 304.00 released: 310.23 + 304.00 = 614.23 free. Rent, executed tomorrow, is instructed
    // from its reservation today (the look-ahead), so nothing is left merely set aside.
    expect(await freeOf(handle.db, amira.id)).toBe('614.23');
    expect(await setAsideOf(handle.db, amira.id)).toBe('0.00');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length)).toEqual(['2026-04-29 rent 2026-05 720.00']);
    const released = await handle.db.selectFrom('back_office_signal').select('message').where('client_id', '=', amira.id).where('kind', '=', 'reservation_released').execute();
    expect(released).toHaveLength(4);
    for (const { message } of released) expect(message).toContain('handed over to the client by a maatwerk decision');
  });

  it('the released money becomes leefgeld: 1,334.23 − 720.00 = 614.23 over four Mondays, 153.55 each (the last 153.58)', async () => {
    await runDays(handle.db, '2026-04-29', '2026-05-22');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length)).toEqual([
      '2026-04-29 rent 2026-05 720.00',
      '2026-04-30 leefgeld 2026-05-04 153.55',
      '2026-05-08 leefgeld 2026-05-11 153.55',
      '2026-05-15 leefgeld 2026-05-18 153.55',
      '2026-05-22 leefgeld 2026-05-25 153.58',
    ]);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
    expect(await setAsideOf(handle.db, amira.id)).toBe('0.00');
  });

  it('the May bijstand pays June rent only, and 614.23 leefgeld over the four June Mondays', async () => {
    await bankCredits(handle.db, '2026-05-25', [bijstandFor(amira, '1334.23', '2026-05')]);
    await runDays(handle.db, '2026-05-25', '2026-06-19');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length + 5)).toEqual([
      '2026-05-29 rent 2026-06 720.00',
      '2026-05-29 leefgeld 2026-06-01 153.55',
      '2026-06-05 leefgeld 2026-06-08 153.55',
      '2026-06-12 leefgeld 2026-06-15 153.55',
      '2026-06-19 leefgeld 2026-06-22 153.58',
    ]);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
  });

  it('history is never rewritten: March and April were paid as they were', async () => {
    expect((await paymentsOf(handle.db, amira.id)).slice(0, MARCH_AND_APRIL.length)).toEqual(MARCH_AND_APRIL);
  });
});

describe('maatwerk: a full opt-out in the middle of May, revoked in June [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    amira = await aMarchAndApril(handle);
  });
  afterAll(async () => handle.close());

  it('until the decision the April bijstand is withheld as usual: May costs 1,024.00, leefgeld 310.23 / 4 = 77.55', async () => {
    await runDays(handle.db, '2026-04-28', '2026-05-12');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length)).toEqual([
      '2026-04-29 rent 2026-05 720.00',
      '2026-04-29 gas 2026-05 55.00',
      '2026-04-29 electricity 2026-05 65.00',
      '2026-04-29 water 2026-05 25.00',
      '2026-04-29 basic_health_insurance 2026-05 159.00',
      '2026-04-30 leefgeld 2026-05-04 77.55',
      '2026-05-08 leefgeld 2026-05-11 77.55',
    ]);
    // 310.23 − 2 × 77.55 = 155.13 left for the Mondays 18 and 25 May.
    expect(await freeOf(handle.db, amira.id)).toBe('155.13');
  });

  it('from Wednesday 13 May nothing is withheld: the 155.13 left is paid to the client that day, no more leefgeld schedule', async () => {
    await decide(handle.db, amira.id, '2026-05-13', { scope: 'full_opt_out', effectiveDate: '2026-05-13', reasonCategory: 'counter_productive' });
    await runDays(handle.db, '2026-05-13', '2026-05-22');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length + 7)).toEqual(['2026-05-13 pass_on 2026-05-13 155.13']);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
  });

  it('the May bijstand is passed on whole the day it is seen; June costs are the client\'s: nothing reserved, nothing paid', async () => {
    await bankCredits(handle.db, '2026-05-25', [bijstandFor(amira, '1334.23', '2026-05')]);
    await runDays(handle.db, '2026-05-25', '2026-06-19');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length + 8)).toEqual(['2026-05-25 pass_on 2026-05-25 1334.23']);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
    expect(await setAsideOf(handle.db, amira.id)).toBe('0.00');
  });

  it('a full opt-out is not the end of ontzorgen (rule 12): the period and its basis stay', async () => {
    const client = await handle.db.selectFrom('client').select('ontzorgen_ended_on').where('id', '=', amira.id).executeTakeFirstOrThrow();
    expect(client.ontzorgen_ended_on).toBeNull();
    const periods = await handle.db.selectFrom('ontzorg_period').select(['basis', 'last_day', 'ended_early_on']).where('client_id', '=', amira.id).execute();
    expect(periods).toEqual([{ basis: 'art56a', last_day: '2026-08-31', ended_early_on: null }]);
  });

  it('revoked from 22 June, withholding resumes with the June bijstand: July costs 1,024.00, leefgeld 310.23 / 5 = 62.04 (the last 62.07)', async () => {
    const [decision] = (await handle.db.selectFrom('maatwerk_decision').select('id').where('client_id', '=', amira.id).execute()).map((r) => r.id.toString());
    await revoke(handle.db, amira.id, decision!, '2026-06-19', '2026-06-22');
    await runDays(handle.db, '2026-06-22', '2026-06-23');
    await bankCredits(handle.db, '2026-06-24', [bijstandFor(amira, '1334.23', '2026-06')]);
    await runDays(handle.db, '2026-06-24', '2026-07-24');
    // June bijstand usable Thursday 25 June, July bijstand Monday 27 July: Mondays 29 June – 27 July (5).
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length + 9)).toEqual([
      '2026-06-26 leefgeld 2026-06-29 62.04',
      '2026-06-30 rent 2026-07 720.00',
      '2026-06-30 gas 2026-07 55.00',
      '2026-06-30 electricity 2026-07 65.00',
      '2026-06-30 water 2026-07 25.00',
      '2026-06-30 basic_health_insurance 2026-07 159.00',
      '2026-07-03 leefgeld 2026-07-06 62.04',
      '2026-07-10 leefgeld 2026-07-13 62.04',
      '2026-07-17 leefgeld 2026-07-20 62.04',
      '2026-07-24 leefgeld 2026-07-27 62.07',
    ]);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
  });
});

describe('maatwerk: a graduated hand-over plan over four months [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    amira = await aMarchAndApril(handle);
  });
  afterAll(async () => handle.close());

  it('energy from June, the premium from July, water from August; rent stays withheld; each month the handed-over amount becomes leefgeld', async () => {
    const o = amira.obligations;
    await decide(handle.db, amira.id, '2026-04-27', {
      scope: 'hand_over_plan',
      effectiveDate: '2026-04-28',
      reasonCategory: 'learning_to_pay',
      handOver: [
        { obligationId: o.gas!.toString(), on: '2026-06-01' },
        { obligationId: o.electricity!.toString(), on: '2026-06-01' },
        { obligationId: o.basic_health_insurance!.toString(), on: '2026-07-01' },
        { obligationId: o.water!.toString(), on: '2026-08-01' },
      ],
    });
    await runDays(handle.db, '2026-04-28', '2026-05-22');
    await bankCredits(handle.db, '2026-05-25', [bijstandFor(amira, '1334.23', '2026-05')]);
    await runDays(handle.db, '2026-05-25', '2026-06-23');
    await bankCredits(handle.db, '2026-06-24', [bijstandFor(amira, '1334.23', '2026-06')]);
    await runDays(handle.db, '2026-06-24', '2026-07-23');
    await bankCredits(handle.db, '2026-07-24', [bijstandFor(amira, '1334.23', '2026-07')]);
    await runDays(handle.db, '2026-07-24', '2026-08-21');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length)).toEqual([
      // May: everything still withheld. 1,334.23 − 1,024.00 = 310.23 over 4 Mondays: 77.55, the last 77.58.
      '2026-04-29 rent 2026-05 720.00',
      '2026-04-29 gas 2026-05 55.00',
      '2026-04-29 electricity 2026-05 65.00',
      '2026-04-29 water 2026-05 25.00',
      '2026-04-29 basic_health_insurance 2026-05 159.00',
      '2026-04-30 leefgeld 2026-05-04 77.55',
      '2026-05-08 leefgeld 2026-05-11 77.55',
      '2026-05-15 leefgeld 2026-05-18 77.55',
      '2026-05-22 leefgeld 2026-05-25 77.58',
      // June: energy handed over. 1,334.23 − 904.00 = 430.23 over 4 Mondays: 107.55, the last 107.58.
      '2026-05-29 rent 2026-06 720.00',
      '2026-05-29 water 2026-06 25.00',
      '2026-05-29 basic_health_insurance 2026-06 159.00',
      '2026-05-29 leefgeld 2026-06-01 107.55',
      '2026-06-05 leefgeld 2026-06-08 107.55',
      '2026-06-12 leefgeld 2026-06-15 107.55',
      '2026-06-19 leefgeld 2026-06-22 107.58',
      // July: the premium too. 1,334.23 − 745.00 = 589.23 over 5 Mondays (29 June – 27 July): 117.84, the last 117.87.
      '2026-06-26 leefgeld 2026-06-29 117.84',
      '2026-06-30 rent 2026-07 720.00',
      '2026-06-30 water 2026-07 25.00',
      '2026-07-03 leefgeld 2026-07-06 117.84',
      '2026-07-10 leefgeld 2026-07-13 117.84',
      '2026-07-17 leefgeld 2026-07-20 117.84',
      '2026-07-24 leefgeld 2026-07-27 117.87',
      // August: water too, only rent left. 1,334.23 − 720.00 = 614.23 over 4 Mondays: 153.55, the last 153.58.
      // 1 August is a Saturday: rent must arrive by Friday 31 July, so it is executed on Thursday 30 July.
      '2026-07-30 rent 2026-08 720.00',
      '2026-07-31 leefgeld 2026-08-03 153.55',
      '2026-08-07 leefgeld 2026-08-10 153.55',
      '2026-08-14 leefgeld 2026-08-17 153.55',
      '2026-08-21 leefgeld 2026-08-24 153.58',
    ]);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
    expect(await setAsideOf(handle.db, amira.id)).toBe('0.00');
  });
});

describe('maatwerk: money already reserved is paid as planned when the decision says so [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    amira = await aMarchAndApril(handle);
  });
  afterAll(async () => handle.close());

  it('pay_all_reserved: May energy, water and premium, reserved before the decision, are still paid; nothing is reserved for them after', async () => {
    await decide(handle.db, amira.id, '2026-04-27', { scope: 'partial', kept: [amira.obligations.rent!.toString()], effectiveDate: '2026-04-28', reservedMoney: 'pay_all_reserved' });
    await runDays(handle.db, '2026-04-28', '2026-05-22');
    await bankCredits(handle.db, '2026-05-25', [bijstandFor(amira, '1334.23', '2026-05')]);
    await runDays(handle.db, '2026-05-25', '2026-05-29');
    expect((await paymentsOf(handle.db, amira.id)).slice(MARCH_AND_APRIL.length)).toEqual([
      '2026-04-29 rent 2026-05 720.00',
      '2026-04-29 gas 2026-05 55.00',
      '2026-04-29 electricity 2026-05 65.00',
      '2026-04-29 water 2026-05 25.00',
      '2026-04-29 basic_health_insurance 2026-05 159.00',
      // The target counts only rent now (614.23 / 4 = 153.55), but rule 8 pays no more than an even share of
      // what is free: 310.23 / 4 = 77.55; then 232.68 / 3 = 77.56; 155.12 / 2 = 77.56; 77.56.
      '2026-04-30 leefgeld 2026-05-04 77.55',
      '2026-05-08 leefgeld 2026-05-11 77.56',
      '2026-05-15 leefgeld 2026-05-18 77.56',
      '2026-05-22 leefgeld 2026-05-25 77.56',
      // June: only rent; 614.23 for four Mondays.
      '2026-05-29 rent 2026-06 720.00',
      '2026-05-29 leefgeld 2026-06-01 153.55',
    ]);
    // 1,334.23 − 720.00 − 153.55 = 460.68 free for the three Mondays to come.
    expect(await freeOf(handle.db, amira.id)).toBe('460.68');
  });
});
