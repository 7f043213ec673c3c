import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { firstOpenDueDate } from '../../src/allocation/run.js';
import { holdReasonFor, isValidOn, recordMachtiging, revokeMachtiging, type Machtiging } from '../../src/clients/machtigingen.js';
import { addObligation, addVersion, endObligation, obligationsOf } from '../../src/clients/obligations.js';
import { endOntzorgen, periodsOf, periodsUntil, recordBijstandEnd, recordFollowUpPeriod, startStatutoryPeriod } from '../../src/clients/ontzorg-periods.js';
import { getGemeentePolicy, setGemeentePolicy, POLICY_DEFAULTS } from '../../src/clients/policy.js';
import { floorDecisionOn, recordFloorDecision } from '../../src/clients/floor-decisions.js';
import { registerClient } from '../../src/clients/registry.js';
import { inTransaction } from '../../src/db/transaction.js';
import { describeOnEachDatabase } from '../support/db.js';
import { MANAGED } from '../ingest/region.js';
import { aServiceRegion, CLIENT_IBAN, eur, GEMEENTE, PAYEES } from '../batch/support.js';

async function refusal(work: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

let n = 0;
const register = (db: Parameters<typeof inTransaction>[0], facts: { wi2021?: boolean; permit?: boolean; start?: string } = {}) =>
  inTransaction(db, (trx) =>
    registerClient(trx, {
      gemeenteId: GEMEENTE,
      reference: `REC-${++n}`,
      name: 'Dawit Tesfay',
      ownIban: CLIENT_IBAN,
      householdType: 'couple_with_children',
      bijstandStart: facts.start ?? '2026-01-31',
      inburgeringsplichtigWi2021: facts.wi2021 ?? true,
      fixedTermAsylumPermit: facts.permit ?? true,
    }),
  );

describeOnEachDatabase('periods, obligations, machtigingen and policy in the database', (handle) => {
  beforeAll(async () => aServiceRegion(handle().db));

  it('rule 1: no 56a period for a client without both facts of art. 56a lid 1, with the reasons', async () => {
    const db = handle().db;
    const family = await register(db, { wi2021: false, permit: true });
    const error = await refusal(() => inTransaction(db, (trx) => startStatutoryPeriod(trx, family.id)));
    expect(error.code).toBe('not_eligible_for_art56a');
    expect(error.message).toContain('art. 56a lid 1');
    expect(error.message).toContain('Wet inburgering 2021');
    expect((await periodsOf(db, [family.id])).get(family.id)).toBeUndefined();
    // Such a client can be served under another recorded basis.
    const voluntary = await inTransaction(db, (trx) =>
      recordFollowUpPeriod(trx, family.id, { basis: 'voluntary', firstDay: '2026-02-01', lastDay: null, reviewDate: '2026-08-01', decisionReference: 'consent 2026-01-28' }),
    );
    expect(voluntary.basis).toBe('voluntary');
  });

  it('rule 2: six months from the first day of the right to bijstand (which may lie in the past), once; bijstand ending sooner ends it', async () => {
    const db = handle().db;
    const client = await register(db, { start: '2026-01-31' });
    const period = await inTransaction(db, (trx) => startStatutoryPeriod(trx, client.id));
    expect(period).toMatchObject({ basis: 'art56a', firstDay: '2026-01-31', lastDay: '2026-07-30', reviewDate: null });
    expect((await inTransaction(db, (trx) => startStatutoryPeriod(trx, client.id))).id).toBe(period.id);
    await inTransaction(db, (trx) => recordBijstandEnd(trx, client.id, '2026-05-15'));
    expect((await periodsOf(db, [client.id])).get(client.id)![0]).toMatchObject({ lastDay: '2026-05-15', endedEarlyOn: '2026-05-15', endedReason: 'bijstand ended (art. 56a lid 2)' });
  });

  it('rule 2: a period after the 56a period needs its basis, decision and a review date within it', async () => {
    const db = handle().db;
    const client = await register(db);
    const missing = await refusal(() =>
      inTransaction(db, (trx) => recordFollowUpPeriod(trx, client.id, { basis: 'art57', firstDay: '2026-07-31', lastDay: '2027-07-30', reviewDate: '2028-01-01', decisionReference: 'B57-1' })),
    );
    expect(missing).toMatchObject({ code: 'invalid_period', message: expect.stringContaining('review date must fall within the period') });
    const art56a = await refusal(() =>
      inTransaction(db, (trx) => recordFollowUpPeriod(trx, client.id, { basis: 'art56a' as 'art57', firstDay: '2026-07-31', lastDay: null, reviewDate: '2026-12-01', decisionReference: 'x' })),
    );
    expect(art56a.code).toBe('invalid_period');
  });

  it('rule 3: under a 56a-only period only the statutory list is paid; other costs need another recorded basis, in the database too', async () => {
    const db = handle().db;
    const client = await register(db, { start: '2026-03-01' });
    await inTransaction(db, (trx) => startStatutoryPeriod(trx, client.id));
    const supplementary = { type: 'supplementary_insurance' as const, payee: PAYEES.supplementary_insurance, recordedBy: 'consultant' };
    const refused = await refusal(() => inTransaction(db, (trx) => addObligation(trx, client.id, { ...supplementary, firstVersion: { effectiveFrom: '2026-04-01', amount: eur('18.50'), dueDay: 1, basis: 'art56a' } })));
    expect(refused).toMatchObject({ code: 'not_covered_by_art56a', message: expect.stringContaining('rule 3') });
    const noBasis = await refusal(() => inTransaction(db, (trx) => addObligation(trx, client.id, { ...supplementary, firstVersion: { effectiveFrom: '2026-04-01', amount: eur('18.50'), dueDay: 1, basis: 'art57' } })));
    expect(noBasis.code).toBe('not_covered_by_art56a');
    await inTransaction(db, (trx) => recordFollowUpPeriod(trx, client.id, { basis: 'art57', firstDay: '2026-04-01', lastDay: '2026-12-31', reviewDate: '2026-10-01', decisionReference: 'B57-77' }));
    const allowed = await inTransaction(db, (trx) => addObligation(trx, client.id, { ...supplementary, firstVersion: { effectiveFrom: '2026-04-01', amount: eur('18.50'), dueDay: 1, basis: 'art57' } }));
    expect(allowed.versions[0]!.basis).toBe('art57');
    // The database refuses a 56a version for a type outside the list, whatever the code above it does.
    const direct = await refusal(() =>
      inTransaction(db, (trx) =>
        trx.insertInto('obligation_version').values({ obligation_id: BigInt(allowed.id), version: 2, effective_from: '2026-05-01', amount_cents: 1850n, due_day: 1, basis: 'art56a', recorded_by: 'sql' }).execute(),
      ),
    );
    expect(direct.message).toContain('rule 3');
  });

  it('rule 10: versions are never edited; a change may not reach behind what was reserved', async () => {
    const db = handle().db;
    const client = await register(db, { start: '2026-03-01' });
    await inTransaction(db, (trx) => startStatutoryPeriod(trx, client.id));
    const rent = await inTransaction(db, (trx) => addObligation(trx, client.id, { type: 'rent', payee: { ...PAYEES.rent, reference: { kind: 'unstructured', value: 'contract 9' } }, firstVersion: { effectiveFrom: '2026-04-01', amount: eur('720.00'), dueDay: 1, basis: 'art56a' }, recordedBy: 'c' }));
    const replay = await inTransaction(db, (trx) => addObligation(trx, client.id, { type: 'rent', payee: { ...PAYEES.rent, reference: { kind: 'unstructured', value: 'contract 9' } }, firstVersion: { effectiveFrom: '2026-04-01', amount: eur('720.00'), dueDay: 1, basis: 'art56a' }, recordedBy: 'c' }));
    expect(replay.id).toBe(rent.id);
    const edit = await refusal(() => inTransaction(db, (trx) => sql`UPDATE obligation_version SET amount_cents = 1 WHERE obligation_id = ${rent.id}::bigint`.execute(trx)));
    expect(edit.message).toContain('history is never rewritten');
    // Pretend April and May were reserved: a change from 1 May reaches behind them.
    await db.insertInto('allocation_reservation').values({ ledger_key: `test/${rent.id}/2026-05`, client_id: client.id, obligation_id: BigInt(rent.id), period_key: '2026-05', seq: 1, amount_cents: 72000n, due_date: '2026-05-01', execution_date: '2026-04-29', booked_on: '2026-04-27' }).execute();
    const notBefore = (await firstOpenDueDate(db, BigInt(rent.id)))!;
    expect(notBefore).toBe('2026-05-02');
    const behind = await refusal(() => inTransaction(db, (trx) => addVersion(trx, BigInt(rent.id), { effectiveFrom: '2026-05-01', amount: eur('735.00'), recordedBy: 'c' }, { notBefore })));
    expect(behind.code).toBe('history_is_not_rewritten');
    const changed = await inTransaction(db, (trx) => addVersion(trx, BigInt(rent.id), { effectiveFrom: '2026-06-01', amount: eur('735.00'), recordedBy: 'c' }, { notBefore }));
    expect(changed.versions.map((v) => `${v.version} ${v.effectiveFrom} ${v.amount.toString()}`)).toEqual(['1 2026-04-01 720.00', '2 2026-06-01 735.00']);
    await inTransaction(db, (trx) => endObligation(trx, BigInt(rent.id), '2026-09-30'));
    expect((await obligationsOf(db, [client.id])).get(client.id)![0]!.validUntil).toBe('2026-09-30');
  });

  it('rule 4: a machtiging covers its payees from signing until revoked; the hold reason says which and why', async () => {
    const db = handle().db;
    const client = await register(db);
    await inTransaction(db, (trx) => recordMachtiging(trx, client.id, { documentReference: 'M-2026-1', signedOn: '2026-02-01', payees: [PAYEES.rent, PAYEES.water] }));
    const revoked = await inTransaction(db, (trx) => revokeMachtiging(trx, client.id, 'M-2026-1', { revokedOn: '2026-06-15', reason: 'wants to pay himself' }));
    const list: Machtiging[] = [revoked];
    expect(isValidOn(revoked, '2026-06-14')).toBe(true);
    expect(holdReasonFor(list, PAYEES.rent.iban, '2026-06-14')).toBeNull();
    expect(holdReasonFor(list, PAYEES.rent.iban, '2026-06-15')).toContain('revoked on 2026-06-15');
    expect(holdReasonFor(list, PAYEES.gas.iban, '2026-03-01')).toContain('no machtiging of the client covers this payee');
    expect(holdReasonFor(list, PAYEES.rent.iban, '2026-01-15')).toContain('valid only from 2026-02-01');
    expect((await refusal(() => inTransaction(db, (trx) => revokeMachtiging(trx, client.id, 'M-2026-1', { revokedOn: '2026-07-01', reason: 'again' })))).code).toBe('machtiging_already_revoked');
    expect((await refusal(() => inTransaction(db, (trx) => recordMachtiging(trx, client.id, { documentReference: 'M-x', signedOn: '2026-02-01', payees: [] })))).code).toBe('invalid_machtiging');
  });

  it('rule 12: ending ontzorgen ends every running period that day; a period decided for later never starts', async () => {
    const db = handle().db;
    const client = await register(db, { start: '2026-03-01' });
    await inTransaction(db, (trx) => startStatutoryPeriod(trx, client.id));
    await inTransaction(db, (trx) => recordFollowUpPeriod(trx, client.id, { basis: 'art57', firstDay: '2026-09-01', lastDay: null, reviewDate: '2027-03-01', decisionReference: 'B57-9' }));
    await inTransaction(db, (trx) => endOntzorgen(trx, client.id, '2026-06-30', 'client manages on his own (maatwerk)'));
    const periods = periodsUntil((await periodsOf(db, [client.id])).get(client.id)!, '2026-06-30');
    expect(periods.map((p) => `${p.basis} ${p.firstDay} ${p.lastDay}`)).toEqual(['art56a 2026-03-01 2026-06-30']);
  });

  it('the gemeente policy: defaults, a complete priority order, a debtor account that pays', async () => {
    const db = handle().db;
    const policy = await getGemeentePolicy(db, GEMEENTE);
    expect(policy).toMatchObject({ priority: POLICY_DEFAULTS.priority, leadBusinessDays: 1, lookAheadBusinessDays: 1, bijstandPayday: '24th', debtorIban: MANAGED });
    expect((await refusal(() => inTransaction(db, (trx) => setGemeentePolicy(trx, GEMEENTE, { debtorIban: MANAGED, bijstandPayday: '24th', priority: ['rent', 'rent', 'water', 'energy', 'other'] }, 'x')))).code).toBe('invalid_policy');
    expect((await refusal(() => inTransaction(db, (trx) => setGemeentePolicy(trx, GEMEENTE, { debtorIban: 'NL69INGB0123456789', bijstandPayday: '24th' }, 'x')))).code).toBe('invalid_policy');
    expect((await refusal(() => getGemeentePolicy(db, 'GM0642'))).code).toBe('gemeente_policy_missing');
  });

  it('rule 8: a floor decision is recorded with its reference, reason and who took it, and applies from its date', async () => {
    const db = handle().db;
    const client = await register(db);
    expect((await refusal(() => inTransaction(db, (trx) => recordFloorDecision(trx, client.id, { reference: '', floor: eur('20.00'), effectiveFrom: '2026-04-01', effectiveUntil: null, reason: 'debt plan', decidedBy: 'bo' })))).code).toBe('invalid_floor_decision');
    const decision = await inTransaction(db, (trx) => recordFloorDecision(trx, client.id, { reference: 'VL-2026-3', floor: eur('20.00'), effectiveFrom: '2026-04-01', effectiveUntil: '2026-06-30', reason: 'arrears plan agreed with the client', decidedBy: 'backoffice:jan' }));
    expect(floorDecisionOn([decision], '2026-03-31')).toBeNull();
    expect(floorDecisionOn([decision], '2026-04-01')?.reference).toBe('VL-2026-3');
    expect(floorDecisionOn([decision], '2026-07-01')).toBeNull();
  });
});

describe('periodsUntil (rule 12), pure', () => {
  it('leaves periods alone while ontzorgen runs', () => {
    const periods = [{ basis: 'art56a' as const, firstDay: '2026-03-01', lastDay: '2026-08-31', reviewDate: null, decisionReference: null }];
    expect(periodsUntil(periods, null)).toEqual(periods);
  });
});
