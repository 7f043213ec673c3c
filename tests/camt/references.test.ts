import { describe, expect, it } from 'vitest';
import { betalingskenmerkValid, parseKeywords, rfReferenceValid } from '../../src/camt/index.js';

describe('payment references', () => {
  it.each(['5010002167010010', '3010.0021.6704.2021', '0001 0411 4691 0100', '9001041146812501'])('accepts the betalingskenmerk %s', (kenmerk) => {
    expect(betalingskenmerkValid(kenmerk)).toBe(true);
  });

  it('rejects a betalingskenmerk with a wrong check digit, and does not judge other lengths', () => {
    expect(betalingskenmerkValid('6010002167010010')).toBe(false);
    expect(betalingskenmerkValid('50100021670100AB')).toBe(false);
    expect(betalingskenmerkValid('1234567')).toBeNull();
  });

  it('checks ISO 11649 RF references', () => {
    expect(rfReferenceValid('RF18539007547034')).toBe(true);
    expect(rfReferenceValid('RF18 5390 0754 7034')).toBe(true);
    expect(rfReferenceValid('RF19539007547034')).toBe(false);
    expect(rfReferenceValid('XX18539007547034')).toBe(false);
  });

  it('parses MT940-style keywords, keeping slashes inside values', () => {
    expect(parseKeywords('/TRTP/SEPA BATCH SALARIS/PREF/ONT-BATCH-7/NRTX/2')).toEqual({ TRTP: 'SEPA BATCH SALARIS', PREF: 'ONT-BATCH-7', NRTX: '2' });
    expect(parseKeywords('/TRTP/SEPA OVERBOEKING/REMI/huur 01/2025/EREF/NOTPROVIDED/')).toEqual({ TRTP: 'SEPA OVERBOEKING', REMI: 'huur 01/2025', EREF: 'NOTPROVIDED' });
    expect(parseKeywords('/REMI//CDTRREFTP//CD/SCOR/ISSR/CUR/CDTRREF/5010002167010010')).toEqual({
      REMI: '',
      CDTRREFTP: '',
      CD: 'SCOR',
      ISSR: 'CUR',
      CDTRREF: '5010002167010010',
    });
    expect(parseKeywords('Storting contant')).toEqual({});
    expect(parseKeywords('/FOO/bar')).toEqual({});
    expect(parseKeywords(null)).toEqual({});
  });
});
