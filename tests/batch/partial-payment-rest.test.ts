import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import type { BatchReport } from '../../src/batch/report.js';
import { Money } from '../../src/money/money.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, eur, paymentsOf, type TestClient } from './support.js';

/**
 * A gemeente that pays in part (`partialPayment: true`): April rent of 720.00 with only 500.00 there on its execution
 * day goes out as 500.00. The 220.00 still owed for April is the same period's debt: it stays in the report as
 * arrears until money comes, is then reserved before anything else of its rank and paid as a second payment for
 * April, under its own key; never twice, never more than 720.00 for the month in all.
 */
describe('rent paid in part, the rest paid when money comes [pglite]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  const reports = new Map<string, BatchReport>();
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db, { partialPayment: true, leefgeldFloor: eur('0.00') });
    amira = await aClient(handle.db, { obligations: [{ type: 'rent', amount: '720.00', from: '2026-04-01', reference: 'contract 4711' }] });
    // A part month of bijstand in March: 500.00.
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '500.00', '2026-03')]);
    for (const day of businessDays('2026-03-24', '2026-04-23')) reports.set(day, (await batch(handle.db, day)).report);
  });
  afterAll(async () => handle.close());

  const aprilRent = () =>
    handle.db
      .selectFrom('payment_instruction')
      .select(['idempotency_key', 'amount_cents', 'execution_date', 'reservation_key'])
      .where('client_id', '=', amira.id)
      .where('obligation_id', '=', amira.obligations.rent!)
      .where('period', '=', '2026-04')
      .orderBy('id')
      .execute();

  it('500.00 goes out on the execution day; the 220.00 rest stays in the report as arrears while there is no money', async () => {
    expect(await paymentsOf(handle.db, amira.id)).toEqual(['2026-03-31 rent 2026-04 500.00']);
    const line = reports.get('2026-04-23')!.shortfalls.find((s) => s.clientId === amira.id.toString() && s.period === '2026-04');
    expect(line).toMatchObject({ type: 'rent', state: 'arrears', missing: '220.00' });
  });

  it('the April bijstand arrives: the 220.00 rest is reserved and paid as a second April payment with its own key, once', async () => {
    const { db } = handle;
    await bankCredits(db, '2026-04-24', [bijstandFor(amira, '1334.23', '2026-04')]);
    for (const day of businessDays('2026-04-24', '2026-04-30')) await batch(db, day);
    const april = await aprilRent();
    expect(april.map((p) => [p.idempotency_key, Money.fromCents(p.amount_cents).toString(), p.execution_date])).toEqual([
      [`pay/${amira.id}/${amira.obligations.rent}/2026-04`, '500.00', '2026-03-31'],
      [`pay/${amira.id}/${amira.obligations.rent}/2026-04/part-2`, '220.00', '2026-04-24'],
    ]);
    // Each payment pays from its own reservation.
    expect(new Set(april.map((p) => p.reservation_key)).size).toBe(2);
    // 720.00 for April in all; May's 720.00 in full, executed 29 April (1 May is a TARGET2 holiday).
    expect((await paymentsOf(db, amira.id)).filter((p) => p.includes(' rent '))).toEqual([
      '2026-03-31 rent 2026-04 500.00',
      '2026-04-24 rent 2026-04 220.00',
      '2026-04-29 rent 2026-05 720.00',
    ]);
    const report = (await batch(db, '2026-04-30')).report;
    expect(report.shortfalls.filter((s) => s.clientId === amira.id.toString())).toEqual([]);
  });

  it('reruns and later days pay nothing more for April', async () => {
    const { db } = handle;
    const before = await paymentsOf(db, amira.id);
    expect((await batch(db, '2026-04-30')).created).toBe(0);
    for (const day of businessDays('2026-05-04', '2026-05-08')) await batch(db, day);
    expect((await aprilRent()).length).toBe(2);
    expect((await paymentsOf(db, amira.id)).filter((p) => p.includes(' rent '))).toEqual(before.filter((p) => p.includes(' rent ')));
    // Nothing more held back for April: its reservations are paid out (scheduled), none is open.
    const april = await db.selectFrom('allocation_reservation').select(['amount_cents', 'status']).where('client_id', '=', amira.id).where('period_key', '=', '2026-04').orderBy('seq').execute();
    expect(april.map((r) => [Money.fromCents(r.amount_cents).toString(), r.status])).toEqual([
      ['500.00', 'scheduled'],
      ['220.00', 'scheduled'],
    ]);
  });
});
