/** The statements capability's public functions; doors import from here. */
export { clientStatement, assembleStatement, EXPECTED_DAYS_AHEAD, type StatementOptions } from './assemble.js';
export { readFacts, type StatementFacts } from './facts.js';
export { statementFileName, writeStatementFiles, type StatementFile, type StatementFilesOptions, type StatementFilesResult } from './files.js';
export { STATEMENT_ERRORS, StatementError, type StatementErrorCode } from './errors.js';
export type { Messages } from './language.js';
export { chooseLanguage, DEFAULT_LANGUAGE, LANGUAGE_CODES, LANGUAGES } from './languages.js';
export type { Statement } from './model.js';
export { amsterdamToday, MAX_STATEMENT_MONTHS, monthsOf, statementPeriod, type StatementPeriod } from './period.js';
export { CSV_SEPARATOR, renderStatementCsv } from './render-csv.js';
export { renderStatementHtml } from './render-html.js';
export { visibleClients } from './scope.js';
export { listSignals, pageOfSignals, SIGNAL_KINDS, type Signal, type SignalKind, type SignalQuery } from './signals.js';
export { statementView, type StatementView } from './view.js';
