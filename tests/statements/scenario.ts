import type { Kysely } from 'kysely';
import { availableAccounts } from '../../src/clients/accounts.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { recordFloorDecision } from '../../src/clients/floor-decisions.js';
import { startStatutoryPeriod } from '../../src/clients/ontzorg-periods.js';
import { registerClient } from '../../src/clients/registry.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { book, openAccount, transferBetween } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { approveBatch } from '../../src/payments/batches.js';
import { releaseBatch } from '../../src/payments/release.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, eur, singleAdultObligations, toeslagFor, type TestClient } from '../batch/support.js';
import { MANAGED, ingest, statementFile } from '../ingest/region.js';
import { assignCaseworker } from '../../src/auth/scope.js';

/**
 * Two months in the life of Amira, a single adult in Dordrecht, through the real flow: bank files
 * ingested, the daily batch every business day, its payment batches approved and released; a
 * returned water payment (AC04), an emergency advance of 200.00 and a first recovery of 25.00.
 * Also a client in Zwijndrecht (another gemeente) and one in Dordrecht without a caseworker, for
 * the cross-tenant tests. "Today" is 25 November 2026.
 */
export const TODAY = new Date('2026-11-25T10:00:00Z');
export const WATER_IBAN = 'NL02ABNA0123456789';

export interface Scenario {
  readonly amira: TestClient;
  /** Dordrecht, not assigned to the caseworker. */
  readonly dawit: bigint;
  /** Zwijndrecht. */
  readonly sara: bigint;
  readonly advances: bigint;
}

/** The daily batch of one day, then its payment batches approved by a second person and released. */
async function day(db: Kysely<Database>, date: string): Promise<void> {
  await batch(db, date);
  const waiting = await db.selectFrom('payment_batch').select('id').where('status', '=', 'awaiting_approval').orderBy('id').execute();
  for (const { id } of waiting) {
    await inTransaction(db, (trx) => approveBatch(trx, id, 'approver-1'));
    await releaseBatch(db, id, { releasedBy: 'operator-1', now: new Date(`${date}T07:00:00Z`) });
  }
}

export async function twoMonthsOfAmira(db: Kysely<Database>): Promise<Scenario> {
  await aServiceRegion(db);
  await ensureGemeente(db, { id: 'GM0642', name: 'Zwijndrecht' });
  const amira = await aClient(db, {
    name: 'Amira Haddad',
    bijstandStart: '2026-10-01',
    obligations: singleAdultObligations('2026-11-01'),
    toeslagenConsentReference: 'TS-consent-2026-10',
    expectedIncome: [
      { classification: 'bijstand', monthly: eur('1334.23') },
      { classification: 'huurtoeslag', monthly: eur('380.00') },
      { classification: 'zorgtoeslag', monthly: eur('129.00') },
    ],
  });
  const dawit = await aClient(db, { name: 'Dawit Tesfaye', reference: `DR-D-${process.pid % 1000}`, bijstandStart: '2026-10-01' });
  // Sara's six months of art. 56a end on 30 November, with nothing decided after them.
  const sara = await inTransaction(db, async (trx) => {
    const record = await registerClient(trx, { gemeenteId: 'GM0642', reference: `ZW-S-${process.pid % 1000}`, name: 'Sara Ghebremedhin', householdType: 'single', bijstandStart: '2026-06-01', inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true });
    await startStatutoryPeriod(trx, record.id);
    return record;
  });
  await assignCaseworker(db, { clientId: amira.id, organisation: 'VWN', caseworkerId: 'caseworker-1' });
  await assignCaseworker(db, { clientId: sara.id, organisation: 'VWN', team: 'zwijndrecht' });

  await bankCredits(db, '2026-10-20', [toeslagFor(amira, 'HUURTOESLAG', '380.00', '2026-11'), toeslagFor(amira, 'ZORGTOESLAG', '129.00', '2026-11')]);
  for (const date of businessDays('2026-10-20', '2026-10-23')) await day(db, date);
  await bankCredits(db, '2026-10-26', [bijstandFor(amira, '1334.23', '2026-10')]);
  for (const date of businessDays('2026-10-26', '2026-11-03')) await day(db, date);

  // The water company's account was closed: the bank returns the November water payment.
  const water = await db
    .selectFrom('payment_instruction as i')
    .innerJoin('obligation as o', 'o.id', 'i.obligation_id')
    .select(['i.end_to_end_id', 'i.amount_cents'])
    .where('i.client_id', '=', amira.id)
    .where('o.type', '=', 'water')
    .where('i.status', '=', 'released')
    .executeTakeFirstOrThrow();
  await ingest(
    db,
    statementFile(`RET-${process.pid}`, [
      { amount: Money.fromCents(water.amount_cents).toString(), creditDebit: 'CRDT', bookingDate: '2026-11-04', accountServicerReference: `RET-W-${process.pid}`, details: [{ endToEndId: water.end_to_end_id!, returnReason: 'AC04', counterpartyIban: WATER_IBAN }] },
    ]),
  );

  // An emergency advance (the noodvoorziening module is not built yet: booked as its ledger movements would be).
  const advances = await openAccount(db, { code: `client/${amira.id}/advances`, name: 'advances of Amira', kind: 'asset', purpose: 'advances_receivable', balanceRule: 'credits_must_not_exceed_debits', gemeenteId: 'GM0505', clientId: amira.id });
  const available = (await availableAccounts(db, [amira.id])).get(amira.id)!;
  await inTransaction(db, (trx) => book(trx, transferBetween({ idempotencyKey: `advance/${amira.id}/1`, bookingDate: '2026-11-05', description: 'noodvoorziening advance', debit: advances.id, credit: available, amount: eur('200.00') })));
  for (const date of businessDays('2026-11-04', '2026-11-13')) await day(db, date);
  await inTransaction(db, (trx) => book(trx, transferBetween({ idempotencyKey: `advance/${amira.id}/recovery-1`, bookingDate: '2026-11-16', description: 'advance recovery', debit: available, credit: advances.id, amount: eur('25.00') })));

  await bankCredits(db, '2026-11-20', [toeslagFor(amira, 'HUURTOESLAG', '380.00', '2026-12'), toeslagFor(amira, 'ZORGTOESLAG', '129.00', '2026-12')]);
  for (const date of businessDays('2026-11-16', '2026-11-23')) await day(db, date);
  await bankCredits(db, '2026-11-24', [bijstandFor(amira, '1334.23', '2026-11')]);
  for (const date of businessDays('2026-11-24', '2026-11-25')) await day(db, date);
  // A maatwerk decision: leefgeld may go down to 100.00 a week while the advance is recovered.
  await inTransaction(db, (trx) => recordFloorDecision(trx, amira.id, { reference: 'MW-2026-118', floor: eur('100.00'), effectiveFrom: '2026-11-30', effectiveUntil: null, reason: 'advance recovery agreed with the client', decidedBy: 'consulent-7' }));
  return { amira, dawit: dawit.id, sara: sara.id, advances: advances.id };
}

export { MANAGED };
