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
