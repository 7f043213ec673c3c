import { Buffer, isUtf8 } from 'node:buffer';
import { CamtError } from './errors.js';
import { asBuffer } from './xml-reader.js';

/**
 * Bytes to UTF-8 bytes, read in the encoding the file declares. ABN AMRO has
 * sent ISO-8859-15 (with € at 0xA4), so the declaration is obeyed, not assumed.
 * A UTF-8 file (nearly all) is only checked, not copied: the XML reader works
 * on its bytes.
 */

const ENCODINGS: Readonly<Record<string, string>> = {
  'utf-8': 'utf-8',
  utf8: 'utf-8',
  'us-ascii': 'utf-8',
  ascii: 'utf-8',
  'iso-8859-1': 'windows-1252',
  'iso_8859-1': 'windows-1252',
  latin1: 'windows-1252',
  'latin-1': 'windows-1252',
  'windows-1252': 'windows-1252',
  cp1252: 'windows-1252',
  'iso-8859-15': 'iso-8859-15',
  'iso_8859-15': 'iso-8859-15',
  latin9: 'iso-8859-15',
  'latin-9': 'iso-8859-15',
  'utf-16': 'utf-16le',
  'utf-16le': 'utf-16le',
  'utf-16be': 'utf-16be',
};

export interface DecodedBytes {
  /** The file as UTF-8, without byte order mark: the caller's own bytes when the file is UTF-8. */
  bytes: Buffer;
  /** The encoding the bytes were read in, as TextDecoder names it. */
  encoding: string;
}

export function decodeToUtf8(input: Uint8Array): DecodedBytes {
  const bytes = asBuffer(input);
  let offset = 0;
  let encoding: string | undefined;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    encoding = 'utf-8';
    offset = 3;
  } else if (bytes[0] === 0xff && bytes[1] === 0xfe) {
    encoding = 'utf-16le';
    offset = 2;
  } else if (bytes[0] === 0xfe && bytes[1] === 0xff) {
    encoding = 'utf-16be';
    offset = 2;
  }
  const declared = declaredEncoding(bytes.subarray(offset, offset + 256), encoding);
  if (declared !== undefined) {
    const known = ENCODINGS[declared.toLowerCase()];
    if (!known) {
      throw new CamtError('unsupported_encoding', `The file declares encoding "${declared}", which the reader does not know. Read are: UTF-8, UTF-16, ISO-8859-1, ISO-8859-15, Windows-1252.`, { line: 1 });
    }
    // A UTF-16 BOM wins over a declaration that only says "UTF-16".
    if (!encoding || !encoding.startsWith('utf-16') || !known.startsWith('utf-16')) encoding = known;
  }
  encoding ??= 'utf-8';
  const body = bytes.subarray(offset);
  if (encoding === 'utf-8') {
    if (!isUtf8(body)) throw invalidEncoding(encoding, declared);
    return { bytes: body, encoding };
  }
  let text: string;
  try {
    // ISO-8859-1 is read as Windows-1252, its superset (the WHATWG rule): bytes 0x80–0x9F are control characters in ISO-8859-1 that no bank file holds.
    text = new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    throw invalidEncoding(encoding, declared);
  }
  return { bytes: Buffer.from(text, 'utf8'), encoding };
}

function invalidEncoding(encoding: string, declared: string | undefined): CamtError {
  return new CamtError(
    'invalid_encoding',
    `The file is not valid ${encoding.toUpperCase()}${declared === undefined ? ' (it declares no encoding, so UTF-8 applies)' : ''}. Perhaps it was saved in another encoding than it says; ask the bank for the original file.`,
  );
}

function declaredEncoding(head: Uint8Array, bom: string | undefined): string | undefined {
  // In UTF-16 the declaration is two bytes a character; drop the zero bytes to read it.
  const bytes = bom?.startsWith('utf-16') ? head.filter((b) => b !== 0) : head;
  const ascii = String.fromCharCode(...bytes);
  if (!ascii.startsWith('<?xml')) return undefined;
  const end = ascii.indexOf('?>');
  const declaration = end === -1 ? ascii : ascii.slice(0, end);
  const match = /\sencoding\s*=\s*(["'])([A-Za-z][A-Za-z0-9._-]*)\1/.exec(declaration);
  return match?.[2];
}
