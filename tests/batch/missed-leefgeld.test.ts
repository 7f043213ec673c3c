import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, paymentsOf, singleAdultObligations, type TestClient } from './support.js';

const leefgeldOf = async (db: DatabaseHandle['db'], clientId: bigint) => (await paymentsOf(db, clientId)).filter((line) => line.includes(' leefgeld '));
const lateSignals = (db: DatabaseHandle['db'], clientId: bigint) =>
  db.selectFrom('back_office_signal').select(['kind', 'details']).where('client_id', '=', clientId).where('kind', '=', 'leefgeld_paid_late').execute();
const scheduledLeefgeld = (db: DatabaseHandle['db'], clientId: bigint, date: string) =>
  db.selectFrom('scheduled_payment').select(['execution_date', 'late', 'run_date', 'amount_cents']).where('client_id', '=', clientId).where('kind', '=', 'leefgeld').where('pay_date', '=', date).executeTakeFirst();

/**
 * Leefgeld of a date whose runs did not happen (the worker was down from Thursday 9 to Wednesday 15 April 2026):
 * no run's look-ahead ever covered Monday 13 April (executed Friday 10 April), and by the next run, Thursday 16
 * April, the date has passed. It is the client's food money: paid on the day the batch runs again, late. A date a
 * run did see but could not pay (the bijstand was not there yet) is not made up from money that arrived since.
 */
describe('leefgeld of a date the batch did not run for [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  let bilal: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    amira = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    bilal = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    // Amira's March bijstand arrives on the payday; Bilal's only on 14 April (a late decision), during the outage.
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03')]);
    for (const day of businessDays('2026-03-24', '2026-04-08')) await batch(handle.db, day);
    await bankCredits(handle.db, '2026-04-14', [bijstandFor(bilal, '1334.23', '2026-03')]);
  });
  afterAll(async () => handle.close());

  it('the batch runs again on 16 April: the missed leefgeld of 13 April is instructed, late, executed that day; once', async () => {
    const { db } = handle;
    const { report } = await batch(db, '2026-04-16');
    // Amira: 1,334.23 − 1,024.00 = 310.23 over the five Mondays of the March cycle, 62.04 each (the last 62.07).
    expect(await leefgeldOf(db, amira.id)).toEqual([
      '2026-03-27 leefgeld 2026-03-30 62.04',
      '2026-04-01 leefgeld 2026-04-06 62.04',
      '2026-04-16 leefgeld 2026-04-13 62.04',
      '2026-04-17 leefgeld 2026-04-20 62.04',
    ]);
    expect(await scheduledLeefgeld(db, amira.id, '2026-04-13')).toMatchObject({ execution_date: '2026-04-16', late: true, run_date: '2026-04-16' });
    expect(await lateSignals(db, amira.id)).toEqual([{ kind: 'leefgeld_paid_late', details: expect.objectContaining({ dates: '2026-04-13' }) }]);
    // Both clients' 13 April leefgeld is late (Bilal's rent and costs of April too: they were in arrears).
    expect(report.latePayments).toBeGreaterThanOrEqual(2);
    expect(report.signals['leefgeld_paid_late']).toBe(2);
    // A rerun of the day makes nothing new.
    const again = await batch(db, '2026-04-16');
    expect(again.created).toBe(0);
    expect(await leefgeldOf(db, amira.id)).toHaveLength(4);
  });

  it('a date a completed run saw but could not fund is still not made up; the missed one is, from what there is', async () => {
    const { db } = handle;
    // Bilal had nothing on 30 March and 6 April: the runs saw those dates (leefgeld below the floor), so they stay
    // unpaid. 13 April no run saw: paid now. His 310.23 after April's costs funds 13, 20 and 27 April (103.41 each is
    // more than the rule's 62.04: the target, not more).
    expect(await leefgeldOf(db, bilal.id)).toEqual(['2026-04-16 leefgeld 2026-04-13 62.04', '2026-04-17 leefgeld 2026-04-20 62.04']);
    expect(await scheduledLeefgeld(db, bilal.id, '2026-03-30')).toBeUndefined();
    expect(await scheduledLeefgeld(db, bilal.id, '2026-04-06')).toBeUndefined();
  });
});

describe('the first run ever of a gemeente [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
  });
  afterAll(async () => handle.close());

  it('makes nothing up: there was no earlier run whose window could have missed a date', async () => {
    const { db } = handle;
    const amira = await aClient(db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03')]);
    await batch(db, '2026-04-01');
    // 30 March (executed 27 March) passed before the first run: not paid; 6 April (Easter Monday, executed 1 April) is.
    expect(await leefgeldOf(db, amira.id)).toEqual(['2026-04-01 leefgeld 2026-04-06 62.04']);
    expect(await lateSignals(db, amira.id)).toEqual([]);
  });
});
