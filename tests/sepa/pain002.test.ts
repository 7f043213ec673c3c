import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { writeCamt } from '../../src/demo/bank-statement.js';
import { looksLikePain002, readPain002, type PaymentStatusCode } from '../../src/sepa/pain002.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`../fixtures/pain002/${name}`, import.meta.url));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

function refusal(bytes: Uint8Array): { code: string; message: string; line?: number } {
  try {
    readPain002(bytes);
  } catch (error) {
    return error as { code: string; message: string; line?: number };
  }
  throw new Error('the report was read');
}

describe('reading a pain.002 status report', () => {
  it('reads a .03 rejection of a whole file: the original MsgId, RJCT and the reason with the bank\'s words', () => {
    const report = readPain002(fixture('group-rejected.03.xml'));
    expect(report).toMatchObject({
      version: '03',
      messageName: 'pain.002.001.03',
      messageId: 'BNG-STS-20270104-0001',
      createdAt: '2027-01-04T08:12:31',
      originalMessageId: 'OZB-0000000042',
      originalMessageName: 'pain.001.001.03',
      originalNumberOfTransactions: '3',
      originalControlSum: '1055.50',
      groupStatus: 'RJCT',
      groupReasons: [{ code: 'DU01', proprietary: null, explanation: ['Message identification already used'] }],
      paymentInformation: [],
      transactionCount: 0,
    });
  });

  it('reads a .10 partial rejection written with a namespace prefix: block and payment statuses, reasons, amounts to the cent', () => {
    const report = readPain002(fixture('partial.10.xml'));
    expect(report.messageName).toBe('pain.002.001.10');
    expect(report.groupStatus).toBe('PART');
    expect(report.paymentInformation).toHaveLength(1);
    const [block] = report.paymentInformation;
    expect(block).toMatchObject({ originalPaymentInformationId: 'OZB-0000000043-1', status: 'PART', reasons: [] });
    expect(block!.transactions.map((t) => [t.originalEndToEndId, t.status, t.reasons[0]?.code ?? null, t.amountCents])).toEqual([
      ['OZ-101', 'RJCT', 'AM04', 72000n],
      ['OZ-102', 'RJCT', 'AC01', 17550n],
      ['OZ-103', 'ACSP', null, null],
    ]);
    expect(block!.transactions[0]).toMatchObject({ originalInstructionId: 'OZ-101', currency: 'EUR', requestedExecutionDate: '2027-01-05', creditorName: 'Woonbron', creditorIban: 'NL69INGB0123456789' });
    expect(block!.transactions[1]!.reasons[0]!.explanation).toEqual(['Creditor account number', 'invalid']);
    expect(block!.transactions[1]!.line).toBeGreaterThan(block!.transactions[0]!.line);
    expect(report.transactionCount).toBe(3);
  });

  it('reads an acceptance of the whole file without details', () => {
    expect(readPain002(fixture('accepted.03.xml'))).toMatchObject({ groupStatus: 'ACTC', originalMessageId: 'OZB-0000000044', paymentInformation: [] });
  });

  it('tells a pain.002 from a bank statement by its namespace', () => {
    expect(looksLikePain002(fixture('partial.10.xml'))).toBe(true);
    expect(looksLikePain002(fixture('group-rejected.03.xml'))).toBe(true);
    const camt = utf8(writeCamt({ kind: 'camt.053', messageId: 'M-1', createdAt: '2027-01-04T06:00:00', statements: [{ id: 'S-1', iban: 'NL91ABNA0417164300', entries: [] }] }));
    expect(looksLikePain002(camt)).toBe(false);
    expect(refusal(camt)).toMatchObject({ code: 'not_a_status_report', message: expect.stringContaining('camt.053') as unknown });
  });
});

describe('hostile and broken status reports are refused before anything is read', () => {
  it('refuses an external entity (XXE) without touching the file system', () => {
    expect(refusal(fixture('xxe.xml'))).toMatchObject({ code: 'doctype_not_allowed', line: 2 });
  });

  it('refuses an entity bomb at once', () => {
    const started = process.hrtime.bigint();
    expect(refusal(fixture('entity-bomb.xml'))).toMatchObject({ code: 'doctype_not_allowed' });
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1_000);
  });

  it('refuses a DOCTYPE hidden after 64 KB of comment, and an entity reference without one', () => {
    const hidden = `<?xml version="1.0"?>\n<!--${' '.repeat(70_000)}-->\n<!DOCTYPE Document [<!ENTITY x "y">]>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"/>`;
    expect(refusal(utf8(hidden)).code).toBe('doctype_not_allowed');
    const undeclared = readFileSync(new URL('../fixtures/pain002/group-rejected.03.xml', import.meta.url), 'utf8').replace('BNG-STS-20270104-0001', '&secret;');
    expect(refusal(utf8(undeclared))).toMatchObject({ code: 'not_well_formed', line: 6 });
  });

  it('refuses another message version, a missing original MsgId, an unknown status and an amount below the cent, saying where', () => {
    const base = fixture('partial.10.xml').toString('utf8');
    expect(refusal(utf8(base.replaceAll('pain.002.001.10', 'pain.002.001.05')))).toMatchObject({ code: 'not_a_status_report', message: expect.stringContaining('pain.002.001.03 and pain.002.001.10') as unknown });
    expect(refusal(utf8(base.replace(/<ns2:OrgnlMsgId>.*<\/ns2:OrgnlMsgId>/, '')))).toMatchObject({ code: 'missing_field', message: expect.stringContaining('OrgnlGrpInfAndSts/OrgnlMsgId') as unknown });
    expect(refusal(utf8(base.replace('<ns2:TxSts>ACSP</ns2:TxSts>', '<ns2:TxSts>OKAY</ns2:TxSts>')))).toMatchObject({ code: 'invalid_value', line: 55 });
    expect(refusal(utf8(base.replace('175.500', '175.505')))).toMatchObject({ code: 'invalid_value', message: expect.stringContaining('175.505') as unknown });
    expect(refusal(new Uint8Array())).toMatchObject({ code: 'empty_file' });
    expect(refusal(utf8('<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'))).toMatchObject({ code: 'not_well_formed' });
  });
});

describe('what a report says is what is read', () => {
  const statuses: PaymentStatusCode[] = ['ACCP', 'ACSC', 'ACSP', 'ACTC', 'PDNG', 'RCVD', 'RJCT'];
  const id = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9-]{0,33}$/);
  const payment = fc.record({ endToEndId: id, status: fc.constantFrom(...statuses), reason: fc.option(fc.constantFrom('AM04', 'AC01', 'AC04', 'FF01', 'NARR'), { nil: undefined }), cents: fc.bigInt({ min: 1n, max: 99_999_999_999n }) });

  it('gives back every id, status, reason and amount written, in .03 and .10, with and without a prefix', () => {
    fc.assert(
      fc.property(fc.constantFrom('03', '10'), fc.constantFrom('', 'p:'), id, fc.array(payment, { minLength: 1, maxLength: 8 }), (version, prefix, messageId, payments) => {
        const t = (name: string, inner: string) => `<${prefix}${name}>${inner}</${prefix}${name}>`;
        const amount = (cents: bigint) => `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
        const transactions = payments
          .map((p) => t('TxInfAndSts', t('OrgnlEndToEndId', p.endToEndId) + t('TxSts', p.status) + (p.reason ? t('StsRsnInf', t('Rsn', t('Cd', p.reason))) : '') + t('OrgnlTxRef', t('Amt', `<${prefix}InstdAmt Ccy="EUR">${amount(p.cents)}</${prefix}InstdAmt>`))))
          .join('\n');
        const xmlns = prefix ? `xmlns:${prefix.slice(0, -1)}` : 'xmlns';
        const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<${prefix}Document ${xmlns}="urn:iso:std:iso:20022:tech:xsd:pain.002.001.${version}">${t('CstmrPmtStsRpt', t('GrpHdr', t('MsgId', messageId) + t('CreDtTm', '2027-01-04T08:00:00')) + t('OrgnlGrpInfAndSts', t('OrgnlMsgId', 'OZB-1') + t('OrgnlMsgNmId', 'pain.001.001.09') + t('GrpSts', 'PART')) + t('OrgnlPmtInfAndSts', t('OrgnlPmtInfId', 'OZB-1-1') + t('PmtInfSts', 'PART') + transactions))}</${prefix}Document>`;
        const report = readPain002(utf8(xml));
        expect(report.messageId).toBe(messageId);
        expect(report.paymentInformation[0]!.transactions.map((x) => [x.originalEndToEndId, x.status, x.reasons[0]?.code, x.amountCents])).toEqual(payments.map((p) => [p.endToEndId, p.status, p.reason, p.cents]));
      }),
      { numRuns: 200 },
    );
  });
});
