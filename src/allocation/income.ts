import { Money } from '../money/money.js';
import type { IncomeClass, PassOn, Receipt } from './types.js';

/**
 * Rule 6. Art. 56a reaches only the bijstand: every other credit (toeslagen,
 * kinderbijslag, a refund, a wage) is the client's own money, applied to their
 * obligations only with their recorded consent and otherwise passed on. With
 * consent, huurtoeslag goes to the rent reservation first and zorgtoeslag to
 * the basic health-insurance reservation first.
 */
export interface IncomeSplit {
  passOn: PassOn[];
  /** Consented huurtoeslag, to rent first. */
  rentFirst: Money;
  /** Consented zorgtoeslag, to the basic premium first. */
  healthFirst: Money;
}

const NAMES: Readonly<Record<IncomeClass, string>> = {
  bijstand: 'bijstand',
  zorgtoeslag: 'zorgtoeslag',
  huurtoeslag: 'huurtoeslag',
  kindgebonden_budget: 'kindgebonden budget',
  kinderbijslag: 'kinderbijslag',
  other: 'this credit',
};

export function splitIncome(receipts: readonly Receipt[], toeslagenConsent: boolean): IncomeSplit {
  const passOn: PassOn[] = [];
  let rentFirst = 0n;
  let healthFirst = 0n;
  for (const receipt of receipts) {
    if (receipt.classification === 'bijstand') continue;
    if (!toeslagenConsent) {
      passOn.push({
        receiptId: receipt.id,
        classification: receipt.classification,
        amount: receipt.amount,
        reason: `${NAMES[receipt.classification]} is not bijstand and the client has not consented to its use for their costs: passed on (rule 6)`,
      });
      continue;
    }
    if (receipt.classification === 'huurtoeslag') rentFirst += receipt.amount.cents;
    if (receipt.classification === 'zorgtoeslag') healthFirst += receipt.amount.cents;
  }
  return { passOn, rentFirst: Money.fromCents(rentFirst), healthFirst: Money.fromCents(healthFirst) };
}

/** What a month's income is for the leefgeld rule: bijstand, plus other income only with consent (else it is passed on). */
export function expectedMonthlyIncome(incomes: readonly { classification: IncomeClass; monthlyAmount: Money }[], toeslagenConsent: boolean): Money {
  return Money.sum(incomes.filter((income) => income.classification === 'bijstand' || toeslagenConsent).map((income) => income.monthlyAmount));
}
