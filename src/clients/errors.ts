import type { BsnErrorCode } from './bsn.js';
import type { ObligationErrorCode } from './obligation-rules.js';
import type { PeriodErrorCode } from './periods.js';
import { CatalogueError, type ErrorCatalogue } from '../errors.js';

/** The clients capability's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type ClientErrorCode =
  | 'client_not_found'
  | 'gemeente_not_found'
  | 'client_conflict'
  | 'invalid_client'
  | 'bsn_keys_missing'
  | 'machtiging_not_found'
  | 'assignment_not_found'
  | 'invalid_machtiging'
  | 'machtiging_already_revoked'
  | 'period_not_found'
  | 'obligation_not_found'
  | 'invalid_policy'
  | 'gemeente_policy_missing'
  | 'invalid_floor_decision'
  | 'art56a_period_recorded';

export const CLIENT_ERRORS: ErrorCatalogue<ClientErrorCode> = {
  client_not_found: { status: 404, description: 'There is no client with this id or reference in your gemeenten.' },
  gemeente_not_found: { status: 404, description: 'There is no gemeente with this code among the gemeenten you work for.' },
  client_conflict: { status: 409, description: 'The client reference belongs to a client of another gemeente, or the BSN is already registered for another client.' },
  invalid_client: { status: 422, description: 'The client record cannot be stored as given (an invalid IBAN, a name without a Latin spelling, dates in the wrong order, consent without its reference, …); the message names the field.' },
  bsn_keys_missing: { status: 503, description: 'No BSN keys are configured (ONTZORG_BSN_KEY and ONTZORG_BSN_HASH_KEY), so a BSN can be neither stored nor looked up. An administrator must set them.' },
  machtiging_not_found: { status: 404, description: 'There is no machtiging with this id or document reference for the client.' },
  assignment_not_found: { status: 404, description: 'The client has no open assignment to this caseworker or team of this organisation: nothing was ended.' },
  invalid_machtiging: { status: 422, description: 'The machtiging cannot be recorded as given (no payees, an invalid payee IBAN, dates in the wrong order); the message names the field.' },
  machtiging_already_revoked: { status: 409, description: 'The machtiging was already revoked; a revocation is recorded once.' },
  period_not_found: { status: 404, description: 'There is no ontzorg period with this id for the client.' },
  obligation_not_found: { status: 404, description: 'There is no obligation with this id for the client.' },
  invalid_policy: { status: 422, description: 'The gemeente policy cannot be stored as given (an incomplete priority order, a lead time out of range, an unknown payday rule, a debtor account not set up for payments, …).' },
  gemeente_policy_missing: { status: 409, description: 'The gemeente has no policy yet (priority order, leefgeld rule and floor, paydays, debtor account); the daily batch cannot run for it.' },
  invalid_floor_decision: { status: 422, description: 'A floor decision needs its reference, reason, a floor of 0.00 or more and an effective date.' },
  art56a_period_recorded: {
    status: 409,
    description: 'The client has an art. 56a period that this change of bijstand dates would move: its first day is the first day of bijstand, and a period ended with bijstand is not reopened by a later or removed end. Record a follow-up period instead.',
  },
};

/** The pure rules' codes (periods, obligations, BSN), with the status a door gives them. */
export const CLIENT_RULE_ERRORS: ErrorCatalogue<PeriodErrorCode | ObligationErrorCode | BsnErrorCode> = {
  not_eligible_for_art56a: { status: 422, description: 'Rule 1: an art. 56a period starts only for a client recorded as inburgeringsplichtig under the Wi2021 with a fixed-term asylum permit; record another basis instead.' },
  invalid_period: { status: 422, description: 'Rule 2: a period after the 56a period needs its basis (art. 57, voluntary, budgetbeheer), a decision reference and a review date within the period.' },
  not_covered_by_art56a: { status: 422, description: 'Rule 3: art. 56a covers only rent, gas, electricity, water and the basic health-insurance premium; other obligations need an art. 57 decision, voluntary consent or budgetbeheer.' },
  basis_not_in_force: { status: 422, description: 'Rule 3: the obligation rests on a legal basis that has no period in force on the date.' },
  invalid_obligation: { status: 422, description: 'The obligation or its version cannot be stored as given (amount, due day, payee IBAN, reference); the message names the field.' },
  history_is_not_rewritten: { status: 409, description: 'A change may not reach behind what was already reserved or paid: record it from the first open due date and settle the difference separately.' },
  period_already_instructed: {
    status: 409,
    description: 'A new obligation may not start in a period that another obligation of the same kind (the one it replaces, e.g. the same rent to an old IBAN) already has a payment instructed for: that period would be paid twice. Start it from the next period, or first stop the instructed payment (while not released: reject its batch).',
  },
  end_before_instructed_period: {
    status: 409,
    description: 'An obligation cannot end before a period whose payment is already instructed: end it after that period, or first stop the payment (while not released: reject its batch).',
  },
  invalid_bsn: { status: 422, description: 'Not a valid BSN (nine digits passing the 11-check). The number itself is never repeated.' },
  invalid_bsn_key: { status: 500, description: 'A configured BSN key is unusable (wrong length, the same key for encryption and lookup).' },
  bsn_not_decryptable: { status: 500, description: 'A stored BSN cannot be decrypted with the configured keys (wrong key, altered data).' },
};

export class ClientError extends CatalogueError<ClientErrorCode> {
  readonly title = 'Client record not accepted';
  protected readonly catalogue = CLIENT_ERRORS;
}
