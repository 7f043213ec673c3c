import { Buffer } from 'node:buffer';
import type { XsdValidator } from 'libxml2-wasm';
import { MAX_ERRORS, PARSE_OPTIONS, schemaPath, validateBytes, validatorFor, type SchemaName, type XmlProblem, type XsdResult } from './schemas.js';
import { giveUpHelper, xsdHelper, type XsdHelper } from './xsd-helper.js';

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
  /** 2 (the default): a helper thread validates every other piece; 1: all pieces on the calling thread. */
  threads?: 1 | 2;
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
  const bytes = Buffer.isBuffer(xml) ? xml : Buffer.from(xml.buffer, xml.byteOffset, xml.byteLength);
  return new PiecewiseValidation(schema, layout, options).finish(bytes);
}

/** A piece: the run `start`–`end` of the document, the block header it re-opens, the end tags that close it. */
interface Piece {
  start: number;
  end: number;
  reopen: { from: number; to: number } | undefined;
  closer: Buffer | undefined;
}

/** Pieces handed to the helper ahead of its answers, so it never waits for the caller. */
const HELPER_QUEUE = 2;
/** While the caller is still writing, a few more may wait: it validates none itself until `finish`. */
const WRITING_QUEUE = 4;

let nextJobId = 0;

/**
 * The piecewise validation of one document, which may still be being written.
 * `progress` is told how many bytes are final; complete pieces then go to the
 * helper thread at once, so writing a file and validating it overlap. `finish`
 * takes the whole document, validates what is left on both threads (or on this
 * one: `threads: 1`, or no helper) and returns exactly what validating the
 * finished bytes in one go gives: pieces are cut the same wherever the bytes
 * happened to end when they were cut (`PieceCutter`), and answers are merged
 * in piece order, with the same errors, lines and stop after 200 errors.
 */
export class PiecewiseValidation {
  private readonly validator: XsdValidator;
  private readonly schemaPath: string;
  private readonly forceUtf8: boolean;
  private readonly pieceBytes: number;
  private readonly cutter: PieceCutter;
  private readonly declarations: DeclarationScan;
  private helper: XsdHelper | null;
  private readonly pieces: Piece[] = [];
  private readonly results: (XsdResult | undefined)[] = [];
  /** Pieces at the helper, by job id. */
  private readonly out = new Map<number, number>();
  /** Pieces the helper gave back unvalidated (it failed or stalled): validated here. */
  private readonly retry: number[] = [];

  constructor(schema: SchemaName, layout: PieceLayout, options: PieceOptions = {}) {
    this.validator = validatorFor(schema);
    this.schemaPath = schemaPath(schema);
    this.forceUtf8 = options.forceUtf8 ?? false;
    this.pieceBytes = options.pieceBytes ?? DEFAULT_PIECE_BYTES;
    this.cutter = new PieceCutter(layout, this.pieceBytes);
    this.declarations = new DeclarationScan();
    this.helper = (options.threads ?? 2) > 1 ? xsdHelper({ parseOptions: PARSE_OPTIONS, maxErrors: MAX_ERRORS }) : null;
  }

  /** `bytes[0, written)` are final (`bytes` may be a new, larger buffer each time). */
  progress(bytes: Buffer, written: number): void {
    if (this.helper === null || !this.declarations.scan(bytes, written, false)) return;
    for (;;) {
      this.takeAnswers();
      if (this.out.size >= WRITING_QUEUE) return;
      const piece = this.cutter.next(bytes, written, false);
      if (piece === undefined) return;
      this.pieces.push(piece);
      this.send(this.pieces.length - 1, bytes);
    }
  }

  /** The whole document: validates what is left and gives the result. */
  finish(bytes: Buffer): PiecewiseXsdResult {
    const cuttable = this.declarations.scan(bytes, bytes.length, true) && bytes.length > this.pieceBytes && this.cutter.prefixEnd(bytes, bytes.length) !== -1;
    if (!cuttable) {
      this.drain();
      return { ...validateBytes(bytes, this.validator, this.forceUtf8), pieces: 1 };
    }
    // Every piece cut while writing went to the helper; the rest are cut now.
    let next = this.pieces.length;
    for (let piece = this.cutter.next(bytes, bytes.length, true); piece !== undefined; piece = this.cutter.next(bytes, bytes.length, true)) this.pieces.push(piece);
    if (this.pieces.length < MIN_PIECES_FOR_HELPER && this.out.size === 0) this.helper = null;

    const merge = new PieceMerge(bytes, this.cutter.prefixEnd(bytes, bytes.length));
    const scratch = new PieceBuffer();
    let merged = 0;
    let going = true;
    const mergeReady = (): void => {
      while (going && merged < this.pieces.length && this.results[merged] !== undefined) {
        going = merge.add(this.pieces[merged] as Piece, this.results[merged] as XsdResult);
        merged += 1;
      }
    };
    const here = (index: number): void => {
      this.results[index] = validateBytes(scratch.fill(this.partsOf(this.pieces[index] as Piece, bytes)), this.validator, this.forceUtf8);
    };
    while (going && merged < this.pieces.length) {
      while (this.helper !== null && next < this.pieces.length && this.out.size < HELPER_QUEUE) this.send(next++, bytes);
      this.takeAnswers();
      mergeReady();
      if (!going) break;
      if (this.retry.length > 0) here(this.retry.shift()!);
      else if (next < this.pieces.length) here(next++);
      // The helper stalled: its pieces are validated here, and the process goes on without it.
      else if (this.out.size > 0 && !this.helper!.wait()) this.giveUp();
      this.takeAnswers();
      mergeReady();
    }
    // Stopped early (200 errors): the pieces still out are waited for, so no answer is left behind.
    this.drain();
    return { ...merge.result(), pieces: merge.pieces };
  }

  private partsOf(piece: Piece, bytes: Buffer): Uint8Array[] {
    // The first piece is the document's own start; later ones re-open the block they continue.
    return [
      bytes.subarray(0, this.cutter.prefixEnd(bytes, bytes.length)),
      ...(piece.reopen ? [bytes.subarray(piece.reopen.from, piece.reopen.to)] : []),
      bytes.subarray(piece.start, piece.end),
      ...(piece.closer ? [piece.closer] : []),
    ];
  }

  private send(index: number, bytes: Buffer): void {
    const id = nextJobId++;
    this.out.set(id, index);
    this.helper!.send({ id, schemaPath: this.schemaPath, forceUtf8: this.forceUtf8 }, this.partsOf(this.pieces[index] as Piece, bytes));
  }

  private takeAnswers(): void {
    let failed = false;
    for (const answer of this.helper?.take() ?? []) {
      const index = this.out.get(answer.id);
      // An answer for another validation (there should be none: each waits for its own) is dropped.
      if (index === undefined) continue;
      this.out.delete(answer.id);
      if (answer.failed) {
        this.retry.push(index);
        failed = true;
      } else {
        this.results[index] = { valid: answer.valid, errors: answer.errors };
      }
    }
    if (failed) this.giveUp();
  }

  /** The document will not be finished (its writer gave up): what is at the helper is waited for and dropped. */
  cancel(): void {
    this.drain();
  }

  /** Waits for every piece still at the helper. */
  private drain(): void {
    while (this.helper !== null && this.out.size > 0) {
      if (!this.helper.wait()) {
        this.giveUp();
        return;
      }
      this.takeAnswers();
    }
  }

  /** The helper is not used again in this process; the pieces it still has are validated here. */
  private giveUp(): void {
    giveUpHelper();
    this.helper = null;
    this.retry.push(...this.out.values());
    this.out.clear();
  }
}

/** Below this many pieces a second thread does not pay for handing pieces over. */
const MIN_PIECES_FOR_HELPER = 4;

/**
 * Whether a document may be cut at all, checked as its bytes come: not when it has a comment,
 * CDATA section or DTD (`<!`), or a processing instruction (`<?`) other than the XML declaration
 * at its start. Searches single bytes (`!`, `?`: rare in SEPA files) and looks back for `<`;
 * `scan` returns false as soon as one is seen.
 */
class DeclarationScan {
  private scanned = 0;
  private declarationLength: number | undefined;
  private found = false;

  scan(bytes: Buffer, known: number, final: boolean): boolean {
    if (this.found) return false;
    const view = bytes.subarray(0, known);
    if (this.declarationLength === undefined) {
      // Only once the first tag after a declaration is written is the declaration's length final.
      if (!final && view.indexOf(LT, 1) === -1) return true;
      this.declarationLength = xmlDeclarationLength(view);
    }
    const from = this.scanned;
    for (let at = view.indexOf(0x21, from); at !== -1; at = view.indexOf(0x21, at + 1)) if (at > 0 && view[at - 1] === LT) this.found = true;
    const declaration = this.declarationLength;
    for (let at = view.indexOf(0x3f, Math.max(from, declaration)); at !== -1; at = view.indexOf(0x3f, at + 1)) if (at > declaration && view[at - 1] === LT) this.found = true;
    this.scanned = known;
    return !this.found;
  }
}

/**
 * Cuts a document into pieces as its bytes come: `next` gives the next piece once every
 * byte that decides its cut is known, and undefined until then, so the pieces are the same
 * whether the document arrives at once or in parts. Pieces are cut only before an item that
 * is not the first of its block, or before a block.
 */
class PieceCutter {
  private readonly blockTag: Buffer;
  private readonly itemTag: Buffer;
  private readonly closeAround: Buffer;
  private readonly closeBlock: Buffer;
  /** Every block start found so far, and the first item after each (found when first needed). */
  private readonly blockStarts: number[] = [];
  private readonly firstItems: number[] = [];
  private blocksSearchedTo = 0;
  private owner = 0; // index into blockStarts of the block holding the current position
  private start = -1;
  private reopen: { from: number; to: number } | undefined;
  private done = false;

  constructor(
    layout: PieceLayout,
    private readonly pieceBytes: number,
  ) {
    this.blockTag = Buffer.from(`<${layout.block}>`);
    this.itemTag = Buffer.from(`<${layout.item}>`);
    this.closeAround = Buffer.from(
      layout.around
        .slice()
        .reverse()
        .map((name) => `</${name}>`)
        .join(''),
    );
    this.closeBlock = Buffer.concat([Buffer.from(`</${layout.block}>`), this.closeAround]);
  }

  /** Where the document's own prefix ends (its first block starts); -1 while there is no block yet. */
  prefixEnd(bytes: Buffer, known: number): number {
    if (this.blockStarts.length === 0) this.findBlocks(bytes.subarray(0, known));
    return this.blockStarts[0] ?? -1;
  }

  next(bytes: Buffer, known: number, final: boolean): Piece | undefined {
    if (this.done) return undefined;
    const view = bytes.subarray(0, known); // never a byte that is not written yet
    if (this.start === -1) {
      const first = this.prefixEnd(bytes, known);
      if (first === -1) return undefined;
      this.start = first;
    }
    const start = this.start;
    let cut = -1;
    let closer = this.closeAround;
    let nextReopen: { from: number; to: number } | undefined;
    if (known - start > this.pieceBytes) {
      let from = start + this.pieceBytes;
      let owner = this.owner;
      for (;;) {
        const item = view.indexOf(this.itemTag, from);
        if (item === -1 && !final) return undefined;
        const limit = item === -1 ? known : item;
        this.findBlocks(view);
        while (owner + 1 < this.blockStarts.length && (this.blockStarts[owner + 1] as number) < limit) owner += 1;
        const blockStart = this.blockStarts[owner] as number;
        if (blockStart >= from) {
          // a block begins before the next item: cut between blocks
          cut = blockStart;
          break;
        }
        if (item === -1) break;
        const firstItem = this.firstItem(owner, view);
        if (firstItem !== item) {
          cut = item;
          closer = this.closeBlock;
          nextReopen = { from: blockStart, to: firstItem };
          break;
        }
        if (blockStart > start) {
          cut = blockStart;
          break;
        }
        from = item + 1;
      }
      this.owner = owner;
    } else if (!final) {
      return undefined;
    }
    const piece = { start, end: cut === -1 ? known : cut, reopen: this.reopen, closer: cut === -1 ? undefined : closer };
    if (cut === -1) this.done = true;
    this.start = cut;
    this.reopen = nextReopen;
    return piece;
  }

  /** Block starts in `view` not yet found; a tag cut off at its end is found next time. */
  private findBlocks(view: Buffer): void {
    let from = this.blocksSearchedTo;
    for (let at = view.indexOf(this.blockTag, from); at !== -1; at = view.indexOf(this.blockTag, at + 1)) {
      this.blockStarts.push(at);
      from = at + 1;
    }
    this.blocksSearchedTo = Math.max(from, view.length - this.blockTag.length + 1);
  }

  /** The first item after the start of block `index` (it is known: an item at or after it was found). */
  private firstItem(index: number, view: Buffer): number {
    let item = this.firstItems[index];
    if (item === undefined) this.firstItems[index] = item = view.indexOf(this.itemTag, this.blockStarts[index]);
    return item;
  }
}

/**
 * Puts the answers for the pieces together in piece order: errors mapped back to the
 * document's lines, an error in a copied prefix or header reported once, and no more
 * after 200 errors.
 */
class PieceMerge {
  private readonly errors: XmlProblem[] = [];
  private readonly reported = new Set<string>();
  private readonly lines: LineCounter;
  private valid = true;
  pieces = 0;

  constructor(
    private readonly bytes: Buffer,
    private readonly prefixLength: number,
  ) {
    this.lines = new LineCounter(bytes);
  }

  /** Adds the next piece's answer; false once 200 errors are collected (stop there). */
  add(piece: Piece, result: XsdResult): boolean {
    if (!result.valid) {
      this.valid = false;
      const map = pieceLines(this.bytes, this.lines, this.prefixLength, piece.reopen, piece.start, piece.end);
      for (const problem of result.errors) {
        const place = map(problem.line);
        // The prefix and a re-opened header are in every piece that continues them: an error placed
        // there (a fault in the header itself, or the block's content model, reported at its start
        // tag) is reported once. Skipping all of them would lose a fault that only a later piece sees.
        const key = `${place.line}\u0000${problem.message}`;
        if (place.copied && this.reported.has(key)) continue;
        this.reported.add(key);
        if (this.errors.length < MAX_ERRORS) this.errors.push({ message: problem.message, line: place.line });
      }
    }
    this.pieces += 1;
    return this.errors.length < MAX_ERRORS;
  }

  result(): XsdResult {
    return { valid: this.valid, errors: this.errors };
  }
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

