import { schemaForNamespace, validateXml } from '../xml/xsd.js';
import { Capturer, firstRecord, text, type Captured, type RecordSchema } from './capture.js';
import { decodeToUtf8 } from './decode.js';
import { readEntry } from './entry.js';
import { CamtError, type CamtProblem } from './errors.js';
import { ENTRY, GROUP_HEADER as G, NOTIFICATION_MESSAGE, STATEMENT, STATEMENT_MESSAGE } from './schema.js';
import { EntryTally, readStatement, withEntries } from './statement.js';
import type { CamtDocument, CamtEntry, CamtEntryConsumer, CamtMessageKind, CamtReadOptions, CamtStatementSummary, CamtStreamedDocument } from './types.js';
import { Where } from './values.js';
import { LineIndex, XmlScanner, XmlSyntaxError, type XmlAttributes, type XmlEvents, type XmlName } from './xml-reader.js';

/**
 * Reads a CAMT.053 statement or CAMT.054 notification file into plain records.
 * Either the whole file is read, or a `CamtError` says why not and nothing is
 * returned. Entries that are read but must not be booked as they are carry
 * `error` problems; see CONTEXT.md for what is refused and what is flagged.
 */

export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;
const MAX_DEPTH = 40;
const PROLOG_SCAN = 64 * 1024;
const MAX_SCHEMA_WARNINGS = 50;
const STANDARD_NAMESPACE = 'urn:iso:std:iso:20022:tech:xsd:';

interface MessageShape {
  kind: CamtMessageKind;
  messageElement: string;
  statementElement: string;
  schema: RecordSchema;
  groupHeaderSlot: number;
}

const SHAPES: Readonly<Record<string, MessageShape>> = {
  '053': { kind: 'camt.053', messageElement: 'BkToCstmrStmt', statementElement: 'Stmt', schema: STATEMENT_MESSAGE, groupHeaderSlot: STATEMENT_MESSAGE.many.GrpHdr },
  '054': {
    kind: 'camt.054',
    messageElement: 'BkToCstmrDbtCdtNtfctn',
    statementElement: 'Ntfctn',
    schema: NOTIFICATION_MESSAGE,
    groupHeaderSlot: NOTIFICATION_MESSAGE.many.GrpHdr,
  },
};

export function readCamt(bytes: Uint8Array, options: CamtReadOptions = {}): CamtDocument {
  const byStatement: CamtEntry[][] = [];
  const read = streamCamt(bytes, (entry) => (byStatement[entry.statementIndex] ??= []).push(entry), options);
  return { ...read, statements: read.statements.map((statement) => withEntries(statement, byStatement[statement.index] ?? [])) };
}

/**
 * Reads the file as `readCamt` does, with every field and every check, but hands
 * each entry to `onEntry` as soon as it is read and keeps none of them: the
 * document it returns carries each statement's summary (balances, balance check,
 * problems, `entryCount`) instead of its entries. Memory then stays flat however
 * many entries the file has.
 *
 * A refusal (`CamtError`) can come after entries were handed over, when the fault
 * lies further on in the file (an unclosed element at the very end, a statement
 * without IBAN after its entries): a caller that must not act on half a file
 * stages what it is given and acts only once `streamCamt` has returned.
 */
export function streamCamt(bytes: Uint8Array, onEntry: CamtEntryConsumer, options: CamtReadOptions = {}): CamtStreamedDocument {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  if (bytes.length === 0) throw new CamtError('empty_file', 'The file is empty.');
  if (bytes.length > maxBytes) {
    throw new CamtError('file_too_large', `The file is ${megabytes(bytes.length)} MB; files above ${megabytes(maxBytes)} MB are refused. Ask the bank for a shorter period per file.`);
  }
  const { bytes: utf8, encoding } = decodeToUtf8(bytes);
  const lines = new LineIndex(utf8);
  // A DTD can only stand before the root element; the XML reader refuses any later `<!DOCTYPE` as well.
  const declaration = /<!\s*(DOCTYPE|ENTITY)/i.exec(utf8.toString('latin1', 0, PROLOG_SCAN));
  if (declaration) {
    const line = lines.line(declaration.index);
    throw new CamtError(
      'doctype_not_allowed',
      `The file contains a ${declaration[1]!.toUpperCase()} declaration (line ${line}). Bank files never do; it is refused because such declarations can read other files or exhaust memory.`,
      { line },
    );
  }

  const scanner = new XmlScanner(utf8);
  const state = new ReadState(scanner, lines, onEntry);
  try {
    scanner.scan(state, { maxDepth: MAX_DEPTH, resolveNamespacesToDepth: 2 });
  } catch (error) {
    if (error instanceof XmlSyntaxError) throw syntaxError(error, lines);
    throw error;
  }
  const shape = state.shape!;
  if (state.statements.length === 0) {
    throw new CamtError('no_statements', `The file holds no ${shape.statementElement} element: there is nothing to read.`, { line: lines.line(state.messageStart) });
  }
  const groupHeader = firstRecord(state.message!.top, shape.groupHeaderSlot);
  const messageId = groupHeader ? text(groupHeader, G.value.MsgId) : null;
  const createdAt = groupHeader ? text(groupHeader, G.value.CreDtTm) : null;
  if (!groupHeader || messageId === null || createdAt === null) {
    const path = !groupHeader ? 'GrpHdr' : messageId === null ? 'GrpHdr/MsgId' : 'GrpHdr/CreDtTm';
    throw new CamtError('missing_field', `The file has no message ${path.endsWith('CreDtTm') ? 'creation time' : 'id'} (${path}).`, {
      line: lines.line(groupHeader?.start ?? state.messageStart),
      element: path,
    });
  }

  const warnings = [...state.warnings];
  const namespace = state.namespace ?? '';
  const schema = options.checkSchema ? schemaForNamespace(namespace) : undefined;
  if (schema) warnings.push(...schemaWarnings(bytes, schema));

  let errors = state.entryErrors;
  let warningCount = warnings.length + state.entryWarnings;
  for (const statement of state.statements) {
    for (const problem of statement.problems) {
      if (problem.severity === 'error') errors++;
      else warningCount++;
    }
  }

  return {
    kind: shape.kind,
    messageName: `${shape.kind}.001.${state.version}`,
    version: state.version,
    namespace,
    encoding,
    messageId,
    createdAt,
    statements: state.statements,
    warnings,
    schemaChecked: schema !== undefined,
    summary: { statements: state.statements.length, entries: state.entries, booked: state.booked, errors, warnings: warningCount },
  };
}

/**
 * Follows the reader through the document: checks the root and message
 * element as soon as they open, captures what is read below the message, and
 * turns each `Ntry` and statement into a record when it closes, so nothing of
 * the file is kept once it is mapped.
 */
class ReadState implements XmlEvents {
  shape: MessageShape | null = null;
  version = '';
  namespace: string | null = null;
  message: Capturer | null = null;
  messageStart = 0;
  readonly statements: CamtStatementSummary[] = [];
  readonly warnings: CamtProblem[] = [];
  /** Counted as the entries go by, for the summary. */
  entries = 0;
  booked = 0;
  entryErrors = 0;
  entryWarnings = 0;
  private tally = new EntryTally();
  private readonly where: Where;

  constructor(
    private readonly scanner: XmlScanner,
    private readonly lines: LineIndex,
    private readonly onEntry: CamtEntryConsumer,
  ) {
    this.where = new Where(lines, scanner);
  }

  open(name: XmlName, depth: number, start: number, attributes: XmlAttributes | null, namespace: string | null): void {
    if (depth > 1) this.message?.open(name, depth, start, attributes);
    else if (depth === 0) this.openRoot(name.local, name.qname, namespace);
    else this.openMessage(name.local, name.qname, start, namespace);
  }

  text(from: number, to: number, flags: number, depth: number): void {
    if (depth > 1) this.message?.text(from, to, flags, depth);
  }

  close(depth: number): void {
    if (depth > 0) this.message?.close(depth);
  }

  /** A record closed below the message: entries and statements are mapped at once and their captures dropped. */
  private finish = (record: Captured, parent: Captured, slot: number): void => {
    const where = this.where;
    if (record.schema === ENTRY) {
      where.statementIndex = this.statements.length;
      where.statementId = text(parent, STATEMENT.value.Id);
      where.entryIndex = this.tally.entries;
      const entry = readEntry(record, where);
      where.entryIndex = -1;
      this.message!.release(record);
      this.count(entry);
      this.onEntry(entry);
    } else if (record.schema === STATEMENT) {
      where.statementIndex = this.statements.length;
      where.statementId = text(record, STATEMENT.value.Id);
      this.statements.push(readStatement(record, this.shape!.kind, where, this.tally));
      this.tally = new EntryTally();
      this.message!.release(record);
    } else {
      const list = parent.many[slot];
      if (list === undefined) parent.many[slot] = [record];
      else list.push(record);
    }
  };

  private count(entry: CamtEntry): void {
    this.tally.add(entry);
    this.entries++;
    if (entry.booked) this.booked++;
    for (const problem of entry.problems) {
      if (problem.severity === 'error') this.entryErrors++;
      else this.entryWarnings++;
    }
  }

  private openRoot(name: string, qname: string, namespace: string | null): void {
    const line = this.scanner.tagLine;
    if (name !== 'Document') {
      throw new CamtError('unknown_document', `The file is XML with root element <${qname}>, not a CAMT.053 or CAMT.054 <Document>.`, { line, element: qname });
    }
    const match = namespace ? /camt\.(05[34])\.001\.(\d{2})/.exec(namespace) : null;
    if (!namespace || !match) {
      throw new CamtError(
        'unknown_namespace',
        namespace
          ? `The file's namespace "${namespace}" is not a camt.053 or camt.054 namespace.`
          : 'The file has no namespace (xmlns), so its camt message and version cannot be told.',
        { line, element: qname },
      );
    }
    const version = match[2]!;
    if (version < '02' || version > '08') {
      throw new CamtError('unsupported_version', `The file is camt.${match[1]}.001.${version}; versions .001.02 to .001.08 are read.`, { line });
    }
    this.shape = SHAPES[match[1]!]!;
    this.version = version;
    this.namespace = namespace;
    const standard = `${STANDARD_NAMESPACE}camt.${match[1]}.001.${version}`;
    if (namespace !== standard) {
      this.warnings.push({
        code: 'nonstandard_namespace',
        severity: 'warning',
        message: `The file uses namespace "${namespace}" instead of the ISO one "${standard}"; it is read as ${this.shape.kind}.001.${version}.`,
        line,
      });
    }
  }

  private openMessage(name: string, qname: string, start: number, namespace: string | null): void {
    const shape = this.shape!;
    if (this.message) {
      throw new CamtError('unknown_document', `The <Document> holds a second message <${qname}>; one is allowed.`, { line: this.scanner.tagLine });
    }
    if (name !== shape.messageElement || namespace !== this.namespace) {
      throw new CamtError('unknown_document', `A ${shape.kind} document must hold <${shape.messageElement}>, but holds <${qname}>.`, {
        line: this.scanner.tagLine,
        element: qname,
      });
    }
    this.message = new Capturer(this.scanner, shape.schema, start, 1, this.finish);
    this.messageStart = start;
  }
}

function syntaxError(error: XmlSyntaxError, lines: LineIndex): CamtError {
  const { line, column } = lines.locate(error.offset);
  if (error.kind === 'doctype') {
    return new CamtError('doctype_not_allowed', `The file contains a DOCTYPE or ENTITY declaration (line ${line}); it is refused.`, { line, column });
  }
  if (error.kind === 'depth') {
    return new CamtError('nesting_too_deep', `The file nests elements deeper than ${MAX_DEPTH} levels (line ${line}); no CAMT message does.`, { line, column });
  }
  return new CamtError('malformed_xml', `The file is not well-formed XML: line ${line}, column ${column}: ${error.message}.`, { line, column });
}

function schemaWarnings(bytes: Uint8Array, schema: Parameters<typeof validateXml>[1]): CamtProblem[] {
  const result = validateXml(bytes, schema);
  const warnings: CamtProblem[] = result.errors.slice(0, MAX_SCHEMA_WARNINGS).map((e) => ({
    code: 'schema_deviation',
    severity: 'warning',
    message: `Deviation from the ${schema} XSD${e.line ? ` at line ${e.line}` : ''}: ${e.message}`,
    line: e.line || null,
  }));
  if (result.errors.length > MAX_SCHEMA_WARNINGS) {
    warnings.push({
      code: 'schema_deviation',
      severity: 'warning',
      message: `… and ${result.errors.length - MAX_SCHEMA_WARNINGS} more deviations from the ${schema} XSD.`,
      line: null,
    });
  }
  return warnings;
}

function megabytes(bytes: number): string {
  return String(Math.round((bytes / (1024 * 1024)) * 10) / 10);
}
