import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';
import { aServiceRegion, bankCredits, batch, bijstandFor, freeOf, paymentsOf, reservedOf, toeslagFor, type TestClient, aSingleAdultWithToeslagen, businessDays } from './support.js';

/**
 * A single adult in Dordrecht (payday the 24th, leefgeld every Monday), March–April 2026, with the
 * 2026 amounts of domain.md: bijstand 1,334.23, rent 720, gas 55, electricity 65, water 25, basic
 * premium 159 (fixed costs 1,024.00); huurtoeslag 380 and zorgtoeslag 129 with consent.
 */
describe('a month in the life of a single adult, through the daily batch [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    amira = await aSingleAdultWithToeslagen(handle.db);
  });
  afterAll(async () => handle.close());

  it('rule 6: on 20 March the toeslagen for April earmark April rent and premium before the bijstand is there', async () => {
    await bankCredits(handle.db, '2026-03-20', [toeslagFor(amira, 'HUURTOESLAG', '380.00', '2026-04'), toeslagFor(amira, 'ZORGTOESLAG', '129.00', '2026-04')]);
    const { report } = await batch(handle.db, '2026-03-23');
    expect(report.receipts).toEqual({ count: 2, total: '509.00', passedOnCount: 0, passedOnTotal: '0.00' });
    // Huurtoeslag to rent (380 of 720), zorgtoeslag to the premium (129 of 159): 509.00 reserved, nothing free.
    expect(await reservedOf(handle.db, amira.id)).toBe('509.00');
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
    // Monday 23 March had no bijstand behind it yet (the first months' gap): signalled, nothing paid.
    expect(report.leefgeldBelowFloor).toBe(1);
    expect(report.payments.leefgeld.count).toBe(0);
  });

  it('rules 5 and 8: the March bijstand completes the fixed costs and leaves 819.23 for five Mondays', async () => {
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03')]);
    await batch(handle.db, '2026-03-24'); // booked on the 24th's statement: not usable before the 25th
    expect(await freeOf(handle.db, amira.id)).toBe('1334.23');
    const { report } = await batch(handle.db, '2026-03-25');
    // Rent 720 − 380 = 340, premium 159 − 129 = 30, gas 55, electricity 65, water 25: 515.00 more.
    expect(await reservedOf(handle.db, amira.id)).toBe('1024.00');
    expect(await freeOf(handle.db, amira.id)).toBe('819.23');
    expect(report.shortfallCount).toBe(0);
  });

  it('pays everything on its day: 5 × leefgeld of 163.84 (the last 163.87) and the fixed costs executed on 31 March', async () => {
    for (const day of businessDays('2026-03-26', '2026-04-24')) await batch(handle.db, day);
    // 1,843.23 income − 1,024.00 costs = 819.23 over the Mondays 30 March – 27 April: 163.84 each, 3 cents on the last.
    // Rule 7 on the TARGET2 calendar: 6 April is Easter Monday and 3 April Good Friday, so that leefgeld is executed
    // on Wednesday 1 April; Koningsdag (27 April) is a SEPA business day, so that one goes on Friday 24 April.
    expect(await paymentsOf(handle.db, amira.id)).toEqual([
      '2026-03-27 leefgeld 2026-03-30 163.84',
      '2026-03-31 rent 2026-04 720.00',
      '2026-03-31 gas 2026-04 55.00',
      '2026-03-31 electricity 2026-04 65.00',
      '2026-03-31 water 2026-04 25.00',
      '2026-03-31 basic_health_insurance 2026-04 159.00',
      '2026-04-01 leefgeld 2026-04-06 163.84',
      '2026-04-10 leefgeld 2026-04-13 163.84',
      '2026-04-17 leefgeld 2026-04-20 163.84',
      '2026-04-24 leefgeld 2026-04-27 163.87',
    ]);
    expect(await freeOf(handle.db, amira.id)).toBe('0.00');
  });

  it('the April cycle has four Mondays: 204.80 each (the last 204.83); May costs executed 29 April because 1 May is closed', async () => {
    await bankCredits(handle.db, '2026-04-20', [toeslagFor(amira, 'HUURTOESLAG', '380.00', '2026-05'), toeslagFor(amira, 'ZORGTOESLAG', '129.00', '2026-05')]);
    await bankCredits(handle.db, '2026-04-24', [bijstandFor(amira, '1334.23', '2026-04')]);
    for (const day of businessDays('2026-04-24', '2026-04-30')) await batch(handle.db, day);
    const april = (await paymentsOf(handle.db, amira.id)).slice(10);
    // April bijstand usable Monday 27 April; May bijstand (24 May is a Sunday → 25 May) usable 26 May:
    // Mondays 4, 11, 18 and 25 May. 819.23 / 4 = 204.80, 3 cents on the last. 4 May is executed
    // on 30 April (1 May is a TARGET2 holiday), the May costs (due Friday 1 May, a closing day) on 29 April.
    expect(april).toEqual([
      '2026-04-29 rent 2026-05 720.00',
      '2026-04-29 gas 2026-05 55.00',
      '2026-04-29 electricity 2026-05 65.00',
      '2026-04-29 water 2026-05 25.00',
      '2026-04-29 basic_health_insurance 2026-05 159.00',
      '2026-04-30 leefgeld 2026-05-04 204.80',
    ]);
    // 1,843.23 − 1,024.00 − 204.80 stays free for the three Mondays to come.
    expect(await freeOf(handle.db, amira.id)).toBe('614.43');
  });

  it('a rerun of a day creates nothing and stores the same report', async () => {
    const before = await paymentsOf(handle.db, amira.id);
    const first = await handle.db.selectFrom('batch_run').select('report').where('run_date', '=', '2026-04-30').executeTakeFirstOrThrow();
    const again = await batch(handle.db, '2026-04-30');
    expect(again.created).toBe(0);
    expect(again.batchesCreated).toBe(0);
    expect(await paymentsOf(handle.db, amira.id)).toEqual(before);
    expect(again.report).toEqual(first.report);
  });
});
