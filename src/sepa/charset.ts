/**
 * The EPC basic Latin character set every SEPA text is sent in:
 * `a–z A–Z 0–9 / - ? : ( ) . , ' +` and space.
 *
 * Letters are transliterated to their base letter as the EPC conversion table
 * does (EPC217-08): diacritics are removed (ä → a, ç → c, ş → s, ő → o),
 * letters without a decomposition have an explicit mapping (ß → s, ø → o,
 * ł → l, ı → i, æ → ae, þ → th), and Greek and Cyrillic are transliterated.
 * Nothing with a mapping is ever deleted. What has no mapping is dropped:
 * a letter or mark silently (an Arabic or Ge'ez word disappears, which
 * `assessEpcText` reports so the text can be refused when it is entered), any
 * other symbol becomes a space so the words around it stay apart.
 *
 * Punctuation outside the set, our choices:
 * - `&` → `+` (the EPC table's mapping; "Woonbron & Co" → "Woonbron + Co").
 *   Not "en": that is Dutch only and changes the length.
 * - `"` and typographic quotes (“ ” „ « » ‘ ’ `) → `'`: a quote stays a quote.
 * - dashes and `_` `~` → `-`; `[ { <` → `(`, `] } >` → `)`; `;` → `,`; `!` → `.`;
 *   `\` `|` → `/`; `€` → `EUR`.
 */

const ALLOWED = /^[A-Za-z0-9/\-?:().,'+ ]*$/;
const ALLOWED_CHAR = /[A-Za-z0-9/\-?:().,'+ ]/;
const NOT_ALLOWED = /[^A-Za-z0-9/\-?:().,'+ ]/gu;
const WHITESPACE = /\s/u;
const MARK = /\p{M}/u;
const INVISIBLE = /\p{C}/u;
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/u;

/** Letters NFKD does not reduce to a base letter. Uppercase keys are derived below. */
const LETTERS: Record<string, string> = {
  ß: 's', // domain.md and the EPC table: ß → s
  ẞ: 'S',
  æ: 'ae',
  Æ: 'AE',
  œ: 'oe',
  Œ: 'OE',
  ø: 'o',
  Ø: 'O',
  ł: 'l',
  Ł: 'L',
  đ: 'd',
  Đ: 'D',
  ð: 'd',
  Ð: 'D',
  þ: 'th',
  Þ: 'TH',
  ı: 'i', // Turkish dotless i (İ decomposes to I by itself)
  ħ: 'h',
  Ħ: 'H',
  ŧ: 't',
  Ŧ: 'T',
  ŋ: 'n',
  Ŋ: 'N',
  ĸ: 'k',
  ſ: 's',
  ə: 'e', // Azerbaijani schwa
  Ə: 'E',
  ǝ: 'e',
  Ǝ: 'E',
  ƒ: 'f',
};

/** Cyrillic as the EPC table transliterates Bulgarian, plus the Russian and Ukrainian letters. */
const CYRILLIC_LOWER: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ж: 'zh', з: 'z', и: 'i', й: 'y', к: 'k', л: 'l',
  м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ф: 'f', х: 'h', ц: 'ts', ч: 'ch',
  ш: 'sh', щ: 'sht', ъ: 'a', ь: 'y', ю: 'yu', я: 'ya', ё: 'yo', ы: 'y', э: 'e', є: 'ye', і: 'i',
  ї: 'yi', ґ: 'g', ў: 'u', ј: 'j', љ: 'lj', њ: 'nj', ћ: 'c', ђ: 'dj', џ: 'dz', ѓ: 'gj', ќ: 'kj', ѕ: 'dz',
};

/** Greek after ELOT 743, the basis of the EPC table's Greek part (accents decompose first). */
const GREEK_LOWER: Record<string, string> = {
  α: 'a', β: 'v', γ: 'g', δ: 'd', ε: 'e', ζ: 'z', η: 'i', θ: 'th', ι: 'i', κ: 'k', λ: 'l', μ: 'm',
  ν: 'n', ξ: 'x', ο: 'o', π: 'p', ρ: 'r', σ: 's', ς: 's', τ: 't', υ: 'y', φ: 'f', χ: 'ch', ψ: 'ps', ω: 'o',
};

const PUNCTUATION: Record<string, string> = {
  '&': '+',
  '"': "'",
  '“': "'",
  '”': "'",
  '„': "'",
  '‟': "'",
  '«': "'",
  '»': "'",
  '‹': "'",
  '›': "'",
  '‘': "'",
  '’': "'",
  '‚': "'",
  '‛': "'",
  '`': "'",
  '´': "'",
  '′': "'",
  '–': '-',
  '—': '-',
  '‒': '-',
  '―': '-',
  '‐': '-',
  '‑': '-',
  '−': '-',
  _: '-',
  '~': '-',
  '[': '(',
  '{': '(',
  '<': '(',
  ']': ')',
  '}': ')',
  '>': ')',
  ';': ',',
  '!': '.',
  '¡': '.',
  '¿': '?',
  '\\': '/',
  '|': '/',
  '⁄': '/',
  '€': 'EUR',
  '×': 'x',
};

/** Single-letter or multi-letter mappings keyed by character. */
const MAPPING = new Map<string, string>();
for (const [from, to] of Object.entries(LETTERS)) MAPPING.set(from, to);
for (const table of [CYRILLIC_LOWER, GREEK_LOWER]) {
  for (const [lower, to] of Object.entries(table)) {
    MAPPING.set(lower, to);
    const upper = lower.toUpperCase();
    if (upper !== lower && !MAPPING.has(upper)) MAPPING.set(upper, to.toUpperCase());
  }
}
for (const [from, to] of Object.entries(PUNCTUATION)) MAPPING.set(from, to);

const GREEK = /[\u0370-\u03FF\u1F00-\u1FFF]/;

/** ELOT 743 writes the digraph ου as "ou" (Παπαδόπουλος → Papadopoulos), not letter by letter. */
function greekDigraphs(text: string): string {
  if (!GREEK.test(text)) return text;
  return text
    .normalize('NFD')
    .replace(/([οΟ])[\u0300-\u036f]*([υΥ])[\u0300-\u036f]*/g, (_, o: string, u: string) => (o === 'Ο' ? (u === 'Υ' ? 'OU' : 'Ou') : 'ou'));
}

const isUpperLetter = (ch: string | undefined): boolean =>
  ch !== undefined && ch !== ch.toLowerCase() && ch === ch.toUpperCase();

/** What one character becomes: a replacement, '' (dropped), or undefined (no mapping). */
type Piece = { out: string; lost: boolean };
const pieceCache = new Map<string, Piece>();

function convertChar(ch: string): Piece {
  const cached = pieceCache.get(ch);
  if (cached) return cached;
  let piece: Piece;
  if (WHITESPACE.test(ch)) piece = { out: ' ', lost: false };
  else if (MAPPING.has(ch)) piece = { out: MAPPING.get(ch) ?? '', lost: false };
  else {
    let out = '';
    let lost = false;
    for (const part of ch.normalize('NFKD')) {
      if (ALLOWED_CHAR.test(part)) out += part;
      else if (MAPPING.has(part)) out += MAPPING.get(part) ?? '';
      else if (WHITESPACE.test(part)) out += ' ';
      else if (MARK.test(part) || INVISIBLE.test(part)) continue;
      else if (LETTER_OR_NUMBER.test(part)) lost = true;
      else out += ' ';
    }
    piece = { out, lost };
  }
  pieceCache.set(ch, piece);
  return piece;
}

export interface EpcConversion {
  /** The converted text, spaces collapsed, trimmed, cut to the maximum length. */
  text: string;
  /** Letters and digits of the input that have no mapping and were dropped (distinct, in order). */
  lost: string[];
  /** True when the converted text was longer than the maximum and was cut. */
  truncated: boolean;
}

function collapseAndCut(text: string, maxLength: number): { text: string; truncated: boolean } {
  const collapsed = text.replace(/ {2,}/g, ' ').trim();
  if (collapsed.length <= maxLength) return { text: collapsed, truncated: false };
  return { text: collapsed.slice(0, maxLength).trimEnd(), truncated: true };
}

/** Converts a text to the EPC set and reports what was lost on the way. */
export function convertToEpc(text: string, maxLength: number): EpcConversion {
  if (!Number.isInteger(maxLength) || maxLength < 1) throw new RangeError(`maximum length ${maxLength} is not a positive whole number`);
  if (ALLOWED.test(text)) return { ...collapseAndCut(text, maxLength), lost: [] };
  const source = greekDigraphs(text).normalize('NFC');
  const lost: string[] = [];
  const out = source.replace(NOT_ALLOWED, (ch: string, offset: number) => {
    const piece = convertChar(ch);
    if (piece.lost && !lost.includes(ch)) lost.push(ch);
    const replacement = piece.out;
    // A multi-letter transliteration of a capital is all caps inside a capitalised word ("ЖУК" → "ZHUK"), title case otherwise ("Жан" → "Zhan").
    if (replacement.length > 1 && isUpperLetter(ch) && /^[A-Z]+$/.test(replacement)) {
      const next = source[offset + ch.length];
      const previous = source[offset - 1];
      const inCapitals = isUpperLetter(next) || (isUpperLetter(previous) && !/\p{L}/u.test(next ?? ''));
      if (!inCapitals) return replacement.charAt(0) + replacement.slice(1).toLowerCase();
    }
    return replacement;
  });
  return { ...collapseAndCut(out, maxLength), lost };
}

/** The text in the EPC basic Latin set, at most `maxLength` characters. */
export function toEpcText(text: string, maxLength: number): string {
  if (!Number.isInteger(maxLength) || maxLength < 1) return convertToEpc(text, maxLength).text;
  return fastEpcText(text, maxLength) ?? convertToEpc(text, maxLength).text;
}

/**
 * Blocks whose characters convert one by one, whatever stands around them: Latin (with
 * Latin-1, Extended-A and -B, Extended Additional), Cyrillic without its combining marks,
 * general punctuation, currency and letterlike symbols. Checked for every pair of their
 * characters: none composes with another under NFC, so a text of them alone is unchanged
 * by the NFC step of `convertToEpc`. Greek is not here (ELOT 743 reads ου as a pair).
 */
const CONTEXT_FREE_BLOCKS: readonly (readonly [number, number])[] = [
  [0x0000, 0x024f],
  [0x0400, 0x0482],
  [0x048a, 0x052f],
  [0x1e00, 0x1eff],
  [0x2000, 0x206f],
  [0x20a0, 0x20cf],
  [0x2100, 0x214f],
];

/**
 * By UTF-16 code: what the character becomes (`convertChar`'s own result), null when the
 * character needs the whole text (`convertToEpc`), undefined until first asked. Allowed ASCII is
 * never looked up.
 */
const simplePieces: (string | null | undefined)[] = [];

function simplePiece(code: number): string | null {
  let piece = simplePieces[code];
  if (piece !== undefined) return piece;
  piece = null;
  const ch = String.fromCharCode(code);
  if (CONTEXT_FREE_BLOCKS.some(([from, to]) => code >= from && code <= to) && ch.normalize('NFC') === ch && !MARK.test(ch)) {
    const converted = convertChar(ch);
    // A capital that becomes several capitals depends on its neighbours (ЖУК → ZHUK, Жан → Zhan).
    const capitalDigraph = converted.out.length > 1 && isUpperLetter(ch) && /^[A-Z]+$/.test(converted.out);
    if (!converted.lost && !capitalDigraph) piece = converted.out;
  }
  simplePieces[code] = piece;
  return piece;
}

/** ASCII characters of the EPC set, by code. */
const EPC_ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) EPC_ASCII[c] = ALLOWED_CHAR.test(String.fromCharCode(c)) ? 1 : 0;

/**
 * `convertToEpc(text, maxLength).text` without regular expressions, normalisation or a
 * callback per character, for a text whose characters all convert on their own (see
 * `CONTEXT_FREE_BLOCKS`); undefined for any other text, which then takes the full path.
 * Runs of allowed characters are copied as they are; spaces are collapsed and the text
 * trimmed and cut as `collapseAndCut` does, but only when it has to be.
 * (tests/sepa/charset.test.ts checks the two agree on random texts.)
 */
function fastEpcText(text: string, maxLength: number): string | undefined {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 128 && EPC_ASCII[code] === 1) continue;
    const piece = simplePiece(code);
    if (piece === null) return undefined;
    out += text.slice(from, i) + piece;
    from = i + 1;
  }
  if (from === 0) out = text;
  else if (from < text.length) out += text.slice(from);
  const last = out.length - 1;
  if (out.length <= maxLength && out.charCodeAt(0) !== 0x20 && out.charCodeAt(last) !== 0x20 && !out.includes('  ')) return out;
  return collapseAndCut(out, maxLength).text;
}

/** True when every character is in the EPC basic Latin set. */
export function isEpcText(text: string): boolean {
  return ALLOWED.test(text);
}

export type EpcTextProblem = 'empty' | 'letters_without_mapping';

export interface EpcAssessment extends EpcConversion {
  usable: boolean;
  problem?: EpcTextProblem;
}

/**
 * Whether a text can go out in a SEPA file, for refusing it when it is
 * entered rather than when the file is made. Unusable: nothing readable is
 * left (no letter or digit), or some letters have no mapping and would be
 * dropped (a name written in Arabic or Ge'ez script, partly or wholly): the
 * Latin spelling the BRP records must be entered instead. Being cut to the
 * maximum length is reported (`truncated`) but does not make a text unusable.
 */
export function assessEpcText(text: string, maxLength: number): EpcAssessment {
  const conversion = convertToEpc(text, maxLength);
  if (!/[A-Za-z0-9]/.test(conversion.text)) return { ...conversion, usable: false, problem: 'empty' };
  if (conversion.lost.length > 0) return { ...conversion, usable: false, problem: 'letters_without_mapping' };
  return { ...conversion, usable: true };
}

export const MAX_ID_LENGTH = 35;

/**
 * An identifier (MsgId, PmtInfId, InstrId, EndToEndId) in the EPC set: at most
 * 35 characters, not starting or ending with `/`, without `//`.
 */
export function isEpcIdentifier(text: string, maxLength = MAX_ID_LENGTH): boolean {
  // One pass over the characters (four ids per payment, 100,000 payments per file). Only a
  // space can make `trim` differ here: the EPC set has no other white space.
  const length = text.length;
  if (length < 1 || length > maxLength) return false;
  let previous = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 128 || EPC_ASCII[code] !== 1) return false;
    if ((code === 0x2f || code === 0x20) && previous === code) return false;
    previous = code;
  }
  const first = text.charCodeAt(0);
  return first !== 0x2f && first !== 0x20 && previous !== 0x2f && previous !== 0x20;
}

/** Converts a text into a valid identifier: EPC set, `//` → `/`, no leading or trailing `/`, cut to 35. */
export function toEpcIdentifier(text: string, maxLength = MAX_ID_LENGTH): string {
  const strip = (t: string): string => t.replace(/\/{2,}/g, '/').replace(/^[/ ]+|[/ ]+$/g, '');
  const converted = strip(convertToEpc(text, Math.max(text.length * 4, 1)).text);
  return strip(converted.slice(0, maxLength));
}
