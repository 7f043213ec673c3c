import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The daily batch's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type BatchErrorCode = 'invalid_run_date' | 'instruction_refused' | 'report_not_found';

export const BATCH_ERRORS: ErrorCatalogue<BatchErrorCode> = {
  invalid_run_date: { status: 400, description: 'The run date, or a range of run dates, is not valid: not a day written as YYYY-MM-DD, from after to, or more than 93 days.' },
  report_not_found: { status: 404, description: 'The daily batch has not run for this gemeente and date, so there is no report.' },
  instruction_refused: {
    status: 500,
    description: 'A payment the allocation had funded was refused when it was instructed (the money was not there after all). Nothing of that chunk of clients was kept; the batch stops and says which payment.',
  },
};

export class BatchError extends CatalogueError<BatchErrorCode> {
  readonly title = 'Daily batch failed';
  protected readonly catalogue = BATCH_ERRORS;
}
