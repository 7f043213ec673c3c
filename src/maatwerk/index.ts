export { MAATWERK_ERRORS, MaatwerkError, type MaatwerkErrorCode } from './errors.js';
export { recordDecision, revokeDecision, type Revocation, type WriteOptions } from './decisions.js';
export { decisionHistory, decisionsOf, maatwerkOnStatement, type MaatwerkOnStatement, type DecisionHistoryEntry, type DecisionStatus, type StoredDecision } from './read.js';
export {
  REASON_CATEGORIES,
  RESERVED_MONEY,
  SCOPES,
  TOESLAGEN_TREATMENTS,
  decisionOn,
  dueTreatment,
  fullyOptedOutOn,
  obligationSchedule,
  toeslagenAppliedOn,
  validateDecision,
  withheldOn,
  type DecisionContext,
  type DecisionInput,
  type DueTreatment,
  type MaatwerkDecision,
  type MaatwerkObligationItem,
} from './rules.js';
export type { MaatwerkScope, ReasonCategory, ReservedMoney, ToeslagenTreatment } from './rows.js';
