import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { buildPain001, validatePain001, type Pain001Error, type Pain001Rule, type Pain001Version } from '../../src/sepa/index.js';
import { aBatch, aPayment, TODAY } from './builders.js';

const VERSIONS: Pain001Version[] = ['03', '09'];

/** Three good payments; faults are planted in payment 2 (ONTZ-00000002). */
function threePayments(version: Pain001Version, overrides: Parameters<typeof aPayment>[1] = {}): string {
  return buildPain001(aBatch([aPayment(1), aPayment(2, { amount: Money.parse('120.00'), ...overrides }), aPayment(3)]), { version });
}

/** Replaces text inside the CdtTrfTxInf of one payment only. */
function inPayment(xml: string, endToEndId: string, from: string | RegExp, to: string): string {
  const start = xml.lastIndexOf('<CdtTrfTxInf>', xml.indexOf(`<EndToEndId>${endToEndId}<`));
  const end = xml.indexOf('</CdtTrfTxInf>', start);
  const replaced = xml.slice(start, end).replace(from, to);
  if (replaced === xml.slice(start, end)) throw new Error(`test setup: ${String(from)} not found in ${endToEndId}`);
  return xml.slice(0, start) + replaced + xml.slice(end);
}

function expectRefused(xml: string, version: Pain001Version, rule: Pain001Rule, endToEndId?: string, today = TODAY): Pain001Error {
  const result = validatePain001(xml, version, { today });
  expect(result.valid).toBe(false);
  const error = result.errors.find((e) => e.rule === rule && e.endToEndId === endToEndId);
  expect(error, `${rule} for ${endToEndId ?? 'the file'} in ${JSON.stringify(result.errors, null, 1)}`).toBeDefined();
  if (endToEndId) expect(error?.message).toContain(`payment ${endToEndId}`);
  return error as Pain001Error;
}

describe.each(VERSIONS)('business rules on pain.001.001.%s', (version) => {
  it('refuses an amount with three decimals (which the XSD accepts)', () => {
    const xml = inPayment(threePayments(version), 'ONTZ-00000002', '>120.00<', '>120.005<');
    const error = expectRefused(xml, version, 'amount_decimals', 'ONTZ-00000002');
    expect(error.message).toMatch(/at most two decimals/);
    expect(error.line).toBeGreaterThan(1);
  });

  it('refuses a missing creditor account (which the .03 XSD accepts)', () => {
    const xml = inPayment(threePayments(version), 'ONTZ-00000002', /<CdtrAcct>[\s\S]*<\/CdtrAcct>\n/, '');
    expectRefused(xml, version, 'creditor_account', 'ONTZ-00000002');
    if (version === '09') expectRefused(xml, version, 'xsd', 'ONTZ-00000002');
    else expect(validatePain001(xml, version, { today: TODAY }).errors.some((e) => e.rule === 'xsd')).toBe(false);
  });

  it('refuses a creditor IBAN with a bad checksum', () => {
    const xml = threePayments(version, { creditor: { name: 'Woonbron', iban: 'NL91ABNA0417164301' } });
    expect(expectRefused(xml, version, 'iban', 'ONTZ-00000002').message).toContain('NL91ABNA0417164301');
  });

  it('refuses a debtor IBAN with a bad checksum', () => {
    const xml = buildPain001(aBatch([aPayment(1, { debtor: { name: 'SDD', iban: 'NL48BNGH0285010110' } })]), { version });
    expect(expectRefused(xml, version, 'iban').paymentInfoId).toBe('ONTZ-20260626-0001-1');
  });

  it('refuses a zero amount and one above 999,999,999.99', () => {
    expectRefused(threePayments(version, { amount: Money.parse('0.00') }), version, 'amount_range', 'ONTZ-00000002');
    expectRefused(threePayments(version, { amount: Money.parse('1000000000.00') }), version, 'amount_range', 'ONTZ-00000002');
    expect(validatePain001(threePayments(version, { amount: Money.parse('999999999.99') }), version, { today: TODAY }).errors).toEqual([]);
    expect(validatePain001(threePayments(version, { amount: Money.parse('0.01') }), version, { today: TODAY }).errors).toEqual([]);
  });

  it('refuses another currency', () => {
    const xml = inPayment(threePayments(version), 'ONTZ-00000002', 'Ccy="EUR"', 'Ccy="USD"');
    expectRefused(xml, version, 'currency', 'ONTZ-00000002');
  });

  it('refuses an execution date on a weekend or TARGET2 holiday, in the past, or more than a year ahead', () => {
    const saturday = buildPain001(aBatch([aPayment(1, { executionDate: '2026-07-04' })]), { version });
    const weekend = expectRefused(saturday, version, 'execution_date');
    expect(weekend.message).toMatch(/^PmtInf ONTZ-20260626-0001-1 \(payment ONTZ-00000001\): execution date 2026-07-04 is not a TARGET2 business day/);
    expect(weekend.endToEndIds).toEqual(['ONTZ-00000001']);
    const goodFriday = buildPain001(aBatch([aPayment(1, { executionDate: '2027-03-26' })]), { version });
    expectRefused(goodFriday, version, 'execution_date');
    const past = buildPain001(aBatch([aPayment(1, { executionDate: '2026-06-25' })]), { version });
    expect(expectRefused(past, version, 'execution_date').message).toMatch(/before today/);
    const tooFar = buildPain001(aBatch([aPayment(1, { executionDate: '2027-06-28' })]), { version });
    expect(expectRefused(tooFar, version, 'execution_date').message).toMatch(/more than one year ahead/);
    const yearAhead = buildPain001(aBatch([aPayment(1, { executionDate: '2027-06-25' })]), { version });
    expect(validatePain001(yearAhead, version, { today: TODAY }).errors).toEqual([]);
  });

  it('recomputes NbOfTxs and CtrlSum from integer cents at group and PmtInf level', () => {
    const good = threePayments(version);
    const groupCount = good.replace('<NbOfTxs>3</NbOfTxs>', '<NbOfTxs>4</NbOfTxs>');
    expect(expectRefused(groupCount, version, 'number_of_transactions').message).toMatch(/group header NbOfTxs says 4, the file holds 3/);
    const blockCount = good.replace(/(<PmtInf>[\s\S]*?)<NbOfTxs>3<\/NbOfTxs>/, '$1<NbOfTxs>2</NbOfTxs>');
    expect(expectRefused(blockCount, version, 'number_of_transactions').paymentInfoId).toBe('ONTZ-20260626-0001-1');
    const groupSum = good.replace('<CtrlSum>1560.00</CtrlSum>', '<CtrlSum>1560.01</CtrlSum>');
    expect(expectRefused(groupSum, version, 'control_sum').message).toMatch(/says 1560.01, the payments add up to 1560.00/);
    const blockSum = good.replace(/(<PmtInf>[\s\S]*?)<CtrlSum>1560.00<\/CtrlSum>/, '$1<CtrlSum>1559.99</CtrlSum>');
    expect(expectRefused(blockSum, version, 'control_sum').paymentInfoId).toBe('ONTZ-20260626-0001-1');
  });

  it('refuses characters outside the EPC set, naming the payment', () => {
    const xml = inPayment(threePayments(version), 'ONTZ-00000002', '<Nm>Woonbron</Nm>', '<Nm>Woonbron &amp; Co "Zuid"</Nm>');
    expect(expectRefused(xml, version, 'epc_characters', 'ONTZ-00000002').message).toContain('Woonbron & Co "Zuid"');
  });

  it('refuses an EndToEndId with "//" and one used twice', () => {
    const slashes = inPayment(threePayments(version), 'ONTZ-00000002', '<EndToEndId>ONTZ-00000002<', '<EndToEndId>ONTZ//2<');
    expectRefused(slashes, version, 'identifier', 'ONTZ//2');
    const twice = inPayment(threePayments(version), 'ONTZ-00000002', '<EndToEndId>ONTZ-00000002<', '<EndToEndId>ONTZ-00000001<');
    expectRefused(twice, version, 'duplicate_id', 'ONTZ-00000001');
  });

  it('refuses structured references with a wrong check digit', () => {
    const kenmerk = threePayments(version, { remittance: { kind: 'structured', issuer: 'CUR', reference: '4010002167010010' } });
    expect(expectRefused(kenmerk, version, 'structured_reference', 'ONTZ-00000002').message).toMatch(/betalingskenmerk/);
    const rf = threePayments(version, { remittance: { kind: 'structured', issuer: 'ISO', reference: 'RF19539007547034' } });
    expect(expectRefused(rf, version, 'structured_reference', 'ONTZ-00000002').message).toMatch(/ISO 11649/);
    const rfAsKenmerk = threePayments(version, { remittance: { kind: 'structured', issuer: 'CUR', reference: 'RF18539007547034' } });
    expectRefused(rfAsKenmerk, version, 'structured_reference', 'ONTZ-00000002');
  });

  it('refuses a file in the other version\'s namespace', () => {
    const other: Pain001Version = version === '03' ? '09' : '03';
    const xml = threePayments(other);
    expectRefused(xml, version, 'namespace');
    expectRefused(xml, version, 'xsd');
  });

  it('refuses a postal address without a town or with a country that is not a code', () => {
    const xml = inPayment(threePayments(version), 'ONTZ-00000002', '<Nm>Woonbron</Nm>', '<Nm>Woonbron</Nm><PstlAdr><StrtNm>Wijnstraat</StrtNm><Ctry>NL</Ctry></PstlAdr>');
    expect(expectRefused(xml, version, 'address', 'ONTZ-00000002').message).toMatch(/town \(TwnNm\)/);
  });

  it('refuses a declared encoding other than UTF-8', () => {
    expectRefused(threePayments(version).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'), version, 'encoding');
  });

  it('names every payment of a block refused as a whole, and only the first few in the message', () => {
    const payments = Array.from({ length: 5 }, (_, n) => aPayment(n + 1, { executionDate: '2026-07-04' }));
    const error = expectRefused(buildPain001(aBatch(payments), { version }), version, 'execution_date');
    expect(error.endToEndIds).toHaveLength(5);
    expect(error.message).toMatch(/\(payments ONTZ-00000001, ONTZ-00000002, ONTZ-00000003 and 2 more\)/);
  });

  it('refuses a byte order mark', () => {
    expectRefused(`\ufeff${threePayments(version)}`, version, 'encoding');
  });

  it('names the payment in XSD errors inside a transaction', () => {
    const xml = inPayment(threePayments(version), 'ONTZ-00000002', '<IBAN>', '<IBAN>nl');
    const error = expectRefused(xml, version, 'xsd', 'ONTZ-00000002');
    expect(error.message).toMatch(/^payment ONTZ-00000002: XSD: .*IBAN/);
  });

  it('reports a file that is not XML instead of throwing', () => {
    const result = validatePain001('not xml at all', version, { today: TODAY });
    expect(result.valid).toBe(false);
    expect(result.errors.map((e) => e.rule)).toContain('xsd');
  });
});
