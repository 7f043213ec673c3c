/** The noodvoorziening's public functions; other capabilities import from here. */
export { advancesAccountCode, giftBudgetAccountCode } from './accounts.js';
export { NOODVOORZIENING_ERRORS, NoodvoorzieningError, type NoodvoorzieningErrorCode } from './errors.js';
export { approveGrant, refuseGrant, requestGrant, rowToGrant, type Grant, type GrantRequest } from './grants.js';
export { getNoodvoorzieningPolicy, setNoodvoorzieningPolicy, type NoodvoorzieningPolicy, type NoodvoorzieningPolicySettings } from './policy.js';
export { advanceTermsOf, findGrant, grantsOfClient, listGrants, type AdvanceTerms, type GrantWithRepayments, type Repayment } from './reads.js';
export { instalmentFor, recoverFromLeefgeld, settleFromBalance, type Deduction, type OpenAdvance } from './recovery.js';
export { handOverAdvances, openAdvancesOf, recordRepayments, repayEarly, type ClientAdvances, type EarlyRepayment, type RepaymentRow } from './repayments.js';
export type { GrantKind, GrantPayment, GrantStatus, OpenAdvanceAtEnd, RepaymentKind } from './rows.js';
