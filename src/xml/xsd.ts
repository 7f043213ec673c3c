import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ParseOption, XmlDocument, XmlLibError, XsdValidator } from 'libxml2-wasm';

/**
 * XSD validation at run time with libxml2-wasm: no download, no native build.
 * Each schema is compiled once per process and kept; every parsed document is
 * disposed after use, or the wasm heap grows with every file.
 */

export const SCHEMA_NAMES = [
  'pain.001.001.03',
  'pain.001.001.09',
  'camt.053.001.02',
  'camt.053.001.03',
  'camt.053.001.04',
  'camt.053.001.08',
  'camt.054.001.02',
  'camt.054.001.04',
  'camt.054.001.08',
] as const;

export type SchemaName = (typeof SCHEMA_NAMES)[number];

export interface XmlProblem {
  message: string;
  /** 1-based line in the validated document; 0 when libxml2 gives none. */
  line: number;
}

export interface XsdResult {
  valid: boolean;
  errors: XmlProblem[];
}

/** Keeps a result readable when a broken file produces thousands of errors. */
const MAX_ERRORS = 200;

export function isSchemaName(name: string): name is SchemaName {
  return (SCHEMA_NAMES as readonly string[]).includes(name);
}

/** The namespace a schema's documents use, e.g. `urn:iso:std:iso:20022:tech:xsd:pain.001.001.03`. */
export function schemaNamespace(schema: SchemaName): string {
  return `urn:iso:std:iso:20022:tech:xsd:${schema}`;
}

/** The schema for a namespace URI, or undefined when it is not one we ship. */
export function schemaForNamespace(namespace: string): SchemaName | undefined {
  const prefix = 'urn:iso:std:iso:20022:tech:xsd:';
  if (!namespace.startsWith(prefix)) return undefined;
  const name = namespace.slice(prefix.length);
  return isSchemaName(name) ? name : undefined;
}

/**
 * No network and no external entities (files come from outside), line numbers
 * above 65,535 kept (a 100,000-payment file has millions of lines), and
 * ignorable whitespace dropped: ISO 20022 has no mixed content.
 */
const PARSE_OPTIONS =
  ParseOption.XML_PARSE_NONET |
  ParseOption.XML_PARSE_NO_XXE |
  ParseOption.XML_PARSE_BIG_LINES |
  ParseOption.XML_PARSE_NOBLANKS |
  ParseOption.XML_PARSE_COMPACT;

let schemaDirectory: string | undefined;

/**
 * `schemas/iso20022` under the project root. The root is found by walking up
 * from this file to the directory holding package.json, so the same code works
 * from `src/xml/` (vitest, tsx) and from `dist/src/xml/` (after tsc).
 */
export function schemaDir(): string {
  if (schemaDirectory) return schemaDirectory;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) {
      const candidate = join(dir, 'schemas', 'iso20022');
      if (!existsSync(candidate)) throw new Error(`schema directory ${candidate} is missing`);
      schemaDirectory = candidate;
      return candidate;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('no package.json above src/xml/xsd: cannot locate schemas/iso20022');
    dir = parent;
  }
}

const validators = new Map<SchemaName, XsdValidator>();

function validatorFor(schema: SchemaName): XsdValidator {
  const cached = validators.get(schema);
  if (cached) return cached;
  const path = join(schemaDir(), `${schema}.xsd`);
  const xsdDoc = XmlDocument.fromBuffer(readFileSync(path), { url: path });
  try {
    const validator = XsdValidator.fromDoc(xsdDoc);
    validators.set(schema, validator);
    return validator;
  } finally {
    // The compiled schema does not refer back to its source document.
    xsdDoc.dispose();
  }
}

function problemsOf(error: unknown): XmlProblem[] {
  if (error instanceof XmlLibError && error.details.length > 0) {
    return error.details.slice(0, MAX_ERRORS).map((d) => ({ message: d.message.trim(), line: d.line }));
  }
  return [{ message: error instanceof Error ? error.message.trim() : String(error), line: 0 }];
}

/** Parses and validates one document; a document that is not well-formed is invalid, never thrown. */
function validateBytes(bytes: Uint8Array, validator: XsdValidator, forceUtf8: boolean): XsdResult {
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromBuffer(bytes, forceUtf8 ? { encoding: 'UTF-8', option: PARSE_OPTIONS } : { option: PARSE_OPTIONS });
  } catch (error) {
    return { valid: false, errors: problemsOf(error) };
  }
  try {
    validator.validate(doc);
    return { valid: true, errors: [] };
  } catch (error) {
    return { valid: false, errors: problemsOf(error) };
  } finally {
    doc.dispose();
  }
}

/**
 * Validates an XML document against one of the shipped ISO 20022 schemas.
 * A string is already decoded text, so its declared encoding is ignored; pass
 * the raw bytes to let libxml2 decode a file in its declared encoding (a CAMT
 * file in ISO-8859-15). A document that is not well-formed is reported
 * as invalid with the parser's errors, never thrown.
 */
export function validateXml(xml: string | Uint8Array, schema: SchemaName): XsdResult {
  const validator = validatorFor(schema);
  // A string is parsed from its UTF-8 bytes with the encoding forced: libxml2's own string path is
  // about three times slower on big files, and the declared encoding no longer applies to a JS string.
  return typeof xml === 'string' ? validateBytes(Buffer.from(xml, 'utf8'), validator, true) : validateBytes(xml, validator, false);
}

/**
 * How a document may be cut into pieces for `validateXmlInPieces`: the
 * elements open around the repeated blocks (outermost first), the block, and
 * the item repeated inside a block. For pain.001: `Document`,
 * `CstmrCdtTrfInitn` / `PmtInf` / `CdtTrfTxInf`.
 */
export interface PieceLayout {
  around: readonly string[];
  block: string;
  item: string;
}

export const PAIN_001_LAYOUT: PieceLayout = { around: ['Document', 'CstmrCdtTrfInitn'], block: 'PmtInf', item: 'CdtTrfTxInf' };

export interface PieceOptions {
  /** Roughly how many bytes of the document go into one piece (default 1 MiB). */
  pieceBytes?: number;
  /** Decode as UTF-8 whatever the declaration says (the bytes of a JS string). */
  forceUtf8?: boolean;
}

export interface PiecewiseXsdResult extends XsdResult {
  /** How many pieces were validated; 1 when the document was validated whole. */
  pieces: number;
}

const DEFAULT_PIECE_BYTES = 1024 * 1024;
const LT = 0x3c;
const NEWLINE = 0x0a;

/**
 * True when the document has a comment, CDATA section, DTD (`<!`) or a
 * processing instruction (`<?`) other than the XML declaration at its start.
 * Searches single bytes (`!`, `?`: rare in SEPA files) and looks back for `<`.
 */
function hasMarkupDeclarations(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(0x21); at !== -1; at = bytes.indexOf(0x21, at + 1)) if (at > 0 && bytes[at - 1] === LT) return true;
  const declaration = xmlDeclarationLength(bytes);
  for (let at = bytes.indexOf(0x3f, declaration); at !== -1; at = bytes.indexOf(0x3f, at + 1)) if (at > declaration && bytes[at - 1] === LT) return true;
  return false;
}

/**
 * Bytes taken by the XML declaration at the very start, 0 when there is none.
 * Only a real `<?xml …?>` with no `<` inside counts: any other processing
 * instruction may hold `<` and tags, and the document is then validated whole.
 */
function xmlDeclarationLength(bytes: Buffer): number {
  if (!/^<\?xml[ \t\r\n]/.test(bytes.toString('latin1', 0, 6))) return 0;
  const end = bytes.indexOf('?>', 2);
  const nextTag = bytes.indexOf(LT, 1);
  return end !== -1 && (nextTag === -1 || end < nextTag) ? end + 2 : 0;
}

function newlines(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let at = bytes.indexOf(NEWLINE, from); at !== -1 && at < to; at = bytes.indexOf(NEWLINE, at + 1)) count += 1;
  return count;
}

/**
 * One buffer the pieces are assembled in, reused: libxml2-wasm copies each
 * piece into wasm memory anyway, and a fresh megabyte per piece would pile up
 * outside the JS heap until the garbage collector notices.
 */
class PieceBuffer {
  private buffer = Buffer.allocUnsafe(0);
  fill(parts: readonly Uint8Array[]): Buffer {
    let length = 0;
    for (const part of parts) length += part.length;
    if (length > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.ceil(length * 1.25));
    let at = 0;
    for (const part of parts) {
      this.buffer.set(part, at);
      at += part.length;
    }
    return this.buffer.subarray(0, length);
  }
}

/** Line numbers of byte offsets in a document, counted only when an error needs one. */
class LineCounter {
  private offset = 0;
  private line = 1;
  private readonly earlier = new Map<number, number>();
  constructor(private readonly bytes: Buffer) {}
  at(offset: number): number {
    if (offset < this.offset) {
      // a block header re-opened by a later piece: counted once per block
      let line = this.earlier.get(offset);
      if (line === undefined) {
        line = 1 + newlines(this.bytes, 0, offset);
        this.earlier.set(offset, line);
      }
      return line;
    }
    this.line += newlines(this.bytes, this.offset, offset);
    this.offset = offset;
    return this.line;
  }
}

/**
 * Validates a big document in pieces of a few MiB instead of as one tree:
 * libxml2-wasm can only validate a parsed document (no streaming validator is
 * exported), the tree of a 60 MB pain.001 takes some 250 MB of wasm memory
 * that is never given back, and its error collector computes each error's
 * XPath by counting the element's siblings, so a file with a fault in every
 * one of 100,000 payments takes quadratic time as one tree. A piece is the
 * document's own prefix (up to the first block), the header of the block being
 * continued, a run of the document's bytes, and the end tags of the elements
 * left open. Pieces are cut only before an item that is not the first of its
 * block, or before a block.
 *
 * Why the document is valid exactly when all its pieces are:
 * - Pieces are only made when the document has no comment, CDATA section,
 *   processing instruction or DTD (no `<!`, and `<?` only for a real XML
 *   declaration at the start, with no `<` inside it). Then every `<` of a well-formed document opens
 *   a tag (`<` is not allowed in attribute values or text), so tags and texts
 *   are found from the bytes between one `<` and the next alone: a run of bytes
 *   cut at `<` reads the same in a piece as in the document.
 * - Every byte of the document is in exactly one run, in order. The first
 *   piece starts at byte 0. A piece ends with the end tags of exactly the
 *   elements that must be open at its cut (block and around, or around only);
 *   a well-formed piece proves those, and only those, are open there in the
 *   document too (tags match by name, and a mismatch is an error). The next
 *   piece re-opens the same start tags, byte for byte, with the header of the
 *   block being continued (the items of a block come after its header in both
 *   versions' content model), so its run is read in the same element and
 *   namespace context as in the document.
 * - The pain.001 schemas have no identity constraints (key, keyref, unique)
 *   and the models around the cut are `(GrpHdr, PmtInf+)` and
 *   `(header…, CdtTrfTxInf+)`: a run of items or blocks is valid after a fresh
 *   header exactly when it is valid after earlier ones, and every run holds at
 *   least one item of its block.
 * Errors carry the document's own line numbers (mapped back from the piece;
 * errors in the copied prefix or header are reported once, where they stand);
 * validation stops once 200 errors are collected. A document that cannot be
 * cut is validated as one tree.
 */
export function validateXmlInPieces(xml: Uint8Array, schema: SchemaName, layout: PieceLayout, options: PieceOptions = {}): PiecewiseXsdResult {
  const validator = validatorFor(schema);
  const forceUtf8 = options.forceUtf8 ?? false;
  const pieceBytes = options.pieceBytes ?? DEFAULT_PIECE_BYTES;
  const bytes = Buffer.isBuffer(xml) ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
  const blockTag = Buffer.from(`<${layout.block}>`);
  const itemTag = Buffer.from(`<${layout.item}>`);
  const first = bytes.indexOf(blockTag);
  if (bytes.length <= pieceBytes || first === -1 || hasMarkupDeclarations(bytes)) return { ...validateBytes(bytes, validator, forceUtf8), pieces: 1 };

  const closeAround = Buffer.from(
    layout.around
      .slice()
      .reverse()
      .map((name) => `</${name}>`)
      .join(''),
  );
  const closeBlock = Buffer.concat([Buffer.from(`</${layout.block}>`), closeAround]);
  const prefix = bytes.subarray(0, first);
  // Every block start, and the first item after it, found once (searching back from each cut would
  // cross a 60 MB block again and again).
  const blockStarts: number[] = [];
  for (let at = first; at !== -1; at = bytes.indexOf(blockTag, at + 1)) blockStarts.push(at);
  const firstItems = blockStarts.map((at) => bytes.indexOf(itemTag, at));
  let owner = 0; // index into blockStarts of the block holding the current position

  const errors: XmlProblem[] = [];
  const reported = new Set<string>();
  const lines = new LineCounter(bytes);
  const scratch = new PieceBuffer();
  let valid = true;
  let pieces = 0;
  let start = first;
  let reopen: { from: number; to: number } | undefined;
  for (;;) {
    let cut = -1;
    let closer = closeAround;
    let nextReopen: { from: number; to: number } | undefined;
    if (bytes.length - start > pieceBytes) {
      let from = start + pieceBytes;
      for (;;) {
        const item = bytes.indexOf(itemTag, from);
        const limit = item === -1 ? bytes.length : item;
        while (owner + 1 < blockStarts.length && (blockStarts[owner + 1] as number) < limit) owner += 1;
        const blockStart = blockStarts[owner] as number;
        if (blockStart >= from) {
          // a block begins before the next item: cut between blocks
          cut = blockStart;
          break;
        }
        if (item === -1) break;
        const firstItem = firstItems[owner] as number;
        if (firstItem !== item) {
          cut = item;
          closer = closeBlock;
          nextReopen = { from: blockStart, to: firstItem };
          break;
        }
        if (blockStart > start) {
          cut = blockStart;
          break;
        }
        from = item + 1;
      }
    }
    const end = cut === -1 ? bytes.length : cut;
    // The first piece is the document's own start; later ones re-open the block they continue.
    const parts = [prefix, ...(reopen ? [bytes.subarray(reopen.from, reopen.to)] : []), bytes.subarray(start, end), ...(cut === -1 ? [] : [closer])];
    const result = validateBytes(scratch.fill(parts), validator, forceUtf8);
    if (!result.valid) {
      valid = false;
      const map = pieceLines(bytes, lines, prefix.length, reopen, start, end);
      for (const problem of result.errors) {
        const place = map(problem.line);
        // The prefix and a re-opened header are in every piece that continues them: an error placed
        // there (a fault in the header itself, or the block's content model, reported at its start
        // tag) is reported once. Skipping all of them would lose a fault that only a later piece sees.
        const key = `${place.line}\u0000${problem.message}`;
        if (place.copied && reported.has(key)) continue;
        reported.add(key);
        if (errors.length < MAX_ERRORS) errors.push({ message: problem.message, line: place.line });
      }
    }
    pieces += 1;
    if (cut === -1 || errors.length >= MAX_ERRORS) break;
    start = cut;
    reopen = nextReopen;
  }
  return { valid, errors, pieces };
}

/**
 * Maps a line of a piece back to the document: the piece is the prefix
 * (document lines from 1), the re-opened block header, the run, the end tags.
 */
function pieceLines(
  bytes: Buffer,
  lines: LineCounter,
  prefixLength: number,
  reopen: { from: number; to: number } | undefined,
  start: number,
  end: number,
): (line: number) => { line: number; copied: boolean } {
  const prefixNewlines = newlines(bytes, 0, prefixLength);
  const reopenNewlines = reopen ? newlines(bytes, reopen.from, reopen.to) : 0;
  const runNewlines = newlines(bytes, start, end);
  // Piece lines where each part begins (a part can begin in the middle of a line).
  const reopenLine = 1 + prefixNewlines;
  const runLine = reopenLine + reopenNewlines;
  const closerLine = runLine + runNewlines;
  const reopenDocLine = reopen ? lines.at(reopen.from) : 1;
  const runDocLine = lines.at(start);
  return (line: number): { line: number; copied: boolean } => {
    if (line <= 0) return { line: runDocLine, copied: false };
    if (line >= closerLine) return { line: runDocLine + runNewlines, copied: false };
    if (line >= runLine) return { line: runDocLine + (line - runLine), copied: false };
    if (reopen && line >= reopenLine) return { line: reopenDocLine + (line - reopenLine), copied: true };
    return { line, copied: true };
  };
}

/** Frees the compiled schemas (tests, or a long-lived process shutting down). */
export function disposeSchemas(): void {
  for (const validator of validators.values()) validator.dispose();
  validators.clear();
}
