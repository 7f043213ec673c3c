/**
 * The CAMT reader's catalogue. A `CamtError` refuses the whole file: nothing of
 * it is returned. A `CamtProblem` is recorded on the document, a statement or an
 * entry that was still read: an `error` problem means "do not book this as it
 * is" (park it for a person), a `warning` means "book it, but show this".
 */

export type CamtErrorCode =
  | 'empty_file'
  | 'file_too_large'
  | 'unsupported_encoding'
  | 'invalid_encoding'
  | 'doctype_not_allowed'
  | 'malformed_xml'
  | 'nesting_too_deep'
  | 'unknown_document'
  | 'unknown_namespace'
  | 'unsupported_version'
  | 'no_statements'
  | 'missing_field'
  | 'invalid_value';

export const CAMT_ERROR_DESCRIPTIONS: Readonly<Record<CamtErrorCode, string>> = {
  empty_file: 'The file is empty.',
  file_too_large: 'The file is larger than the configured limit; ask the bank for a smaller period per file.',
  unsupported_encoding: 'The file declares a character encoding the reader does not know (UTF-8, UTF-16, ISO-8859-1, ISO-8859-15 and Windows-1252 are read).',
  invalid_encoding: 'The bytes of the file do not match its declared character encoding.',
  doctype_not_allowed: 'The file contains a DOCTYPE or ENTITY declaration. Bank files never do; such files are refused because they can read other files or exhaust memory.',
  malformed_xml: 'The file is not well-formed XML; the message names the line and column.',
  nesting_too_deep: 'The file nests elements deeper than any CAMT message does.',
  unknown_document: 'The file is XML but not a CAMT.053 statement or CAMT.054 notification.',
  unknown_namespace: 'The file has no or an unknown ISO 20022 namespace, so its message version cannot be told.',
  unsupported_version: 'The message version is outside camt.053/054 .001.02 to .001.08.',
  no_statements: 'The file holds no statement or notification.',
  missing_field: 'An element every statement or entry needs is missing; the message names it and where.',
  invalid_value: 'An element holds a value that cannot be read (a date, an amount, a credit/debit indicator); the message names it and where.',
};

export interface CamtErrorLocation {
  /** 1-based line in the file, when known. */
  line?: number;
  /** 1-based column, for XML syntax errors. */
  column?: number;
  /** Element path, for example `Stmt/Ntry/Amt`. */
  element?: string;
}

export class CamtError extends Error {
  constructor(
    readonly code: CamtErrorCode,
    message: string,
    readonly location: CamtErrorLocation = {},
  ) {
    super(message);
    this.name = 'CamtError';
  }
}

export type CamtProblemCode =
  | 'unsupported_currency'
  | 'amount_too_precise'
  | 'unknown_status'
  | 'missing_booking_date'
  | 'iban_as_other_id'
  | 'detail_amounts_differ'
  | 'batch_count_differs'
  | 'batch_total_differs'
  | 'balance_mismatch'
  | 'balance_not_checked'
  | 'balance_missing'
  | 'nonstandard_namespace'
  | 'schema_deviation';

export const CAMT_PROBLEM_DESCRIPTIONS: Readonly<Record<CamtProblemCode, string>> = {
  unsupported_currency: 'An entry, detail or balance is in a currency other than EUR; its amount is not taken as euros.',
  amount_too_precise: 'An amount has more than two significant decimals; it is not rounded, the entry needs a person.',
  unknown_status: 'An entry has a status other than BOOK, PDNG, INFO or FUTR.',
  missing_booking_date: 'A booked (BOOK) entry has no booking date, so it cannot be booked on a day; it is left for a person.',
  iban_as_other_id: 'The statement account is written as another identification (Acct/Id/Othr/Id) that is a valid IBAN; it is read as that IBAN.',
  detail_amounts_differ: 'The transaction details of an entry do not add up to the entry amount (often bank charges).',
  batch_count_differs: 'A batch says it holds a different number of transactions than the details listed.',
  batch_total_differs: 'A batch total differs from the entry amount.',
  balance_mismatch: 'Opening balance plus booked entries does not equal the closing balance of the statement.',
  balance_not_checked: 'The balance check could not be made; the message says why.',
  balance_missing: 'A statement lacks its opening or closing booked balance.',
  nonstandard_namespace: 'The file uses a bank- or country-specific namespace for a known camt version.',
  schema_deviation: 'The file deviates from the ISO 20022 XSD but could be read.',
};

export type CamtProblemSeverity = 'error' | 'warning';

export interface CamtProblem {
  readonly code: CamtProblemCode;
  readonly severity: CamtProblemSeverity;
  readonly message: string;
  /** 1-based line in the file, when known. */
  readonly line: number | null;
  /** 0-based positions of what the problem is about, when it is about a statement, entry or detail. */
  readonly statementIndex?: number;
  readonly entryIndex?: number;
  readonly detailIndex?: number;
}
