import type { StatementView } from './view.js';

/**
 * The statement for the back office as CSV: one row per statement line, under a header row.
 *
 * Semicolon-separated: the back office works in Dutch spreadsheet programs, whose list separator is
 * the semicolon (a comma file opens there as one column), and descriptions often hold commas.
 * Amounts are plain decimals with a point ("-720.00"), as in the JSON and the bank files, so an
 * import never guesses at thousands separators. RFC 4180 quoting otherwise (a field with `;`, `"`
 * or a line break is quoted, quotes doubled), CRLF line ends, UTF-8 with a byte-order mark so that
 * spreadsheet programs read Arabic and Tigrinya descriptions correctly. A text field that starts
 * with `=`, `+`, `-` or `@` is prefixed with `'`, so a payee name can never run as a formula.
 */
export const CSV_SEPARATOR = ';';

const HEADER = ['client_reference', 'gemeente', 'month', 'date', 'kind', 'description', 'amount', 'balance', 'transaction_id'];

function field(text: string, isText: boolean): string {
  const safe = isText && /^[=+\-@]/.test(text) ? `'${text}` : text;
  return /[";\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

export function renderStatementCsv(view: StatementView): string {
  const rows = [HEADER.join(CSV_SEPARATOR)];
  for (const month of view.months) {
    for (const line of month.lines) {
      rows.push(
        [
          field(view.client.reference, true),
          field(view.client.gemeente.id, true),
          month.month,
          line.date,
          line.kind,
          field(line.description, true),
          line.amount,
          line.balance,
          line.transactionId,
        ].join(CSV_SEPARATOR),
      );
    }
  }
  // A maatwerk decision for the back office: one row saying what it is, one per obligation of its plan.
  const maatwerk = view.maatwerk;
  if (maatwerk) {
    for (const text of [maatwerk.summary, ...maatwerk.plan.map((p) => p.text)]) {
      rows.push([field(view.client.reference, true), field(view.client.gemeente.id, true), '', maatwerk.effectiveDate, 'maatwerk', field(text, true), '', '', ''].join(CSV_SEPARATOR));
    }
  }
  return `\ufeff${rows.join('\r\n')}\r\n`;
}
