import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numberArray, textArray } from '../../src/db/array-parameters.js';

/** PostgreSQL's binary array (`array_recv`), written the plain way: header, then per element its length and bytes. */
function reference(oid: number, elements: readonly (Buffer | null)[]): Buffer {
  const int32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n);
    return b;
  };
  const hasNull = elements.some((e) => e === null);
  const head = elements.length === 0 ? [int32(0), int32(0), int32(oid)] : [int32(1), int32(hasNull ? 1 : 0), int32(oid), int32(elements.length), int32(1)];
  return Buffer.concat([...head, ...elements.flatMap((e) => (e === null ? [int32(-1)] : [int32(e.length), e]))]);
}

const int8Bytes = (v: bigint | number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
};

// ASCII (one string written whole), and what must take the per-value way: é, ÿ (one byte in latin1, two in UTF-8),
// characters beyond the BMP, lone surrogates (written as U+FFFD, as Buffer writes them); lengths past 4095 and 65535.
const text = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 60 }),
  fc.string({ unit: fc.constantFrom('a', 'é', 'ÿ', '\u00ff', '€', '😀', '\ud800', '"', '\\'), maxLength: 30 }),
  fc.constantFrom('', 'x'.repeat(4095), 'y'.repeat(4096), 'z'.repeat(70_000), `${'a'.repeat(5000)}é`),
);

describe('array parameters in the binary format', () => {
  it('a text array is every value as its UTF-8 bytes behind its byte length, whatever the characters', () => {
    fc.assert(
      fc.property(fc.array(fc.option(text, { nil: null }), { maxLength: 20 }), (values) => {
        expect(textArray(values).toPostgres().equals(reference(25, values.map((v) => (v === null ? null : Buffer.from(v, 'utf8')))))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('an int8 array holds every value exactly, from a bigint or a whole number; an int4 array the same', () => {
    const int8 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 54n), max: 2n ** 54n }), fc.maxSafeInteger(), fc.constantFrom(2 ** 60, -(2 ** 60), 2 ** 32, -1, 0));
    fc.assert(
      fc.property(fc.array(fc.option(int8, { nil: null }), { maxLength: 20 }), (values) => {
        expect(numberArray(values).toPostgres().equals(reference(20, values.map((v) => (v === null ? null : int8Bytes(v)))))).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 20 }), (values) => {
        const int4 = (v: number) => {
          const b = Buffer.alloc(4);
          b.writeInt32BE(v);
          return b;
        };
        expect(numberArray(values, 'integer').toPostgres().equals(reference(23, values.map((v) => (v === null ? null : int4(v)))))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a number the column cannot hold is refused when the parameter is made, not wrapped around', () => {
    for (const bad of [2 ** 31, -(2 ** 31) - 1, 1.5, Number.NaN]) expect(() => numberArray([1, bad], 'integer'), String(bad)).toThrow(RangeError);
    for (const bad of [2n ** 63n, -(2n ** 63n) - 1n, 1.5, 2 ** 64]) expect(() => numberArray([1n, bad]), String(bad)).toThrow(RangeError);
    expect(numberArray([2 ** 31 - 1, -(2 ** 31)], 'integer').toText()).toBe('{2147483647,-2147483648}');
  });
});
