import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The noodvoorziening's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type NoodvoorzieningErrorCode =
  | 'invalid_noodvoorziening'
  | 'noodvoorziening_policy_missing'
  | 'invalid_noodvoorziening_policy'
  | 'gift_not_allowed'
  | 'grant_above_maximum'
  | 'period_maximum_exceeded'
  | 'noodvoorziening_client_not_eligible'
  | 'noodvoorziening_not_found'
  | 'noodvoorziening_already_decided'
  | 'four_eyes_required'
  | 'noodvoorziening_key_reused'
  | 'repayment_not_possible';

export const NOODVOORZIENING_ERRORS: ErrorCatalogue<NoodvoorzieningErrorCode> = {
  invalid_noodvoorziening: {
    status: 422,
    description: 'The noodvoorziening request cannot be recorded as given (an amount of 0.00 or less, no reason, an instalment for a gift, …); the message names what. Nothing was recorded.',
  },
  noodvoorziening_policy_missing: {
    status: 409,
    description: 'The gemeente has no noodvoorziening policy yet (gifts allowed, maximum per grant and per period, four-eyes threshold, leefgeld kept during recovery, what happens to an open advance at the end). An administrator sets it first.',
  },
  invalid_noodvoorziening_policy: { status: 422, description: 'The noodvoorziening policy cannot be set as given; the message names the setting. Nothing was changed.' },
  gift_not_allowed: { status: 422, description: 'The gemeente does not give emergency payments as a gift; only an advance (paid back from leefgeld) can be granted. Nothing was recorded.' },
  grant_above_maximum: { status: 422, description: 'The amount is above the gemeente\'s maximum per grant. Nothing was recorded.' },
  period_maximum_exceeded: {
    status: 422,
    description: 'With this grant the client would receive more than the gemeente\'s maximum within its period (a rolling number of months); the message says how much is still possible. Nothing was recorded.',
  },
  noodvoorziening_client_not_eligible: {
    status: 409,
    description: 'The client cannot receive a noodvoorziening now: ontzorgen has ended, or there is no own account (IBAN) to pay it to. Nothing was recorded.',
  },
  noodvoorziening_not_found: { status: 404, description: 'There is no noodvoorziening with this id for a client you may see.' },
  noodvoorziening_already_decided: { status: 409, description: 'The noodvoorziening was already approved or refused; a decision is taken once.' },
  four_eyes_required: { status: 403, description: 'Four eyes: the person who asked for a noodvoorziening above the gemeente\'s threshold cannot approve or refuse it; a second person must.' },
  noodvoorziening_key_reused: { status: 409, description: 'The idempotency key was already used for another noodvoorziening request or repayment; a new decision needs a new key.' },
  repayment_not_possible: {
    status: 422,
    description: 'The early repayment cannot be booked: the grant is not an open advance, the amount is more than is still owed, or more than the client has free now. Nothing was booked.',
  },
};

export class NoodvoorzieningError extends CatalogueError<NoodvoorzieningErrorCode> {
  readonly title = 'Noodvoorziening not accepted';
  protected readonly catalogue = NOODVOORZIENING_ERRORS;
}
