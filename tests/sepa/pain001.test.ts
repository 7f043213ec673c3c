import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import {
  buildPain001,
  Pain001BuildError,
  sha256Hex,
  validatePain001,
  type Pain001Version,
} from '../../src/sepa/index.js';
import { makeBetalingskenmerk, makeRfReference } from '../../src/references/index.js';
import { validateXml } from '../../src/xml/xsd.js';
import { aBatch, aPayment, EXECUTION_DATE, SERVICE_ACCOUNT, TODAY } from './builders.js';

const VERSIONS: Pain001Version[] = ['03', '09'];
const LONG_REMITTANCE = `Huur juli 2026 contract 2026-0042 ${'en servicekosten '.repeat(12)}einde`;

/** A realistic month: rent with a betalingskenmerk, energy with an RF reference, water and leefgeld as free text. */
function aMonth() {
  return aBatch([
    aPayment(1, {
      creditor: { name: 'Woonbron & Co "Zuid"', iban: 'NL91ABNA0417164300', bic: 'ABNANL2A' },
      amount: Money.parse('720.00'),
      remittance: { kind: 'structured', issuer: 'CUR', reference: makeBetalingskenmerk('010002167010010') },
    }),
    aPayment(2, {
      creditor: { name: 'Eneco Energie', iban: 'NL20INGB0001234567' },
      amount: Money.parse('120.00'),
      remittance: { kind: 'structured', issuer: 'ISO', reference: makeRfReference('539007547034') },
    }),
    aPayment(3, { creditor: { name: 'Evides Waterbedrijf', iban: 'NL20INGB0001234567' }, amount: Money.parse('25.00'), remittance: { kind: 'unstructured', text: LONG_REMITTANCE } }),
    aPayment(4, { creditor: { name: 'Şükrü Öztürk', iban: 'DE89370400440532013000' }, amount: Money.parse('187.35'), remittance: { kind: 'unstructured', text: 'Leefgeld week 27 – Şükrü' } }),
    aPayment(5, { creditor: { name: 'Zilveren Kruis', iban: 'NL91ABNA0417164300' }, amount: Money.parse('159.00'), remittance: undefined }),
  ]);
}

describe.each(VERSIONS)('pain.001.001.%s', (version) => {
  it('builds a file that passes the XSD and every business rule', () => {
    const xml = buildPain001(aMonth(), { version });
    const result = validatePain001(xml, version, { today: TODAY });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.numberOfTransactions).toBe(5);
    expect(result.controlSum.toString()).toBe('1211.35');
    expect(validateXml(xml, `pain.001.001.${version}`)).toEqual({ valid: true, errors: [] });
  });

  it('writes the group header, one PmtInf and the SEPA fields', () => {
    const xml = buildPain001(aMonth(), { version });
    expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.')).toBe(true);
    expect(xml.charCodeAt(0)).not.toBe(0xfeff);
    expect(xml).not.toMatch(/xmlns:/);
    expect(xml).toContain('<MsgId>ONTZ-20260626-0001</MsgId>');
    expect(xml).toContain('<CreDtTm>2026-06-26T07:30:00</CreDtTm>');
    expect(xml.match(/<NbOfTxs>5<\/NbOfTxs>/g)).toHaveLength(2);
    expect(xml.match(/<CtrlSum>1211.35<\/CtrlSum>/g)).toHaveLength(2);
    expect(xml.match(/<PmtInf>/g)).toHaveLength(1);
    expect(xml).toContain('<PmtInfId>ONTZ-20260626-0001-1</PmtInfId>');
    expect(xml).toContain('<BtchBookg>true</BtchBookg>');
    expect(xml).toContain('<Cd>SEPA</Cd>');
    expect(xml).toContain('<ChrgBr>SLEV</ChrgBr>');
    expect(xml).not.toContain('INST');
    expect(xml).toContain(version === '03' ? `<ReqdExctnDt>${EXECUTION_DATE}</ReqdExctnDt>` : `<Dt>${EXECUTION_DATE}</Dt>`);
    expect(xml).toContain(version === '03' ? '<BIC>BNGHNL2G</BIC>' : '<BICFI>BNGHNL2G</BICFI>');
    expect(xml).toContain('<InstdAmt Ccy="EUR">187.35</InstdAmt>');
  });

  it('writes names and remittance in the EPC set: Şükrü Öztürk, Woonbron & Co "Zuid", > 140 characters', () => {
    const xml = buildPain001(aMonth(), { version });
    expect(xml).toContain("<Nm>Woonbron + Co 'Zuid'</Nm>");
    expect(xml).toContain('<Nm>Sukru Ozturk</Nm>');
    expect(xml).toContain('<Ustrd>Leefgeld week 27 - Sukru</Ustrd>');
    const ustrd = /<Ustrd>(Huur juli[^<]*)<\/Ustrd>/.exec(xml)?.[1] ?? '';
    expect(LONG_REMITTANCE.length).toBeGreaterThan(140);
    expect(ustrd).toHaveLength(140);
    expect(LONG_REMITTANCE.startsWith(ustrd)).toBe(true);
  });

  it('writes structured references as SCOR with issuer CUR or ISO', () => {
    const xml = buildPain001(aMonth(), { version });
    expect(xml).toMatch(/<Cd>SCOR<\/Cd>\s*<\/CdOrPrtry>\s*<Issr>CUR<\/Issr>\s*<\/Tp>\s*<Ref>5010002167010010<\/Ref>/);
    expect(xml).toMatch(/<Issr>ISO<\/Issr>\s*<\/Tp>\s*<Ref>RF18539007547034<\/Ref>/);
  });

  it('validates with only structured references, and with none', () => {
    const onlyStructured = aBatch([
      aPayment(1, { remittance: { kind: 'structured', issuer: 'CUR', reference: '5010002167010010' } }),
      aPayment(2, { remittance: { kind: 'structured', issuer: 'ISO', reference: 'RF712348231' } }),
    ]);
    const none = aBatch([aPayment(1, { remittance: undefined })]);
    for (const batch of [onlyStructured, none]) {
      const result = validatePain001(buildPain001(batch, { version }), version, { today: TODAY });
      expect(result.errors).toEqual([]);
    }
  });

  it('writes DbtrAgt NOTPROVIDED without a BIC, and no CdtrAgt without one', () => {
    const batch = aBatch([aPayment(1, { debtor: { name: SERVICE_ACCOUNT.name, iban: SERVICE_ACCOUNT.iban } })]);
    const xml = buildPain001(batch, { version });
    expect(xml).toMatch(/<DbtrAgt>\s*<FinInstnId>\s*<Othr>\s*<Id>NOTPROVIDED<\/Id>/);
    expect(xml).not.toContain('<CdtrAgt>');
    expect(validatePain001(xml, version, { today: TODAY }).errors).toEqual([]);
  });

  it('marks an instant batch INST and may execute it on a closing day', () => {
    const batch = aBatch([aPayment(1, { executionDate: '2026-06-27' })], { instant: true, batchBooking: false });
    const xml = buildPain001(batch, { version });
    expect(xml).toMatch(/<SvcLvl>\s*<Cd>SEPA<\/Cd>\s*<\/SvcLvl>\s*<LclInstrm>\s*<Cd>INST<\/Cd>\s*<\/LclInstrm>/);
    expect(xml).toContain('<BtchBookg>false</BtchBookg>');
    expect(validatePain001(xml, version, { today: '2026-06-27' }).errors).toEqual([]);
  });

  it('makes one PmtInf per execution date and debtor account, in a fixed order', () => {
    const other = { name: 'Gemeente Dordrecht', iban: 'NL20INGB0001234567' };
    const batch = aBatch([
      aPayment(1, { executionDate: '2026-07-01' }),
      aPayment(2, { debtor: other }),
      aPayment(3),
      aPayment(4, { executionDate: '2026-07-01', debtor: other }),
      aPayment(5, { executionDate: '2026-07-01' }),
    ]);
    const xml = buildPain001(batch, { version });
    const blocks = [...xml.matchAll(/<PmtInfId>([^<]+)<\/PmtInfId>\s*<PmtMtd>TRF<\/PmtMtd>\s*<BtchBookg>true<\/BtchBookg>\s*<NbOfTxs>(\d+)</g)].map((m) => `${m[1]}:${m[2]}`);
    expect(blocks).toEqual(['ONTZ-20260626-0001-1:1', 'ONTZ-20260626-0001-2:1', 'ONTZ-20260626-0001-3:1', 'ONTZ-20260626-0001-4:2']);
    const order = [...xml.matchAll(/<EndToEndId>([^<]+)</g)].map((m) => m[1]);
    // by date, then debtor IBAN (NL20INGB… before NL49BNGH…), payments in input order
    expect(order).toEqual(['ONTZ-00000002', 'ONTZ-00000003', 'ONTZ-00000004', 'ONTZ-00000001', 'ONTZ-00000005']);
    expect(validatePain001(xml, version, { today: TODAY }).errors).toEqual([]);
  });

  it('gives the same bytes and the same SHA-256 for the same batch', () => {
    const first = buildPain001(aMonth(), { version });
    const second = buildPain001(aMonth(), { version });
    expect(second).toBe(first);
    expect(sha256Hex(second)).toBe(sha256Hex(first));
    expect(validatePain001(first, version, { today: TODAY }).sha256).toBe(sha256Hex(first));
    expect(sha256Hex(first)).toMatch(/^[0-9a-f]{64}$/);
    // and a different creation time gives a different file
    expect(buildPain001({ ...aMonth(), creationDateTime: '2026-06-26T07:31:00' }, { version })).not.toBe(first);
  });
});

describe('what the builder refuses', () => {
  it('refuses ids that are too long or contain "//", naming the payment', () => {
    const batch = aBatch([aPayment(1, { endToEndId: 'ONTZ//1' }), aPayment(2, { endToEndId: 'X'.repeat(36) })]);
    try {
      buildPain001(batch, { version: '03' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(Pain001BuildError);
      const problems = (error as Pain001BuildError).problems;
      expect(problems.map((p) => [p.endToEndId, p.rule])).toEqual([
        ['ONTZ//1', 'identifier'],
        ['X'.repeat(36), 'identifier'],
      ]);
    }
  });

  it('refuses a creditor name with nothing left after conversion', () => {
    const batch = aBatch([aPayment(7, { creditor: { name: 'ተስፋይ ገብረመድህን', iban: 'NL91ABNA0417164300' } })]);
    expect(() => buildPain001(batch, { version: '09' })).toThrow(/payment ONTZ-00000007: creditor name .* Latin spelling/);
  });

  it('refuses an empty batch, a bad creation time and a message id leaving no room for PmtInfId', () => {
    expect(() => buildPain001(aBatch([]), { version: '03' })).toThrow(/at least one payment/);
    expect(() => buildPain001(aBatch([aPayment(1)], { creationDateTime: '2026-06-26 07:30' }), { version: '03' })).toThrow(/creation time/);
    expect(() => buildPain001(aBatch([aPayment(1)], { messageId: 'M'.repeat(34) }), { version: '03' })).toThrow(/PmtInfId/);
  });

  it('refuses one debtor IBAN with two names in one batch', () => {
    const batch = aBatch([aPayment(1), aPayment(2, { debtor: { ...SERVICE_ACCOUNT, name: 'Iemand anders' } })]);
    expect(() => buildPain001(batch, { version: '03' })).toThrow(/another name, BIC or address/);
  });
});
