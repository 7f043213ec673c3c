import { Buffer } from 'node:buffer';

/**
 * A small, strict, non-validating XML reader for bank files, working on the
 * UTF-8 bytes themselves. It checks well-formedness (nesting, names,
 * attributes, references, characters, one root) and reports what it reads as
 * events: a start tag (with its name, interned: no string is made per tag), a
 * run of character data (as a byte range: the caller decodes only the text it
 * wants), an end tag. Nothing is kept, so a 100,000-entry statement never sits
 * in memory, not as a tree and not as one big decoded string either.
 *
 * What it deliberately does not do: DTDs (any `<!DOCTYPE` is refused), entity
 * declarations, external anything. Only the five predefined entities and
 * character references are decoded, so there is nothing to expand.
 *
 * fast-xml-parser 5.12 was measured at about 19 s for 100,000 entries (and does
 * not check end-tag nesting without a second validating pass). This reader
 * tokenizes the same file (62 MB) in about 0.35 s of CPU; see CONTEXT.md.
 *
 * `readXml` builds light elements on top of the events, for callers (and
 * tests) that want a tree.
 */

export interface XmlElement {
  /** Local name, without namespace prefix. */
  readonly name: string;
  /** Name as written, with prefix when there is one. */
  readonly qname: string;
  /** Offset of the `<` of the start tag (in the UTF-8 bytes read). */
  readonly start: number;
  /** Attributes as written (qualified names), values decoded; null when there are none. */
  readonly attributes: Readonly<Record<string, string>> | null;
  /** Child elements that the handler chose to keep. */
  children: XmlElement[];
  /** Character data directly inside this element, decoded, not trimmed. */
  text: string;
  /** Namespace URI, resolved only for the first levels (see `resolveNamespacesToDepth`). */
  namespace: string | null;
}

/** Control characters and the replacement character, wherever a message quotes the file's own bytes. */
// eslint-disable-next-line no-control-regex -- exactly those characters are what it finds
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffd]/g;

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly kind: 'syntax' | 'doctype' | 'depth' = 'syntax',
  ) {
    // A message quotes what the file says (a tag, a reference, a character), and a broken file can say anything: a
    // NUL byte in a message could not even be stored with the refusal (PostgreSQL's text and jsonb refuse it).
    super(message.replace(UNPRINTABLE, (c) => `U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}`));
    this.name = 'XmlSyntaxError';
  }
}

export interface XmlReadOptions {
  maxDepth: number;
  /** Namespace URIs are resolved for elements at depth < this; deeper ones keep null. */
  resolveNamespacesToDepth: number;
}

/** Flags of a text run, so the caller knows how much decoding it needs. */
export const TEXT_REFERENCE = 1; // holds & references
export const TEXT_CR = 2; // holds carriage returns (line ends are normalised to \n)
export const TEXT_NON_ASCII = 4; // holds UTF-8 sequences
export const TEXT_SPACE_ONLY = 8; // only white space
export const TEXT_CDATA = 16; // a CDATA section: taken literally
const TEXT_LAYOUT = 32; // holds tabs or line ends (only from checkChars, for attribute values)

/** A name as read, interned per scan: the same object (and strings) for every element of that name. */
export interface XmlName {
  /** Local name, without prefix. */
  readonly local: string;
  /** As written, with prefix when there is one. */
  readonly qname: string;
  /** '' when the name has no prefix. */
  readonly prefix: string;
  /** 0, 1, 2 … in order of first appearance in this scan: an index for a caller's own tables. */
  readonly id: number;
  /** @internal The name's bytes. */
  readonly bytes: Uint8Array;
}

/**
 * The attributes of the start tag being reported, values decoded. Valid only during
 * the `open` call: the scanner reuses it for the next start tag.
 */
export interface XmlAttributes {
  readonly count: number;
  readonly names: readonly XmlName[];
  readonly values: readonly string[];
}

/** What the scanner reports. `depth` 0 is the root. */
export interface XmlEvents {
  /** A start tag; `attributes` is null when it has none. */
  open(name: XmlName, depth: number, start: number, attributes: XmlAttributes | null, namespace: string | null): void;
  /**
   * Character data of the element open at `depth`, bytes `from`–`to`; decode with `source.text(from, to, flags)`.
   * White space after the element's first child element is layout and not reported.
   */
  text(from: number, to: number, flags: number, depth: number): void;
  /** The end tag (or the end of an empty-element tag) of the element open at `depth`. */
  close(depth: number): void;
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

const NAME = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDBFF][-.0-9A-Za-z_:\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF]*/y;

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

function charFromCode(code: number): string | undefined {
  return isXmlChar(code) ? String.fromCodePoint(code) : undefined;
}

function referenceValue(ref: string): string | undefined {
  if (ref.startsWith('#x')) return charFromCode(/^[0-9A-Fa-f]+$/.test(ref.slice(2)) ? parseInt(ref.slice(2), 16) : -1);
  if (ref.startsWith('#')) return charFromCode(/^[0-9]+$/.test(ref.slice(1)) ? parseInt(ref.slice(1), 10) : -1);
  return PREDEFINED[ref];
}

function badAmpersand(offset: number): XmlSyntaxError {
  return new XmlSyntaxError("an '&' that does not start a reference such as &amp;amp; (write & as &amp;amp;)", offset);
}

function unknownReference(ref: string, offset: number): XmlSyntaxError {
  return new XmlSyntaxError(`the reference &${ref}; is not one of XML's own (&amp;amp; &amp;lt; &amp;gt; &amp;quot; &amp;apos; or a character number)`, offset);
}

/** Decodes the predefined entities and character references in `raw`; `offset` is where `raw` starts in the file. */
export function decodeReferences(raw: string, offset: number): string {
  let amp = raw.indexOf('&');
  if (amp === -1) return raw;
  let out = '';
  let from = 0;
  while (amp !== -1) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 12) throw badAmpersand(offset + amp);
    const ref = raw.slice(amp + 1, semi);
    const value = referenceValue(ref);
    if (value === undefined) throw unknownReference(ref, offset + amp);
    out += raw.slice(from, amp) + value;
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  return out + raw.slice(from);
}

/** The bytes as a Buffer, without copying them. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * 1-based line and column of a byte offset. The newline table is built on first
 * use, then each lookup is a binary search. Columns count characters, not bytes.
 */
export class LineIndex {
  /** Offsets of the line ends in `bytes[0, scanned)`, in order; the first `count` are used. */
  private newlines = new Uint32Array(256);
  private count = 0;
  private scanned = 0;

  constructor(private readonly bytes: Buffer) {}

  locate(offset: number): { line: number; column: number } {
    const before = this.lineEndsBefore(offset);
    const lineStart = before === 0 ? 0 : this.newlines[before - 1]! + 1;
    const end = Math.min(offset, this.bytes.length);
    let ascii = true;
    for (let i = lineStart; i < end; i++) {
      if (this.bytes[i]! >= 0x80) {
        ascii = false;
        break;
      }
    }
    const column = ascii ? end - lineStart : this.bytes.toString('utf8', lineStart, end).length;
    return { line: before + 1, column: column + (offset - end) + 1 };
  }

  line(offset: number): number {
    return this.lineEndsBefore(offset) + 1;
  }

  /** How many line ends come before `offset`. */
  private lineEndsBefore(offset: number): number {
    this.scanThrough(offset);
    const newlines = this.newlines;
    let low = 0;
    let high = this.count;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (newlines[middle]! < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /**
   * Records the line ends up to `offset`, only when a problem or refusal names a line (records get theirs from the
   * scanner), and only as far as asked: a statement's problem near the top of a 70 MB file reads its first lines, not
   * the file (the whole file took 150 ms).
   */
  private scanThrough(offset: number): void {
    const bytes = this.bytes;
    const end = Math.min(offset, bytes.length);
    let newlines = this.newlines;
    let count = this.count;
    for (let i = this.scanned; i < end; i++) {
      if (bytes[i] !== 0x0a) continue;
      if (count === newlines.length) {
        const larger = new Uint32Array(newlines.length * 2);
        larger.set(newlines);
        newlines = this.newlines = larger;
      }
      newlines[count++] = i;
    }
    this.count = count;
    this.scanned = Math.max(this.scanned, end);
  }
}

type Name = XmlName;

/** The reusable attribute list of the scanner. */
interface AttributeList {
  count: number;
  names: Name[];
  values: string[];
}

const fromCharCode = String.fromCharCode;

/** Bytes that need no attention inside character data: printable ASCII and white space, except < & ]. */
const PLAIN_TEXT = new Uint8Array(256);
for (let c = 0x20; c < 0x80; c++) PLAIN_TEXT[c] = 1;
PLAIN_TEXT[0x09] = 1; // not 0x0a: line ends are counted
PLAIN_TEXT[0x3c] = PLAIN_TEXT[0x26] = PLAIN_TEXT[0x5d] = 0;

/** ASCII name characters: 2 where a name may start (letters, _ and :), 1 where it may only go on (digits, - and .). */
const NAME_START = 2;
const NAME_CHAR = new Uint8Array(256);
for (let c = 0x41; c <= 0x5a; c++) NAME_CHAR[c] = NAME_CHAR[c + 0x20] = NAME_START;
NAME_CHAR[0x5f] = NAME_CHAR[0x3a] = NAME_START;
for (let c = 0x30; c <= 0x39; c++) NAME_CHAR[c] = 1;
NAME_CHAR[0x2d] = NAME_CHAR[0x2e] = 1;

/**
 * Reads UTF-8 bytes (already checked to be valid UTF-8, BOM removed) and
 * reports them to `events`; decodes the text runs the caller asks for.
 */
export class XmlScanner {
  readonly buffer: Buffer;
  private names: (Name | undefined)[] = new Array<Name | undefined>(256);
  private nameCount = 0;
  /** During `XmlEvents.open`: the 1-based line of the start tag's '<' (counted while scanning, no table needed). */
  tagLine = 1;

  constructor(bytes: Uint8Array) {
    this.buffer = asBuffer(bytes);
  }

  /**
   * The text of bytes `from`–`to` as reported by `XmlEvents.text`: references decoded,
   * line ends normalised. Short ASCII runs (codes, dates, amounts) are made without a call into C++.
   */
  text(from: number, to: number, flags: number): string {
    const b = this.buffer;
    if (flags === 0 || flags === TEXT_SPACE_ONLY) {
      switch (to - from) {
        case 0:
          return '';
        case 1:
          return fromCharCode(b[from]!);
        case 2:
          return fromCharCode(b[from]!, b[from + 1]!);
        case 3:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!);
        case 4:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!);
        case 5:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!);
        case 6:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!);
        case 7:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!);
        case 8:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!);
        case 9:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!);
        case 10:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!, b[from + 9]!);
        case 11:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!, b[from + 9]!, b[from + 10]!);
        case 12:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!, b[from + 9]!, b[from + 10]!, b[from + 11]!);
        case 13:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!, b[from + 9]!, b[from + 10]!, b[from + 11]!, b[from + 12]!);
        case 14:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!, b[from + 9]!, b[from + 10]!, b[from + 11]!, b[from + 12]!, b[from + 13]!);
        case 15:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!, b[from + 9]!, b[from + 10]!, b[from + 11]!, b[from + 12]!, b[from + 13]!, b[from + 14]!);
        case 16:
          return fromCharCode(b[from]!, b[from + 1]!, b[from + 2]!, b[from + 3]!, b[from + 4]!, b[from + 5]!, b[from + 6]!, b[from + 7]!, b[from + 8]!, b[from + 9]!, b[from + 10]!, b[from + 11]!, b[from + 12]!, b[from + 13]!, b[from + 14]!, b[from + 15]!);
        default:
          return b.toString('latin1', from, to);
      }
    }
    let value = flags & TEXT_NON_ASCII ? b.toString('utf8', from, to) : b.toString('latin1', from, to);
    if (flags & TEXT_CR) value = value.replace(/\r\n?/g, '\n');
    if (flags & TEXT_REFERENCE && !(flags & TEXT_CDATA)) value = decodeReferences(value, from);
    return value;
  }

  /**
   * The text of bytes `from`–`to` as `text` gives it, trimmed as `String#trim` trims, or null
   * when nothing is left. XML white space is cut on the bytes, so no string is made for it; only
   * a text with references, CDATA or non-ASCII characters (a no-break space, say) is trimmed
   * again once decoded. Plain ASCII needs nothing more: the other characters `trim` removes
   * (vertical tab, form feed) cannot occur in XML.
   */
  trimmed(from: number, to: number, flags: number): string | null {
    if (flags & TEXT_SPACE_ONLY) return null;
    const b = this.buffer;
    while (from < to && isSpace(b[from]!)) from++;
    while (to > from && isSpace(b[to - 1]!)) to--;
    if (from === to) return null;
    if (!(flags & (TEXT_REFERENCE | TEXT_CDATA | TEXT_NON_ASCII))) return this.text(from, to, flags);
    const value = this.text(from, to, flags).trim();
    return value === '' ? null : value;
  }

  /** Reads the whole document, reporting to `events`. Throws `XmlSyntaxError` with the byte offset of the problem. */
  scan(events: XmlEvents, options: XmlReadOptions): void {
    const b = this.buffer;
    const length = b.length;
    const maxDepth = options.maxDepth;
    const resolveTo = options.resolveNamespacesToDepth;
    // Open elements by depth: their names, namespace declarations and whether a child element was seen.
    const open = new Array<Name | null>(maxDepth + 1).fill(null);
    const declarations = new Array<Map<string, string> | null>(maxDepth + 1).fill(null);
    const attributeList: AttributeList = { count: 0, names: [], values: [] };
    const sawChild = new Uint8Array(maxDepth + 1);
    let anyDeclarations = false;
    let depth = 0;
    let rootSeen = false;
    let p = 0;
    /** 1 + the line ends before `p`. */
    let lines = 1;

    if (b[0] === 0x3c && b[1] === 0x3f && b.toString('latin1', 0, 5) === '<?xml') {
      const end = b.indexOf('?>', 5, 'latin1');
      if (end === -1) throw new XmlSyntaxError('the XML declaration <?xml … ?> is not closed', 0);
      this.checkChars(0, end);
      p = end + 2;
      lines += countLineEnds(b, 0, p);
    }

    while (p < length) {
      let c = b[p]!;
      if (c !== 0x3c) {
        // Character data up to the next '<': checked byte by byte (references, ']]>', forbidden characters).
        // Layout white space first (nearly all text between tags), then plain bytes by table, the rest one by one.
        const from = p;
        let flags = TEXT_SPACE_ONLY;
        while (c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0d) {
          if (c === 0x0a) lines++;
          else if (c === 0x0d) flags |= TEXT_CR;
          if (++p >= length) break;
          c = b[p]!;
        }
        if (c !== 0x3c && p < length) {
          flags &= ~TEXT_SPACE_ONLY;
          for (;;) {
            while (PLAIN_TEXT[c] === 1 && ++p < length) c = b[p]!;
            if (c === 0x3c || p >= length) break;
            if (c >= 0x80) {
              flags |= TEXT_NON_ASCII;
              if (c === 0xef && b[p + 1] === 0xbf && (b[p + 2] === 0xbe || b[p + 2] === 0xbf)) throw forbiddenCharacter(b[p + 2] === 0xbe ? 0xfffe : 0xffff, p);
              p++;
            } else if (c === 0x26) {
              flags |= TEXT_REFERENCE;
              p = this.checkReference(p);
            } else if (c === 0x5d) {
              if (b[p + 1] === 0x5d && b[p + 2] === 0x3e) throw new XmlSyntaxError("']]>' in text", p);
              p++;
            } else if (c === 0x0a) {
              lines++;
              p++;
            } else if (c === 0x0d) {
              flags |= TEXT_CR;
              p++;
            } else {
              throw forbiddenCharacter(c, p);
            }
            if (p >= length) break;
            c = b[p]!;
          }
        }
        if (depth === 0) {
          if (!(flags & TEXT_SPACE_ONLY)) {
            let i = from;
            while (isSpace(b[i]!)) i++;
            throw new XmlSyntaxError('text outside the root element', i);
          }
        } else if (!(flags & TEXT_SPACE_ONLY && sawChild[depth - 1])) {
          events.text(from, p, flags, depth - 1);
        }
        continue;
      }

      c = b[p + 1]!;
      if (c === 0x2f /* / */) {
        // End tag: must repeat the name of the innermost open element, byte for byte.
        if (depth === 0) throw new XmlSyntaxError('an end tag without a matching start tag', p);
        const name = open[depth - 1]!;
        const nameBytes = name.bytes;
        const n = nameBytes.length;
        let q = p + 2;
        let same = q + n <= length;
        for (let k = 0; same && k < n; k++) if (b[q + k] !== nameBytes[k]) same = false;
        q += n;
        if (!same || !(b[q] === 0x3e || isSpace(b[q]!))) {
          let written: string;
          try {
            written = this.name(p + 2, 'end tag').qname;
          } catch {
            const end = Math.min(length, p + 22);
            const close = b.subarray(p + 2, end).indexOf(0x3e);
            written = b.toString('utf8', p + 2, close === -1 ? end : p + 2 + close);
          }
          throw new XmlSyntaxError(`end tag </${written}> does not match start tag <${name.qname}>`, p);
        }
        while (isSpace((c = b[q]!))) {
          if (c === 0x0a) lines++;
          q++;
        }
        if (b[q] !== 0x3e) throw new XmlSyntaxError(`end tag </${name.qname}> is not closed with '>'`, q);
        depth--;
        if (anyDeclarations) declarations[depth] = null;
        events.close(depth);
        p = q + 1;
      } else if (c === 0x3f /* ? */) {
        const next = this.processingInstruction(p);
        lines += countLineEnds(b, p, next);
        p = next;
      } else if (c === 0x21 /* ! */) {
        if (b[p + 2] === 0x2d && b[p + 3] === 0x2d) {
          const next = this.comment(p);
          lines += countLineEnds(b, p, next);
          p = next;
        } else if (b.toString('latin1', p, p + 9) === '<![CDATA[') {
          const end = b.indexOf(']]>', p + 9, 'latin1');
          if (end === -1) throw new XmlSyntaxError('a CDATA section is not closed', p);
          if (depth === 0) throw new XmlSyntaxError('a CDATA section outside the root element', p);
          events.text(p + 9, end, this.checkChars(p + 9, end) | TEXT_CDATA, depth - 1);
          lines += countLineEnds(b, p, end);
          p = end + 3;
        } else if (/^<!\s*(DOCTYPE|ENTITY)/i.test(b.toString('latin1', p, p + 20))) {
          throw new XmlSyntaxError('a DOCTYPE or ENTITY declaration', p, 'doctype');
        } else {
          throw new XmlSyntaxError("'<!' that starts neither a comment nor a CDATA section", p);
        }
      } else {
        // Start tag.
        const at = p;
        const tagLine = lines;
        if (rootSeen && depth === 0) throw new XmlSyntaxError('a second root element; an XML file has exactly one', at);
        const name = this.name(at + 1, 'start tag');
        const qname = name.qname;
        p = at + 1 + name.bytes.length;
        let attributes: AttributeList | null = null;
        let selfClosing = false;
        for (;;) {
          c = b[p]!;
          if (c === 0x3e /* > */) {
            p++;
            break;
          }
          if (c === 0x2f /* / */) {
            if (b[p + 1] !== 0x3e) throw new XmlSyntaxError(`'/' in start tag <${qname}> not followed by '>'`, p);
            selfClosing = true;
            p += 2;
            break;
          }
          if (p >= length) throw new XmlSyntaxError(`the file ends inside start tag <${qname}>`, p);
          if (!isSpace(c)) throw new XmlSyntaxError(`unexpected character '${b.toString('utf8', p, p + 1)}' in start tag <${qname}>`, p);
          while (isSpace((c = b[p]!))) {
            if (c === 0x0a) lines++;
            p++;
          }
          if (c === 0x3e || c === 0x2f) continue;
          const attribute = this.name(p, `attribute in <${qname}>`);
          const attrName = attribute.qname;
          p += attribute.bytes.length;
          while (isSpace((c = b[p]!))) {
            if (c === 0x0a) lines++;
            p++;
          }
          if (b[p] !== 0x3d /* = */) throw new XmlSyntaxError(`attribute ${attrName} in <${qname}> has no '='`, p);
          p++;
          while (isSpace((c = b[p]!))) {
            if (c === 0x0a) lines++;
            p++;
          }
          const quote = b[p];
          if (quote !== 0x22 && quote !== 0x27) throw new XmlSyntaxError(`the value of attribute ${attrName} in <${qname}> is not quoted`, p);
          const close = b.indexOf(quote, p + 1);
          if (close === -1) throw new XmlSyntaxError(`the value of attribute ${attrName} in <${qname}> is not closed`, p);
          const lessThan = b.indexOf(0x3c, p + 1);
          if (lessThan !== -1 && lessThan < close) throw new XmlSyntaxError(`'<' inside the value of attribute ${attrName}`, lessThan);
          const flags = this.checkChars(p + 1, close);
          if (flags & TEXT_LAYOUT) lines += countLineEnds(b, p + 1, close);
          if (attributes === null) {
            attributes = attributeList;
            attributes.count = 0;
          }
          for (let i = 0; i < attributes.count; i++) {
            if (attributes.names[i] === attribute) throw new XmlSyntaxError(`attribute ${attrName} appears twice in <${qname}>`, p);
          }
          let value = this.text(p + 1, close, flags & ~TEXT_LAYOUT);
          // Attribute values are normalised: tabs and line ends become spaces.
          if (flags & TEXT_LAYOUT) value = value.replace(/[\t\n\r]/g, ' ');
          attributes.names[attributes.count] = attribute;
          attributes.values[attributes.count] = value;
          attributes.count++;
          p = close + 1;
          const after = b[p]!;
          if (!isSpace(after) && after !== 0x3e && after !== 0x2f) throw new XmlSyntaxError(`attributes in <${qname}> must be separated by a space`, p);
        }

        if (depth >= maxDepth) throw new XmlSyntaxError(`elements nested deeper than ${maxDepth} levels`, at, 'depth');
        if (depth > 0) sawChild[depth - 1] = 1;
        sawChild[depth] = 0;
        open[depth] = name;
        let namespace: string | null = null;
        const declared = attributes === null ? null : namespaceDeclarations(attributes, at);
        if (declared !== null) anyDeclarations = true;
        if (anyDeclarations) declarations[depth] = declared;
        if (name.prefix !== '' || depth < resolveTo) {
          const uri = resolvePrefix(name.prefix, depth);
          if (uri === undefined) throw new XmlSyntaxError(`the namespace prefix '${name.prefix}' of <${qname}> is not declared`, at);
          if (depth < resolveTo) namespace = uri === '' ? null : uri;
        }
        rootSeen = true;
        this.tagLine = tagLine;
        events.open(name, depth, at, attributes, namespace);
        if (selfClosing) {
          if (anyDeclarations) declarations[depth] = null;
          events.close(depth);
        } else {
          depth++;
        }
      }
    }

    if (depth > 0) throw new XmlSyntaxError(`the file ends before element <${open[depth - 1]!.qname}> is closed`, length);
    if (!rootSeen) throw new XmlSyntaxError('the file holds no XML element', 0);

    function resolvePrefix(prefix: string, at: number): string | undefined {
      if (prefix === 'xml') return 'http://www.w3.org/XML/1998/namespace';
      for (let i = at; i >= 0; i--) {
        const uri = declarations[i]?.get(prefix);
        if (uri !== undefined) return uri;
      }
      return prefix === '' ? '' : undefined;
    }
  }

  /** Reads the name at `at` and returns it interned. ASCII names are looked up on their bytes; others go through the full XML name rule. */
  private name(at: number, what: string): Name {
    const b = this.buffer;
    let p = at;
    let c = b[p]!;
    let hash = 0;
    if (NAME_CHAR[c] === NAME_START) {
      const length = b.length;
      do {
        hash = (Math.imul(hash, 31) + c) | 0;
        if (++p >= length) break;
        c = b[p]!;
      } while (NAME_CHAR[c]! !== 0);
      if (p >= length || c < 0x80) return this.intern(at, p, hash);
    }
    const head = b.toString('utf8', at, Math.min(b.length, at + 1024));
    NAME.lastIndex = 0;
    const match = NAME.exec(head);
    if (!match) throw new XmlSyntaxError(`${what}: a name was expected`, at);
    const end = at + Buffer.byteLength(match[0], 'utf8');
    hash = 0;
    for (let i = at; i < end; i++) hash = (Math.imul(hash, 31) + b[i]!) | 0;
    return this.intern(at, end, hash);
  }

  private intern(from: number, to: number, hash: number): Name {
    const b = this.buffer;
    const n = to - from;
    const table = this.names;
    const mask = table.length - 1;
    let slot = (hash ^ (hash >>> 15)) & mask;
    for (;;) {
      const entry = table[slot];
      if (entry === undefined) break;
      const bytes = entry.bytes;
      if (bytes.length === n) {
        let k = 0;
        while (k < n && bytes[k] === b[from + k]) k++;
        if (k === n) return entry;
      }
      slot = (slot + 1) & mask;
    }
    const qname = b.toString('utf8', from, to);
    const colon = qname.indexOf(':');
    const entry: Name = {
      local: colon === -1 ? qname : qname.slice(colon + 1),
      qname,
      prefix: colon === -1 ? '' : qname.slice(0, colon),
      id: this.nameCount,
      bytes: new Uint8Array(b.subarray(from, to)),
    };
    table[slot] = entry;
    if (++this.nameCount * 2 > table.length) this.rehash();
    return entry;
  }

  private rehash(): void {
    const old = this.names;
    const table = new Array<Name | undefined>(old.length * 2);
    const mask = table.length - 1;
    for (const entry of old) {
      if (!entry) continue;
      let hash = 0;
      for (const byte of entry.bytes) hash = (Math.imul(hash, 31) + byte) | 0;
      let slot = (hash ^ (hash >>> 15)) & mask;
      while (table[slot] !== undefined) slot = (slot + 1) & mask;
      table[slot] = entry;
    }
    this.names = table;
  }

  /** Checks the reference starting at the '&' at `at`; returns the offset after its ';'. */
  private checkReference(at: number): number {
    const b = this.buffer;
    const semi = b.indexOf(0x3b, at + 1);
    if (semi === -1 || semi - at > 12) throw badAmpersand(at);
    const ref = b.toString('latin1', at + 1, semi);
    if (referenceValue(ref) === undefined) throw unknownReference(b.toString('utf8', at + 1, semi), at);
    return semi + 1;
  }

  /** Checks bytes `from`–`to` for characters XML forbids and returns their text flags. */
  private checkChars(from: number, to: number): number {
    const b = this.buffer;
    let flags = TEXT_SPACE_ONLY;
    for (let p = from; p < to; p++) {
      const c = b[p]!;
      if (c < 0x20) {
        if (c === 0x0d) flags |= TEXT_CR | TEXT_LAYOUT;
        else if (c === 0x0a || c === 0x09) flags |= TEXT_LAYOUT;
        else throw forbiddenCharacter(c, p);
      } else if (c !== 0x20) {
        flags &= ~TEXT_SPACE_ONLY;
        if (c === 0x26) flags |= TEXT_REFERENCE;
        else if (c >= 0x80) {
          flags |= TEXT_NON_ASCII;
          if (c === 0xef && b[p + 1] === 0xbf && (b[p + 2] === 0xbe || b[p + 2] === 0xbf)) throw forbiddenCharacter(b[p + 2] === 0xbe ? 0xfffe : 0xffff, p);
        }
      }
    }
    return flags;
  }

  private processingInstruction(at: number): number {
    const b = this.buffer;
    const end = b.indexOf('?>', at + 2, 'latin1');
    if (end === -1) throw new XmlSyntaxError('a processing instruction <? … ?> is not closed', at);
    const target = this.name(at + 2, 'processing instruction').qname;
    if (target.toLowerCase() === 'xml') throw new XmlSyntaxError('the XML declaration <?xml … ?> is allowed only at the very start of the file', at);
    this.checkChars(at + 2, end);
    return end + 2;
  }

  private comment(at: number): number {
    const b = this.buffer;
    const end = b.indexOf('-->', at + 4, 'latin1');
    if (end === -1) throw new XmlSyntaxError('a comment <!-- … --> is not closed', at);
    const inner = b.indexOf('--', at + 4, 'latin1');
    if (inner < end) throw new XmlSyntaxError("'--' inside a comment", inner);
    this.checkChars(at + 4, end);
    return end + 3;
  }
}

function countLineEnds(bytes: Buffer, from: number, to: number): number {
  let count = 0;
  for (let i = from; i < to; i++) if (bytes[i] === 0x0a) count++;
  return count;
}

function forbiddenCharacter(code: number, offset: number): XmlSyntaxError {
  return new XmlSyntaxError(`a control character (U+${code.toString(16).padStart(4, '0').toUpperCase()}) that XML does not allow`, offset);
}

function namespaceDeclarations(attributes: AttributeList, at: number): Map<string, string> | null {
  let map: Map<string, string> | null = null;
  for (let i = 0; i < attributes.count; i++) {
    const name = attributes.names[i]!.qname;
    if (name === 'xmlns' || name.startsWith('xmlns:')) {
      const prefix = name === 'xmlns' ? '' : name.slice(6);
      const uri = attributes.values[i]!;
      if (prefix !== '' && uri === '') throw new XmlSyntaxError(`namespace prefix '${prefix}' is bound to an empty name`, at);
      map ??= new Map();
      map.set(prefix, uri);
    }
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// Elements on top of the events.

export interface XmlReadHandlers {
  /** Called after a start tag is read; `depth` 0 is the root. */
  onOpen?(element: XmlElement, depth: number): void;
  /** Called when an element closes; return true to keep it in its parent's children. */
  onClose(element: XmlElement, depth: number): boolean;
}

const NO_CHILDREN: XmlElement[] = [];
Object.freeze(NO_CHILDREN);

/** Builds elements from the scanner's events and hands each to `handlers`. */
export class XmlElementBuilder implements XmlEvents {
  root: XmlElement | null = null;
  private readonly stack: XmlElement[] = [];
  private readonly sawChild: boolean[] = [];

  constructor(
    private readonly scanner: XmlScanner,
    private readonly handlers: XmlReadHandlers,
  ) {}

  open(name: XmlName, depth: number, start: number, attributes: XmlAttributes | null, namespace: string | null): void {
    let written: Record<string, string> | null = null;
    if (attributes !== null) {
      written = {};
      for (let i = 0; i < attributes.count; i++) written[attributes.names[i]!.qname] = attributes.values[i]!;
    }
    const element: XmlElement = { name: name.local, qname: name.qname, start, attributes: written, children: NO_CHILDREN, text: '', namespace };
    if (depth > 0 && !this.sawChild[depth - 1]) {
      this.sawChild[depth - 1] = true;
      const parent = this.stack[depth - 1]!;
      if (parent.text.trim() === '') parent.text = '';
    }
    this.stack[depth] = element;
    this.sawChild[depth] = false;
    this.root ??= element;
    this.handlers.onOpen?.(element, depth);
  }

  text(from: number, to: number, flags: number, depth: number): void {
    const top = this.stack[depth]!;
    const decoded = this.scanner.text(from, to, flags);
    top.text = top.text === '' ? decoded : top.text + decoded;
  }

  close(depth: number): void {
    const element = this.stack[depth]!;
    const keep = this.handlers.onClose(element, depth);
    if (keep && depth > 0) {
      const parent = this.stack[depth - 1]!;
      if (parent.children === NO_CHILDREN) parent.children = [element];
      else parent.children.push(element);
    }
  }
}

/**
 * Reads `text` (a string, or UTF-8 bytes that are valid UTF-8, BOM removed) into
 * elements and returns the root. Throws `XmlSyntaxError`; for a string its offset
 * is in characters, for bytes in bytes.
 */
export function readXml(text: string | Uint8Array, handlers: XmlReadHandlers, options: XmlReadOptions): XmlElement {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : asBuffer(text);
  const scanner = new XmlScanner(bytes);
  const builder = new XmlElementBuilder(scanner, handlers);
  try {
    scanner.scan(builder, options);
  } catch (error) {
    if (error instanceof XmlSyntaxError && typeof text === 'string') {
      throw new XmlSyntaxError(error.message, bytes.toString('utf8', 0, error.offset).length, error.kind);
    }
    throw error;
  }
  return builder.root!;
}
