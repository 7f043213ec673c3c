import { numberLiteral, textLiteral } from './array-literals.js';

/**
 * One array parameter of a bulk statement (`unnest($1::bigint[], $2::text[], …)`), sent to PostgreSQL in the binary
 * format: a length and the bytes per element, no quoting, no escaping, and nothing for the server to parse but the
 * elements themselves. As text literals (`array-literals.ts`) the same arrays cost twice the CPU in node: the literal
 * was built by concatenation, and the driver's `Buffer.byteLength` flattened it again (1.2 s of node's time for a
 * 100,000-entry bank file); the server parsed every element out of the literal.
 *
 * node-postgres sends a parameter whose `toPostgres()` gives a Buffer in the binary format. PGlite does not know it:
 * its connection (`connect.ts`) passes the text literal instead, which PGlite reads as before.
 *
 * The element type must be the one the statement casts the parameter to: `numberArray` for `::bigint[]` (or
 * `::integer[]` when asked), `textArray` for `::text[]`. A column of another type is sent as text and cast by the
 * server (`$1::text[]::date[]`), so that it checks the values as it always did.
 */
export class ArrayParameter {
  /** The binary form, made once: one parameter may serve several statements. The values must not change after. */
  private encoded: Buffer | undefined;

  /**
   * Made by `numberArray` and `textArray`, which tie the element type to the values. The binary form is made here,
   * not when the driver sends the statement: a statement is built while the connection still runs the one before it
   * (ingestion queues its rows behind the ledger's statements), so node encodes while the server works. Encoded at
   * the send, the server waited for it: 1.7–2.2 s of a 100,000-entry bank file on its one connection
   * (docs/performance.md, sixteenth round). Numbers always (cheap, and a number the column cannot hold is refused
   * where it is made, on either driver); texts, the costly part, only where node-postgres will send them: PGlite
   * takes the text literal, and making the binary form too cost it 5–7 % of a bulk insert.
   */
  constructor(
    private readonly element: Element,
    private readonly values: readonly (bigint | number | string | null | undefined)[],
  ) {
    if (element !== 'text') this.encoded = encodeNumbers(element, values as readonly (bigint | number | null)[]);
    else if (textsInBinaryAtOnce) this.encoded = encodeTexts(values as readonly (string | null)[]);
  }

  /** node-postgres: the array in PostgreSQL's binary format (`array_recv`). */
  toPostgres(): Buffer {
    this.encoded ??= encodeTexts(this.values as readonly (string | null)[]);
    return this.encoded;
  }

  /** PGlite (and anyone who prints it): the array literal, `{1,2,NULL}` or `{"a",NULL}`. */
  toText(): string {
    return this.element === 'text' ? textLiteral(this.values as readonly (string | null)[]) : numberLiteral(this.values as readonly (bigint | number | null)[]);
  }

  toJSON(): string {
    return this.toText();
  }
}

type Element = 'bigint' | 'integer' | 'text';

/** Whether this process sends through node-postgres (`connectPostgres`), which takes the binary form: see the constructor. */
let textsInBinaryAtOnce = false;

/** Called by `connectPostgres`: text arrays made from now on are encoded when made, not when sent. */
export function encodeTextArraysWhenMade(): void {
  textsInBinaryAtOnce = true;
}

const OID: Record<Element, number> = { bigint: 20, integer: 23, text: 25 };

/** `ids` as a `::bigint[]` (or `::integer[]`) parameter. */
export function numberArray(values: readonly (bigint | number | null)[], element: 'bigint' | 'integer' = 'bigint'): ArrayParameter {
  return new ArrayParameter(element, values);
}

/** `texts` as a `::text[]` parameter; for another type, cast it on: `::text[]::date[]`. */
export function textArray(values: readonly (string | null)[]): ArrayParameter {
  return new ArrayParameter('text', values);
}

/** The parameter PGlite is given for `value`: array parameters as their literal, anything else as it is. */
export function forPGlite(value: unknown): unknown {
  return value instanceof ArrayParameter ? value.toText() : value;
}

/**
 * Header: dimensions (1, or 0 for an empty array), whether there are NULLs, the element type; then per dimension its
 * length and lower bound (1).
 */
function header(buffer: Buffer, count: number, hasNull: boolean, element: Element): number {
  if (count === 0) {
    buffer.writeInt32BE(0, 0);
    buffer.writeInt32BE(0, 4);
    buffer.writeInt32BE(OID[element], 8);
    return 12;
  }
  buffer.writeInt32BE(1, 0);
  buffer.writeInt32BE(hasNull ? 1 : 0, 4);
  buffer.writeInt32BE(OID[element], 8);
  buffer.writeInt32BE(count, 12);
  buffer.writeInt32BE(1, 16);
  return 20;
}

const headerSize = (count: number): number => (count === 0 ? 12 : 20);

/** Lengths 0–4095 (nearly every text) as the 4 bytes that precede a value, in latin1 characters: made once. */
const LENGTH_CHARS = Array.from({ length: 4096 }, (_, n) => String.fromCharCode(0, 0, n >>> 8, n & 0xff));
const NULL_CHARS = '\xff\xff\xff\xff'; // length -1

function lengthChars(length: number): string {
  return LENGTH_CHARS[length] ?? String.fromCharCode(length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

function encodeTexts(values: readonly (string | null)[]): Buffer {
  const count = values.length;
  const all = values.join(''); // null and undefined join as ''
  // Only ASCII takes one UTF-8 byte per character. Then every value's bytes are its characters in latin1, and so are
  // the lengths written as characters above: the whole array is one string, written in one call. Per value, the
  // driver-side cost was a byte count and a write call each (0.9 s of node's time for a 100,000-entry bank file in a
  // slow hour).
  if (Buffer.byteLength(all, 'utf8') !== all.length) return encodeTextsPerValue(values);
  const parts = new Array<string>(2 * count);
  let hasNull = false;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      hasNull = true;
      parts[2 * i] = NULL_CHARS;
      parts[2 * i + 1] = '';
    } else {
      parts[2 * i] = lengthChars(value.length);
      parts[2 * i + 1] = value;
    }
  }
  const body = parts.join('');
  const buffer = Buffer.allocUnsafe(headerSize(count) + body.length);
  buffer.write(body, header(buffer, count, hasNull, 'text'), 'latin1');
  return buffer;
}

/** Any text: each value's UTF-8 byte count, then its bytes. */
function encodeTextsPerValue(values: readonly (string | null)[]): Buffer {
  const count = values.length;
  const lengths = new Int32Array(count);
  let size = headerSize(count);
  let hasNull = false;
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      lengths[i] = -1;
      hasNull = true;
      size += 4;
    } else {
      const length = Buffer.byteLength(value, 'utf8');
      lengths[i] = length;
      size += 4 + length;
    }
  }
  const buffer = Buffer.allocUnsafe(size);
  let offset = header(buffer, count, hasNull, 'text');
  for (let i = 0; i < count; i++) {
    const length = lengths[i]!;
    buffer.writeInt32BE(length, offset);
    offset += 4;
    if (length > 0) offset += buffer.write(values[i]!, offset, length, 'utf8');
  }
  return buffer;
}

function encodeNumbers(element: 'bigint' | 'integer', values: readonly (bigint | number | null)[]): Buffer {
  const count = values.length;
  const width = element === 'bigint' ? 8 : 4;
  let nulls = 0;
  for (let i = 0; i < count; i++) if (values[i] === null || values[i] === undefined) nulls++;
  const buffer = Buffer.allocUnsafe(headerSize(count) + nulls * 4 + (count - nulls) * (4 + width));
  // A DataView's setters are the engine's own: 2.7× faster here than Buffer's writers, which check every argument.
  // They wrap what does not fit, so an int4's range is checked here; an int8 beyond ±2^53 goes to `writeBigInt64BE`,
  // which throws beyond int8. Either way a value the column cannot hold is refused, never sent changed.
  const view = new DataView(buffer.buffer, buffer.byteOffset, buffer.length);
  let offset = header(buffer, count, nulls > 0, element);
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      view.setInt32(offset, -1);
      offset += 4;
      continue;
    }
    view.setInt32(offset, width);
    if (element === 'bigint') writeInt64(buffer, view, value, offset + 4);
    else {
      const number = Number(value);
      if (!Number.isInteger(number) || number < -0x8000_0000 || number > 0x7fff_ffff) throw new RangeError(`not a whole number within int4 for an integer column: ${String(value)}`);
      view.setInt32(offset + 4, number);
    }
    offset += 4 + width;
  }
  return buffer;
}

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const TWO_32 = 2 ** 32;

/**
 * An int8, big-endian. Ids and cents are far inside ±2^53: written as two 32-bit halves of a number, without the three
 * BigInt operations (each a new heap object) of `writeBigInt64BE`, which were 6 % of everything a day of the batch
 * allocated. No rounding can happen: below 2^53 every integer is exact as a number, and dividing by 2^32, flooring and
 * subtracting stay exact; anything larger takes `writeBigInt64BE`. Nothing here computes with amounts, it copies bits.
 */
function writeInt64(buffer: Buffer, view: DataView, value: bigint | number, offset: number): void {
  let number: number;
  if (typeof value === 'bigint') {
    if (value < MIN_SAFE || value > MAX_SAFE) {
      buffer.writeBigInt64BE(value, offset); // throws beyond int8
      return;
    }
    number = Number(value);
  } else {
    if (!Number.isSafeInteger(value)) {
      buffer.writeBigInt64BE(BigInt(value), offset); // throws for a fraction and beyond int8
      return;
    }
    number = value;
  }
  const high = Math.floor(number / TWO_32);
  view.setInt32(offset, high);
  view.setUint32(offset + 4, number - high * TWO_32);
}
