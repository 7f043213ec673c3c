/**
 * A small, strict, non-validating XML reader for bank files. It checks
 * well-formedness (nesting, names, attributes, references, characters, one
 * root) and builds light elements, handing each closed element to the caller,
 * who may keep it in its parent or drop it after use: a 100,000-entry statement
 * never sits in memory as a whole tree.
 *
 * What it deliberately does not do: DTDs (any `<!DOCTYPE` is refused), entity
 * declarations, external anything. Only the five predefined entities and
 * character references are decoded, so there is nothing to expand.
 *
 * fast-xml-parser 5.12 was measured at about 19 s for 100,000 entries (and does
 * not check end-tag nesting without a second validating pass); this reader does
 * the same file in about a tenth of that.
 */

export interface XmlElement {
  /** Local name, without namespace prefix. */
  readonly name: string;
  /** Name as written, with prefix when there is one. */
  readonly qname: string;
  /** Offset of the `<` of the start tag in the decoded text. */
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

export class XmlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly kind: 'syntax' | 'doctype' | 'depth' = 'syntax',
  ) {
    super(message);
    this.name = 'XmlSyntaxError';
  }
}

export interface XmlReadHandlers {
  /** Called after a start tag is read; `depth` 0 is the root. */
  onOpen?(element: XmlElement, depth: number): void;
  /** Called when an element closes; return true to keep it in its parent's children. */
  onClose(element: XmlElement, depth: number): boolean;
}

export interface XmlReadOptions {
  maxDepth: number;
  /** Namespace URIs are resolved for elements at depth < this; deeper ones keep null. */
  resolveNamespacesToDepth: number;
}

const NO_CHILDREN: XmlElement[] = [];
Object.freeze(NO_CHILDREN);

const NAME = /[A-Za-z_:\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDBFF][-.0-9A-Za-z_:\u00B7\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u037D\u037F-\u1FFF\u200C-\u200D\u203F\u2040\u2070-\u218F\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD\uD800-\uDFFF]*/y;
// XML 1.0 forbids these characters anywhere in a document.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x09 || code === 0x0d;
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Decodes the predefined entities and character references in `raw`; `offset` is where `raw` starts in the file. */
export function decodeReferences(raw: string, offset: number): string {
  let amp = raw.indexOf('&');
  if (amp === -1) return raw;
  let out = '';
  let from = 0;
  while (amp !== -1) {
    const semi = raw.indexOf(';', amp + 1);
    if (semi === -1 || semi - amp > 12) throw new XmlSyntaxError("an '&' that does not start a reference such as &amp;amp; (write & as &amp;amp;)", offset + amp);
    const ref = raw.slice(amp + 1, semi);
    let value: string | undefined;
    if (ref.startsWith('#x')) {
      value = charFromCode(/^[0-9A-Fa-f]+$/.test(ref.slice(2)) ? parseInt(ref.slice(2), 16) : -1);
    } else if (ref.startsWith('#')) {
      value = charFromCode(/^[0-9]+$/.test(ref.slice(1)) ? parseInt(ref.slice(1), 10) : -1);
    } else {
      value = PREDEFINED[ref];
    }
    if (value === undefined) throw new XmlSyntaxError(`the reference &${ref}; is not one of XML's own (&amp;amp; &amp;lt; &amp;gt; &amp;quot; &amp;apos; or a character number)`, offset + amp);
    out += raw.slice(from, amp) + value;
    from = semi + 1;
    amp = raw.indexOf('&', from);
  }
  return out + raw.slice(from);
}

function charFromCode(code: number): string | undefined {
  return isXmlChar(code) ? String.fromCodePoint(code) : undefined;
}

/** 1-based line and column of an offset. The newline table is built on first use, then each lookup is a binary search. */
export class LineIndex {
  private newlines: Uint32Array | null = null;

  constructor(private readonly text: string) {}

  locate(offset: number): { line: number; column: number } {
    const newlines = (this.newlines ??= this.build());
    let low = 0;
    let high = newlines.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (newlines[middle]! < offset) low = middle + 1;
      else high = middle;
    }
    const lineStart = low === 0 ? 0 : newlines[low - 1]! + 1;
    return { line: low + 1, column: offset - lineStart + 1 };
  }

  line(offset: number): number {
    return this.locate(offset).line;
  }

  private build(): Uint32Array {
    const positions: number[] = [];
    for (let nl = this.text.indexOf('\n'); nl !== -1; nl = this.text.indexOf('\n', nl + 1)) positions.push(nl);
    return Uint32Array.from(positions);
  }
}

/**
 * Reads `text` (already decoded, BOM removed) and returns the root element.
 * Throws `XmlSyntaxError` with the offset of the problem.
 */
export function readXml(text: string, handlers: XmlReadHandlers, options: XmlReadOptions): XmlElement {
  const forbidden = FORBIDDEN_CHAR.exec(text);
  if (forbidden) {
    throw new XmlSyntaxError(`a control character (U+${forbidden[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}) that XML does not allow`, forbidden.index);
  }
  const length = text.length;
  // Open elements, innermost last; with their namespace declarations and whether a child element was seen.
  const stack: XmlElement[] = [];
  const declarationStack: (Map<string, string> | null)[] = [];
  const sawChild: boolean[] = [];
  let root: XmlElement | null = null;
  let pos = 0;

  if (text.startsWith('<?xml')) {
    const end = text.indexOf('?>', 5);
    if (end === -1) throw new XmlSyntaxError('the XML declaration <?xml … ?> is not closed', 0);
    pos = end + 2;
  }

  while (pos < length) {
    const lt = text.indexOf('<', pos);
    const textEnd = lt === -1 ? length : lt;
    if (textEnd > pos) handleText(pos, textEnd);
    if (lt === -1) break;
    pos = lt;
    const next = text.charCodeAt(pos + 1);
    if (next === 0x2f /* / */) {
      pos = readEndTag(pos);
    } else if (next === 0x3f /* ? */) {
      pos = readProcessingInstruction(pos);
    } else if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', pos)) pos = readComment(pos);
      else if (text.startsWith('<![CDATA[', pos)) pos = readCData(pos);
      else if (/^<!\s*(DOCTYPE|ENTITY)/i.test(text.slice(pos, pos + 20))) throw new XmlSyntaxError('a DOCTYPE or ENTITY declaration', pos, 'doctype');
      else throw new XmlSyntaxError("'<!' that starts neither a comment nor a CDATA section", pos);
    } else {
      pos = readStartTag(pos);
    }
  }

  if (stack.length > 0) {
    const open = stack[stack.length - 1]!;
    throw new XmlSyntaxError(`the file ends before element <${open.qname}> is closed`, length);
  }
  if (!root) throw new XmlSyntaxError('the file holds no XML element', 0);
  return root;

  function handleText(from: number, to: number): void {
    const depth = stack.length;
    const top = stack[depth - 1];
    if (!top || sawChild[depth - 1]) {
      // Outside the root only white space may appear; between child elements, white space is layout (CAMT has no mixed content).
      let i = from;
      while (i < to && isSpace(text.charCodeAt(i))) i++;
      if (i === to) return;
      if (!top) throw new XmlSyntaxError('text outside the root element', i);
    }
    let raw = text.slice(from, to);
    const gt = raw.indexOf(']]>');
    if (gt !== -1) throw new XmlSyntaxError("']]>' in text", from + gt);
    if (raw.indexOf('\r') !== -1) raw = raw.replace(/\r\n?/g, '\n');
    const decoded = decodeReferences(raw, from);
    top.text = top.text === '' ? decoded : top.text + decoded;
  }

  function readName(at: number, what: string): string {
    // Fast path for the ASCII names every bank file uses; anything else goes through the full XML name rule.
    let p = at;
    let c = text.charCodeAt(p);
    if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a) {
      do c = text.charCodeAt(++p);
      while ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x3a) || c === 0x5f || c === 0x2d || c === 0x2e);
      if (!(c >= 0x80)) return text.slice(at, p);
    }
    NAME.lastIndex = at;
    const match = NAME.exec(text);
    if (!match) throw new XmlSyntaxError(`${what}: a name was expected`, at);
    return match[0];
  }

  function readStartTag(at: number): number {
    if (root && stack.length === 0) throw new XmlSyntaxError('a second root element; an XML file has exactly one', at);
    const qname = readName(at + 1, 'start tag');
    let p = at + 1 + qname.length;
    let attributes: Record<string, string> | null = null;
    let selfClosing = false;
    for (;;) {
      const c = text.charCodeAt(p);
      if (c === 0x3e /* > */) {
        p++;
        break;
      }
      if (c === 0x2f /* / */) {
        if (text.charCodeAt(p + 1) !== 0x3e) throw new XmlSyntaxError(`'/' in start tag <${qname}> not followed by '>'`, p);
        selfClosing = true;
        p += 2;
        break;
      }
      if (Number.isNaN(c)) throw new XmlSyntaxError(`the file ends inside start tag <${qname}>`, p);
      if (!isSpace(c)) throw new XmlSyntaxError(`unexpected character '${text[p]}' in start tag <${qname}>`, p);
      while (isSpace(text.charCodeAt(p))) p++;
      const d = text.charCodeAt(p);
      if (d === 0x3e || d === 0x2f) continue;
      const attrName = readName(p, `attribute in <${qname}>`);
      p += attrName.length;
      while (isSpace(text.charCodeAt(p))) p++;
      if (text.charCodeAt(p) !== 0x3d /* = */) throw new XmlSyntaxError(`attribute ${attrName} in <${qname}> has no '='`, p);
      p++;
      while (isSpace(text.charCodeAt(p))) p++;
      const quote = text[p];
      if (quote !== '"' && quote !== "'") throw new XmlSyntaxError(`the value of attribute ${attrName} in <${qname}> is not quoted`, p);
      const close = text.indexOf(quote, p + 1);
      if (close === -1) throw new XmlSyntaxError(`the value of attribute ${attrName} in <${qname}> is not closed`, p);
      const rawValue = text.slice(p + 1, close);
      const lessThan = rawValue.indexOf('<');
      if (lessThan !== -1) throw new XmlSyntaxError(`'<' inside the value of attribute ${attrName}`, p + 1 + lessThan);
      attributes ??= {};
      if (Object.prototype.hasOwnProperty.call(attributes, attrName)) throw new XmlSyntaxError(`attribute ${attrName} appears twice in <${qname}>`, p);
      attributes[attrName] = decodeReferences(rawValue, p + 1).replace(/[\t\n\r]/g, ' ');
      p = close + 1;
      const after = text.charCodeAt(p);
      if (!isSpace(after) && after !== 0x3e && after !== 0x2f) throw new XmlSyntaxError(`attributes in <${qname}> must be separated by a space`, p);
    }

    const depth = stack.length;
    if (depth >= options.maxDepth) throw new XmlSyntaxError(`elements nested deeper than ${options.maxDepth} levels`, at, 'depth');
    const colon = qname.indexOf(':');
    const element: XmlElement = {
      name: colon === -1 ? qname : qname.slice(colon + 1),
      qname,
      start: at,
      attributes,
      children: NO_CHILDREN,
      text: '',
      namespace: null,
    };
    if (depth > 0 && !sawChild[depth - 1]) {
      sawChild[depth - 1] = true;
      const parent = stack[depth - 1]!;
      if (parent.text.trim() === '') parent.text = '';
    }
    stack.push(element);
    declarationStack.push(attributes ? namespaceDeclarations(attributes, at) : null);
    sawChild.push(false);
    if (colon !== -1 || depth < options.resolveNamespacesToDepth) {
      const uri = resolvePrefix(colon === -1 ? '' : qname.slice(0, colon));
      if (uri === undefined) throw new XmlSyntaxError(`the namespace prefix '${qname.slice(0, colon)}' of <${qname}> is not declared`, at);
      if (depth < options.resolveNamespacesToDepth) element.namespace = uri === '' ? null : uri;
    }
    if (!root) root = element;
    handlers.onOpen?.(element, depth);
    if (selfClosing) closeTop();
    return p;
  }

  function namespaceDeclarations(attributes: Record<string, string>, at: number): Map<string, string> | null {
    let map: Map<string, string> | null = null;
    for (const name of Object.keys(attributes)) {
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        const prefix = name === 'xmlns' ? '' : name.slice(6);
        const uri = attributes[name] ?? '';
        if (prefix !== '' && uri === '') throw new XmlSyntaxError(`namespace prefix '${prefix}' is bound to an empty name`, at);
        map ??= new Map();
        map.set(prefix, uri);
      }
    }
    return map;
  }

  function resolvePrefix(prefix: string): string | undefined {
    if (prefix === 'xml') return 'http://www.w3.org/XML/1998/namespace';
    for (let i = declarationStack.length - 1; i >= 0; i--) {
      const uri = declarationStack[i]?.get(prefix);
      if (uri !== undefined) return uri;
    }
    return prefix === '' ? '' : undefined;
  }

  function closeTop(): void {
    const element = stack.pop()!;
    declarationStack.pop();
    sawChild.pop();
    const depth = stack.length;
    const keep = handlers.onClose(element, depth);
    const parent = stack[depth - 1];
    if (keep && parent) {
      if (parent.children === NO_CHILDREN) parent.children = [element];
      else parent.children.push(element);
    }
  }

  function readEndTag(at: number): number {
    const top = stack[stack.length - 1];
    if (!top) throw new XmlSyntaxError('an end tag without a matching start tag', at);
    const qname = top.qname;
    let p = at + 2;
    if (!text.startsWith(qname, p) || !isEndOfName(p + qname.length)) {
      let written: string;
      try {
        written = readName(p, 'end tag');
      } catch {
        written = text.slice(p, p + 20);
      }
      throw new XmlSyntaxError(`end tag </${written}> does not match start tag <${qname}>`, at);
    }
    p += qname.length;
    while (isSpace(text.charCodeAt(p))) p++;
    if (text.charCodeAt(p) !== 0x3e) throw new XmlSyntaxError(`end tag </${qname}> is not closed with '>'`, p);
    closeTop();
    return p + 1;
  }

  function isEndOfName(p: number): boolean {
    const c = text.charCodeAt(p);
    return c === 0x3e || isSpace(c);
  }

  function readProcessingInstruction(at: number): number {
    const end = text.indexOf('?>', at + 2);
    if (end === -1) throw new XmlSyntaxError('a processing instruction <? … ?> is not closed', at);
    const target = readName(at + 2, 'processing instruction');
    if (target.toLowerCase() === 'xml') throw new XmlSyntaxError('the XML declaration <?xml … ?> is allowed only at the very start of the file', at);
    return end + 2;
  }

  function readComment(at: number): number {
    const end = text.indexOf('-->', at + 4);
    if (end === -1) throw new XmlSyntaxError('a comment <!-- … --> is not closed', at);
    const inner = text.indexOf('--', at + 4);
    if (inner < end) throw new XmlSyntaxError("'--' inside a comment", inner);
    return end + 3;
  }

  function readCData(at: number): number {
    const end = text.indexOf(']]>', at + 9);
    if (end === -1) throw new XmlSyntaxError('a CDATA section is not closed', at);
    const top = stack[stack.length - 1];
    if (!top) throw new XmlSyntaxError('a CDATA section outside the root element', at);
    top.text += text.slice(at + 9, end).replace(/\r\n?/g, '\n');
    return end + 3;
  }
}
