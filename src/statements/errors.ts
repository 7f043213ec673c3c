import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The statements capability's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type StatementErrorCode = 'invalid_statement_period' | 'invalid_signal_cursor';

export const STATEMENT_ERRORS: ErrorCatalogue<StatementErrorCode> = {
  invalid_statement_period: {
    status: 400,
    description: 'The statement period is not usable: `from` and `to` must be days written as YYYY-MM-DD, `from` on or before `to`, at most 24 months apart.',
  },
  invalid_signal_cursor: { status: 400, description: 'The `after` cursor of the signal list is not one this service gave out; start again from the first page.' },
};

export class StatementError extends CatalogueError<StatementErrorCode> {
  readonly title = 'Statement not available';
  protected readonly catalogue = STATEMENT_ERRORS;
}
