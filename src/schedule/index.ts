export { amsterdamToday, amsterdamWallClock } from './amsterdam.js';
export { addDays, addOneYear, assertIsoDate, dayOfWeek, daysBetween, InvalidDate, isIsoDate, isoDate, type IsoDate } from './dates.js';
export {
  addBusinessDays,
  businessDayOnOrAfter,
  businessDayOnOrBefore,
  businessDaysBetween,
  easterSunday,
  isBusinessDay,
  nextBusinessDay,
  previousBusinessDay,
  target2Holidays,
} from './target2.js';
export { latestExecutionDate, planExecutionDate, type ExecutionPlan } from './execution.js';
export {
  addMonths,
  assertYearMonth,
  dayOfMonthClamped,
  daysInMonth,
  firstDayOf,
  isYearMonth,
  lastDayOf,
  lastDayOfMonthsFrom,
  monthsBetween,
  sameDayMonthsLater,
  yearMonthOf,
  type YearMonth,
} from './months.js';
export { DEFAULT_LEAD_BUSINESS_DAYS, executionDateWithLead } from './lead-time.js';
export {
  assertLeefgeldRhythm,
  DEFAULT_LEEFGELD_RHYTHM,
  leefgeldDates,
  leefgeldDatesInMonth,
  nextLeefgeldDate,
  WEEKDAYS,
  type LeefgeldRhythm,
  type Weekday,
} from './leefgeld-rhythm.js';
export {
  BIJSTAND_PAYDAY_RULES,
  bijstandPayday,
  checkRentAgainstPayday,
  incomeCycleOn,
  toeslagenPayday,
  usableFrom,
  type BijstandPaydayRule,
  type IncomeCycle,
  type PaydayAdjustment,
  type PaydayCheck,
  type PaydayOptions,
  type RentCheck,
} from './paydays.js';
