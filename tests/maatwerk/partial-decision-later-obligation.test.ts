import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { recordMachtiging } from '../../src/clients/machtigingen.js';
import { addObligation, endObligation } from '../../src/clients/obligations.js';
import { decisionsOf } from '../../src/maatwerk/index.js';
import { freshPostgres } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, eur, paymentsOf, singleAdultObligations, type TestClient } from '../batch/support.js';
import { decide, runDays } from './support.js';

const NEW_LANDLORD = { name: 'Woonbron Vastgoed', iban: 'NL91ABNA0417164300' };

/**
 * Rule 10 and the domain's "never a silent exception": a partial maatwerk decision keeps the rent withheld and hands
 * energy, water and the premium over. In May the landlord moves to a new bank account. An obligation's payee is
 * fixed, so the back office does what it can: ends the old rent on 31 May and records the same rent (720.00, due
 * the 1st, art. 56a) to the new IBAN from 1 June, with a machtiging for the new payee. No one decided that the
 * client now pays her own rent: an obligation recorded after the decision stays withheld until a new decision.
 */
describe('a partial maatwerk decision keeping rent, and the landlord\'s IBAN changes [postgres]', () => {
  let handle: DatabaseHandle;
  let amira: TestClient;
  let newRent: string;
  beforeAll(async () => {
    handle = await freshPostgres();
    await aServiceRegion(handle.db);
    amira = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03')]);
    await runDays(handle.db, '2026-03-24', '2026-04-23');
    await bankCredits(handle.db, '2026-04-24', [bijstandFor(amira, '1334.23', '2026-04')]);
    await runDays(handle.db, '2026-04-24', '2026-04-27');
  });
  afterAll(async () => handle.close());

  it('keeps paying June rent, now to the new IBAN (the decision kept rent withheld)', async () => {
    await decide(handle.db, amira.id, '2026-04-27', { scope: 'partial', kept: [amira.obligations.rent!.toString()], effectiveDate: '2026-04-28', reasonCategory: 'own_account_automatic_payments' });
    await runDays(handle.db, '2026-04-28', '2026-05-11');
    await inTransaction(handle.db, async (trx) => {
      await endObligation(trx, amira.obligations.rent!, '2026-05-31');
      newRent = (
        await addObligation(trx, amira.id, {
          type: 'rent',
          payee: { ...NEW_LANDLORD, reference: { kind: 'unstructured', value: 'contract 4711' } },
          firstVersion: { effectiveFrom: '2026-06-01', amount: eur('720.00'), dueDay: 1, basis: 'art56a' },
          recordedBy: 'consultant',
        })
      ).id;
      await recordMachtiging(trx, amira.id, { documentReference: 'M-new-landlord', signedOn: '2026-05-11', payees: [NEW_LANDLORD] });
    });
    await runDays(handle.db, '2026-05-12', '2026-05-22');
    await bankCredits(handle.db, '2026-05-25', [bijstandFor(amira, '1334.23', '2026-05')]);
    await runDays(handle.db, '2026-05-25', '2026-06-05');

    const lines = await paymentsOf(handle.db, amira.id);
    // May rent went to the old account under the decision, as before.
    expect(lines).toContain('2026-04-29 rent 2026-05 720.00');
    // June rent: the rent the decision keeps withheld, to the landlord's new account, not silently handed over.
    expect(lines.filter((line) => / rent 2026-06 /.test(line))).toEqual(['2026-05-29 rent 2026-06 720.00']);
    // What the decision did hand over stays handed over: no energy, water or premium paid for June.
    expect(lines.filter((line) => / (gas|electricity|water|basic_health_insurance) 2026-06 /.test(line))).toEqual([]);
  });

  it('stores what the decision hands over, so the later rent is named by none of it', async () => {
    const [decision] = (await decisionsOf(handle.db, [amira.id])).get(amira.id)!;
    const handedOver = decision!.obligations.filter((o) => o.treatment === 'handed_over').map((o) => o.obligationId);
    expect(handedOver.sort()).toEqual(['gas', 'electricity', 'water', 'basic_health_insurance'].map((type) => amira.obligations[type]!.toString()).sort());
    expect(decision!.obligations.some((o) => o.obligationId === newRent)).toBe(false);
  });

  it('a partial decision stored before it named its hand-overs (kept rows only) hands over only what the client had then', async () => {
    // As such a decision was stored: only what it kept (here the new rent). It hands over what the client had when
    // it was decided and did not keep; an obligation recorded after it stays withheld.
    const older = await inTransaction(handle.db, async (trx) => {
      const row = await trx
        .insertInto('maatwerk_decision')
        .values({
          client_id: amira.id,
          gemeente_id: 'GM0505',
          action: 'decide',
          scope: 'partial',
          replaces_id: null,
          reason_category: 'own_account_automatic_payments',
          reason: 'stored before the hand-overs were named',
          assessment: 'budget interview',
          effective_date: '2026-06-08',
          review_date: '2026-09-01',
          reserved_money: 'pay_due_release_rest',
          toeslagen: 'passed_on',
          decided_by: 'bo',
          idempotency_key: 'older-partial',
          request_hash: '0'.repeat(64),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx.insertInto('maatwerk_obligation').values({ decision_id: row.id, obligation_id: BigInt(newRent), treatment: 'kept', hand_over_on: null }).execute();
      return row.id.toString();
    });
    const later = await inTransaction(handle.db, (trx) =>
      addObligation(trx, amira.id, {
        type: 'water',
        payee: { name: 'Evides Waterbedrijf', iban: 'NL20INGB0001234567' },
        firstVersion: { effectiveFrom: '2026-07-01', amount: eur('25.00'), dueDay: 1, basis: 'art56a' },
        recordedBy: 'consultant',
      }),
    );
    const read = (await decisionsOf(handle.db, [amira.id])).get(amira.id)!.find((d) => d.id === older)!;
    const handedOver = read.obligations.filter((o) => o.treatment === 'handed_over');
    expect(handedOver.map((o) => o.obligationId).sort()).toEqual(['gas', 'electricity', 'water', 'basic_health_insurance'].map((type) => amira.obligations[type]!.toString()).sort());
    expect(handedOver.every((o) => o.handOverOn === '2026-06-08')).toBe(true);
    expect(read.obligations.some((o) => o.obligationId === later.id)).toBe(false);
  });
});
