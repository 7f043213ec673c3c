import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { makeBetalingskenmerk, makeRfReference } from '../../src/references/index.js';
import {
  buildAndValidatePain001Files,
  buildPain001,
  isEpcText,
  sha256Hex,
  validatePain001,
  type CreditTransfer,
  type Pain001Error,
  type Pain001Rule,
  type Pain001Version,
  type ValidatedPain001File,
} from '../../src/sepa/index.js';
import { validateXml } from '../../src/xml/xsd.js';
import { aBatch, aPayment, ibanFor, SERVICE_ACCOUNT, TODAY } from './builders.js';

const VERSIONS: Pain001Version[] = ['03', '09'];

function release(payments: CreditTransfer[], version: Pain001Version, batch: Parameters<typeof aBatch>[1] = {}): ValidatedPain001File {
  const files = buildAndValidatePain001Files(aBatch(payments, batch), { version, today: TODAY });
  expect(files).toHaveLength(1);
  return files[0] as ValidatedPain001File;
}

function expectRefused(file: ValidatedPain001File, rule: Pain001Rule, endToEndId: string): Pain001Error {
  expect(file.validation.valid).toBe(false);
  const error = file.validation.errors.find((e) => e.rule === rule && (e.endToEndId === endToEndId || e.endToEndIds?.includes(endToEndId)));
  expect(error, `${rule} for ${endToEndId} in ${JSON.stringify(file.validation.errors, null, 1)}`).toBeDefined();
  expect(error?.message).toContain(endToEndId);
  return error as Pain001Error;
}

/** Clients as the BRP spells them, some shown to people in their own script; landlords with `&` and quotes. */
const PEOPLE: CreditTransfer['creditor'][] = [
  { name: 'Şükrü Öztürk-Çağlayan', iban: ibanFor(1) },
  { name: 'İlkay Işık', iban: ibanFor(2) },
  { name: 'Łucja Wiśniewska-Żółkiewska', iban: ibanFor(3) },
  { name: 'Grzegorz Brzęczyszczykiewicz', iban: ibanFor(4) },
  { name: 'Олександр Шевченко', iban: ibanFor(5) },
  { name: 'Щукина Жанна Юрьевна', iban: ibanFor(6) },
  { name: 'Mohammed Al-Hassan', displayName: 'محمد الحسن', iban: ibanFor(7) },
  { name: 'Tesfay Gebremedhin', displayName: 'ተስፋይ ገብረመድህን', iban: ibanFor(8) },
  { name: 'Woonbron & Co "Zuid"', iban: ibanFor(9) },
];

function aMonthOfPeople(): CreditTransfer[] {
  return PEOPLE.map((creditor, n) =>
    aPayment(n + 1, {
      creditor,
      amount: Money.parse(`${100 + n}.${String(n * 7).padStart(2, '0')}`),
      remittance:
        n % 3 === 0
          ? { kind: 'structured', issuer: 'CUR', reference: makeBetalingskenmerk(`01000216701001${n}`) }
          : n % 3 === 1
            ? { kind: 'structured', issuer: 'ISO', reference: makeRfReference(`HUUR2026${n}`) }
            : { kind: 'unstructured', text: `Leefgeld week 27 – ${creditor.name} – Łódź/Київ “vaste lasten”` },
    }),
  );
}

describe.each(VERSIONS)('the release gate for pain.001.001.%s', (version) => {
  it('builds, checks and hashes a file in one call: valid, the same bytes as buildPain001, the SHA-256 of those bytes', () => {
    const file = release(aMonthOfPeople(), version);
    expect(file.validation.errors).toEqual([]);
    expect(file.validation.valid).toBe(true);
    expect(file.xml).toBe(buildPain001(aBatch(aMonthOfPeople()), { version }));
    expect(file.sha256).toBe(sha256Hex(file.bytes));
    expect(file.validation.sha256).toBe(file.sha256);
    expect(file.validation.numberOfTransactions).toBe(PEOPLE.length);
    expect(file.validation.controlSum.equals(file.controlSum)).toBe(true);
    // the same batch again: the same bytes, the same hash
    expect(release(aMonthOfPeople(), version).sha256).toBe(file.sha256);
    // and an independent check of the same bytes agrees
    expect(validatePain001(file.bytes, version, { today: TODAY }).errors).toEqual([]);
  });

  it('writes Turkish, Polish and Cyrillic names in the EPC set, and the Latin spelling of Arabic and Tigrinya display names', () => {
    const file = release(aMonthOfPeople(), version);
    const names = [...file.xml.matchAll(/<Cdtr>\s*<Nm>([^<]*)<\/Nm>/g)].map((m) => m[1]);
    expect(names).toEqual([
      'Sukru Ozturk-Caglayan',
      'Ilkay Isik',
      'Lucja Wisniewska-Zolkiewska',
      'Grzegorz Brzeczyszczykiewicz',
      'Oleksandr Shevchenko',
      'Shtukina Zhanna Yuryevna',
      'Mohammed Al-Hassan',
      'Tesfay Gebremedhin',
      "Woonbron + Co 'Zuid'",
    ]);
    expect(file.xml).not.toMatch(/[\u0600-\u06ff\u1200-\u137f]/); // no Arabic, no Ge'ez: display names never go out
    for (const text of file.xml.matchAll(/<(?:Nm|Ustrd)>([^<]*)</g)) expect(isEpcText(text[1] as string), text[1]).toBe(true);
    expect(file.xml).toContain("<Ustrd>Leefgeld week 27 - Lucja Wisniewska-Zolkiewska - Lodz/Kiyiv 'vaste lasten'</Ustrd>");
    expect(validateXml(file.xml, `pain.001.001.${version}`).valid).toBe(true);
  });

  it('cuts names to 70, free text to 140 after transliteration (Щ is three letters), and takes 35-character ids', () => {
    const longName = 'Щербакова-Шевчук '.repeat(8);
    const longText = `Huur ${'Щ'.repeat(60)} ${'Øresund '.repeat(10)}`;
    const id = 'E'.repeat(35);
    const file = release([aPayment(1, { endToEndId: id, creditor: { name: longName, iban: ibanFor(1) }, remittance: { kind: 'unstructured', text: longText } })], version);
    expect(file.validation.errors).toEqual([]);
    const name = /<Cdtr>\s*<Nm>([^<]*)</.exec(file.xml)?.[1] ?? '';
    const ustrd = /<Ustrd>([^<]*)</.exec(file.xml)?.[1] ?? '';
    expect(name.length).toBeLessThanOrEqual(70);
    expect(name.startsWith('Shterbakova-Shevchuk Shterbakova')).toBe(true);
    expect(ustrd.length).toBeLessThanOrEqual(140);
    expect(ustrd.length).toBeGreaterThan(130);
    expect(ustrd.startsWith(`Huur ${'SHT'.repeat(10)}`)).toBe(true);
    expect(file.xml).toContain(`<EndToEndId>${id}</EndToEndId>`);
  });

  it('puts urgent payments in their own SCT Inst block (LclInstrm INST), next to the regular one of the same day and account', () => {
    const file = release([aPayment(1), aPayment(2, { instant: true }), aPayment(3), aPayment(4, { instant: true })], version);
    expect(file.validation.errors).toEqual([]);
    expect(file.paymentInfos.map((p) => [p.paymentInfoId, p.instant, p.endToEndIds])).toEqual([
      ['ONTZ-20260626-0001-1', false, ['ONTZ-00000001', 'ONTZ-00000003']],
      ['ONTZ-20260626-0001-2', true, ['ONTZ-00000002', 'ONTZ-00000004']],
    ]);
    const blocks = file.xml.split('<PmtInf>').slice(1);
    expect(blocks[0]).not.toContain('<LclInstrm>');
    expect(blocks[1]).toMatch(/<SvcLvl>\s*<Cd>SEPA<\/Cd>\s*<\/SvcLvl>\s*<LclInstrm>\s*<Cd>INST<\/Cd>\s*<\/LclInstrm>\s*<\/PmtTpInf>/);
  });

  it('lets an instant block execute on a weekend, never a regular one', () => {
    const saturday = '2026-06-27';
    const instant = release([aPayment(1, { executionDate: saturday, instant: true })], version);
    expect(instant.validation.errors).toEqual([]);
    const regular = release([aPayment(1, { executionDate: saturday }), aPayment(2, { executionDate: saturday, instant: true })], version);
    const error = expectRefused(regular, 'execution_date', 'ONTZ-00000001');
    expect(error.message).toMatch(/payment ONTZ-00000001\): execution date 2026-06-27 is not a TARGET2 business day/);
    expect(error.endToEndIds).toEqual(['ONTZ-00000001']);
    expect(regular.validation.errors.some((e) => e.endToEndIds?.includes('ONTZ-00000002'))).toBe(false);
  });

  it('writes the batch booking flag as configured, true by default', () => {
    expect(release([aPayment(1)], version).xml).toContain('<BtchBookg>true</BtchBookg>');
    const single = release([aPayment(1), aPayment(2, { instant: true })], version, { batchBooking: false });
    expect(single.xml.match(/<BtchBookg>false<\/BtchBookg>/g)).toHaveLength(2);
    expect(single.validation.valid).toBe(true);
  });

  it('refuses planted faults, each naming its payment: no creditor account, a bad IBAN checksum, a weekend, a bad reference', () => {
    const file = release(
      [
        aPayment(1),
        aPayment(2, { creditor: { name: 'Woonbron', iban: '' } }),
        aPayment(3, { creditor: { name: 'Eneco', iban: 'NL91ABNA0417164301' } }),
        aPayment(4, { executionDate: '2026-07-04' }),
        aPayment(5, { remittance: { kind: 'structured', issuer: 'ISO', reference: 'RF19539007547034' } }),
        aPayment(6, { remittance: { kind: 'structured', issuer: 'CUR', reference: '4010002167010010' } }),
      ],
      version,
    );
    expectRefused(file, 'creditor_account', 'ONTZ-00000002');
    expect(expectRefused(file, 'iban', 'ONTZ-00000003').message).toContain('NL91ABNA0417164301');
    expectRefused(file, 'execution_date', 'ONTZ-00000004');
    expectRefused(file, 'structured_reference', 'ONTZ-00000005');
    expectRefused(file, 'structured_reference', 'ONTZ-00000006');
    // the report is read back from the bytes: errors carry their line
    expect(file.validation.errors.find((e) => e.rule === 'iban')?.line).toBeGreaterThan(1);
    if (version === '09') expect(file.validation.errors.some((e) => e.rule === 'xsd' && e.endToEndId === 'ONTZ-00000002')).toBe(true);
    // the good payment is not blamed
    expect(file.validation.errors.some((e) => e.endToEndId === 'ONTZ-00000001')).toBe(false);
  });

  it('writes structured addresses in .09 only (BNG takes them only there), and refuses one without a town', () => {
    const address = { streetName: 'Spuiboulevard', buildingNumber: '300', postCode: '3311 GR', townName: 'Dordrecht', country: 'nl' };
    const file = release(
      [aPayment(1, { debtor: { ...SERVICE_ACCOUNT, address }, creditor: { name: 'Şükrü Öztürk', iban: ibanFor(1), address: { townName: 'Zwijndrecht', country: 'NL', streetName: 'Çamlıca straat' } } })],
      version,
    );
    expect(file.validation.errors).toEqual([]);
    if (version === '03') expect(file.xml).not.toContain('<PstlAdr>');
    else {
      expect(file.xml).toMatch(
        /<Dbtr>\s*<Nm>Sociale Dienst Drechtsteden<\/Nm>\s*<PstlAdr>\s*<StrtNm>Spuiboulevard<\/StrtNm>\s*<BldgNb>300<\/BldgNb>\s*<PstCd>3311 GR<\/PstCd>\s*<TwnNm>Dordrecht<\/TwnNm>\s*<Ctry>NL<\/Ctry>\s*<\/PstlAdr>\s*<\/Dbtr>/,
      );
      expect(file.xml).toMatch(/<Cdtr>\s*<Nm>Sukru Ozturk<\/Nm>\s*<PstlAdr>\s*<StrtNm>Camlica straat<\/StrtNm>\s*<TwnNm>Zwijndrecht<\/TwnNm>\s*<Ctry>NL<\/Ctry>/);
    }
    const noTown = release([aPayment(1, { creditor: { name: 'Woonbron', iban: ibanFor(1), address: { townName: 'محمد', country: 'NL' } } })], version);
    if (version === '09') expect(expectRefused(noTown, 'address', 'ONTZ-00000001').message).toMatch(/town \(TwnNm\) and a country/);
    else expect(noTown.validation.valid).toBe(true);
  });

  it('splits above the limit, each file checked on its own', () => {
    const payments = Array.from({ length: 5 }, (_, n) => aPayment(n + 1));
    const files = buildAndValidatePain001Files(aBatch(payments), { version, today: TODAY, maxPaymentsPerFile: 2 });
    expect(files.map((f) => [f.messageId, f.numberOfTransactions, f.validation.valid])).toEqual([
      ['ONTZ-20260626-0001-1', 2, true],
      ['ONTZ-20260626-0001-2', 2, true],
      ['ONTZ-20260626-0001-3', 1, true],
    ]);
  });
});

describe("sepa.js's structured reference shape", () => {
  it('fails both XSDs where ours passes (CdorPrtry holding Issr and Ref)', () => {
    for (const version of VERSIONS) {
      const ours = buildPain001(aBatch([aPayment(1, { remittance: { kind: 'structured', issuer: 'ISO', reference: 'RF18539007547034' } })]), { version });
      const theirs = ours.replace(
        /<Tp>[\s\S]*?<\/CdtrRefInf>/,
        '<Tp><CdorPrtry><Cd>SCOR</Cd><Issr>ISO</Issr><Ref>RF18539007547034</Ref></CdorPrtry></Tp></CdtrRefInf>',
      );
      expect(validateXml(ours, `pain.001.001.${version}`).valid).toBe(true);
      const result = validatePain001(theirs, version, { today: TODAY });
      expect(result.errors.some((e) => e.rule === 'xsd' && e.endToEndId === 'ONTZ-00000001' && /CdorPrtry/.test(e.message))).toBe(true);
    }
  });
});
