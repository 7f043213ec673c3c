import { addDays, assertIsoDate, daysBetween, isIsoDate, lastDayOfMonthsFrom, type IsoDate } from '../schedule/index.js';

/**
 * Ontzorg periods: the legal basis on which the service pays a client's costs,
 * and for how long. Art. 56a Participatiewet gives six months by law; after it
 * (or next to it, for costs 56a does not cover) only art. 57, the client's
 * voluntary consent or budgetbeheer (Wgs) can, each recorded per period with a
 * decision and a review date.
 */

export const LEGAL_BASES = ['art56a', 'art57', 'voluntary', 'budgetbeheer'] as const;
export type LegalBasis = (typeof LEGAL_BASES)[number];
export type FollowUpBasis = Exclude<LegalBasis, 'art56a'>;

export const BASIS_LABELS: Readonly<Record<LegalBasis, string>> = {
  art56a: 'art. 56a Participatiewet',
  art57: 'art. 57 Participatiewet (individual decision)',
  voluntary: "the client's voluntary consent",
  budgetbeheer: 'budgetbeheer (Wet gemeentelijke schuldhulpverlening)',
};

export interface OntzorgPeriod {
  basis: LegalBasis;
  firstDay: IsoDate;
  /** Inclusive. Null: open-ended (voluntary consent until revoked, a decision without a term). */
  lastDay: IsoDate | null;
  /** When the basis must be looked at again; null only for the 56a period, whose end is fixed by law. */
  reviewDate: IsoDate | null;
  /** The art. 57 decision, the signed consent, the Wgs decision; null only for the 56a period. */
  decisionReference: string | null;
}

export type PeriodErrorCode = 'not_eligible_for_art56a' | 'invalid_period';

export class PeriodRefused extends Error {
  constructor(
    readonly code: PeriodErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PeriodRefused';
  }
}

/** The facts art. 56a lid 1 asks for, as recorded on the client. */
export interface Art56aFacts {
  inburgeringsplichtigWi2021: boolean;
  fixedTermAsylumPermit: boolean;
  /** The first day of the right to bijstand (may lie up to three months in the past). */
  bijstandStart: IsoDate;
  /** The last day of bijstand, once it is known to end. */
  bijstandLastDay?: IsoDate | null;
}

/** Rule 1: both conditions of art. 56a lid 1, with every reason that fails, in words for the back office. */
export function art56aEligibility(facts: Art56aFacts): { eligible: true } | { eligible: false; reasons: string[] } {
  const reasons: string[] = [];
  if (facts.inburgeringsplichtigWi2021 !== true) reasons.push('the client is not recorded as inburgeringsplichtig under the Wet inburgering 2021');
  if (facts.fixedTermAsylumPermit !== true) reasons.push('the client is not recorded as holding an asylum residence permit for a fixed term (art. 28 Vw 2000)');
  return reasons.length === 0 ? { eligible: true } : { eligible: false, reasons };
}

/**
 * The last day of six months from `firstDay`: the day before the same date six
 * months later, or the last day of the sixth month when that date does not
 * exist. 2026-01-01 → 2026-06-30; 2026-01-31 → 2026-07-30; 2026-08-31 → 2027-02-28.
 */
export function sixMonthsLastDay(firstDay: IsoDate): IsoDate {
  return lastDayOfMonthsFrom(firstDay, 6);
}

/**
 * Rules 1 and 2: the statutory period, from the first day of the right to
 * bijstand for six months, or to the last day of bijstand when that is sooner.
 * Refused, citing art. 56a lid 1, for a client who does not meet both conditions:
 * such a client can be served only under another recorded basis.
 */
export function statutoryPeriod(facts: Art56aFacts): OntzorgPeriod {
  assertIsoDate(facts.bijstandStart, 'first day of the right to bijstand');
  const eligibility = art56aEligibility(facts);
  if (!eligibility.eligible) {
    throw new PeriodRefused(
      'not_eligible_for_art56a',
      `No art. 56a period: art. 56a lid 1 Participatiewet applies only to a client who is inburgeringsplichtig under the Wi2021 and holds a fixed-term asylum permit, and ${eligibility.reasons.join(', and ')}. Record an art. 57 decision, voluntary consent or budgetbeheer instead (rule 1).`,
    );
  }
  let lastDay = sixMonthsLastDay(facts.bijstandStart);
  if (facts.bijstandLastDay) {
    assertIsoDate(facts.bijstandLastDay, 'last day of bijstand');
    if (facts.bijstandLastDay < facts.bijstandStart) throw new PeriodRefused('invalid_period', 'bijstand cannot end before it starts');
    if (facts.bijstandLastDay < lastDay) lastDay = facts.bijstandLastDay;
  }
  return { basis: 'art56a', firstDay: facts.bijstandStart, lastDay, reviewDate: null, decisionReference: null };
}

/** Rule 2: a period on another basis, which must carry its decision and a review date within the period. */
export function followUpPeriod(input: {
  basis: FollowUpBasis;
  firstDay: IsoDate;
  lastDay: IsoDate | null;
  reviewDate: IsoDate;
  decisionReference: string;
}): OntzorgPeriod {
  const refuse = (message: string): never => {
    throw new PeriodRefused('invalid_period', message);
  };
  if (!(LEGAL_BASES as readonly string[]).includes(input.basis) || input.basis === ('art56a' as LegalBasis)) {
    refuse(`"${String(input.basis)}" is not a basis for a follow-up period: use art57, voluntary or budgetbeheer (an art. 56a period comes only from the client's facts)`);
  }
  if (!isIsoDate(input.firstDay)) refuse(`first day "${input.firstDay}" is not a date`);
  if (input.lastDay !== null && (!isIsoDate(input.lastDay) || input.lastDay < input.firstDay)) refuse('the last day must be a date on or after the first day');
  if (!isIsoDate(input.reviewDate ?? '')) refuse(`a period on ${BASIS_LABELS[input.basis]} needs a review date (rule 2)`);
  if (input.reviewDate < input.firstDay || (input.lastDay !== null && input.reviewDate > input.lastDay)) {
    refuse('the review date must fall within the period');
  }
  if (typeof input.decisionReference !== 'string' || input.decisionReference.trim() === '') {
    refuse(`a period on ${BASIS_LABELS[input.basis]} needs the reference of the decision or signed consent it rests on`);
  }
  return { basis: input.basis, firstDay: input.firstDay, lastDay: input.lastDay, reviewDate: input.reviewDate, decisionReference: input.decisionReference.trim() };
}

/** A period ended early (consent revoked, bijstand ended): a new value, never shorter than one day. */
export function endPeriod(period: OntzorgPeriod, lastDay: IsoDate): OntzorgPeriod {
  assertIsoDate(lastDay, 'last day');
  if (lastDay < period.firstDay) throw new PeriodRefused('invalid_period', `a period that starts ${period.firstDay} cannot end on ${lastDay}`);
  const end = period.lastDay !== null && period.lastDay < lastDay ? period.lastDay : lastDay;
  return { ...period, lastDay: end, reviewDate: period.reviewDate !== null && period.reviewDate > end ? end : period.reviewDate };
}

export function isInForce(period: OntzorgPeriod, date: IsoDate): boolean {
  return period.firstDay <= date && (period.lastDay === null || date <= period.lastDay);
}

export function periodsInForce(periods: readonly OntzorgPeriod[], date: IsoDate): OntzorgPeriod[] {
  assertIsoDate(date);
  return periods.filter((period) => isInForce(period, date));
}

/** Which bases are in force on `date`, in the order of LEGAL_BASES (more than one when a period covers other costs next to 56a). */
export function basesInForce(periods: readonly OntzorgPeriod[], date: IsoDate): LegalBasis[] {
  const inForce = new Set(periodsInForce(periods, date).map((period) => period.basis));
  return LEGAL_BASES.filter((basis) => inForce.has(basis));
}

// ---------- the daily list (rule 2) ----------

export interface ClientPeriods {
  clientId: string;
  periods: readonly OntzorgPeriod[];
  /** Set when ontzorgen was ended on purpose (rule 12): the client is no longer listed. */
  ontzorgenEndedOn?: IsoDate | null;
}

export type PeriodSignalKind = 'ends_soon' | 'ended_without_follow_up' | 'review_due';

export interface PeriodSignal {
  clientId: string;
  kind: PeriodSignalKind;
  period: OntzorgPeriod;
  /** The day the signal is about: the period's last day, or its review date. */
  date: IsoDate;
  /** Days from `asOf` to `date`; negative when it has passed. */
  days: number;
  /** For `ends_soon`: the first day of a later period that leaves a gap, if one is recorded. */
  nextPeriodStarts: IsoDate | null;
}

/**
 * Rule 2's list for the daily batch, as of `asOf`: periods that end within
 * `horizonDays` (default 30) with no period in force the day after; periods that
 * ended with nothing in force after them and nothing recorded later; and
 * reviews due within the horizon or overdue. A follow-up is any other period in
 * force on the day after the last day, so a 56a period followed seamlessly by
 * an art. 57 decision is not listed; one followed after a gap is listed as
 * ending soon, with the day the next one starts.
 */
export function periodsNeedingDecision(clients: readonly ClientPeriods[], asOf: IsoDate, horizonDays = 30): PeriodSignal[] {
  assertIsoDate(asOf, 'as-of date');
  if (!Number.isInteger(horizonDays) || horizonDays < 0) throw new RangeError('the horizon is a whole number of days, at least 0');
  const horizon = addDays(asOf, horizonDays);
  const signals: PeriodSignal[] = [];
  for (const client of clients) {
    if (client.ontzorgenEndedOn) continue;
    for (const period of client.periods) {
      const others = client.periods.filter((other) => other !== period);
      if (period.lastDay !== null) {
        const dayAfter = addDays(period.lastDay, 1);
        const followedSeamlessly = others.some((other) => isInForce(other, dayAfter));
        const later = others.filter((other) => other.firstDay > period.lastDay!).map((other) => other.firstDay).sort()[0] ?? null;
        const signal = (kind: PeriodSignalKind): PeriodSignal => ({
          clientId: client.clientId,
          kind,
          period,
          date: period.lastDay!,
          days: daysBetween(asOf, period.lastDay!),
          nextPeriodStarts: later,
        });
        if (!followedSeamlessly && period.lastDay >= asOf && period.lastDay <= horizon) signals.push(signal('ends_soon'));
        if (!followedSeamlessly && period.lastDay < asOf && later === null) signals.push(signal('ended_without_follow_up'));
      }
      const current = period.lastDay === null || period.lastDay >= asOf;
      if (current && period.reviewDate !== null && period.reviewDate <= horizon) {
        signals.push({ clientId: client.clientId, kind: 'review_due', period, date: period.reviewDate, days: daysBetween(asOf, period.reviewDate), nextPeriodStarts: null });
      }
    }
  }
  return signals.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
