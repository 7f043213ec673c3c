import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { makeBetalingskenmerk, makeRfReference, normaliseIban } from '../../src/references/index.js';
import { buildPain001, sha256Hex, validatePain001, type Pain001Version } from '../../src/sepa/index.js';
import { aBatch, aPayment, TODAY } from './builders.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sepa');

function aMixedBatch() {
  return aBatch([
    aPayment(1, { creditor: { name: 'Woonbron & Co "Zuid"', iban: 'NL91 ABNA 0417 1643 00', bic: 'ABNANL2A' }, remittance: { kind: 'structured', issuer: 'CUR', reference: makeBetalingskenmerk('010002167010010') } }),
    aPayment(2, { amount: Money.parse('120.05'), creditor: { name: 'Eneco', iban: 'nl20ingb0001234567' }, remittance: { kind: 'structured', issuer: 'ISO', reference: makeRfReference('539007547034') } }),
    aPayment(3, { amount: Money.parse('0.01'), creditor: { name: 'Şükrü Öztürk', iban: 'DE89370400440532013000' }, remittance: { kind: 'unstructured', text: 'Leefgeld week 27' } }),
    aPayment(4, { amount: Money.parse('999999999.99'), executionDate: '2026-07-01' }),
  ]);
}

interface ParsedTx {
  PmtId: { EndToEndId: string };
  Amt: { InstdAmt: { '#text': string; '@Ccy': string } };
  CdtrAcct: { Id: { IBAN: string } };
}
interface ParsedInfo {
  ReqdExctnDt: string | { Dt: string };
  CdtTrfTxInf: ParsedTx | ParsedTx[];
}
interface ParsedDocument {
  Document: { CstmrCdtTrfInitn: { GrpHdr: { NbOfTxs: string; CtrlSum: string }; PmtInf: ParsedInfo | ParsedInfo[] } };
}

const asArray = <T,>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

describe.each<Pain001Version>(['03', '09'])('pain.001.001.%s read back by an independent parser (fast-xml-parser)', (version) => {
  it('carries every amount, IBAN and id of the instructions', () => {
    const batch = aMixedBatch();
    const xml = buildPain001(batch, { version });
    // Amounts and ids stay strings: no JS number ever holds money.
    const parsed = new XMLParser({ ignoreAttributes: false, parseTagValue: false, attributeNamePrefix: '@' }).parse(xml) as ParsedDocument;
    const root = parsed.Document.CstmrCdtTrfInitn;
    const read = asArray(root.PmtInf).flatMap((info) =>
      asArray(info.CdtTrfTxInf).map((tx) => ({
        endToEndId: tx.PmtId.EndToEndId,
        amount: tx.Amt.InstdAmt['#text'],
        currency: tx.Amt.InstdAmt['@Ccy'],
        iban: tx.CdtrAcct.Id.IBAN,
        executionDate: typeof info.ReqdExctnDt === 'string' ? info.ReqdExctnDt : info.ReqdExctnDt.Dt,
      })),
    );
    const expected = batch.payments.map((p) => ({
      endToEndId: p.endToEndId,
      amount: p.amount.toString(),
      currency: 'EUR',
      iban: normaliseIban(p.creditor.iban),
      executionDate: p.executionDate,
    }));
    expect(read.sort((a, b) => a.endToEndId.localeCompare(b.endToEndId))).toEqual(expected);
    expect(root.GrpHdr.NbOfTxs).toBe('4');
    expect(root.GrpHdr.CtrlSum).toBe(Money.sum(batch.payments.map((p) => p.amount)).toString());
  });

  it('produces exactly the reviewed bytes (golden file; regenerate with UPDATE_GOLDEN=1 and review the diff)', () => {
    const xml = buildPain001(aMixedBatch(), { version });
    const golden = join(fixtures, `mixed.pain.001.001.${version}.xml`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, xml);
    expect(xml).toBe(readFileSync(golden, 'utf8'));
    expect(sha256Hex(xml)).toBe(sha256Hex(readFileSync(golden, 'utf8')));
    expect(validatePain001(readFileSync(golden, 'utf8'), version, { today: TODAY }).errors).toEqual([]);
  });
});
