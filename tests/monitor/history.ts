import type { Kysely } from 'kysely';
import { ensureGemeente } from '../../src/clients/clients.js';
import { endOntzorgen, recordFollowUpPeriod, startStatutoryPeriod } from '../../src/clients/ontzorg-periods.js';
import { registerClient } from '../../src/clients/registry.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { assignSuspense } from '../../src/ingest/suspense.js';
import { aClient, aServiceRegion, bankCredits, GEMEENTE, PAYEES, type TestClient } from '../batch/support.js';
import { MANAGED } from '../ingest/region.js';
import type { MonitorMonth } from '../../src/monitor/index.js';
import { decide, revoke } from '../maatwerk/support.js';

/**
 * Three months (August – October 2026) of Dordrecht for the monitor, built by hand so every figure can
 * be counted on one's fingers. Clients, periods, maatwerk decisions and suspense go through the real
 * functions (registry, ontzorg periods, maatwerk, bank ingestion, assignSuspense). Payment instructions,
 * their batch and return event, arrears signals and noodvoorziening grants and repayments are inserted
 * as rows: producing exactly these (a late rent, a return, an arrears) through the daily batch would take
 * months of simulated days, and the noodvoorziening's request/approve path needs a funded payment.
 *
 * - Amal: 56a 2026-03-01 … 08-31 (ends in August).
 * - Bilal: 56a from 2026-08-15 (new in August); full opt-out from 09-15, revoked from 10-15; rent for
 *   September paid on time, for October paid on 09-30 but returned (AC04) on 10-02 and paid again late;
 *   an advance of 300.00 on 09-10, repaid 25.00 on 09-21, 10-05 and 10-19; a suspense receipt of
 *   85.00 (booked 09-07) assigned to him on 09-17 (10 days).
 * - Chana: 56a from 2026-09-01 (new in September), ontzorgen ended 10-10; rent for October on time;
 *   water arrears for September; a suspense receipt of 40.00 (booked 09-28) assigned to her on 10-12
 *   (14 days).
 * - Dawit: 56a 2026-05-01 … 10-31, art. 57 from 11-01 (so not ended); rent for September executed on
 *   the due day itself (late); rent and water arrears for October; a gift of 150.00 on 10-03 and a
 *   refused grant.
 * - Eden: voluntary from 2026-10-20, open-ended (new in October).
 * - Zwijndrecht's Zara, whose period and arrears must never show in Dordrecht's figures.
 * - A suspense receipt of 12.50 (booked 10-20) that nobody assigns.
 */
export interface History {
  readonly bilal: TestClient;
  readonly chana: TestClient;
  readonly dawit: TestClient;
}

const UNKNOWN_PAYER = 'NL91ABNA0417164300';
let batchId: bigint | undefined;

async function paymentBatch(db: Kysely<Database>): Promise<bigint> {
  if (batchId !== undefined) return batchId;
  const row = await db
    .insertInto('payment_batch')
    .values({ gemeente_id: GEMEENTE, debtor_iban: MANAGED, execution_date: '2026-08-31', instant: false, status: 'released', payments: 1, total_cents: 1n, approvals_needed: 1, created_by: 'history' })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

interface Instruction {
  client: TestClient;
  kind?: 'obligation' | 'noodvoorziening';
  type?: 'rent' | 'water';
  period: string;
  attempt?: number;
  retryOf?: bigint;
  due: string;
  execution: string;
  cents: bigint;
  status: 'released' | 'settled' | 'returned';
}

async function instruction(db: Kysely<Database>, i: Instruction): Promise<bigint> {
  const kind = i.kind ?? 'obligation';
  const key = `history/${i.client.id}/${kind}/${i.type ?? ''}/${i.period}#${i.attempt ?? 1}`;
  const payee = kind === 'obligation' ? PAYEES[i.type ?? 'rent'] : { name: 'Amira Haddad', iban: 'NL22SNSB0912345678' };
  const row = await db
    .insertInto('payment_instruction')
    .values({
      idempotency_key: key,
      client_id: i.client.id,
      gemeente_id: GEMEENTE,
      kind,
      obligation_id: kind === 'obligation' ? i.client.obligations[i.type ?? 'rent']! : null,
      period: i.period,
      attempt: i.attempt ?? 1,
      retry_of: i.retryOf ?? null,
      due_date: i.due,
      execution_date: i.execution,
      amount_cents: i.cents,
      debtor_iban: MANAGED,
      creditor_name: payee.name,
      creditor_name_latin: payee.name,
      creditor_iban: payee.iban,
      reservation_key: `reserve/${key}`,
      status: i.status,
      batch_id: await paymentBatch(db),
      return_reason: i.status === 'returned' ? 'AC04' : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function arrears(db: Kysely<Database>, gemeenteId: string, clientId: bigint, obligationId: bigint, period: string, firstSeenOn: string): Promise<void> {
  await db
    .insertInto('back_office_signal')
    .values({ signal_key: `${clientId}/${obligationId}/${period}/arrears`, gemeente_id: gemeenteId, client_id: clientId, kind: 'arrears', message: 'money missing on its execution date', details: JSON.stringify({ obligation: obligationId.toString(), period, missing: '25.00', executionDate: firstSeenOn }), first_seen_on: firstSeenOn })
    .execute();
}

async function grant(db: Kysely<Database>, client: TestClient, g: { kind: 'advance' | 'gift'; cents: bigint; decidedOn: string; status: 'approved' | 'refused' }): Promise<bigint> {
  const paid = g.status === 'approved' ? await instruction(db, { client, kind: 'noodvoorziening', period: g.decidedOn.slice(0, 7), due: g.decidedOn, execution: g.decidedOn, cents: g.cents, status: 'released' }) : null;
  const row = await db
    .insertInto('noodvoorziening_grant')
    .values({
      client_id: client.id,
      gemeente_id: GEMEENTE,
      amount_cents: g.cents,
      kind: g.kind,
      reason: 'the first toeslagen have not arrived yet',
      payment: 'instant',
      instalment_cents: g.kind === 'advance' ? 2500n : null,
      status: g.status,
      four_eyes: false,
      requested_by: 'operator-1',
      requested_on: g.decidedOn,
      decided_by: 'operator-1',
      decided_on: g.decidedOn,
      decided_at: new Date(`${g.decidedOn}T10:00:00Z`),
      refusal_reason: g.status === 'refused' ? 'the policy maximum was reached' : null,
      instruction_id: paid,
      idempotency_key: `history/grant/${client.id}/${g.decidedOn}/${g.status}`,
      request_hash: '0'.repeat(64),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

async function repayment(db: Kysely<Database>, client: TestClient, grantId: bigint, bookedOn: string): Promise<void> {
  await db
    .insertInto('noodvoorziening_repayment')
    .values({ grant_id: grantId, ledger_key: `history/repay/${grantId}/${bookedOn}`, client_id: client.id, kind: 'instalment', amount_cents: 2500n, booked_on: bookedOn, leefgeld_date: bookedOn })
    .execute();
}

export async function threeMonthsOfDordrecht(db: Kysely<Database>): Promise<History> {
  batchId = undefined;
  await aServiceRegion(db);
  await ensureGemeente(db, { id: 'GM0642', name: 'Zwijndrecht' });
  const rent = (from: string) => [
    { type: 'rent' as const, amount: '720.00', from },
    { type: 'water' as const, amount: '25.00', from },
  ];
  await aClient(db, { bijstandStart: '2026-03-01' });
  const bilal = await aClient(db, { bijstandStart: '2026-08-15', obligations: rent('2026-09-01') });
  const chana = await aClient(db, { bijstandStart: '2026-09-01', obligations: rent('2026-09-01') });
  const dawit = await aClient(db, { bijstandStart: '2026-05-01', obligations: rent('2026-05-01') });
  const eden = await aClient(db, { bijstandStart: '2026-10-20', startPeriod: false, inburgeringsplichtigWi2021: false });
  await inTransaction(db, async (trx) => {
    await recordFollowUpPeriod(trx, dawit.id, { basis: 'art57', firstDay: '2026-11-01', lastDay: '2027-04-30', reviewDate: '2027-03-01', decisionReference: 'A57-2026-031' });
    await recordFollowUpPeriod(trx, eden.id, { basis: 'voluntary', firstDay: '2026-10-20', lastDay: null, reviewDate: '2027-01-20', decisionReference: 'VOL-2026-007' });
    await endOntzorgen(trx, chana.id, '2026-10-10', 'moved to another gemeente');
  });
  const zara = await inTransaction(db, async (trx) => {
    const record = await registerClient(trx, { gemeenteId: 'GM0642', reference: `ZW-Z-${process.pid % 1000}`, name: 'Zara Tesfay', householdType: 'single', bijstandStart: '2026-08-01', inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true });
    await startStatutoryPeriod(trx, record.id);
    return record;
  });

  // Maatwerk: Bilal manages on his own from 15 September; it is revoked from 15 October.
  const optOut = await decide(db, bilal.id, '2026-09-01', { scope: 'full_opt_out', effectiveDate: '2026-09-15' });
  await revoke(db, bilal.id, optOut.id, '2026-10-01', '2026-10-15');

  // Rent. September: due Tuesday 1 September, latest execution Monday 31 August (rule 7).
  await instruction(db, { client: bilal, period: '2026-09', due: '2026-09-01', execution: '2026-08-31', cents: 72000n, status: 'settled' });
  await instruction(db, { client: dawit, period: '2026-09', due: '2026-09-01', execution: '2026-09-01', cents: 72000n, status: 'released' });
  // October: due Thursday 1 October, latest execution Wednesday 30 September.
  const returned = await instruction(db, { client: bilal, period: '2026-10', due: '2026-10-01', execution: '2026-09-30', cents: 72000n, status: 'returned' });
  await db.insertInto('payment_event').values({ instruction_id: returned, kind: 'returned', actor: 'bank', details: JSON.stringify({ reason: 'AC04' }), at: new Date('2026-10-02T08:30:00Z') }).execute();
  await instruction(db, { client: bilal, period: '2026-10', attempt: 2, retryOf: returned, due: '2026-10-01', execution: '2026-10-05', cents: 72000n, status: 'released' });
  await instruction(db, { client: chana, period: '2026-10', due: '2026-10-01', execution: '2026-09-30', cents: 72000n, status: 'settled' });
  await arrears(db, GEMEENTE, dawit.id, dawit.obligations['rent']!, '2026-10', '2026-09-30');
  await arrears(db, GEMEENTE, dawit.id, dawit.obligations['water']!, '2026-10', '2026-09-30');
  await arrears(db, GEMEENTE, chana.id, chana.obligations['water']!, '2026-09', '2026-08-31');
  const zaraObligation = await db
    .insertInto('obligation')
    .values({ client_id: zara.id, gemeente_id: 'GM0642', type: 'rent', frequency: 'monthly', payee_name: 'Trivire', payee_iban: PAYEES.rent.iban })
    .returning('id')
    .executeTakeFirstOrThrow();
  await arrears(db, 'GM0642', zara.id, zaraObligation.id, '2026-10', '2026-09-30');

  // Noodvoorzieningen.
  const advance = await grant(db, bilal, { kind: 'advance', cents: 30000n, decidedOn: '2026-09-10', status: 'approved' });
  for (const day of ['2026-09-21', '2026-10-05', '2026-10-19']) await repayment(db, bilal, advance, day);
  await grant(db, dawit, { kind: 'gift', cents: 15000n, decidedOn: '2026-10-03', status: 'approved' });
  await grant(db, dawit, { kind: 'gift', cents: 50000n, decidedOn: '2026-10-20', status: 'refused' });

  // Suspense: three receipts nobody could match; two are assigned.
  await bankCredits(db, '2026-09-07', [{ amount: '85.00', from: UNKNOWN_PAYER, name: 'J. de Vries', text: 'voor de huur' }]);
  await bankCredits(db, '2026-09-28', [{ amount: '40.00', from: UNKNOWN_PAYER, name: 'J. de Vries', text: 'bijdrage' }]);
  await bankCredits(db, '2026-10-20', [{ amount: '12.50', from: UNKNOWN_PAYER, name: 'J. de Vries', text: 'terug' }]);
  const items = await db.selectFrom('bank_entry_item').select(['id', 'booking_date']).where('destination', '=', 'suspense').orderBy('booking_date').execute();
  if (items.length !== 3) throw new Error(`expected three receipts in suspense, found ${items.length}`);
  const assign = (itemId: bigint, client: TestClient, bookingDate: string) =>
    inTransaction(db, (trx) => assignSuspense(trx, { itemId, clientId: client.id, incomeType: 'other', by: 'operator-1', reason: 'the payer called', bookingDate }));
  await assign(items[0]!.id, bilal, '2026-09-17');
  await assign(items[1]!.id, chana, '2026-10-12');
  return { bilal, chana, dawit };
}

/** Dordrecht's monitor for August – October, every figure counted by hand from the story above. */
const empty = { fullOptOut: 0, partial: 0, handOverPlan: 0, revoked: 0 };
export const EXPECTED: readonly MonitorMonth[] = [
  {
    month: '2026-08',
    // Amal (to 31 August), Bilal (from 15 August), Dawit.
    clientMonths: 3,
    newClients: 1,
    endedClients: 1,
    maatwerk: empty,
    noodvoorzieningen: { count: 0, amount: '0.00', advances: 0, gifts: 0, recovered: '0.00' },
    rent: { due: 0, onTime: 0, onTimePercent: null },
    returns: { count: 0, amount: '0.00' },
    arrears: { clients: 0 },
    suspense: { assigned: 0, averageWaitDays: null, maxWaitDays: null, openAtMonthEnd: 0, openAverageAgeDays: null, openMaxAgeDays: null },
  },
  {
    month: '2026-09',
    // Bilal, Chana (new), Dawit.
    clientMonths: 3,
    newClients: 1,
    endedClients: 0,
    maatwerk: { ...empty, fullOptOut: 1 },
    noodvoorzieningen: { count: 1, amount: '300.00', advances: 1, gifts: 0, recovered: '25.00' },
    // Bilal's executed 31 August (on time), Dawit's on the due day itself (late): 1 of 2.
    rent: { due: 2, onTime: 1, onTimePercent: '50.0' },
    returns: { count: 0, amount: '0.00' },
    arrears: { clients: 1 },
    // 85.00 booked 7 September, assigned 17 September; 40.00 of 28 September still open on the 30th.
    suspense: { assigned: 1, averageWaitDays: '10.0', maxWaitDays: 10, openAtMonthEnd: 1, openAverageAgeDays: '2.0', openMaxAgeDays: 2 },
  },
  {
    month: '2026-10',
    // Bilal, Chana (to 10 October), Dawit, Eden (new, from 20 October).
    clientMonths: 4,
    newClients: 1,
    endedClients: 1,
    maatwerk: { ...empty, revoked: 1 },
    noodvoorzieningen: { count: 1, amount: '150.00', advances: 0, gifts: 1, recovered: '50.00' },
    // Chana's on time; Bilal's returned and paid again late; Dawit's in arrears: 1 of 3.
    rent: { due: 3, onTime: 1, onTimePercent: '33.3' },
    returns: { count: 1, amount: '720.00' },
    // Dawit (rent and water); Zwijndrecht's Zara is not Dordrecht's.
    arrears: { clients: 1 },
    // 40.00 of 28 September assigned 12 October; 12.50 of 20 October open on the 31st.
    suspense: { assigned: 1, averageWaitDays: '14.0', maxWaitDays: 14, openAtMonthEnd: 1, openAverageAgeDays: '11.0', openMaxAgeDays: 11 },
  },
];

