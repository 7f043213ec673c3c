/**
 * The ledger's error catalogue. Every error has a stable code and a message a
 * back-office user can act on. Rejections (bad requests) change nothing and are
 * not remembered; refusals (a valid request the balances do not allow) are
 * remembered under their idempotency key, so a replay is refused again.
 */

export type LedgerErrorCode =
  | 'invalid_request'
  | 'unknown_account'
  | 'duplicate_with_different_content'
  | 'pending_not_found'
  | 'not_a_pending_transfer'
  | 'pending_already_posted'
  | 'pending_already_voided'
  | 'amount_exceeds_pending'
  | 'transaction_not_found'
  | 'not_reversible'
  | 'already_reversed'
  | 'account_conflict';

export type RefusalCode = 'insufficient_funds' | 'exceeds_debits';

export class LedgerError extends Error {
  constructor(
    readonly code: LedgerErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'LedgerError';
  }
}

/** Thrown by `expectBooked` when the caller needs the booking to have happened. */
export class LedgerRefusal extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
    readonly idempotencyKey: string,
  ) {
    super(message);
    this.name = 'LedgerRefusal';
  }
}

export const LEDGER_ERROR_DESCRIPTIONS: Readonly<Record<LedgerErrorCode | RefusalCode, string>> = {
  invalid_request: 'The booking request is incomplete or malformed; the message names the field.',
  unknown_account: 'The booking names an account that does not exist.',
  duplicate_with_different_content: 'The idempotency key was already used for a booking with other content; the message names what differs.',
  pending_not_found: 'There is no booked reservation with the given key.',
  not_a_pending_transfer: 'The referenced booking is not a reservation, so it cannot be posted or voided.',
  pending_already_posted: 'The reservation was already paid out.',
  pending_already_voided: 'The reservation was already released.',
  amount_exceeds_pending: 'More than the reserved amount cannot be paid out of a reservation.',
  transaction_not_found: 'There is no booked transaction with the given key.',
  not_reversible: 'Only transfers and posted reservations can be reversed; a reservation is released instead.',
  already_reversed: 'The transaction was already reversed.',
  account_conflict: 'An account with this code already exists with different settings.',
  insufficient_funds: 'The account does not hold enough free money; reserved amounts count as spent. The refusal is remembered under its key.',
  exceeds_debits: 'The account may not be credited beyond what was debited to it. The refusal is remembered under its key.',
};
