import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The maatwerk capability's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type MaatwerkErrorCode = 'invalid_maatwerk_decision' | 'maatwerk_breaks_rule' | 'maatwerk_not_found' | 'maatwerk_already_ended' | 'maatwerk_key_reused';

export const MAATWERK_ERRORS: ErrorCatalogue<MaatwerkErrorCode> = {
  invalid_maatwerk_decision: {
    status: 422,
    description:
      'The maatwerk decision cannot be recorded as given (no reason or assessment, an obligation that is not the client\'s, a hand-over date before the effective date, a review date not after it, a client without an ontzorg period, …); the message names what. Nothing was recorded.',
  },
  maatwerk_breaks_rule: {
    status: 422,
    description:
      'The decision would break a rule a maatwerk decision cannot change; the message cites it: rule 3 (under art. 56a only rent, gas, electricity, water and the basic premium may be withheld), rule 6 (toeslagen are applied only with the client\'s consent) or rule 10 (a decision takes effect from today or later, never in the past). Nothing was recorded.',
  },
  maatwerk_not_found: { status: 404, description: 'There is no maatwerk decision with this id for the client.' },
  maatwerk_already_ended: { status: 409, description: 'The decision was already revoked or replaced; a decision is ended once. Record a new decision instead.' },
  maatwerk_key_reused: { status: 409, description: 'The idempotency key was already used for another maatwerk decision; a new decision needs a new key.' },
};

export class MaatwerkError extends CatalogueError<MaatwerkErrorCode> {
  readonly title = 'Maatwerk decision not accepted';
  protected readonly catalogue = MAATWERK_ERRORS;
}
