export { readCamt, streamCamt, DEFAULT_MAX_BYTES } from './read.js';
export { NOT_PROVIDED } from './entry.js';
export { betalingskenmerkValid, rfReferenceValid, parseKeywords } from './references.js';
export {
  CamtError,
  CAMT_ERROR_DESCRIPTIONS,
  CAMT_PROBLEM_DESCRIPTIONS,
  type CamtErrorCode,
  type CamtErrorLocation,
  type CamtProblem,
  type CamtProblemCode,
  type CamtProblemSeverity,
} from './errors.js';
export type * from './types.js';
