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

  /** Made by `numberArray` and `textArray`, which tie the element type to the values. */
  constructor(
    private readonly element: Element,
    private readonly values: readonly (bigint | number | string | null | undefined)[],
  ) {}

  /** node-postgres: the array in PostgreSQL's binary format (`array_recv`). */
  toPostgres(): Buffer {
    this.encoded ??= this.element === 'text' ? encodeTexts(this.values as readonly (string | null)[]) : encodeNumbers(this.element, this.values as readonly (bigint | number | null)[]);
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

function encodeTexts(values: readonly (string | null)[]): Buffer {
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
  let offset = header(buffer, count, nulls > 0, element);
  for (let i = 0; i < count; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      buffer.writeInt32BE(-1, offset);
      offset += 4;
      continue;
    }
    buffer.writeInt32BE(width, offset);
    // The writers throw on a value out of range or not a whole number, where the text literal would have been
    // refused by the server.
    if (element === 'bigint') writeInt64(buffer, value, offset + 4);
    else {
      const number = Number(value);
      if (!Number.isInteger(number)) throw new RangeError(`not a whole number for an integer column: ${String(value)}`);
      buffer.writeInt32BE(number, offset + 4);
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
function writeInt64(buffer: Buffer, value: bigint | number, offset: number): void {
  let number: number;
  if (typeof value === 'bigint') {
    if (value < MIN_SAFE || value > MAX_SAFE) {
      buffer.writeBigInt64BE(value, offset);
      return;
    }
    number = Number(value);
  } else {
    if (!Number.isSafeInteger(value)) {
      buffer.writeBigInt64BE(BigInt(value), offset);
      return;
    }
    number = value;
  }
  const high = Math.floor(number / TWO_32);
  buffer.writeInt32BE(high, offset);
  buffer.writeUInt32BE(number - high * TWO_32, offset + 4);
}
