import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isValidBetalingskenmerk,
  isValidIban,
  isValidRfReference,
  makeBetalingskenmerk,
  makeRfReference,
} from '../../src/references/index.js';

describe('Dutch betalingskenmerk (issuer CUR)', () => {
  it('accepts real 16-digit kenmerken from Belastingdienst assessments', () => {
    for (const kenmerk of ['5010002167010010', '3010002167042021', '0001041146910100', '9001041146812501', '8049244482480005', '3961307998410020']) {
      expect(isValidBetalingskenmerk(kenmerk), kenmerk).toBe(true);
    }
  });

  it('refuses a wrong check digit, a wrong length and non-digits', () => {
    expect(isValidBetalingskenmerk('4010002167010010')).toBe(false);
    expect(isValidBetalingskenmerk('501000216701001')).toBe(false);
    expect(isValidBetalingskenmerk('5010.0021.6701.0010')).toBe(false);
    expect(isValidBetalingskenmerk('501000216701001A')).toBe(false);
  });

  it('makes kenmerken that validate, and refuses any other check digit', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{15}$/), fc.integer({ min: 1, max: 9 }), (base, delta) => {
        const kenmerk = makeBetalingskenmerk(base);
        expect(isValidBetalingskenmerk(kenmerk)).toBe(true);
        const otherCheck = (Number(kenmerk[0]) + delta) % 10;
        expect(isValidBetalingskenmerk(`${otherCheck}${base}`)).toBe(false);
      }),
    );
  });
});

describe('RF creditor reference (issuer ISO, ISO 11649)', () => {
  it('accepts the standard examples', () => {
    expect(isValidRfReference('RF18539007547034')).toBe(true);
    expect(isValidRfReference('RF712348231')).toBe(true);
    expect(makeRfReference('539007547034')).toBe('RF18539007547034');
  });

  it('refuses a wrong check, lower case, spaces and more than 25 characters', () => {
    expect(isValidRfReference('RF19539007547034')).toBe(false);
    expect(isValidRfReference('rf18539007547034')).toBe(false);
    expect(isValidRfReference('RF18 5390 0754 7034')).toBe(false);
    expect(isValidRfReference(`RF00${'1'.repeat(22)}`)).toBe(false);
  });

  it('makes references that validate', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Z0-9]{1,21}$/), (base) => {
        expect(isValidRfReference(makeRfReference(base))).toBe(true);
      }),
    );
  });
});

describe('IBAN', () => {
  it('checks the checksum and the national length, in electronic form only', () => {
    expect(isValidIban('NL91ABNA0417164300')).toBe(true);
    expect(isValidIban('NL91ABNA0417164301')).toBe(false);
    expect(isValidIban('NL91ABNA041716430')).toBe(false);
    expect(isValidIban('NL91 ABNA 0417 1643 00')).toBe(false);
    expect(isValidIban('DE89370400440532013000')).toBe(true);
  });
});
