import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { amountText } from '../../src/sepa/build.js';
import { convertToEpc, isEpcIdentifier, toEpcText } from '../../src/sepa/charset.js';
import { cents } from '../../src/sepa/rules.js';

/**
 * The release gate's hot paths are written by hand for speed; each must give exactly what the
 * plain version (a regular expression, `convertToEpc`, `Money#toString`) gives, on any input.
 */

/** Characters from every corner the conversion knows: plain and special ASCII, Latin letters with and without decomposition, Cyrillic, punctuation, and what takes the full path (Greek, marks, Arabic, Ge'ez, emoji, lone surrogates). */
const character = fc.oneof(
  fc.integer({ min: 0x00, max: 0x7f }),
  fc.integer({ min: 0x80, max: 0x24f }),
  fc.integer({ min: 0x400, max: 0x52f }),
  fc.integer({ min: 0x1e00, max: 0x1eff }),
  fc.integer({ min: 0x2000, max: 0x214f }),
  fc.integer({ min: 0x300, max: 0x3ff }),
  fc.constantFrom(0x627, 0x644, 0x12a0, 0x1f600, 0xd800, 0xfb01, 0x212b, 0x2126, 0x1fef, 0x301),
).map((code) => (code > 0xffff ? String.fromCodePoint(code) : String.fromCharCode(code)));
const text = fc.array(character, { maxLength: 90 }).map((chars) => chars.join(''));
const plainText = fc.stringMatching(/^[A-Za-z0-9/\-?:().,'+ ]{0,90}$/);

/** The identifier rule as it was written first: the reference for the one-pass version. */
function identifierByRule(text: string, maxLength = 35): boolean {
  return (
    text.length >= 1 &&
    text.length <= maxLength &&
    /^[A-Za-z0-9/\-?:().,'+ ]*$/.test(text) &&
    !text.startsWith('/') &&
    !text.endsWith('/') &&
    !text.includes('//') &&
    text.trim() === text &&
    !text.includes('  ')
  );
}

/** The control-sum rule's regular expression, the reference for the hand-written parser. */
function centsByPattern(text: string): bigint | undefined {
  const trimmed = text.trim();
  if (!/^\d{1,12}(\.\d{1,2})?$/.test(trimmed)) return undefined;
  const [whole = '', fraction = ''] = trimmed.split('.');
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0') || '0');
}

describe('fast paths give what the full rules give', () => {
  it('toEpcText converts a text as convertToEpc does, whatever its characters', () => {
    fc.assert(
      fc.property(fc.oneof(text, plainText), fc.integer({ min: 1, max: 140 }), (input, max) => {
        expect(toEpcText(input, max)).toBe(convertToEpc(input, max).text);
      }),
      { numRuns: 5000 },
    );
  });

  it('isEpcIdentifier follows the identifier rule (EPC set, 1–35, no leading, trailing or double / or space)', () => {
    const idCharacter = fc.constantFrom('a', 'Z', '0', '/', ' ', '-', '.', '+', '?', '_', 'é', '&');
    fc.assert(
      fc.property(fc.array(idCharacter, { maxLength: 40 }), fc.integer({ min: 1, max: 40 }), (chars, max) => {
        const id = chars.join('');
        expect(isEpcIdentifier(id, max)).toBe(identifierByRule(id, max));
        expect(isEpcIdentifier(id)).toBe(identifierByRule(id));
      }),
      { numRuns: 5000 },
    );
  });

  it('cents reads amounts and control sums as the pattern 1–12 digits, optionally a point and 1–2 digits', () => {
    const amountish = fc.array(fc.constantFrom('0', '1', '9', '.', ' ', '-', 'e', '\t'), { maxLength: 17 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(fc.oneof(amountish, fc.string({ maxLength: 16 })), (input) => {
        expect(cents(input)).toBe(centsByPattern(input));
      }),
      { numRuns: 5000 },
    );
  });

  it('amountText writes cents as Money#toString does', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }), (value) => {
        expect(amountText(value)).toBe(Money.fromCents(value).toString());
      }),
      { numRuns: 5000 },
    );
  });
});
