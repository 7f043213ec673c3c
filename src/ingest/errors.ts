import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The ingestion's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type IngestErrorCode =
  | 'file_refused'
  | 'unknown_bank_account'
  | 'foreign_currency_account'
  | 'file_not_found'
  | 'undo_not_allowed'
  | 'undo_refused'
  | 'undo_has_returns'
  | 'undo_still_reported'
  | 'file_not_bookable'
  | 'stored_file_damaged'
  | 'suspense_item_not_found'
  | 'already_assigned'
  | 'not_assignable'
  | 'unknown_client';

export const INGEST_ERRORS: ErrorCatalogue<IngestErrorCode> = {
  file_refused: { status: 422, description: 'The bank file cannot be read (not XML, hostile, not CAMT, too large, …); the message says where. Nothing of it was booked.' },
  unknown_bank_account: { status: 422, description: 'The file reports an account that is not registered as one of ours; nothing of it was booked.' },
  foreign_currency_account: { status: 422, description: 'The file reports an account held in a currency other than euros; nothing of it was booked.' },
  file_not_found: { status: 404, description: 'There is no uploaded bank file with this id.' },
  undo_not_allowed: { status: 409, description: 'Only a file that was ingested (and not yet undone) can be undone.' },
  undo_refused: { status: 409, description: 'Undoing the file would take back money that has already moved on: reserved or paid for a client, or sent back to its payer from suspense; release or reverse that first.' },
  undo_has_returns: { status: 409, description: 'The bank file returned one of our payments; undoing it could pay the same bill twice, so it is not undone. Leave it in place and report it to the application administrator, who corrects the payments and bookings by hand.' },
  undo_still_reported: { status: 409, description: 'Another ingested bank file (a day statement after a notification, say) still reports entries this file booked; undoing it would take back money the bank did book. Undo the files the message names first, or leave this one in place.' },
  file_not_bookable: { status: 422, description: 'The ledger did not accept a booking the file asks for; the message says which and why. Nothing of the file was booked.' },
  stored_file_damaged: { status: 500, description: 'The stored copy of the bank file is not the file that was received (its size or SHA-256 differ), so it was not read; nothing of it was booked. Upload the bank\'s file again.' },
  suspense_item_not_found: { status: 404, description: 'There is no receipt in suspense with this id.' },
  already_assigned: { status: 409, description: 'The receipt in suspense was already assigned, to another client or for another reason.' },
  not_assignable: { status: 409, description: 'A debit in suspense cannot be assigned to a client; it is reconciled with our own payments.' },
  unknown_client: { status: 404, description: 'There is no client with this id in your gemeenten.' },
};

export class IngestError extends CatalogueError<IngestErrorCode> {
  readonly title = 'Bank file not accepted';
  protected readonly catalogue = INGEST_ERRORS;
}
