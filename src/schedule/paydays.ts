import { assertIsoDate, InvalidDate, type IsoDate } from './dates.js';
import { executionDateWithLead } from './lead-time.js';
import { addMonths, assertYearMonth, dayOfMonthClamped, firstDayOf, lastDayOf, yearMonthOf, type YearMonth } from './months.js';
import { addBusinessDays, businessDayOnOrAfter, businessDayOnOrBefore } from './target2.js';

/**
 * When income arrives on the managed account. Bijstand comes on the gemeente's
 * own payday (a gemeente setting); toeslagen on the 20th for the next month.
 * "Working day" is a TARGET2 business day: the money moves by SEPA.
 */

export const BIJSTAND_PAYDAY_RULES = ['24th', 'last_working_day', 'first_working_day_next_month', '15th_next_month'] as const;
export type BijstandPaydayRule = (typeof BIJSTAND_PAYDAY_RULES)[number];

/**
 * How a fixed payday (the 24th, the 15th) moves when it is not a business day.
 * Default `following`, the conservative reading: the engine plans only with
 * money that has certainly arrived, and a gemeente that pays a day earlier
 * ("preceding") only makes the plan safer. A gemeente known to pay early may
 * be set to `preceding`.
 */
export type PaydayAdjustment = 'following' | 'preceding';

export interface PaydayOptions {
  adjust?: PaydayAdjustment;
  /**
   * Business days between the day money is credited and the first day it can be
   * allocated. Default 1: the end-of-day statement (camt.053) of day D is read
   * on the next business day. 0 when intraday notifications (camt.054) are booked.
   */
  bookingDelayBusinessDays?: number;
}

function adjusted(date: IsoDate, adjust: PaydayAdjustment): IsoDate {
  return adjust === 'following' ? businessDayOnOrAfter(date) : businessDayOnOrBefore(date);
}

/**
 * The day the bijstand **for** `month` arrives. Gemeenten pay within the month
 * (the 24th, the last working day) or after it (the first working day, the 15th
 * of the next month).
 */
export function bijstandPayday(rule: BijstandPaydayRule, month: YearMonth, options: PaydayOptions = {}): IsoDate {
  assertYearMonth(month);
  const adjust = options.adjust ?? 'following';
  switch (rule) {
    case '24th':
      return adjusted(dayOfMonthClamped(month, 24), adjust);
    case 'last_working_day':
      return businessDayOnOrBefore(lastDayOf(month));
    case 'first_working_day_next_month':
      return businessDayOnOrAfter(firstDayOf(addMonths(month, 1)));
    case '15th_next_month':
      return adjusted(dayOfMonthClamped(addMonths(month, 1), 15), adjust);
    default:
      throw new InvalidDate(`unknown bijstand payday rule "${String(rule)}"`);
  }
}

/**
 * The day toeslagen arrive in `month` (for the month after it): the 20th, or
 * the next business day when the 20th is not one (domain.md: Dienst Toeslagen).
 */
export function toeslagenPayday(month: YearMonth): IsoDate {
  return businessDayOnOrAfter(dayOfMonthClamped(month, 20));
}

/** The first business day money credited on `arrival` can be allocated and paid out from. */
export function usableFrom(arrival: IsoDate, options: PaydayOptions = {}): IsoDate {
  assertIsoDate(arrival, 'arrival date');
  const delay = options.bookingDelayBusinessDays ?? 1;
  if (!Number.isInteger(delay) || delay < 0 || delay > 5) throw new InvalidDate(`booking delay ${delay} is not 0–5 business days`);
  return addBusinessDays(arrival, delay);
}

/** One bijstand payment and the days it has to last: [usableFrom, nextUsableFrom). */
export interface IncomeCycle {
  bijstandMonth: YearMonth;
  arrives: IsoDate;
  usableFrom: IsoDate;
  nextArrives: IsoDate;
  nextUsableFrom: IsoDate;
}

function cycleOf(rule: BijstandPaydayRule, month: YearMonth, options: PaydayOptions): IncomeCycle {
  const arrives = bijstandPayday(rule, month, options);
  const nextArrives = bijstandPayday(rule, addMonths(month, 1), options);
  return { bijstandMonth: month, arrives, usableFrom: usableFrom(arrives, options), nextArrives, nextUsableFrom: usableFrom(nextArrives, options) };
}

/** The income cycle that `date` falls in: the last bijstand usable on or before it, until the next one is. */
export function incomeCycleOn(rule: BijstandPaydayRule, date: IsoDate, options: PaydayOptions = {}): IncomeCycle {
  assertIsoDate(date);
  for (let month = addMonths(yearMonthOf(date), 1); ; month = addMonths(month, -1)) {
    const cycle = cycleOf(rule, month, options);
    if (cycle.usableFrom <= date) return cycle;
  }
}

export interface RentCheck {
  /** The month the rent is for, due on its `rentDueDay`. */
  rentMonth: YearMonth;
  rentDueDate: IsoDate;
  rentExecutionDate: IsoDate;
  /** The bijstand of the month before: the one that should pay this rent. */
  bijstandMonth: YearMonth;
  bijstandArrives: IsoDate;
  bijstandUsableFrom: IsoDate;
  onTime: boolean;
}

export interface PaydayCheck {
  rule: BijstandPaydayRule;
  /** True when every month's rent can be paid from the previous month's bijstand, arrived and booked in time. */
  feasible: boolean;
  months: RentCheck[];
  problems: RentCheck[];
  /** For the report, in plain words; empty when feasible. */
  message: string;
}

/**
 * Whether a gemeente's bijstand payday lets rent (due on day `rentDueDay`, default the 1st) be paid from
 * the bijstand of the month before, arrived and booked by the rent's execution date. When it does not
 * (the last working day, or any payday in the next month), each rent has to come from the bijstand of
 * two months back: the client needs a month's buffer, and the first rent after moving in cannot be paid
 * from arrived money at all (a noodvoorziening, or a first rent the landlord accepts later).
 */
export function checkRentAgainstPayday(
  rule: BijstandPaydayRule,
  fromMonth: YearMonth,
  options: PaydayOptions & { months?: number; leadBusinessDays?: number; rentDueDay?: number } = {},
): PaydayCheck {
  const count = options.months ?? 12;
  if (!Number.isInteger(count) || count < 1 || count > 120) throw new InvalidDate(`cannot check ${count} months: 1–120`);
  const months: RentCheck[] = [];
  for (let i = 0; i < count; i += 1) {
    const rentMonth = addMonths(fromMonth, i);
    const rentDueDate = dayOfMonthClamped(rentMonth, options.rentDueDay ?? 1);
    const rentExecutionDate = executionDateWithLead(rentDueDate, options.leadBusinessDays);
    const bijstandMonth = addMonths(rentMonth, -1);
    const bijstandArrives = bijstandPayday(rule, bijstandMonth, options);
    const bijstandUsableFrom = usableFrom(bijstandArrives, options);
    months.push({ rentMonth, rentDueDate, rentExecutionDate, bijstandMonth, bijstandArrives, bijstandUsableFrom, onTime: bijstandUsableFrom <= rentExecutionDate });
  }
  const problems = months.filter((month) => !month.onTime);
  const first = problems[0];
  const message = first
    ? `With bijstand paid on "${rule}", rent due ${first.rentDueDate} must be executed on ${first.rentExecutionDate}, ` +
      `but the bijstand for ${first.bijstandMonth} arrives on ${first.bijstandArrives} and can be used from ${first.bijstandUsableFrom} ` +
      `(${problems.length} of ${months.length} months late). Rent must come from the bijstand of the month before that: ` +
      'the client needs a month of buffer, and the first rent after moving in needs a noodvoorziening or a later first due date.'
    : '';
  return { rule, feasible: problems.length === 0, months, problems, message };
}
