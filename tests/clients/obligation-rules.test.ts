import { describe, expect, it } from 'vitest';
import {
  addObligationVersion,
  assertObligationBasis,
  checkObligationBasis,
  dueInstances,
  dueWithinBasis,
  monthlyObligationTotal,
  ObligationRefused,
  STATUTORY_56A_TYPES,
  versionInForce,
  type Obligation,
  type ObligationVersion,
} from '../../src/clients/obligation-rules.js';
import { followUpPeriod, statutoryPeriod } from '../../src/clients/periods.js';
import { Money } from '../../src/money/money.js';

const eur = (text: string): Money => Money.parse(text);
const sixMonths = statutoryPeriod({ inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true, bijstandStart: '2026-01-01' });
const art57 = followUpPeriod({ basis: 'art57', firstDay: '2026-07-01', lastDay: '2026-12-31', reviewDate: '2026-12-01', decisionReference: 'BESL-57-0042' });
const voluntary = followUpPeriod({ basis: 'voluntary', firstDay: '2026-03-01', lastDay: null, reviewDate: '2026-09-01', decisionReference: 'TOESTEMMING-7' });

function v(version: number, effectiveFrom: string, amount: string, dueDay = 1, basis: ObligationVersion['basis'] = 'art56a'): ObligationVersion {
  return { version, effectiveFrom, amount: eur(amount), dueDay, basis };
}

function obligation(id: string, type: Obligation['type'], versions: ObligationVersion[], extra: Partial<Obligation> = {}): Obligation {
  return { id, type, frequency: 'monthly', validUntil: null, versions, ...extra };
}

const dueSummary = (o: Obligation, from: string, to: string): string[] =>
  dueInstances(o, from, to).map((due) => `${due.periodKey} ${due.dueDate} ${due.amount.toString()} ${due.basis}`);

describe('rule 3: what art. 56a covers', () => {
  it('rule 3: the statutory list is rent, gas, electricity, water and the basic health-insurance premium', () => {
    expect([...STATUTORY_56A_TYPES]).toEqual(['rent', 'gas', 'electricity', 'water', 'basic_health_insurance']);
  });

  it('rule 3: a non-statutory obligation under a 56a-only period is refused with a message citing the rule', () => {
    const onRent = checkObligationBasis({ type: 'rent', basis: 'art56a' }, [sixMonths], '2026-02-01');
    expect(onRent).toMatchObject({ allowed: true, period: sixMonths });

    const onSupplementary = checkObligationBasis({ type: 'supplementary_insurance', basis: 'art56a' }, [sixMonths], '2026-02-01');
    expect(onSupplementary).toMatchObject({ allowed: false, code: 'not_covered_by_art56a' });
    expect(onSupplementary.allowed ? '' : onSupplementary.message).toMatch(/art\. 56a Participatiewet covers only rent.*\(rule 3\)/);

    // Claiming another basis does not help while only the 56a period is in force.
    const claimedVoluntary = checkObligationBasis({ type: 'municipal_taxes', basis: 'voluntary' }, [sixMonths], '2026-02-01');
    expect(claimedVoluntary).toMatchObject({ allowed: false, code: 'not_covered_by_art56a' });
    expect(claimedVoluntary.allowed ? '' : claimedVoluntary.message).toMatch(/only the art\. 56a period/);

    expect(() => assertObligationBasis({ type: 'supplementary_insurance', basis: 'art56a' }, [sixMonths], '2026-02-01')).toThrow(ObligationRefused);
  });

  it('rule 3: a non-statutory obligation rests on a non-56a basis that is in force, and records which', () => {
    expect(checkObligationBasis({ type: 'supplementary_insurance', basis: 'voluntary' }, [sixMonths, voluntary], '2026-03-01')).toMatchObject({ allowed: true, period: voluntary });
    expect(checkObligationBasis({ type: 'supplementary_insurance', basis: 'art56a' }, [sixMonths, voluntary], '2026-03-01')).toMatchObject({ allowed: false, code: 'not_covered_by_art56a' });
    expect(checkObligationBasis({ type: 'rent', basis: 'art57' }, [sixMonths], '2026-03-01')).toMatchObject({ allowed: false, code: 'basis_not_in_force' });
    expect(checkObligationBasis({ type: 'rent', basis: 'art56a' }, [sixMonths], '2026-07-01')).toMatchObject({ allowed: false, code: 'basis_not_in_force' });
  });
});

describe('obligation versions: changes are new versions, never edits', () => {
  const energy = obligation('energy', 'electricity', [v(1, '2026-01-01', '120.00', 20)]);

  it('picks the version in force on a day; a correction with the same date wins by its number', () => {
    const changed = addObligationVersion(energy, { effectiveFrom: '2026-06-15', amount: eur('135.00'), dueDay: 20, basis: 'art56a' });
    expect(changed.versions.map((version) => version.version)).toEqual([1, 2]);
    expect(energy.versions).toHaveLength(1);
    const corrected = addObligationVersion(changed, { effectiveFrom: '2026-06-15', amount: eur('132.50'), dueDay: 20, basis: 'art56a' });
    expect(versionInForce(corrected.versions, '2026-06-14')?.amount.toString()).toBe('120.00');
    expect(versionInForce(corrected.versions, '2026-06-15')?.amount.toString()).toBe('132.50');
    expect(versionInForce(corrected.versions, '2025-12-31')).toBeNull();
  });

  it('refuses a change that reaches behind what was already paid, and amounts of zero', () => {
    expect(() => addObligationVersion(energy, { effectiveFrom: '2026-03-01', amount: eur('130.00'), dueDay: 20, basis: 'art56a' }, { notBefore: '2026-04-20' })).toThrow(
      expect.objectContaining({ code: 'history_is_not_rewritten' }),
    );
    expect(() => addObligationVersion(energy, { effectiveFrom: '2026-05-01', amount: Money.ZERO, dueDay: 20, basis: 'art56a' })).toThrow(
      expect.objectContaining({ code: 'invalid_obligation' }),
    );
  });

  it('takes a new energy advance from its effective date, within the month it starts', () => {
    const changed = addObligationVersion(energy, { effectiveFrom: '2026-06-15', amount: eur('135.00'), dueDay: 20, basis: 'art56a' });
    expect(dueSummary(changed, '2026-05-01', '2026-07-31')).toEqual(['2026-05 2026-05-20 120.00 art56a', '2026-06 2026-06-20 135.00 art56a', '2026-07 2026-07-20 135.00 art56a']);
  });

  it('takes a new premium year from 1 January', () => {
    const premium = obligation('premium', 'basic_health_insurance', [v(1, '2026-01-01', '159.00', 1, 'art57'), v(2, '2027-01-01', '165.50', 1, 'art57')]);
    expect(dueSummary(premium, '2026-12-01', '2027-01-31')).toEqual(['2026-12 2026-12-01 159.00 art57', '2027-01 2027-01-01 165.50 art57']);
  });

  it('never makes a month due twice or not at all when the due day changes', () => {
    const earlier = obligation('o1', 'rent', [v(1, '2026-01-01', '700.00', 1), v(2, '2026-03-15', '720.00', 28)]);
    expect(dueSummary(earlier, '2026-03-01', '2026-04-30')).toEqual(['2026-03 2026-03-01 700.00 art56a', '2026-04 2026-04-28 720.00 art56a']);
    const later = obligation('o2', 'rent', [v(1, '2026-01-01', '700.00', 28), v(2, '2026-03-15', '720.00', 1)]);
    expect(dueSummary(later, '2026-03-01', '2026-04-30')).toEqual(['2026-03 2026-03-28 720.00 art56a', '2026-04 2026-04-01 720.00 art56a']);
  });

  it('starts with the first due date on or after the first version, stops after the validity ends, clamps the 31st', () => {
    expect(dueSummary(obligation('r', 'rent', [v(1, '2026-03-10', '720.00', 1)]), '2026-03-01', '2026-04-30')).toEqual(['2026-04 2026-04-01 720.00 art56a']);
    expect(dueSummary(obligation('r', 'rent', [v(1, '2026-01-01', '720.00', 1)], { validUntil: '2026-04-30' }), '2026-03-01', '2026-06-30')).toHaveLength(2);
    expect(dueSummary(obligation('t', 'municipal_taxes', [v(1, '2026-01-01', '30.00', 31, 'voluntary')]), '2026-02-01', '2026-02-28')).toEqual([
      '2026-02 2026-02-28 30.00 voluntary',
    ]);
  });

  it('falls due every third month for a quarterly obligation, from the month of its first version', () => {
    const water = obligation('water', 'water', [v(1, '2026-02-01', '75.00', 1)], { frequency: 'quarterly' });
    expect(dueInstances(water, '2026-01-01', '2026-12-31').map((due) => due.dueDate)).toEqual(['2026-02-01', '2026-05-01', '2026-08-01', '2026-11-01']);
  });
});

describe('due amounts and the basis they rest on', () => {
  const rent56a = obligation('rent', 'rent', [v(1, '2026-01-01', '720.00', 1, 'art56a')]);

  it('rule 3: after the six months, rent resting on 56a is not reserved until a version rests on the art. 57 decision', () => {
    const june = dueWithinBasis([rent56a], [sixMonths, art57], '2026-06-01', '2026-07-31');
    expect(june.covered.map((due) => due.dueDate)).toEqual(['2026-06-01']);
    expect(june.uncovered).toMatchObject([{ instance: { dueDate: '2026-07-01' }, code: 'basis_not_in_force' }]);

    const moved = addObligationVersion(rent56a, { effectiveFrom: '2026-07-01', amount: eur('720.00'), dueDay: 1, basis: 'art57' }, { notBefore: '2026-07-01' });
    const july = dueWithinBasis([moved], [sixMonths, art57], '2026-06-01', '2026-07-31');
    expect(july.covered.map((due) => `${due.dueDate} ${due.basis}`)).toEqual(['2026-06-01 art56a', '2026-07-01 art57']);
    expect(july.uncovered).toEqual([]);
  });

  it('adds up a month of obligations, quarterly ones a third rounded up', () => {
    const single = [
      rent56a,
      obligation('gas', 'gas', [v(1, '2026-01-01', '55.00')]),
      obligation('electricity', 'electricity', [v(1, '2026-01-01', '65.00')]),
      obligation('water', 'water', [v(1, '2026-01-01', '75.00')], { frequency: 'quarterly' }),
      obligation('premium', 'basic_health_insurance', [v(1, '2026-01-01', '159.00')]),
    ];
    expect(monthlyObligationTotal(single, '2026-03-01').toString()).toBe('1024.00');
    expect(monthlyObligationTotal([obligation('w', 'water', [v(1, '2026-01-01', '100.00')], { frequency: 'quarterly' })], '2026-03-01').toString()).toBe('33.34');
  });
});
