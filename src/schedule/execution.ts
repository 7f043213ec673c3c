import { assertIsoDate, type IsoDate } from './dates.js';
import { businessDayOnOrAfter, businessDayOnOrBefore, previousBusinessDay } from './target2.js';

/**
 * When to execute a payment so that the payee has the money on its due date.
 *
 * Rule chosen: the **business day before the due date** (D−1), counted from the
 * last business day on or before D. Why: the SEPA Credit Transfer rulebook
 * gives the debtor's bank at most one business day after the execution date to
 * credit the creditor's bank (D+1 maximum execution time), and the creditor's
 * bank must make the money available on the day it is credited. Executing on
 * D−1 therefore guarantees arrival by D even when a bank uses the full day; Dutch
 * banks usually credit on the execution date itself, so it often arrives a day
 * early, which harms no one. When D is not a business day (rent due on Sunday
 * the 1st, or on 1 January) the last business day before it counts as D: money
 * that arrives on the next business day would be late.
 *
 * Instant payments (SCT Inst) run every calendar day and arrive within seconds:
 * their latest execution day is D itself.
 */
export function latestExecutionDate(dueDate: IsoDate, options: { instant?: boolean } = {}): IsoDate {
  assertIsoDate(dueDate, 'due date');
  if (options.instant) return dueDate;
  return previousBusinessDay(businessDayOnOrBefore(dueDate));
}

export interface ExecutionPlan {
  /** The day to put in ReqdExctnDt. */
  executionDate: IsoDate;
  /** False when even executing at the earliest possible day may arrive after the due date. */
  onTime: boolean;
}

/**
 * The execution date for a payment due on `dueDate`, prepared on `today`: the
 * latest date that still arrives on time, or, when that day has passed, the
 * earliest day possible (today or the next business day) marked late, so the
 * caller can signal it instead of silently paying late.
 */
export function planExecutionDate(dueDate: IsoDate, today: IsoDate, options: { instant?: boolean } = {}): ExecutionPlan {
  assertIsoDate(today, 'today');
  const latest = latestExecutionDate(dueDate, options);
  if (latest >= today) return { executionDate: latest, onTime: true };
  // Past the latest day, arrival by the due date is no longer guaranteed: say so.
  return { executionDate: options.instant ? today : businessDayOnOrAfter(today), onTime: false };
}
