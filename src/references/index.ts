/**
 * Account numbers and payment references, checked the same way wherever they
 * arrive (a bank statement, a payment file, a client's record): one level below
 * camt/ and sepa/, so both use these and neither repeats them.
 */
export { isValidBic, isValidIban, normaliseIban } from './iban.js';
export {
  isValidBetalingskenmerk,
  isValidCreditorReference,
  isValidRfReference,
  makeBetalingskenmerk,
  makeRfReference,
  type ReferenceIssuer,
} from './creditor-reference.js';
