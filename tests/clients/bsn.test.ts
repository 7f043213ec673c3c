import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertSeparateBsnKeys,
  BsnError,
  bsnKeyId,
  bsnLookupHash,
  decryptBsn,
  encryptBsn,
  findBsnCandidates,
  isValidBsn,
  maskBsn,
  parseBsn,
  passesElfproef,
} from '../../src/clients/bsn.js';

const KEY = { id: 'k2026', key: randomBytes(32) };
const OLD_KEY = { id: 'k2025', key: randomBytes(32) };
const HMAC_KEY = randomBytes(32);

/** Nine digits that pass the 11-check: eight random digits and the check digit, when it is a digit. */
const aValidBsn = fc
  .array(fc.integer({ min: 0, max: 9 }), { minLength: 8, maxLength: 8 })
  .map((digits) => {
    const sum = digits.reduce((total, digit, i) => total + (9 - i) * digit, 0);
    return { digits, check: sum % 11 };
  })
  .filter(({ digits, check }) => check < 10 && !(check === 0 && digits.every((digit) => digit === 0)))
  .map(({ digits, check }) => `${digits.join('')}${check}`);

describe('the 11-check (elfproef)', () => {
  it('accepts the well-known test numbers and refuses near misses', () => {
    expect(isValidBsn('111222333')).toBe(true);
    expect(isValidBsn('123456782')).toBe(true);
    expect(isValidBsn('1234.56.782')).toBe(true);
    expect(isValidBsn('123 456 782')).toBe(true);
    expect(isValidBsn('123456789')).toBe(false);
    expect(isValidBsn('000000000')).toBe(false);
    expect(isValidBsn('12345678a')).toBe(false);
    expect(isValidBsn('1234567820')).toBe(false);
    expect(isValidBsn('')).toBe(false);
  });

  it('gives an old eight-digit number its leading zero back', () => {
    expect(parseBsn('10000008').reveal()).toBe('010000008');
  });

  it('agrees with the weighted sum for every nine-digit text', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{9}$/), (digits) => {
        const sum = [...digits].reduce((total, digit, i) => total + (i < 8 ? 9 - i : -1) * Number(digit), 0);
        expect(passesElfproef(digits)).toBe(sum % 11 === 0 && digits !== '000000000');
      }),
    );
  });

  it('rule 13: never repeats the number in an error', () => {
    try {
      parseBsn('123456789');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BsnError);
      expect((error as BsnError).code).toBe('invalid_bsn');
      expect((error as Error).message).not.toContain('123456789');
    }
  });
});

describe('rule 13: a BSN is shown masked and never logged', () => {
  it('shows only the last three digits, however it is printed', () => {
    const bsn = parseBsn('123456782');
    expect(bsn.masked()).toBe('******782');
    expect(String(bsn)).toBe('******782');
    expect(`${bsn}`).toBe('******782');
    expect(JSON.stringify({ client: 7, bsn })).toBe('{"client":7,"bsn":"******782"}');
    expect(inspect({ bsn })).not.toContain('123456');
    expect(maskBsn('1234.56.782')).toBe('******782');
    expect(maskBsn('not a bsn')).toBe('*********');
  });
});

describe('encryption at rest', () => {
  it('round-trips, with a fresh IV every time and the key id in the envelope', () => {
    const bsn = parseBsn('111222333');
    const one = encryptBsn(bsn, KEY, 'client-17');
    const two = encryptBsn(bsn, KEY, 'client-17');
    expect(one).not.toBe(two);
    expect(one).toMatch(/^v1\.k2026\./);
    expect(one).not.toContain('111222333');
    expect(bsnKeyId(one)).toBe('k2026');
    expect(decryptBsn(one, KEY, 'client-17').equals(bsn)).toBe(true);
  });

  it('refuses the wrong key, another client row, and altered data, all with the same code', () => {
    const envelope = encryptBsn(parseBsn('111222333'), KEY, 'client-17');
    const code = (run: () => unknown): string | undefined => {
      try {
        run();
        return undefined;
      } catch (error) {
        return (error as BsnError).code;
      }
    };
    expect(code(() => decryptBsn(envelope, { id: 'k2026', key: randomBytes(32) }, 'client-17'))).toBe('bsn_not_decryptable');
    expect(code(() => decryptBsn(envelope, KEY, 'client-18'))).toBe('bsn_not_decryptable');
    const last = envelope.at(-1) === 'A' ? 'B' : 'A';
    expect(code(() => decryptBsn(`${envelope.slice(0, -1)}${last}`, KEY, 'client-17'))).toBe('bsn_not_decryptable');
    expect(code(() => decryptBsn(envelope, OLD_KEY, 'client-17'))).toBe('bsn_not_decryptable');
    expect(code(() => decryptBsn('123456782', KEY))).toBe('bsn_not_decryptable');
  });

  it('decrypts with whichever configured key the envelope names, so keys can be rotated', () => {
    const old = encryptBsn(parseBsn('123456782'), OLD_KEY);
    expect(decryptBsn(old, [KEY, OLD_KEY]).reveal()).toBe('123456782');
  });

  it('refuses keys that are not 256 bits', () => {
    expect(() => encryptBsn(parseBsn('123456782'), { id: 'short', key: randomBytes(16) })).toThrow(/32 bytes/);
  });

  it('round-trips any valid BSN', () => {
    fc.assert(
      fc.property(aValidBsn, fc.string(), (digits, context) => {
        expect(decryptBsn(encryptBsn(parseBsn(digits), KEY, context), KEY, context).reveal()).toBe(digits);
      }),
      { numRuns: 200 },
    );
  });
});

describe('keyed hash for lookup', () => {
  it('is stable per BSN and key, whatever the written form, and says nothing without the key', () => {
    const hash = bsnLookupHash(parseBsn('123456782'), HMAC_KEY);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(bsnLookupHash(parseBsn('1234.56.782'), HMAC_KEY)).toBe(hash);
    expect(bsnLookupHash(parseBsn('111222333'), HMAC_KEY)).not.toBe(hash);
    expect(bsnLookupHash(parseBsn('123456782'), randomBytes(32))).not.toBe(hash);
  });

  it('needs a key of its own', () => {
    expect(() => bsnLookupHash(parseBsn('123456782'), randomBytes(8))).toThrow(/at least 32 bytes/);
    expect(() => assertSeparateBsnKeys(KEY, Buffer.from(KEY.key))).toThrow(/differ/);
    expect(() => assertSeparateBsnKeys(KEY, HMAC_KEY)).not.toThrow();
  });
});

describe('BSN candidates in a remittance text (rule 9: a lead, not a match)', () => {
  it('finds stand-alone nine-digit numbers that pass the 11-check, once each', () => {
    const found = findBsnCandidates('Uitkering 03-2026 BSN 123456782 dossier 4471 ref 1234.56.782, ook 111222333.');
    expect(found.map((bsn) => bsn.reveal())).toEqual(['123456782', '111222333']);
  });

  it('ignores numbers inside IBANs, betalingskenmerken, longer numbers and failing ones', () => {
    expect(findBsnCandidates('NL91ABNA0417164300 kenmerk 1234567890123456 nr 1234567820 of 123456789')).toEqual([]);
    expect(findBsnCandidates('bedrag 1334.23 datum 20260324')).toEqual([]);
  });

  it('finds a valid BSN wherever it stands between non-digits', () => {
    fc.assert(
      fc.property(aValidBsn, fc.stringMatching(/^[A-Za-z :/-]{0,10}$/), fc.stringMatching(/^[A-Za-z :/-]{0,10}$/), (digits, before, after) => {
        expect(findBsnCandidates(`${before}${digits}${after}`).map((bsn) => bsn.reveal())).toEqual([digits]);
      }),
    );
  });
});
