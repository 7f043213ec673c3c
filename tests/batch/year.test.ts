import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstOpenDueDate } from '../../src/allocation/run.js';
import { recordMachtiging, revokeMachtiging } from '../../src/clients/machtigingen.js';
import { addVersion } from '../../src/clients/obligations.js';
import { recordFollowUpPeriod } from '../../src/clients/ontzorg-periods.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { addDays, isBusinessDay } from '../../src/schedule/index.js';
import { freshPGlite } from '../support/db.js';
import { DORDRECHT_BENEFITS } from '../ingest/region.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, eur, freeOf, PAYEES, paymentsOf, reservedOf, singleAdultObligations, toeslagFor, type TestClient } from './support.js';
import type { BatchReport } from '../../src/batch/report.js';

/**
 * A year of ontzorgen for Bram, a single adult in Dordrecht without toeslagen consent (payday the 24th,
 * leefgeld every Monday, gemeente floor 50.00), March 2026 – February 2027, through the daily batch on
 * every TARGET2 business day. What happens, and what the test expects, worked out by hand:
 *
 * - bijstand 1,334.23 on the 24th (the next business day when it is not one); fixed costs rent 720, gas 55,
 *   electricity 65, water 25, premium 159 = 1,024.00 from April; leefgeld is the rest, 310.23 a cycle, spread
 *   over the Mondays one bijstand has to fund (rounded down, the cents left on the last one);
 * - the toeslagen gap: none in March and April; from May huurtoeslag 380 and zorgtoeslag 129 on the 20th,
 *   passed on the same day (rule 6, no consent);
 * - gas 55 → 70 from July (a new advance): the June cycle on pays 1,039.00 and leaves 295.23;
 * - the June vakantietoeslag (807.26) is left free: the buffer;
 * - the 56a period ends 31 August; the art. 57 decision is recorded on 20 August, from 1 September, with
 *   versions of every obligation on that basis (rule 3); until then the report lists the period (rule 2);
 * - the October bijstand comes late (Tuesday 3 November instead of Monday 26 October): the buffer reserves
 *   what it can, the November costs are in arrears on their execution day and are paid late when it arrives;
 * - Bram revokes the machtiging for Eneco on 15 November: gas and electricity are held from December (rule 4);
 * - the premium rises to 165 on 1 January 2027: the December cycle on leaves 289.23.
 */
const leefgeld = (execution: string, date: string, amount: string) => `${execution} leefgeld ${date} ${amount}`;
const costs = (execution: string, month: string, gas: string, premium: string, held: { energy: boolean } = { energy: false }) => [
  `${execution} rent ${month} 720.00`,
  `${execution} gas ${month} ${gas}${held.energy ? ' HELD' : ''}`,
  `${execution} electricity ${month} 65.00${held.energy ? ' HELD' : ''}`,
  `${execution} water ${month} 25.00`,
  `${execution} basic_health_insurance ${month} ${premium}`,
];
const passOn = (day: string) => [`${day} pass_on ${day} 380.00`, `${day} pass_on ${day} 129.00`];
const executedFrom = (lines: string[], from: string) => lines.filter((line) => line.slice(0, 10) >= from);

describe('a year in the life of a single adult without toeslagen consent [pglite]', () => {
  let handle: DatabaseHandle;
  let bram: TestClient;
  let cursor = '2026-03-02';
  const credits = new Map<string, { amount: string; from: string; name: string; text: string }[]>();
  const reports = new Map<string, BatchReport>();
  const credit = (day: string, entry: { amount: string; from: string; name: string; text: string }) => credits.set(day, [...(credits.get(day) ?? []), entry]);

  /** Every business day up to `until`: the day's bank statement is ingested, then the batch runs. */
  async function runUntil(until: string): Promise<void> {
    for (; cursor <= until; cursor = addDays(cursor, 1)) {
      if (!isBusinessDay(cursor)) continue;
      const today = credits.get(cursor);
      if (today) await bankCredits(handle.db, cursor, today);
      reports.set(cursor, (await batch(handle.db, cursor)).report);
    }
  }

  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    bram = await aClient(handle.db, { name: 'Bram Tesfaye', obligations: singleAdultObligations('2026-04-01'), machtiging: false, bijstandStart: '2026-03-01' });
    await inTransaction(handle.db, async (trx) => {
      await recordMachtiging(trx, bram.id, { documentReference: 'M-wonen', signedOn: '2026-02-20', payees: [PAYEES.rent, PAYEES.water, PAYEES.basic_health_insurance] });
      await recordMachtiging(trx, bram.id, { documentReference: 'M-energie', signedOn: '2026-02-20', payees: [PAYEES.gas] });
      // A new energy advance from July, recorded in advance: a new version, never an edit.
      await addVersion(trx, bram.obligations['gas']!, { effectiveFrom: '2026-07-01', amount: eur('70.00'), recordedBy: 'consultant' });
    });
    const paydays = ['2026-03-24', '2026-04-24', '2026-05-25', '2026-06-24', '2026-07-24', '2026-08-24', '2026-09-24', '2026-11-03', '2026-11-24', '2026-12-24', '2027-01-25'];
    paydays.forEach((day, n) => credit(day, bijstandFor(bram, '1334.23', `bijstand ${n + 1}`)));
    credit('2026-06-24', { amount: '807.26', from: DORDRECHT_BENEFITS, name: 'Gemeente Dordrecht', text: `Vakantietoeslag 2026 dossier ${bram.caseNumber}` });
    for (const day of ['2026-05-20', '2026-06-22', '2026-07-20', '2026-08-20', '2026-09-21', '2026-10-20', '2026-11-20', '2026-12-21', '2027-01-20']) {
      credit(day, toeslagFor(bram, 'HUURTOESLAG', '380.00', day.slice(0, 7)));
      credit(day, toeslagFor(bram, 'ZORGTOESLAG', '129.00', day.slice(0, 7)));
    }
  }, 120_000);
  afterAll(async () => handle.close());

  it('March–May: the first weeks without money are signalled; then 310.23 a cycle, five Mondays in March, four in April', async () => {
    await runUntil('2026-05-31');
    // The Mondays of March before the first bijstand have nothing behind them (rule 8: below the floor, signalled).
    expect(reports.get('2026-03-02')!.leefgeldBelowFloor).toBe(1);
    const lines = await paymentsOf(handle.db, bram.id);
    expect(lines).toEqual([
      // 310.23 / 5 = 62.04, 3 cents on the last; Easter (3 and 6 April closed) moves the 6 April payment to 1 April.
      leefgeld('2026-03-27', '2026-03-30', '62.04'),
      ...costs('2026-03-31', '2026-04', '55.00', '159.00'),
      leefgeld('2026-04-01', '2026-04-06', '62.04'),
      leefgeld('2026-04-10', '2026-04-13', '62.04'),
      leefgeld('2026-04-17', '2026-04-20', '62.04'),
      leefgeld('2026-04-24', '2026-04-27', '62.07'),
      // May costs are due on Friday 1 May, a TARGET2 holiday: due counts as 30 April, executed 29 April.
      ...costs('2026-04-29', '2026-05', '55.00', '159.00'),
      // 310.23 / 4 = 77.55, 3 cents on the last.
      leefgeld('2026-04-30', '2026-05-04', '77.55'),
      leefgeld('2026-05-08', '2026-05-11', '77.55'),
      leefgeld('2026-05-15', '2026-05-18', '77.55'),
      ...passOn('2026-05-20'),
      leefgeld('2026-05-22', '2026-05-25', '77.58'),
      // The May bijstand (24 May is a Sunday) came on the 25th, usable the 26th.
      ...costs('2026-05-29', '2026-06', '55.00', '159.00'),
      leefgeld('2026-05-29', '2026-06-01', '77.55'),
    ]);
    expect(await freeOf(handle.db, bram.id)).toBe(Money.parse('1334.23').minus(eur('1024.00')).minus(eur('77.55')).toString());
  });

  it('June–August: the new gas advance counts from the cycle that pays it; the vakantietoeslag stays free', async () => {
    await runUntil('2026-08-19');
    // Until the art. 57 decision is recorded, the report names the 56a period that ends on 31 August (rule 2).
    expect(reports.get('2026-08-03')!.periods).toContainEqual({ clientId: bram.id.toString(), kind: 'ends_soon', basis: 'art56a', date: '2026-08-31', days: 28 });
    await inTransaction(handle.db, async (trx) => {
      await recordFollowUpPeriod(trx, bram.id, { basis: 'art57', firstDay: '2026-09-01', lastDay: '2027-08-31', reviewDate: '2027-02-26', decisionReference: 'B57-2026-114' });
      // Rule 3: after the six months each obligation is paid only from a version resting on the new basis.
      for (const [type, obligationId] of Object.entries(bram.obligations)) {
        const amount = type === 'gas' ? '70.00' : singleAdultObligations('2026-04-01').find((o) => o.type === type)!.amount;
        const notBefore = (await firstOpenDueDate(trx, obligationId)) ?? undefined;
        await addVersion(trx, obligationId, { effectiveFrom: '2026-09-01', amount: eur(amount), basis: 'art57', recordedBy: 'consultant' }, notBefore ? { notBefore } : {});
      }
      // The insurer's premium for 2027, known since the autumn: from 1 January.
      await addVersion(trx, bram.obligations['basic_health_insurance']!, { effectiveFrom: '2027-01-01', amount: eur('165.00'), recordedBy: 'consultant' });
    });
    await runUntil('2026-08-31');
    expect(reports.get('2026-08-21')!.periods).toEqual([]);
    const lines = executedFrom(await paymentsOf(handle.db, bram.id), '2026-06-01');
    expect(lines).toEqual([
      leefgeld('2026-06-05', '2026-06-08', '77.55'),
      leefgeld('2026-06-12', '2026-06-15', '77.55'),
      leefgeld('2026-06-19', '2026-06-22', '77.58'),
      ...passOn('2026-06-22'),
      // The June cycle pays July's costs, gas 70.00: 1,334.23 − 1,039.00 = 295.23 over five Mondays = 59.04 (+3 cents).
      leefgeld('2026-06-26', '2026-06-29', '59.04'),
      ...costs('2026-06-30', '2026-07', '70.00', '159.00'),
      leefgeld('2026-07-03', '2026-07-06', '59.04'),
      leefgeld('2026-07-10', '2026-07-13', '59.04'),
      leefgeld('2026-07-17', '2026-07-20', '59.04'),
      ...passOn('2026-07-20'),
      leefgeld('2026-07-24', '2026-07-27', '59.07'),
      // 1 August is a Saturday: due counts as Friday 31 July, executed Thursday 30 July.
      ...costs('2026-07-30', '2026-08', '70.00', '159.00'),
      // 295.23 / 4 = 73.80 (+3 cents).
      leefgeld('2026-07-31', '2026-08-03', '73.80'),
      leefgeld('2026-08-07', '2026-08-10', '73.80'),
      leefgeld('2026-08-14', '2026-08-17', '73.80'),
      ...passOn('2026-08-20'),
      leefgeld('2026-08-21', '2026-08-24', '73.83'),
      leefgeld('2026-08-28', '2026-08-31', '73.80'),
      // September costs rest on art. 57 now.
      ...costs('2026-08-31', '2026-09', '70.00', '159.00'),
    ]);
    // The vakantietoeslag is the buffer: what is free after the August cycle's first Monday.
    expect(await freeOf(handle.db, bram.id)).toBe('1028.69'); // 807.26 + 295.23 − 73.80
  });

  it('October–November: a late bijstand, the buffer, arrears paid late, and a revoked machtiging holds the energy payments', async () => {
    await runUntil('2026-10-28');
    // 27 October: no bijstand. The buffer (807.26) keeps the floor for the cycle's four Mondays (4 × 50.00) and
    // reserves the rest for rent (rule 5: rent first, 607.26 of 720.00); every other November cost is short.
    expect(await freeOf(handle.db, bram.id)).toBe('200.00');
    expect(reports.get('2026-10-28')!.shortfallCount).toBe(5);
    await runUntil('2026-10-30');
    // 29 October, the execution day of the November costs: in arrears, nothing paid; the Monday gets the floor, 50.00.
    expect(reports.get('2026-10-29')!.arrearsCount).toBe(5);
    await inTransaction(handle.db, (trx) => revokeMachtiging(trx, bram.id, 'M-energie', { revokedOn: '2026-11-15', reason: 'client wants to pay Eneco himself' }));
    await runUntil('2026-12-01');
    const lines = executedFrom(await paymentsOf(handle.db, bram.id), '2026-09-01');
    expect(lines).toEqual([
      leefgeld('2026-09-04', '2026-09-07', '73.80'),
      leefgeld('2026-09-11', '2026-09-14', '73.80'),
      leefgeld('2026-09-18', '2026-09-21', '73.83'),
      ...passOn('2026-09-21'),
      leefgeld('2026-09-25', '2026-09-28', '59.04'),
      ...costs('2026-09-30', '2026-10', '70.00', '159.00'),
      leefgeld('2026-10-02', '2026-10-05', '59.04'),
      leefgeld('2026-10-09', '2026-10-12', '59.04'),
      leefgeld('2026-10-16', '2026-10-19', '59.04'),
      ...passOn('2026-10-20'),
      leefgeld('2026-10-23', '2026-10-26', '59.07'),
      leefgeld('2026-10-30', '2026-11-02', '50.00'),
      // The bijstand arrives Tuesday 3 November: the November costs go out that day, late (rule 7 signalled).
      ...costs('2026-11-03', '2026-11', '70.00', '159.00'),
      // 1,484.23 − 431.74 = 1,052.49 for three Mondays: the target (295.23 / 4 = 73.80, +3 cents) is affordable again.
      leefgeld('2026-11-06', '2026-11-09', '73.80'),
      leefgeld('2026-11-13', '2026-11-16', '73.80'),
      leefgeld('2026-11-20', '2026-11-23', '73.83'),
      ...passOn('2026-11-20'),
      // The November cycle: five Mondays (28 December is executed on the 24th, before Christmas), 295.23 / 5.
      leefgeld('2026-11-27', '2026-11-30', '59.04'),
      // Rule 4: the Eneco machtiging was revoked on 15 November: gas and electricity are held, the money stays reserved.
      ...costs('2026-11-30', '2026-12', '70.00', '159.00', { energy: true }),
    ]);
    expect(reports.get('2026-11-03')!.latePayments).toBe(5);
    // The December costs (executed 30 November) were created by the run of Friday 27 November (look-ahead one business day).
    expect(reports.get('2026-11-27')!.held.map((h) => `${h.period} ${h.amount}`)).toEqual(['2026-12 70.00', '2026-12 65.00']);
  });

  it('December–February: the new premium from January, the review of the art. 57 decision, and every euro accounted for', async () => {
    await runUntil('2027-02-19');
    const lines = executedFrom(await paymentsOf(handle.db, bram.id), '2026-12-02');
    expect(lines).toEqual([
      leefgeld('2026-12-04', '2026-12-07', '59.04'),
      leefgeld('2026-12-11', '2026-12-14', '59.04'),
      leefgeld('2026-12-18', '2026-12-21', '59.04'),
      ...passOn('2026-12-21'),
      leefgeld('2026-12-24', '2026-12-28', '59.07'),
      // 1 January is closed: January costs executed 30 December, with the 2027 premium of 165.00.
      ...costs('2026-12-30', '2027-01', '70.00', '165.00', { energy: true }),
      // The December cycle pays 1,045.00: 289.23 / 4 = 72.30 (+3 cents).
      leefgeld('2026-12-31', '2027-01-04', '72.30'),
      leefgeld('2027-01-08', '2027-01-11', '72.30'),
      leefgeld('2027-01-15', '2027-01-18', '72.30'),
      ...passOn('2027-01-20'),
      leefgeld('2027-01-22', '2027-01-25', '72.33'),
      ...costs('2027-01-29', '2027-02', '70.00', '165.00', { energy: true }),
      leefgeld('2027-01-29', '2027-02-01', '72.30'),
      leefgeld('2027-02-05', '2027-02-08', '72.30'),
      leefgeld('2027-02-12', '2027-02-15', '72.30'),
      leefgeld('2027-02-19', '2027-02-22', '72.33'),
    ]);
    // Rule 2: the art. 57 decision's review (26 February) is listed from 30 days before it.
    expect(reports.get('2027-01-27')!.periods).toContainEqual({ clientId: bram.id.toString(), kind: 'review_due', basis: 'art57', date: '2027-02-26', days: 30 });
    // Received: 11 × 1,334.23 + 807.26 + 9 × 509.00 = 20,064.79. Free: the buffer after the late month, 807.26 + 23.80
    // (the Monday of 2 November got 50.00 instead of 73.80). Every other euro is in a payment instruction, reserved.
    expect(await freeOf(handle.db, bram.id)).toBe('831.06');
    expect(await reservedOf(handle.db, bram.id)).toBe('19233.73');
    const instructed = await handle.db.selectFrom('payment_instruction').select((eb) => eb.fn.sum<string>('amount_cents').as('cents')).where('client_id', '=', bram.id).executeTakeFirstOrThrow();
    expect(Money.fromCents(BigInt(instructed.cents)).toString()).toBe('19233.73');
    // Nothing booked twice: every reservation key once, no refusal anywhere.
    const refused = await handle.db.selectFrom('ledger_transaction').select('id').where('outcome', '=', 'refused').execute();
    expect(refused).toEqual([]);
  });
});
