import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { recordMachtiging } from '../../src/clients/machtigingen.js';
import { ObligationRefused } from '../../src/clients/obligation-rules.js';
import { addObligation, endObligation } from '../../src/clients/obligations.js';
import { Money } from '../../src/money/money.js';
import { freshPostgres } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, eur, singleAdultObligations, type TestClient } from '../batch/support.js';
import { runDays } from '../maatwerk/support.js';

const NEW_LANDLORD = { name: 'Woonbron Vastgoed', iban: 'NL91ABNA0417164300' };
const newRent = (effectiveFrom: string) => ({
  type: 'rent' as const,
  payee: { ...NEW_LANDLORD, reference: { kind: 'unstructured' as const, value: 'contract 4711' } },
  firstVersion: { effectiveFrom, amount: eur('720.00'), dueDay: 1, basis: 'art56a' as const },
  recordedBy: 'consultant',
});

async function refusal(run: () => Promise<unknown>): Promise<ObligationRefused> {
  try {
    await run();
  } catch (error) {
    if (error instanceof ObligationRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

/**
 * The landlord tells the service on Tuesday 28 April that from May the rent goes to its new account. The daily run
 * of 28 April has already instructed May's rent (due Friday 1 May, executed 29 April) to the old account. An
 * obligation's payee cannot be changed, so the back office ends the old rent and records the same rent to the new
 * IBAN. May's rent must still be paid once: either the old instruction goes, or the new obligation's May, never both.
 * Ending the old rent before May, or starting the new one in May, is refused with what to do instead.
 */
describe('a payee IBAN changed after the month was instructed [postgres]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  beforeAll(async () => {
    handle = await freshPostgres();
    await aServiceRegion(handle.db);
    amira = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03')]);
    await runDays(handle.db, '2026-03-24', '2026-04-23');
    await bankCredits(handle.db, '2026-04-24', [bijstandFor(amira, '1334.23', '2026-04')]);
    await runDays(handle.db, '2026-04-24', '2026-04-28');
  });
  afterAll(async () => handle.close());

  it('refuses to end the old rent before May, whose payment is already instructed, and says what to do', async () => {
    const error = await refusal(() =>
      inTransaction(handle.db, async (trx) => {
        await endObligation(trx, amira.obligations.rent!, '2026-04-30');
        await addObligation(trx, amira.id, newRent('2026-05-01'));
      }),
    );
    expect(error.code).toBe('end_before_instructed_period');
    expect(error.message).toBe(
      'Rent to Woonbron cannot end on 2026-04-30: the payment for 2026-05 (due 2026-05-01) is already instructed. End it on 2026-05-31 or later and start a new one from 2026-06-01, or first stop that payment: while it is not released, reject its batch.',
    );
  });

  it('refuses a new rent from May while the old one, still running, has May instructed', async () => {
    const error = await refusal(() => inTransaction(handle.db, (trx) => addObligation(trx, amira.id, newRent('2026-05-01'))));
    expect(error.code).toBe('period_already_instructed');
    expect(error.message).toContain('Rent for 2026-05 is already on its way to Woonbron');
    expect(error.message).toContain('Record the new one from 2026-06-01 (and end the old one on 2026-05-31)');
  });

  it('refuses a new rent from May once the old one is ended after May', async () => {
    const error = await refusal(() =>
      inTransaction(handle.db, async (trx) => {
        await endObligation(trx, amira.obligations.rent!, '2026-05-31');
        await addObligation(trx, amira.id, newRent('2026-05-01'));
      }),
    );
    expect(error.code).toBe('period_already_instructed');
  });

  it('pays May rent once, not to the old landlord and again to the new one', async () => {
    // What the refusal says: the old rent pays May, the new one starts with June.
    await inTransaction(handle.db, async (trx) => {
      await endObligation(trx, amira.obligations.rent!, '2026-05-31');
      await addObligation(trx, amira.id, newRent('2026-06-01'));
      await recordMachtiging(trx, amira.id, { documentReference: 'M-new-landlord', signedOn: '2026-04-28', payees: [NEW_LANDLORD] });
    });
    await runDays(handle.db, '2026-04-29', '2026-05-22');
    await bankCredits(handle.db, '2026-05-25', [bijstandFor(amira, '1334.23', '2026-05')]);
    await runDays(handle.db, '2026-05-25', '2026-06-05');

    const rentOf = async (period: string) => {
      const rows = await handle.db
        .selectFrom('payment_instruction as i')
        .innerJoin('obligation as o', 'o.id', 'i.obligation_id')
        .select(['i.creditor_iban', 'i.amount_cents'])
        .where('i.client_id', '=', amira.id)
        .where('o.type', '=', 'rent')
        .where('i.period', '=', period)
        .where('i.status', 'not in', ['cancelled', 'bank_rejected'])
        .execute();
      return { total: Money.fromCents(rows.reduce((sum, row) => sum + row.amount_cents, 0n)).toString(), ibans: rows.map((r) => r.creditor_iban) };
    };
    // May: 720.00 once, to the old IBAN (instructed 28 April); June: 720.00 once, to the new IBAN.
    expect((await rentOf('2026-05')).total).toBe('720.00');
    expect(await rentOf('2026-06')).toEqual({ total: '720.00', ibans: [NEW_LANDLORD.iban] });
  });
});
