import { Money } from '../money/money.js';
import {
  addMonths,
  assertIsoDate,
  dayOfMonthClamped,
  firstDayOf,
  monthsBetween,
  yearMonthOf,
  type IsoDate,
  type YearMonth,
} from '../schedule/index.js';
import { BASIS_LABELS, basesInForce, periodsInForce, type LegalBasis, type OntzorgPeriod } from './periods.js';

/**
 * Obligations (vaste lasten) and the rules they keep: which basis may cover
 * which type (rule 3), versions with effective dates (history is never edited),
 * and the due dates and amounts that follow from them.
 */

/** What art. 56a lid 1 lets the college pay in the client's name, and nothing else. */
export const STATUTORY_56A_TYPES = ['rent', 'gas', 'electricity', 'water', 'basic_health_insurance'] as const;
export const OBLIGATION_TYPES = [...STATUTORY_56A_TYPES, 'supplementary_insurance', 'municipal_taxes', 'other'] as const;
export type ObligationType = (typeof OBLIGATION_TYPES)[number];

export const OBLIGATION_LABELS: Readonly<Record<ObligationType, string>> = {
  rent: 'rent',
  gas: 'gas',
  electricity: 'electricity',
  water: 'water',
  basic_health_insurance: 'the basic health-insurance premium',
  supplementary_insurance: 'supplementary insurance',
  municipal_taxes: 'municipal taxes',
  other: 'this obligation',
};

export function isStatutory56aType(type: ObligationType): boolean {
  return (STATUTORY_56A_TYPES as readonly string[]).includes(type);
}

export type ObligationErrorCode =
  | 'not_covered_by_art56a'
  | 'basis_not_in_force'
  | 'invalid_obligation'
  | 'history_is_not_rewritten'
  | 'period_already_instructed'
  | 'end_before_instructed_period';

export class ObligationRefused extends Error {
  constructor(
    readonly code: ObligationErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ObligationRefused';
  }
}

// ---------- rule 3 ----------

export type BasisCheck = { allowed: true; period: OntzorgPeriod } | { allowed: false; code: ObligationErrorCode; message: string };

const NOT_56A =
  'art. 56a Participatiewet covers only rent, gas, electricity, water and the basic health-insurance premium (rule 3)';

/**
 * Rule 3: whether an obligation of `type`, resting on `basis`, may be paid on
 * `date` given the client's periods. A type outside the 56a list never rests on
 * 56a, and under a 56a-only period it is refused with a message citing the rule.
 */
export function checkObligationBasis(obligation: { type: ObligationType; basis: LegalBasis }, periods: readonly OntzorgPeriod[], date: IsoDate): BasisCheck {
  assertIsoDate(date);
  const what = OBLIGATION_LABELS[obligation.type];
  const inForce = basesInForce(periods, date);
  const onlyArt56a = inForce.length === 1 && inForce[0] === 'art56a';
  if (!isStatutory56aType(obligation.type) && (obligation.basis === 'art56a' || onlyArt56a)) {
    const context = onlyArt56a ? ` On ${date} this client has only the art. 56a period, so ${what} cannot be paid on their behalf.` : '';
    return {
      allowed: false,
      code: 'not_covered_by_art56a',
      message: `Refused: ${NOT_56A}; ${what} needs an art. 57 decision, the client's voluntary consent or budgetbeheer.${context}`,
    };
  }
  const period = periodsInForce(periods, date).find((candidate) => candidate.basis === obligation.basis);
  if (!period) {
    return { allowed: false, code: 'basis_not_in_force', message: `Refused: ${what} rests on ${BASIS_LABELS[obligation.basis]}, but no such period is in force on ${date}.` };
  }
  return { allowed: true, period };
}

export function assertObligationBasis(obligation: { type: ObligationType; basis: LegalBasis }, periods: readonly OntzorgPeriod[], date: IsoDate): OntzorgPeriod {
  const check = checkObligationBasis(obligation, periods, date);
  if (!check.allowed) throw new ObligationRefused(check.code, check.message);
  return check.period;
}

// ---------- versions ----------

/** One version of what an obligation costs: a change is a new version from its effective date. */
export interface ObligationVersion {
  /** 1, 2, 3…; a correction with the same effective date gets a higher number and wins. */
  version: number;
  effectiveFrom: IsoDate;
  /** Per period: a month, or a quarter for quarterly obligations. */
  amount: Money;
  /** 1–31; a shorter month's last day when it has no such day. */
  dueDay: number;
  basis: LegalBasis;
}

export interface Obligation {
  id: string;
  type: ObligationType;
  /** Quarterly obligations fall due every third month from the month of the first version. */
  frequency: 'monthly' | 'quarterly';
  /** The last day the obligation exists (contract ended, handed back); null while it runs. */
  validUntil: IsoDate | null;
  versions: readonly ObligationVersion[];
}

function byEffectiveDate(a: ObligationVersion, b: ObligationVersion): number {
  return a.effectiveFrom < b.effectiveFrom ? -1 : a.effectiveFrom > b.effectiveFrom ? 1 : a.version - b.version;
}

/** The version in force on `date`: the latest effective date on or before it, the highest number among equals. */
export function versionInForce(versions: readonly ObligationVersion[], date: IsoDate): ObligationVersion | null {
  assertIsoDate(date);
  let found: ObligationVersion | null = null;
  for (const version of versions) {
    if (version.effectiveFrom <= date && (found === null || byEffectiveDate(found, version) < 0)) found = version;
  }
  return found;
}

function validateVersion(version: Omit<ObligationVersion, 'version'>): void {
  const refuse = (message: string): never => {
    throw new ObligationRefused('invalid_obligation', message);
  };
  assertIsoDate(version.effectiveFrom, 'effective date');
  if (!(version.amount instanceof Money) || !version.amount.isPositive()) refuse('an obligation amount must be more than 0.00');
  if (!Number.isInteger(version.dueDay) || version.dueDay < 1 || version.dueDay > 31) refuse(`due day ${version.dueDay} is not between 1 and 31`);
}

/**
 * A change as a new version (a new energy advance, the premium of a new year).
 * `notBefore` is the first due date not yet paid or reserved: a change may not
 * reach behind it, because what was paid stays as it was.
 */
export function addObligationVersion(obligation: Obligation, change: Omit<ObligationVersion, 'version'>, options: { notBefore?: IsoDate } = {}): Obligation {
  validateVersion(change);
  if (options.notBefore !== undefined && change.effectiveFrom < options.notBefore) {
    throw new ObligationRefused(
      'history_is_not_rewritten',
      `a change effective ${change.effectiveFrom} reaches behind ${options.notBefore}, the first due date not yet paid; record it from that date and settle the difference separately`,
    );
  }
  const version = obligation.versions.reduce((max, existing) => Math.max(max, existing.version), 0) + 1;
  return { ...obligation, versions: [...obligation.versions, { ...change, version }] };
}

// ---------- due dates ----------

/** One period's amount of one obligation: what allocation reserves and the batch pays. */
export interface DueInstance {
  obligationId: string;
  type: ObligationType;
  /** `YYYY-MM` of the due month: with the obligation, the idempotency of reservation and payment. */
  periodKey: YearMonth;
  dueDate: IsoDate;
  amount: Money;
  basis: LegalBasis;
  version: number;
}

/**
 * The instance of `month`, if the obligation falls due in it. The due day comes
 * from the version in force on the month's first day (or the first version that
 * starts within the month), so a change of due day never makes a month due
 * twice or not at all; the amount and basis come from the version in force on
 * the due date itself, so a new advance effective the 15th already applies to a
 * payment due the 20th.
 */
function instanceIn(obligation: Obligation, month: YearMonth, first: ObligationVersion): DueInstance | null {
  if (obligation.frequency === 'quarterly' && monthsBetween(yearMonthOf(first.effectiveFrom), month) % 3 !== 0) return null;
  const startOfMonth = firstDayOf(month);
  const dayVersion =
    versionInForce(obligation.versions, startOfMonth) ??
    [...obligation.versions].filter((version) => yearMonthOf(version.effectiveFrom) === month).sort(byEffectiveDate)[0];
  if (!dayVersion) return null;
  const dueDate = dayOfMonthClamped(month, dayVersion.dueDay);
  if (dueDate < first.effectiveFrom || (obligation.validUntil !== null && dueDate > obligation.validUntil)) return null;
  const amountVersion = versionInForce(obligation.versions, dueDate)!;
  return {
    obligationId: obligation.id,
    type: obligation.type,
    periodKey: month,
    dueDate,
    amount: amountVersion.amount,
    basis: amountVersion.basis,
    version: amountVersion.version,
  };
}

/** Every due instance with a due date in [from, to], in date order. */
export function dueInstances(obligation: Obligation, from: IsoDate, to: IsoDate): DueInstance[] {
  assertIsoDate(from, 'from');
  assertIsoDate(to, 'to');
  if (obligation.versions.length === 0) throw new ObligationRefused('invalid_obligation', `obligation ${obligation.id} has no version`);
  for (const version of obligation.versions) validateVersion(version);
  const first = [...obligation.versions].sort(byEffectiveDate)[0]!;
  const result: DueInstance[] = [];
  if (monthsBetween(yearMonthOf(from), yearMonthOf(to)) > 240) throw new ObligationRefused('invalid_obligation', 'ask for at most twenty years of due dates at once');
  for (let month = yearMonthOf(from); month <= yearMonthOf(to); month = addMonths(month, 1)) {
    const instance = instanceIn(obligation, month, first);
    if (instance && instance.dueDate >= from && instance.dueDate <= to) result.push(instance);
  }
  return result;
}

/**
 * Splits the due instances of [from, to] into those whose basis is in force on
 * the due date (rule 3: only these may be reserved and paid) and those whose
 * basis is not, with the reason. Reserving for an obligation without a basis
 * would withhold the client's money unlawfully, so those go to the back office.
 */
export function dueWithinBasis(
  obligations: readonly Obligation[],
  periods: readonly OntzorgPeriod[],
  from: IsoDate,
  to: IsoDate,
): { covered: DueInstance[]; uncovered: { instance: DueInstance; code: ObligationErrorCode; message: string }[] } {
  const covered: DueInstance[] = [];
  const uncovered: { instance: DueInstance; code: ObligationErrorCode; message: string }[] = [];
  for (const obligation of obligations) {
    for (const instance of dueInstances(obligation, from, to)) {
      const check = checkObligationBasis(instance, periods, instance.dueDate);
      if (check.allowed) covered.push(instance);
      else uncovered.push({ instance, code: check.code, message: check.message });
    }
  }
  return { covered, uncovered };
}

/**
 * What the obligations cost a month, for the leefgeld rule "income minus
 * obligations": monthly amounts as they are, quarterly ones divided by three
 * and rounded **up** to the cent (the one rounding here: leefgeld is never
 * computed higher than the money allows).
 */
export function monthlyObligationTotal(obligations: readonly Obligation[], date: IsoDate): Money {
  let cents = 0n;
  for (const obligation of obligations) {
    if (obligation.validUntil !== null && obligation.validUntil < date) continue;
    const version = versionInForce(obligation.versions, date);
    if (!version) continue;
    cents += obligation.frequency === 'monthly' ? version.amount.cents : (version.amount.cents + 2n) / 3n;
  }
  return Money.fromCents(cents);
}
