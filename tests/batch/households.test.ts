import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endOntzorgen } from '../../src/clients/ontzorg-periods.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { addDays, isBusinessDay } from '../../src/schedule/index.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, eur, freeOf, paymentsOf, reservedOf, singleAdultObligations, toeslagFor, type TestClient } from './support.js';
import { TOESLAGEN } from '../ingest/region.js';
import type { BatchReport } from '../../src/batch/report.js';

async function runDays(db: DatabaseHandle['db'], from: string, to: string, reports?: Map<string, BatchReport>): Promise<void> {
  for (let d = from; d <= to; d = addDays(d, 1)) {
    if (!isBusinessDay(d)) continue;
    const { report } = await batch(db, d);
    reports?.set(d, report);
  }
}

/**
 * Two more households of domain.md in March–April 2026 (payday the 24th), and a client whose ontzorgen ends.
 * - A couple with two children, with toeslagen consent: bijstand 1,906.03 (the 2,002.13 norm less 4.8 %
 *   vakantietoeslag), huurtoeslag 350, zorgtoeslag 246, kindgebonden budget 180; rent 850, gas 70, electricity
 *   85, water 35, two basic premiums of 159 (1,358.00). Leefgeld: 2,682.03 − 1,358.00 = 1,324.03 a cycle.
 * - A single parent without consent, leefgeld every other Friday from 3 April: bijstand 1,334.23; rent 650,
 *   gas 50, electricity 60, water 25, premium 159 (944.00); the toeslagen (340, 129, 250) are passed on.
 */
describe('a couple with children and a single parent [pglite]', () => {
  let handle: DatabaseHandle;
  let couple: TestClient;
  let parent: TestClient;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    couple = await aClient(handle.db, {
      name: 'Yonas and Selam Gebru',
      householdType: 'couple_with_children',
      toeslagenConsentReference: 'consent 2026-02-18',
      expectedIncome: [
        { classification: 'bijstand', monthly: eur('1906.03') },
        { classification: 'huurtoeslag', monthly: eur('350.00') },
        { classification: 'zorgtoeslag', monthly: eur('246.00') },
        { classification: 'kindgebonden_budget', monthly: eur('180.00') },
      ],
      obligations: [
        { type: 'rent', amount: '850.00', from: '2026-04-01', reference: 'huurcontract 88-12' },
        { type: 'gas', amount: '70.00', from: '2026-04-01' },
        { type: 'electricity', amount: '85.00', from: '2026-04-01' },
        { type: 'water', amount: '35.00', from: '2026-04-01' },
        { type: 'basic_health_insurance', amount: '159.00', from: '2026-04-01', reference: 'polis 1001' },
        { type: 'basic_health_insurance', amount: '159.00', from: '2026-04-01', reference: 'polis 1002' },
      ],
    });
    parent = await aClient(handle.db, {
      name: 'Hiwet Kidane',
      householdType: 'single_parent',
      leefgeldRhythm: { kind: 'biweekly', firstDate: '2026-04-03' },
      obligations: [
        { type: 'rent', amount: '650.00', from: '2026-04-01' },
        { type: 'gas', amount: '50.00', from: '2026-04-01' },
        { type: 'electricity', amount: '60.00', from: '2026-04-01' },
        { type: 'water', amount: '25.00', from: '2026-04-01' },
        { type: 'basic_health_insurance', amount: '159.00', from: '2026-04-01' },
      ],
    });
  });
  afterAll(async () => handle.close());

  it('rule 6: with consent the toeslagen earmark rent and both premiums; without, they go to the single parent the same day', async () => {
    const kgb = (client: TestClient, amount: string) => ({ amount, from: TOESLAGEN, name: 'Belastingdienst Toeslagen', text: `KINDGEBONDEN BUDGET 2026-04 ${client.toeslagenReference}` });
    await bankCredits(handle.db, '2026-03-20', [
      toeslagFor(couple, 'HUURTOESLAG', '350.00', '2026-04'),
      toeslagFor(couple, 'ZORGTOESLAG', '246.00', '2026-04'),
      kgb(couple, '180.00'),
      toeslagFor(parent, 'HUURTOESLAG', '340.00', '2026-04'),
      toeslagFor(parent, 'ZORGTOESLAG', '129.00', '2026-04'),
      kgb(parent, '250.00'),
    ]);
    await runDays(handle.db, '2026-03-20', '2026-03-23');
    // Couple: 350 → rent, 246 → first premium 159 and second 87. The kindgebonden budget (180, consented) is free money
    // of the cycle still running, whose bijstand the household did not have: it becomes Monday 23 March's leefgeld.
    expect(await reservedOf(handle.db, couple.id)).toBe('776.00');
    expect(await paymentsOf(handle.db, couple.id)).toEqual(['2026-03-20 leefgeld 2026-03-23 180.00']);
    expect(await freeOf(handle.db, couple.id)).toBe('0.00');
    expect(await paymentsOf(handle.db, parent.id)).toEqual(['2026-03-20 pass_on 2026-03-20 340.00', '2026-03-20 pass_on 2026-03-20 250.00', '2026-03-20 pass_on 2026-03-20 129.00']);
    expect(await freeOf(handle.db, parent.id)).toBe('0.00');
  });

  it('pays March–April for both, computed by hand', async () => {
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(couple, '1906.03', '2026-03'), bijstandFor(parent, '1334.23', '2026-03')]);
    await runDays(handle.db, '2026-03-24', '2026-04-24');
    // The rule's target is 2,682.03 − 1,358.00 = 1,324.03 over five Mondays, 264.80; but March's kindgebonden budget
    // was 23 March's leefgeld, so the cycle has 1,906.03 − 762.00 (rent 500, gas 70, electricity 85, water 35, second
    // premium 72) = 1,144.03. Rule 8: never more than an even share of what is left: 1,144.03 / 5 = 228.80,
    // 915.23 / 4 = 228.80, 686.43 / 3 = 228.81, 457.62 / 2 = 228.81, the last 228.81. Easter moves 6 April to 1 April.
    expect((await paymentsOf(handle.db, couple.id)).slice(1)).toEqual([
      '2026-03-27 leefgeld 2026-03-30 228.80',
      '2026-03-31 rent 2026-04 850.00',
      '2026-03-31 gas 2026-04 70.00',
      '2026-03-31 electricity 2026-04 85.00',
      '2026-03-31 water 2026-04 35.00',
      '2026-03-31 basic_health_insurance 2026-04 159.00',
      '2026-03-31 basic_health_insurance 2026-04 159.00',
      '2026-04-01 leefgeld 2026-04-06 228.80',
      '2026-04-10 leefgeld 2026-04-13 228.81',
      '2026-04-17 leefgeld 2026-04-20 228.81',
      '2026-04-24 leefgeld 2026-04-27 228.81',
    ]);
    // 1,334.23 − 944.00 = 390.23 over the two Fridays of the cycle: 3 April (Good Friday: executed 1 April) and
    // 17 April; 1 May (executed 29 April) belongs to the April bijstand.
    expect((await paymentsOf(handle.db, parent.id)).slice(3)).toEqual([
      '2026-03-31 rent 2026-04 650.00',
      '2026-03-31 gas 2026-04 50.00',
      '2026-03-31 electricity 2026-04 60.00',
      '2026-03-31 water 2026-04 25.00',
      '2026-03-31 basic_health_insurance 2026-04 159.00',
      '2026-04-01 leefgeld 2026-04-03 195.11',
      '2026-04-16 leefgeld 2026-04-17 195.12',
    ]);
    expect(await freeOf(handle.db, couple.id)).toBe('0.00');
    expect(await freeOf(handle.db, parent.id)).toBe('0.00');
  });
});

describe('rule 12: when ontzorgen ends [pglite]', () => {
  let handle: DatabaseHandle;
  let client: TestClient;
  const reports = new Map<string, BatchReport>();
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    client = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
  });
  afterAll(async () => handle.close());

  it('pays what fell due, releases nothing it should not, pays the rest to the client and lists the obligations handed back', async () => {
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
    await runDays(handle.db, '2026-03-24', '2026-04-20');
    // A maatwerk decision: the client manages on his own from May; ontzorgen ends 30 April.
    await inTransaction(handle.db, (trx) => endOntzorgen(trx, client.id, '2026-04-30', 'maatwerk: manages on his own'));
    await bankCredits(handle.db, '2026-04-24', [bijstandFor(client, '1334.23', '2026-04')]);
    await runDays(handle.db, '2026-04-21', '2026-05-05', reports);
    const lines = await paymentsOf(handle.db, client.id);
    // April's costs and the March cycle's five Mondays were paid; May's costs are not reserved (no basis after 30 April);
    // on the first business day after the end, Monday 4 May, everything free goes to the client's own account.
    expect(lines.filter((l) => / 2026-05 /.test(l))).toEqual([]);
    expect(lines.slice(-1)).toEqual(['2026-05-04 closing 2026-05-04 1334.23']);
    expect(await freeOf(handle.db, client.id)).toBe('0.00');
    expect(reports.get('2026-05-04')!.ended).toEqual([
      { clientId: client.id.toString(), handedBack: ['rent', 'gas', 'electricity', 'water', 'basic_health_insurance'].map((type) => ({ obligationId: expect.any(String) as string, type })) },
    ]);
    expect(reports.get('2026-05-04')!.payments.closing).toEqual({ count: 1, total: '1334.23' });
    // Money arriving later is the client's too: paid on the day it is seen.
    await bankCredits(handle.db, '2026-05-20', [toeslagFor(client, 'ZORGTOESLAG', '129.00', '2026-06')]);
    await runDays(handle.db, '2026-05-20', '2026-05-20');
    expect((await paymentsOf(handle.db, client.id)).slice(-1)).toEqual(['2026-05-20 pass_on 2026-05-20 129.00']);
  });
});
