import { checkObligationBasis, OBLIGATION_LABELS, versionInForce, type Obligation } from '../clients/obligation-rules.js';
import type { OntzorgPeriod } from '../clients/periods.js';
import { dayOfMonthClamped, isIsoDate, yearMonthOf, type IsoDate } from '../schedule/index.js';
import { MaatwerkError } from './errors.js';
import type { MaatwerkAction, MaatwerkScope, ReasonCategory, ReservedMoney, ToeslagenTreatment } from './rows.js';

/**
 * Maatwerk decisions as pure rules: which decision is in force on a day, what it withholds, what happens to
 * money already reserved, and whether a new decision may be recorded at all. No database, no clock: the
 * caller says what "today" is.
 */

export const SCOPES = ['full_opt_out', 'partial', 'hand_over_plan'] as const satisfies readonly MaatwerkScope[];
export const REASON_CATEGORIES = ['financially_self_reliant', 'own_account_automatic_payments', 'counter_productive', 'learning_to_pay', 'other'] as const satisfies readonly ReasonCategory[];
export const RESERVED_MONEY = ['pay_due_release_rest', 'pay_all_reserved', 'release_all'] as const satisfies readonly ReservedMoney[];
export const TOESLAGEN_TREATMENTS = ['applied', 'passed_on'] as const satisfies readonly ToeslagenTreatment[];

export interface MaatwerkObligationItem {
  readonly obligationId: string;
  /** `kept`: still withheld under a partial decision; `handed_over`: the client pays it from `handOverOn`. */
  readonly treatment: 'kept' | 'handed_over';
  readonly handOverOn: IsoDate | null;
}

/** A stored decision or revocation (a revocation has no scope and names the decision it ends). */
export interface MaatwerkDecision {
  readonly id: string;
  readonly action: MaatwerkAction;
  readonly scope: MaatwerkScope | null;
  /** The decision this row ends from its effective date (a replacement or a revocation). */
  readonly replacesId: string | null;
  readonly reasonCategory: ReasonCategory | null;
  readonly reason: string;
  readonly assessment: string | null;
  readonly effectiveDate: IsoDate;
  readonly reviewDate: IsoDate | null;
  readonly reservedMoney: ReservedMoney | null;
  readonly toeslagen: ToeslagenTreatment | null;
  readonly decidedBy: string;
  readonly obligations: readonly MaatwerkObligationItem[];
}

// ---------- in force ----------

/**
 * The decision in force on `date`: of the decisions effective on or before it and not yet ended by a later
 * row (replacement or revocation effective on or before `date`), the latest effective one, the newest among
 * equals. Null: ontzorgen as usual. Rule 10: each row acts only from its own effective date, so the answer
 * for a past day never changes when a decision is recorded today.
 */
export function decisionOn(decisions: readonly MaatwerkDecision[], date: IsoDate): MaatwerkDecision | null {
  if (decisions.length === 0) return null;
  const endedOn = new Map<string, IsoDate>();
  for (const row of decisions) if (row.replacesId !== null) endedOn.set(row.replacesId, row.effectiveDate);
  let found: MaatwerkDecision | null = null;
  for (const d of decisions) {
    if (d.action !== 'decide' || d.effectiveDate > date) continue;
    const end = endedOn.get(d.id);
    if (end !== undefined && end <= date) continue;
    if (found === null || d.effectiveDate > found.effectiveDate || (d.effectiveDate === found.effectiveDate && BigInt(d.id) > BigInt(found.id))) found = d;
  }
  return found;
}

/** Whether `decision` still withholds the obligation on `date` (the decision is taken to be in force then). */
function withholds(decision: MaatwerkDecision, obligationId: string, date: IsoDate): boolean {
  switch (decision.scope) {
    case 'full_opt_out':
      return false;
    // Rules 3 and 10: only what a decision names as handed over stops being withheld. A partial decision names
    // every obligation the client had when it was decided (kept or handed over from its effective date); one recorded
    // later (a new landlord's IBAN, a new supplier) stays withheld until a new decision says otherwise.
    case 'partial':
    case 'hand_over_plan': {
      const step = decision.obligations.find((o) => o.obligationId === obligationId && o.treatment === 'handed_over');
      return step === undefined || step.handOverOn === null || date < step.handOverOn;
    }
    default:
      return true;
  }
}

/** Is the obligation still withheld (reserved and paid by the service) on `date`? Without a decision: yes. */
export function withheldOn(decisions: readonly MaatwerkDecision[], obligationId: string, date: IsoDate): boolean {
  const decision = decisionOn(decisions, date);
  return decision === null || withholds(decision, obligationId, date);
}

/** A full opt-out in force on `date`: nothing withheld, all income passed on, no leefgeld schedule. */
export function fullyOptedOutOn(decisions: readonly MaatwerkDecision[], date: IsoDate): boolean {
  return decisionOn(decisions, date)?.scope === 'full_opt_out';
}

/** Rule 6 under a decision: toeslagen are applied only with consent, and only while the decision says so. */
export function toeslagenAppliedOn(decisions: readonly MaatwerkDecision[], date: IsoDate, consent: boolean): boolean {
  if (!consent) return false;
  const decision = decisionOn(decisions, date);
  return decision === null || decision.toeslagen === 'applied';
}

export type DueTreatment = 'withhold' | 'pay_reserved' | 'release';

/**
 * What allocation does with one obligation period as of `asOf` (the run date):
 * - `withhold`: reserve and pay as usual — it is withheld on its due date (due before the hand-over);
 * - `pay_reserved`: due after the hand-over, but the decision says money already reserved is paid as
 *   planned (`pay_all_reserved`): paid from what is reserved, never topped up;
 * - `release`: the client's to pay; an open reservation goes back to the client's free money. Under
 *   `release_all` also a period due before the hand-over, once the hand-over has come.
 */
export function dueTreatment(decisions: readonly MaatwerkDecision[], item: { obligationId: string; dueDate: IsoDate }, asOf: IsoDate, reserved: boolean): DueTreatment {
  if (decisions.length === 0) return 'withhold';
  if (withheldOn(decisions, item.obligationId, item.dueDate)) {
    const now = decisionOn(decisions, asOf);
    if (now !== null && now.reservedMoney === 'release_all' && !withholds(now, item.obligationId, asOf)) return 'release';
    return 'withhold';
  }
  const handing = decisionOn(decisions, item.dueDate);
  return handing?.reservedMoney === 'pay_all_reserved' && reserved ? 'pay_reserved' : 'release';
}

// ---------- the plan, as the caseworker and the client read it ----------

export interface ObligationUnderDecision {
  readonly obligationId: string;
  /** The first day the client pays it; null: the service keeps paying it under this decision. */
  readonly handedOverOn: IsoDate | null;
}

/** Per obligation of the client: from when the client pays it under `decision` (the hand-over plan). */
export function obligationSchedule(decision: MaatwerkDecision, obligationIds: readonly string[]): ObligationUnderDecision[] {
  return obligationIds.map((obligationId) => {
    if (decision.scope === 'full_opt_out') return { obligationId, handedOverOn: decision.effectiveDate };
    if (decision.scope === 'partial') return { obligationId, handedOverOn: withholds(decision, obligationId, decision.effectiveDate) ? null : decision.effectiveDate };
    const step = decision.obligations.find((o) => o.obligationId === obligationId && o.treatment === 'handed_over');
    return { obligationId, handedOverOn: step?.handOverOn ?? null };
  });
}

// ---------- validation of a new decision ----------

export interface DecisionInput {
  readonly scope: MaatwerkScope;
  readonly reasonCategory: ReasonCategory;
  readonly reason: string;
  readonly assessment: string;
  readonly effectiveDate: IsoDate;
  readonly reviewDate: IsoDate;
  readonly reservedMoney?: ReservedMoney;
  readonly toeslagen?: ToeslagenTreatment;
  /**
   * Partial: the obligations that stay withheld; every other obligation the client has on the effective date is
   * handed over (stored as handed over from that date). An obligation recorded later stays withheld.
   */
  readonly kept?: readonly string[];
  /** Hand-over plan: each obligation and the first day the client pays it. */
  readonly handOver?: readonly { readonly obligationId: string; readonly on: IsoDate }[];
  readonly decidedBy: string;
}

export interface DecisionContext {
  /** Rule 10: the first day a decision may take effect (today, or the last day already allocated). */
  readonly notBefore: IsoDate;
  readonly periods: readonly OntzorgPeriod[];
  readonly obligations: readonly Obligation[];
  readonly toeslagenConsent: boolean;
  readonly ontzorgenEndedOn: IsoDate | null;
}

export type ValidDecision = Required<Omit<DecisionInput, 'kept' | 'handOver'>> & { readonly obligations: MaatwerkObligationItem[] };

const invalid = (message: string): never => {
  throw new MaatwerkError('invalid_maatwerk_decision', message);
};
const breaks = (message: string): never => {
  throw new MaatwerkError('maatwerk_breaks_rule', message);
};

/** Rule 10 for any new row (decision or revocation): from `notBefore` on, never in the past. */
export function assertNotRetroactive(effectiveDate: IsoDate, notBefore: IsoDate): void {
  if (!isIsoDate(effectiveDate)) invalid('the effective date must be a date written as YYYY-MM-DD');
  if (effectiveDate < notBefore) {
    breaks(`rule 10: a maatwerk decision changes withholding only from its effective date and history is never rewritten, so it cannot take effect on ${effectiveDate}, before ${notBefore} (today, or the last day already allocated)`);
  }
}

/**
 * Checks a new decision against the client's periods, obligations and consent, and the rules of law a
 * decision cannot change. Returns the decision as it will be stored (defaults filled in), or throws
 * `invalid_maatwerk_decision` / `maatwerk_breaks_rule` (citing the rule).
 */
export function validateDecision(input: DecisionInput, ctx: DecisionContext): ValidDecision {
  if (!(SCOPES as readonly string[]).includes(input.scope)) invalid(`the scope must be one of ${SCOPES.join(', ')}`);
  if (!(REASON_CATEGORIES as readonly string[]).includes(input.reasonCategory)) invalid(`the reason category must be one of ${REASON_CATEGORIES.join(', ')}`);
  const reason = (input.reason ?? '').trim();
  const assessment = (input.assessment ?? '').trim();
  const decidedBy = (input.decidedBy ?? '').trim();
  if (reason.length < 3 || reason.length > 2000) invalid('a maatwerk decision explains its reason (3–2000 characters)');
  if (assessment.length < 3 || assessment.length > 2000) invalid('a maatwerk decision names the assessment it rests on (3–2000 characters)');
  if (decidedBy.length < 1 || decidedBy.length > 200) invalid('a maatwerk decision records who took it');
  const reservedMoney = input.reservedMoney ?? 'pay_due_release_rest';
  if (!(RESERVED_MONEY as readonly string[]).includes(reservedMoney)) invalid(`reserved money is one of ${RESERVED_MONEY.join(', ')}`);
  assertNotRetroactive(input.effectiveDate, ctx.notBefore);
  if (!isIsoDate(input.reviewDate ?? '') || input.reviewDate <= input.effectiveDate) invalid('the review date must be a date after the effective date');

  // Rule 12 is another thing: a decision changes withholding within ontzorgen; it needs a period to act in.
  const ended = ctx.ontzorgenEndedOn !== null && ctx.ontzorgenEndedOn < input.effectiveDate;
  const running = ctx.periods.filter((p) => p.lastDay === null || p.lastDay >= input.effectiveDate);
  if (ended || running.length === 0) invalid(`the client has no ontzorg period in force on or after ${input.effectiveDate}: there is nothing to decide about (ending ontzorgen is rule 12, not a maatwerk decision)`);
  const lastDay = running.some((p) => p.lastDay === null) ? null : running.map((p) => p.lastDay!).sort().at(-1)!;

  const own = new Map(ctx.obligations.map((o) => [o.id, o]));
  const kept = [...(input.kept ?? [])];
  const steps = [...(input.handOver ?? [])];
  const named = [...kept, ...steps.map((s) => s.obligationId)];
  for (const id of named) if (!own.has(id)) invalid(`obligation ${id} is not one of this client's obligations`);
  if (new Set(named).size !== named.length) invalid('each obligation is named once in a decision');

  const toeslagen = input.toeslagen ?? (input.scope !== 'full_opt_out' && ctx.toeslagenConsent ? 'applied' : 'passed_on');
  if (!(TOESLAGEN_TREATMENTS as readonly string[]).includes(toeslagen)) invalid(`toeslagen are ${TOESLAGEN_TREATMENTS.join(' or ')}`);
  const obligations: MaatwerkObligationItem[] = [];
  let withheld: string[] = [];
  switch (input.scope) {
    case 'full_opt_out':
      if (named.length > 0) invalid('a full opt-out withholds nothing: it names no obligations');
      if (toeslagen === 'applied') invalid('a full opt-out withholds nothing: toeslagen are passed on to the client');
      break;
    case 'partial': {
      if (steps.length > 0) invalid('a partial decision names the obligations it keeps; hand-over dates belong to a hand-over plan');
      if (kept.length === 0) invalid('a partial decision keeps at least one obligation withheld; to withhold nothing, decide a full opt-out');
      const running = ctx.obligations.filter((o) => o.validUntil === null || o.validUntil >= input.effectiveDate);
      if (running.every((o) => kept.includes(o.id))) invalid('a partial decision that keeps every obligation changes nothing; hand at least one over');
      for (const id of kept) obligations.push({ obligationId: id, treatment: 'kept', handOverOn: null });
      // The decision names what it hands over, so that an obligation recorded later is not handed over unseen.
      for (const o of running) if (!kept.includes(o.id)) obligations.push({ obligationId: o.id, treatment: 'handed_over', handOverOn: input.effectiveDate });
      withheld = kept;
      break;
    }
    case 'hand_over_plan':
      if (kept.length > 0) invalid('a hand-over plan names each obligation with its hand-over date; what it does not name stays withheld');
      if (steps.length === 0) invalid('a hand-over plan hands at least one obligation over on a planned date');
      for (const step of steps) {
        if (!isIsoDate(step.on ?? '')) invalid(`the hand-over date of obligation ${step.obligationId} must be a date written as YYYY-MM-DD`);
        if (step.on < input.effectiveDate) invalid(`obligation ${step.obligationId} cannot be handed over on ${step.on}, before the plan takes effect on ${input.effectiveDate}`);
        if (lastDay !== null && step.on > lastDay) invalid(`obligation ${step.obligationId} cannot be handed over on ${step.on}: ontzorgen ends on ${lastDay}, and the plan lies within it`);
        obligations.push({ obligationId: step.obligationId, treatment: 'handed_over', handOverOn: step.on });
      }
      withheld = steps.filter((s) => s.on > input.effectiveDate).map((s) => s.obligationId);
      break;
  }

  // Rule 3 is law: what stays withheld must be something the service may pay on the basis in force.
  for (const id of withheld) {
    const obligation = own.get(id)!;
    const version = versionInForce(obligation.versions, input.effectiveDate) ?? obligation.versions[0];
    if (!version) continue;
    const check = checkObligationBasis({ type: obligation.type, basis: version.basis }, ctx.periods, input.effectiveDate);
    if (!check.allowed) breaks(`rule 3: ${OBLIGATION_LABELS[obligation.type]} (obligation ${id}) cannot stay withheld from ${input.effectiveDate}. ${check.message}`);
  }
  // Rule 6 is law too: toeslagen are not bijstand; only the client's consent lets them pay obligations.
  if (toeslagen === 'applied' && !ctx.toeslagenConsent) {
    breaks('rule 6: toeslagen are not bijstand and are applied to obligations only with the client\'s recorded consent; this client has not consented, so a decision cannot have them withheld');
  }
  return { scope: input.scope, reasonCategory: input.reasonCategory, reason, assessment, effectiveDate: input.effectiveDate, reviewDate: input.reviewDate, reservedMoney, toeslagen, decidedBy, obligations };
}

/**
 * For the leefgeld rule "income minus obligations": does the obligation still count in the month of `date`?
 * It counts while its period of that month is withheld (judged on that period's due date), so the month an
 * obligation is handed over, what was withheld for it becomes leefgeld.
 */
export function countsInMonthOf(decisions: readonly MaatwerkDecision[], obligation: Obligation, date: IsoDate): boolean {
  if (decisions.length === 0) return true;
  const version = versionInForce(obligation.versions, date);
  const dueDate = version ? dayOfMonthClamped(yearMonthOf(date), version.dueDay) : date;
  return withheldOn(decisions, obligation.id, dueDate);
}
