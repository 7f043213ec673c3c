export {
  buildAndValidatePain001Files,
  buildPain001,
  buildPain001Files,
  NAME_MAX,
  Pain001BuildError,
  REMITTANCE_MAX,
  sha256Hex,
  type BuildProblem,
  type ValidatedPain001File,
} from './build.js';
export {
  assessEpcText,
  convertToEpc,
  isEpcIdentifier,
  isEpcText,
  MAX_ID_LENGTH,
  toEpcIdentifier,
  toEpcText,
  type EpcAssessment,
  type EpcConversion,
  type EpcTextProblem,
} from './charset.js';
export {
  MAX_PAYMENTS_PER_FILE,
  type BuildFilesOptions,
  type BuildOptions,
  type CreditTransfer,
  type CreditTransferBatch,
  type Creditor,
  type DebtorAccount,
  type Pain001File,
  type Pain001Version,
  type PaymentInfoSummary,
  type PostalAddress,
  type Remittance,
} from './types.js';
export { MAX_AMOUNT_CENTS, validatePain001, type Pain001Error, type Pain001Rule, type Pain001Validation, type ValidateOptions } from './validate.js';
