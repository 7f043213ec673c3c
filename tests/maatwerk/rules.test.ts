import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Obligation, ObligationType } from '../../src/clients/obligation-rules.js';
import type { LegalBasis, OntzorgPeriod } from '../../src/clients/periods.js';
import { MaatwerkError } from '../../src/maatwerk/errors.js';
import {
  countsInMonthOf,
  decisionOn,
  dueTreatment,
  fullyOptedOutOn,
  obligationSchedule,
  toeslagenAppliedOn,
  validateDecision,
  withheldOn,
  type DecisionContext,
  type DecisionInput,
  type MaatwerkDecision,
} from '../../src/maatwerk/rules.js';
import { Money } from '../../src/money/money.js';
import { addDays } from '../../src/schedule/index.js';

const obligation = (id: string, type: ObligationType, basis: LegalBasis = 'art56a', amount = '100.00'): Obligation => ({
  id,
  type,
  frequency: 'monthly',
  validUntil: null,
  versions: [{ version: 1, effectiveFrom: '2026-04-01', amount: Money.parse(amount), dueDay: 1, basis }],
});
const STATUTORY: OntzorgPeriod = { basis: 'art56a', firstDay: '2026-03-01', lastDay: '2026-08-31', reviewDate: null, decisionReference: null };
const ART57: OntzorgPeriod = { basis: 'art57', firstDay: '2026-03-01', lastDay: '2027-02-28', reviewDate: '2026-12-01', decisionReference: 'B57-1' };
const OBLIGATIONS = [obligation('1', 'rent'), obligation('2', 'gas'), obligation('3', 'electricity'), obligation('4', 'water'), obligation('5', 'basic_health_insurance')];

const context = (overrides: Partial<DecisionContext> = {}): DecisionContext => ({
  notBefore: '2026-05-11',
  periods: [STATUTORY],
  obligations: OBLIGATIONS,
  toeslagenConsent: false,
  ontzorgenEndedOn: null,
  ...overrides,
});
const input = (overrides: Partial<DecisionInput> = {}): DecisionInput => ({
  scope: 'partial',
  reasonCategory: 'own_account_automatic_payments',
  reason: 'has automatic payments for energy and water from her own account',
  assessment: 'budget interview 2026-05-04',
  effectiveDate: '2026-06-01',
  reviewDate: '2026-09-01',
  kept: ['1'],
  decidedBy: 'bo-fatima',
  ...overrides,
});

function refusal(run: () => unknown): MaatwerkError {
  try {
    run();
  } catch (error) {
    if (error instanceof MaatwerkError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

let ids = 0;
const decision = (overrides: Partial<MaatwerkDecision>): MaatwerkDecision => ({
  id: String(++ids),
  action: 'decide',
  scope: 'partial',
  replacesId: null,
  reasonCategory: 'financially_self_reliant',
  reason: 'reason',
  assessment: 'assessment',
  effectiveDate: '2026-06-01',
  reviewDate: '2026-09-01',
  reservedMoney: 'pay_due_release_rest',
  toeslagen: 'passed_on',
  decidedBy: 'bo',
  obligations: [],
  ...overrides,
});

/** A partial decision as stored: what it keeps, and every other obligation the client had, handed over from its date. */
const keeping = (kept: readonly string[], effectiveDate: string): MaatwerkDecision['obligations'] =>
  OBLIGATIONS.map((o) => (kept.includes(o.id) ? { obligationId: o.id, treatment: 'kept' as const, handOverOn: null } : { obligationId: o.id, treatment: 'handed_over' as const, handOverOn: effectiveDate }));

describe('validating a maatwerk decision: the rules of law it cannot change', () => {
  it('accepts a partial decision keeping rent, filling in the defaults', () => {
    const valid = validateDecision(input(), context());
    // It names what it hands over (every other obligation the client has), so nothing recorded later is handed over unseen.
    expect(valid).toMatchObject({ scope: 'partial', reservedMoney: 'pay_due_release_rest', toeslagen: 'passed_on', obligations: keeping(['1'], '2026-06-01') });
    expect(validateDecision(input(), context({ toeslagenConsent: true })).toeslagen).toBe('applied');
  });

  it('rule 3: a partial decision keeping supplementary insurance withheld under a 56a-only period is refused, citing the rule', () => {
    const obligations = [...OBLIGATIONS, obligation('6', 'supplementary_insurance', 'art57')];
    const error = refusal(() => validateDecision(input({ kept: ['1', '6'] }), context({ obligations })));
    expect(error.code).toBe('maatwerk_breaks_rule');
    expect(error.message).toMatch(/^rule 3: supplementary insurance \(obligation 6\) cannot stay withheld/);
    expect(error.message).toContain('art. 56a Participatiewet covers only rent, gas, electricity, water and the basic health-insurance premium');
    // With an art. 57 decision in force, the same decision is lawful.
    expect(validateDecision(input({ kept: ['1', '6'] }), context({ obligations, periods: [STATUTORY, ART57] })).obligations.filter((o) => o.treatment === 'kept')).toHaveLength(2);
  });

  it('rule 3: a hand-over plan cannot keep withholding an obligation without a basis until its step', () => {
    const obligations = [...OBLIGATIONS, obligation('6', 'municipal_taxes', 'art57')];
    const error = refusal(() => validateDecision(input({ scope: 'hand_over_plan', kept: [], handOver: [{ obligationId: '6', on: '2026-07-01' }] }), context({ obligations })));
    expect(error.code).toBe('maatwerk_breaks_rule');
    expect(error.message).toMatch(/^rule 3: /);
  });

  it('rule 6: toeslagen cannot be withheld by a decision without the client\'s consent', () => {
    const error = refusal(() => validateDecision(input({ toeslagen: 'applied' }), context({ toeslagenConsent: false })));
    expect(error.code).toBe('maatwerk_breaks_rule');
    expect(error.message).toMatch(/^rule 6: toeslagen are not bijstand/);
    expect(validateDecision(input({ toeslagen: 'applied' }), context({ toeslagenConsent: true })).toeslagen).toBe('applied');
  });

  it('rule 10: no decision takes effect before today or a day already allocated', () => {
    const error = refusal(() => validateDecision(input({ effectiveDate: '2026-05-10' }), context({ notBefore: '2026-05-11' })));
    expect(error.code).toBe('maatwerk_breaks_rule');
    expect(error.message).toMatch(/^rule 10: a maatwerk decision changes withholding only from its effective date/);
    expect(validateDecision(input({ effectiveDate: '2026-05-11' }), context({ notBefore: '2026-05-11' })).effectiveDate).toBe('2026-05-11');
  });

  it('rule 12 is something else: a client whose ontzorgen ended, or without a period, cannot get a decision', () => {
    expect(refusal(() => validateDecision(input(), context({ periods: [] }))).code).toBe('invalid_maatwerk_decision');
    expect(refusal(() => validateDecision(input(), context({ ontzorgenEndedOn: '2026-05-31' }))).message).toContain('no ontzorg period in force on or after 2026-06-01');
    expect(refusal(() => validateDecision(input({ effectiveDate: '2026-09-01', reviewDate: '2026-10-01' }), context())).code).toBe('invalid_maatwerk_decision');
  });

  it('refuses what does not add up, naming it', () => {
    const cases: [Partial<DecisionInput>, RegExp][] = [
      [{ kept: ['99'] }, /obligation 99 is not one of this client's obligations/],
      [{ kept: ['1', '1'] }, /each obligation is named once/],
      [{ kept: [] }, /keeps at least one obligation withheld/],
      [{ kept: ['1', '2', '3', '4', '5'] }, /keeps every obligation changes nothing/],
      [{ reviewDate: '2026-06-01' }, /review date must be a date after the effective date/],
      [{ reason: ' ' }, /explains its reason/],
      [{ assessment: '' }, /names the assessment/],
      [{ scope: 'full_opt_out' }, /a full opt-out withholds nothing: it names no obligations/],
      [{ scope: 'full_opt_out', kept: [], toeslagen: 'applied' }, /toeslagen are passed on/],
      [{ scope: 'hand_over_plan', kept: [], handOver: [] }, /hands at least one obligation over/],
      [{ scope: 'hand_over_plan', kept: [], handOver: [{ obligationId: '2', on: '2026-05-31' }] }, /before the plan takes effect on 2026-06-01/],
      [{ scope: 'hand_over_plan', kept: [], handOver: [{ obligationId: '2', on: '2026-09-01' }] }, /ontzorgen ends on 2026-08-31/],
      [{ reasonCategory: 'because' as never }, /reason category must be one of/],
    ];
    for (const [overrides, message] of cases) {
      const error = refusal(() => validateDecision(input(overrides), context()));
      expect(error.code, JSON.stringify(overrides)).toBe('invalid_maatwerk_decision');
      expect(error.message).toMatch(message);
    }
  });
});

describe('which decision is in force, and what it withholds (rule 10)', () => {
  const partial = decision({ id: '10', scope: 'partial', effectiveDate: '2026-06-01', obligations: keeping(['1'], '2026-06-01') });
  const plan = decision({
    id: '11',
    scope: 'hand_over_plan',
    effectiveDate: '2026-05-01',
    obligations: [
      { obligationId: '2', treatment: 'handed_over', handOverOn: '2026-06-01' },
      { obligationId: '5', treatment: 'handed_over', handOverOn: '2026-07-01' },
    ],
  });

  it('before its effective date nothing changes; from it, only what it keeps is withheld', () => {
    expect(withheldOn([partial], '2', '2026-05-31')).toBe(true);
    expect(withheldOn([partial], '2', '2026-06-01')).toBe(false);
    expect(withheldOn([partial], '1', '2026-06-01')).toBe(true);
    expect(withheldOn([], '2', '2026-06-01')).toBe(true);
  });

  it('rules 3 and 10: an obligation recorded after a partial decision stays withheld; no one decided to hand it over', () => {
    // Obligation 7: the same rent to the landlord's new IBAN, recorded after the decision kept rent (obligation 1).
    expect(withheldOn([partial], '7', '2026-07-01')).toBe(true);
    expect(dueTreatment([partial], { obligationId: '7', dueDate: '2026-07-01' }, '2026-06-20', false)).toBe('withhold');
    expect(obligationSchedule(partial, ['1', '2', '7'])).toEqual([
      { obligationId: '1', handedOverOn: null },
      { obligationId: '2', handedOverOn: '2026-06-01' },
      { obligationId: '7', handedOverOn: null },
    ]);
  });

  it('a hand-over plan hands each obligation over on its own date; what it does not name stays withheld', () => {
    expect(withheldOn([plan], '2', '2026-05-31')).toBe(true);
    expect(withheldOn([plan], '2', '2026-06-01')).toBe(false);
    expect(withheldOn([plan], '5', '2026-06-30')).toBe(true);
    expect(withheldOn([plan], '5', '2026-07-01')).toBe(false);
    expect(withheldOn([plan], '1', '2027-01-01')).toBe(true);
    expect(obligationSchedule(plan, ['1', '2', '5'])).toEqual([
      { obligationId: '1', handedOverOn: null },
      { obligationId: '2', handedOverOn: '2026-06-01' },
      { obligationId: '5', handedOverOn: '2026-07-01' },
    ]);
  });

  it('a replacement ends the decision before it from its own effective date; a revocation brings ontzorgen back', () => {
    const opt = decision({ id: '20', scope: 'full_opt_out', effectiveDate: '2026-05-13' });
    const replacement = { ...partial, id: '21', replacesId: '20', effectiveDate: '2026-06-01' };
    const revocation = decision({ id: '22', action: 'revoke', scope: null, replacesId: '21', effectiveDate: '2026-07-01' });
    const all = [opt, replacement, revocation];
    expect(decisionOn(all, '2026-05-12')).toBeNull();
    expect(decisionOn(all, '2026-05-13')?.id).toBe('20');
    expect(fullyOptedOutOn(all, '2026-05-31')).toBe(true);
    expect(decisionOn(all, '2026-06-01')?.id).toBe('21');
    expect(decisionOn(all, '2026-07-01')).toBeNull();
    expect(withheldOn(all, '2', '2026-07-01')).toBe(true);
  });

  it('a decision revoked before it took effect never applies', () => {
    const future = decision({ id: '30', scope: 'full_opt_out', effectiveDate: '2026-07-01' });
    const revocation = decision({ id: '31', action: 'revoke', scope: null, replacesId: '30', effectiveDate: '2026-06-15' });
    expect(decisionOn([future, revocation], '2026-08-01')).toBeNull();
  });

  it('rule 6 under a decision: toeslagen are applied only with consent and while the decision keeps them applied', () => {
    const applied = decision({ toeslagen: 'applied', effectiveDate: '2026-06-01' });
    expect(toeslagenAppliedOn([applied], '2026-06-02', false)).toBe(false);
    expect(toeslagenAppliedOn([applied], '2026-06-02', true)).toBe(true);
    expect(toeslagenAppliedOn([{ ...applied, toeslagen: 'passed_on' }], '2026-06-02', true)).toBe(false);
  });

  it('a handed-over obligation stops counting in the leefgeld target from the month its period is handed over', () => {
    const rent = obligation('1', 'rent');
    const energy = obligation('2', 'gas');
    expect(countsInMonthOf([plan], energy, '2026-05-31')).toBe(true);
    expect(countsInMonthOf([plan], energy, '2026-06-30')).toBe(false);
    expect(countsInMonthOf([plan], rent, '2026-06-30')).toBe(true);
  });
});

describe('what happens to money already reserved', () => {
  const keepRent = (reservedMoney: MaatwerkDecision['reservedMoney']) =>
    decision({ scope: 'partial', effectiveDate: '2026-05-13', reservedMoney, obligations: keeping(['1'], '2026-05-13') });

  it('default (pay_due_release_rest): a period due before the effective date is still paid, a later one is released', () => {
    const d = [keepRent('pay_due_release_rest')];
    expect(dueTreatment(d, { obligationId: '2', dueDate: '2026-05-01' }, '2026-05-13', true)).toBe('withhold');
    expect(dueTreatment(d, { obligationId: '2', dueDate: '2026-06-01' }, '2026-05-13', true)).toBe('release');
    expect(dueTreatment(d, { obligationId: '1', dueDate: '2026-06-01' }, '2026-05-13', true)).toBe('withhold');
  });

  it('pay_all_reserved: what was reserved is paid as planned, what was not is the client\'s', () => {
    const d = [keepRent('pay_all_reserved')];
    expect(dueTreatment(d, { obligationId: '2', dueDate: '2026-06-01' }, '2026-05-13', true)).toBe('pay_reserved');
    expect(dueTreatment(d, { obligationId: '2', dueDate: '2026-06-01' }, '2026-05-13', false)).toBe('release');
  });

  it('release_all: from the effective date even a period due before it is released, if not yet paid', () => {
    const d = [keepRent('release_all')];
    expect(dueTreatment(d, { obligationId: '2', dueDate: '2026-05-01' }, '2026-05-12', true)).toBe('withhold');
    expect(dueTreatment(d, { obligationId: '2', dueDate: '2026-05-01' }, '2026-05-13', true)).toBe('release');
    expect(dueTreatment(d, { obligationId: '1', dueDate: '2026-05-01' }, '2026-05-13', true)).toBe('withhold');
  });
});

describe('properties of decisions in force', () => {
  const day = fc.integer({ min: 0, max: 300 }).map((n) => addDays('2026-03-01', n));
  const row = fc.record({ kind: fc.constantFrom('partial', 'full_opt_out', 'hand_over_plan', 'revoke'), effective: day, step: day });

  it('rule 10: a row recorded later never changes what was in force before its own effective date', () => {
    fc.assert(
      fc.property(fc.array(row, { minLength: 1, maxLength: 8 }), day, (rows, probe) => {
        const decisions: MaatwerkDecision[] = [];
        for (const [n, r] of rows.entries()) {
          const open = [...decisions].reverse().find((d) => d.action === 'decide' && !decisions.some((e) => e.replacesId === d.id));
          if (r.kind === 'revoke' && !open) continue;
          const next = decision({
            id: String(n + 1),
            action: r.kind === 'revoke' ? 'revoke' : 'decide',
            scope: r.kind === 'revoke' ? null : (r.kind as MaatwerkDecision['scope']),
            replacesId: open?.id ?? null,
            effectiveDate: r.effective,
            obligations: r.kind === 'partial' ? keeping(['1'], r.effective) : r.kind === 'hand_over_plan' ? [{ obligationId: '2', treatment: 'handed_over', handOverOn: r.step < r.effective ? r.effective : r.step }] : [],
          });
          const before = ['1', '2', '3'].map((o) => withheldOn(decisions, o, probe));
          const after = ['1', '2', '3'].map((o) => withheldOn([...decisions, next], o, probe));
          if (probe < next.effectiveDate) expect(after).toEqual(before);
          decisions.push(next);
        }
      }),
      { numRuns: 300 },
    );
  });
});
