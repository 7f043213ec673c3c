export { allocate } from './allocate.js';
export { expectedMonthlyIncome, splitIncome, type IncomeSplit } from './income.js';
export {
  effectiveFloor,
  leefgeldAmount,
  leefgeldDatesOfCycle,
  leefgeldTargets,
  paymentsStillToFund,
  spreadOverPayments,
  type LeefgeldRule,
} from './leefgeld.js';
export { assertPriority, DEFAULT_PRIORITY, inPriorityOrder, priorityGroupOf } from './priority.js';
export * from './types.js';
