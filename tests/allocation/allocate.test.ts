import { describe, expect, it } from 'vitest';
import { AllocationError } from '../../src/allocation/index.js';
import { Money } from '../../src/money/money.js';
import { afterBooking, allocate, BIJSTAND, eur, HUURTOESLAG, input, monthOfObligations, POLICY, receipt, reservedBy, ZORGTOESLAG } from './single-adult.js';

const april = monthOfObligations('2026-04'); // due 2026-04-01, executed 2026-03-31
const supplementary = { obligationId: 'aanvullend', type: 'supplementary_insurance' as const, periodKey: '2026-04', dueDate: '2026-04-01', executionDate: '2026-03-31', amount: eur('12.50') };

describe('rule 5: fixed costs first, in the gemeente order', () => {
  it('rule 5: fixed costs are reserved before leefgeld, in the default order rent, energy, water, health insurance, other', () => {
    const result = allocate(input({ free: eur('1030.00'), due: [supplementary, ...april] }));
    expect(reservedBy(result)).toEqual({ rent: '720.00', gas: '55.00', electricity: '65.00', water: '25.00', premium: '159.00', aanvullend: '6.00' });
    expect(result.dues.map((due) => `${due.item.obligationId}:${due.state}`)).toEqual([
      'rent:covered',
      'electricity:covered', // within a group: by due date, then obligation id
      'gas:covered',
      'water:covered',
      'premium:covered',
      'aanvullend:short',
    ]);

    const tight = allocate(input({ free: eur('800.00') }));
    expect(reservedBy(tight)).toEqual({ rent: '720.00', electricity: '65.00', gas: '15.00' });
    expect(tight.signals).toContainEqual({ kind: 'shortfall', obligationId: 'premium', periodKey: '2026-04', missing: eur('159.00'), executionDate: '2026-03-31' });
  });

  it('rule 5: the priority order is a gemeente setting', () => {
    const policy = { ...POLICY, priority: ['rent', 'health_insurance', 'energy', 'water', 'other'] as const };
    expect(reservedBy(allocate(input({ free: eur('900.00'), policy })))).toEqual({ rent: '720.00', premium: '159.00', electricity: '21.00' });
    expect(() => allocate(input({ policy: { ...POLICY, priority: ['rent', 'energy'] } }))).toThrow(AllocationError);
  });

  it('rule 5: leefgeld comes out of what is left after the reservations', () => {
    const result = allocate(input({ free: eur('1100.00'), leefgeld: { target: eur('300.00'), paymentsUntilNextIncome: 1, payNow: '2026-03-30' } }));
    expect(Money.sum(result.reservations.map((reservation) => reservation.amount)).toString()).toBe('1024.00');
    expect(result.leefgeld?.amount.toString()).toBe('76.00');
    expect(result.leftFree).toEqual(Money.ZERO);
  });
});

describe('rule 6: toeslagen are not bijstand', () => {
  it('rule 6: with consent, huurtoeslag goes to the rent reservation first and zorgtoeslag to the health-insurance reservation first', () => {
    const toeslagen = [receipt('huurtoeslag', HUURTOESLAG), receipt('zorgtoeslag', ZORGTOESLAG)];
    const result = allocate(input({ asOf: '2026-03-23', free: eur('509.00'), receipts: toeslagen }));
    // Rent comes first in the gemeente order, yet the zorgtoeslag pays the premium.
    expect(reservedBy(result)).toEqual({ rent: '380.00', premium: '129.00' });
    expect(result.passOn).toEqual([]);

    const premiumFirst = { ...POLICY, priority: ['health_insurance', 'rent', 'energy', 'water', 'other'] as const };
    const huur = allocate(input({ asOf: '2026-03-23', free: HUURTOESLAG, receipts: [receipt('huurtoeslag', HUURTOESLAG)], policy: premiumFirst }));
    expect(reservedBy(huur)).toEqual({ rent: '380.00' });
  });

  it('rule 6: without consent, toeslagen are passed on to the client, even when rent is short', () => {
    const toeslagen = [receipt('huurtoeslag', HUURTOESLAG), receipt('zorgtoeslag', ZORGTOESLAG)];
    const result = allocate(input({ asOf: '2026-03-23', free: eur('509.00'), receipts: toeslagen, toeslagenConsent: false }));
    expect(result.passOn.map((passOn) => `${passOn.classification} ${passOn.amount.toString()}`)).toEqual(['huurtoeslag 380.00', 'zorgtoeslag 129.00']);
    expect(result.passOn[0]?.reason).toMatch(/not bijstand.*rule 6/);
    expect(result.reservations).toEqual([]);
    expect(result.dues.find((due) => due.item.obligationId === 'rent')?.state).toBe('short');
    expect(result.leftFree).toEqual(Money.ZERO);
  });

  it('rule 6: bijstand is never passed on; kinderbijslag needs the same consent', () => {
    const result = allocate(input({ free: eur('1584.23'), receipts: [receipt('bijstand', BIJSTAND), receipt('kinderbijslag', eur('250.00'))], toeslagenConsent: false }));
    expect(result.passOn.map((passOn) => passOn.classification)).toEqual(['kinderbijslag']);
    expect(Money.sum(result.reservations.map((reservation) => reservation.amount)).toString()).toBe('1024.00');
  });
});

describe('rule 8: leefgeld between what is free and the floor', () => {
  const fixed200 = { target: eur('200.00'), paymentsUntilNextIncome: 5, payNow: '2026-03-30' };
  const floor75 = { ...POLICY, leefgeldFloor: eur('75.00') };

  it('rule 8: leefgeld is reduced before rent goes unpaid, but not below the floor', () => {
    const result = allocate(input({ free: BIJSTAND, receipts: [receipt('bijstand', BIJSTAND)], policy: floor75, leefgeld: fixed200 }));
    expect(result.protectedForLeefgeld.toString()).toBe('375.00');
    expect(reservedBy(result)).toEqual({ rent: '720.00', gas: '55.00', electricity: '65.00', water: '25.00', premium: '94.23' });
    expect(result.signals).toContainEqual({ kind: 'shortfall', obligationId: 'premium', periodKey: '2026-04', missing: eur('64.77'), executionDate: '2026-03-31' });
    expect(result.leefgeld).toMatchObject({ amount: eur('75.00'), target: eur('200.00'), floor: eur('75.00'), floorDecision: null });
    expect(result.signals.some((signal) => signal.kind === 'leefgeld_below_floor')).toBe(false);
  });

  it('rule 8: only a recorded back-office decision takes leefgeld below the floor', () => {
    const floorDecision = { reference: 'BB-2026-0042', floor: Money.ZERO };
    const result = allocate(input({ free: BIJSTAND, receipts: [receipt('bijstand', BIJSTAND)], policy: floor75, leefgeld: fixed200, floorDecision }));
    expect(Money.sum(result.reservations.map((reservation) => reservation.amount)).toString()).toBe('1024.00');
    expect(result.leefgeld).toMatchObject({ amount: eur('62.04'), floorDecision: 'BB-2026-0042' }); // 310.23 over five payments
    expect(result.signals.some((signal) => signal.kind === 'leefgeld_below_floor')).toBe(false);
    expect(() => allocate(input({ free: BIJSTAND, policy: floor75, leefgeld: fixed200, floorDecision: { reference: ' ', floor: Money.ZERO } }))).toThrow(/recorded decision/);
  });

  it('rule 8: leefgeld is never more than what is free after reservations', () => {
    const result = allocate(input({ free: eur('1100.00'), leefgeld: { target: eur('500.00'), paymentsUntilNextIncome: 1, payNow: '2026-03-30' } }));
    expect(result.leefgeld?.amount.toString()).toBe('76.00');
  });

  it('rule 8: when the money itself is short (bijstand late), rent waits for it and the low leefgeld is signalled', () => {
    const result = allocate(input({ free: eur('100.00'), policy: floor75, leefgeld: { ...fixed200, paymentsUntilNextIncome: 4 } }));
    expect(result.reservations).toEqual([]);
    expect(result.leefgeld?.amount.toString()).toBe('25.00');
    expect(result.signals).toContainEqual({ kind: 'leefgeld_below_floor', date: '2026-03-30', amount: eur('25.00'), floor: eur('75.00') });
    expect(result.leftFree.toString()).toBe('75.00');
  });
});

describe('shortfalls, arrears and partial payment', () => {
  it('reports a shortfall before the execution date and arrears from it; pays in part only when policy allows', () => {
    const before = allocate(input({ asOf: '2026-03-30', free: eur('700.00'), due: april.slice(0, 1) }));
    expect(before.dues[0]).toMatchObject({ state: 'short', missing: eur('20.00'), payable: Money.ZERO });
    const onTheDay = allocate(input({ asOf: '2026-03-31', free: eur('700.00'), due: april.slice(0, 1) }));
    expect(onTheDay.dues[0]).toMatchObject({ state: 'arrears', payable: Money.ZERO });
    expect(onTheDay.signals).toContainEqual({ kind: 'arrears', obligationId: 'rent', periodKey: '2026-04', missing: eur('20.00'), executionDate: '2026-03-31' });
    const partial = allocate(input({ asOf: '2026-03-31', free: eur('700.00'), due: april.slice(0, 1), policy: { ...POLICY, partialPayment: true } }));
    expect(partial.dues[0]?.payable.toString()).toBe('700.00');
  });

  it('signals a reservation larger than a lowered amount, and leaves it for the back office', () => {
    const result = allocate(input({ free: Money.ZERO, due: april.slice(0, 1), reserved: [{ obligationId: 'rent', periodKey: '2026-04', amount: eur('740.00') }] }));
    expect(result.signals).toEqual([{ kind: 'over_reserved', obligationId: 'rent', periodKey: '2026-04', excess: eur('20.00') }]);
    expect(result.dues[0]).toMatchObject({ state: 'covered', payable: eur('720.00') });
  });
});

describe('re-running', () => {
  it('reserves nothing more when run again on its own outcome', () => {
    const first = input({ free: eur('1200.00'), receipts: [receipt('bijstand', eur('1200.00'))], leefgeld: { target: eur('100.00'), paymentsUntilNextIncome: 4, payNow: null } });
    const once = allocate(first);
    expect(Money.sum(once.reservations.map((reservation) => reservation.amount)).toString()).toBe('1000.00'); // 200 kept for four floors of 50
    const again = allocate({ ...first, ...afterBooking(first, once), receipts: [] });
    expect(again.reservations).toEqual([]);
    expect(again.leftFree).toEqual(once.leftFree);
  });
});

describe('refusals', () => {
  it('refuses inputs that cannot be right', () => {
    expect(() => allocate(input({ due: [...april, april[0]!] }))).toThrow(/due twice/);
    expect(() => allocate(input({ free: eur('10.00'), receipts: [receipt('bijstand', BIJSTAND)] }))).toThrow(/cannot exceed the free money/);
    expect(() => allocate(input({ leefgeld: { target: eur('10.00'), paymentsUntilNextIncome: 0, payNow: '2026-03-30' } }))).toThrow(/counts among/);
    expect(() => allocate(input({ free: eur('-1.00') }))).toThrow(/negative/);
  });
});
