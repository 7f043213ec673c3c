import { describe, expect, it } from 'vitest';
import { readCamt } from '../../src/camt/index.js';
import { fixture } from './builder.js';

describe('files as Dutch banks send them', () => {
  it('ING: an AC04 return is a credit sharing AcctSvcrRef and amount with the payment it returns, and both stay', () => {
    const statement = readCamt(fixture('ing-return.camt053.xml')).statements[0]!;
    const [payment, returned] = statement.entries;
    expect(payment).toMatchObject({ creditDebit: 'DBIT', accountServicerReference: '20250103-0000042', amountText: '100.00' });
    expect(returned).toMatchObject({
      creditDebit: 'CRDT',
      accountServicerReference: '20250103-0000042',
      amountText: '100.00',
      bookingDate: '2025-01-03',
      valueDate: '2024-12-20',
      bankTransactionCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'RRTN', proprietaryCode: '00190', proprietaryIssuer: 'INGGroup' },
      keywords: { RTYP: 'RTRN', RTRN: 'AC04', EREF: 'ONT-2025-0001', MARF: 'NOTPROVIDED' },
      entryIndex: 1,
    });
    expect(returned!.details[0]!.returnInfo).toEqual({
      reasonCode: 'AC04',
      reasonProprietary: null,
      additionalInfo: 'Rekening opgeheven',
      originalEndToEndId: 'ONT-2025-0001',
      originalBankTransactionCode: null,
    });
    expect(payment!.details[0]!.unstructured).toBe('Huur januari 2025 dossier 4711');
  });

  it('ING: NOTPROVIDED is no EndToEndId, and a betalingskenmerk and RF references carry a check-digit flag', () => {
    const entries = readCamt(fixture('ing-return.camt053.xml')).statements[0]!.entries;
    const toeslag = entries[2]!.details[0]!;
    expect(toeslag.endToEndId).toBeNull();
    expect(toeslag.ultimateDebtor).toBe('Belastingdienst/Toeslagen');
    expect(toeslag.creditorReferences).toEqual([
      { type: 'SCOR', issuer: 'CUR', reference: '5010002167010010', scheme: 'betalingskenmerk', checkDigitsValid: true },
    ]);
    expect(entries[3]!.details[0]!.creditorReferences.map((r) => [r.reference, r.scheme, r.checkDigitsValid])).toEqual([
      ['RF18539007547034', 'iso11649', true],
      ['RF19539007547034', 'iso11649', false],
    ]);
  });

  it('ING: the pending entry is recorded, not booked, and left out of the balance check', () => {
    const statement = readCamt(fixture('ing-return.camt053.xml')).statements[0]!;
    expect(statement.entries[4]).toMatchObject({ status: 'PDNG', booked: false, bookingDate: null, valueDate: '2025-01-06' });
    expect(statement.openingBalance?.type).toBe('PRCD');
    expect(statement.balanceCheck.status).toBe('ok');
    expect(statement.balanceCheck.expectedClosing?.toString()).toBe('1262.50');
    expect(statement.problems).toEqual([]);
  });

  it('ABN AMRO: a batch without details keeps PmtInfId, count and total for reconciliation', () => {
    const document = readCamt(fixture('abnamro-batch.camt053.xml'));
    const statement = document.statements[0]!;
    expect(statement).toMatchObject({ copyDuplicate: 'DUPL', electronicSequenceNumber: '31', legalSequenceNumber: null });
    const batch = statement.entries[0]!;
    expect(batch.details).toEqual([]);
    expect(batch.batches).toMatchObject([{ messageId: 'ONT-MSG-2025-01-31', paymentInformationId: 'ONT-BATCH-7', numberOfTransactions: '2', creditDebit: 'DBIT' }]);
    expect(batch.batches[0]!.totalAmount?.toString()).toBe('1200.00');
    expect(batch.signedAmount?.toString()).toBe('-1200.00');
    expect(batch.keywords).toEqual({ TRTP: 'SEPA BATCH SALARIS', PREF: 'ONT-BATCH-7', NRTX: '2' });
    expect(batch.bankTransactionCode).toMatchObject({ proprietaryCode: 'N658', proprietaryIssuer: 'ABNAMRO' });
    expect(batch.problems).toEqual([]);
    expect(statement.balanceCheck.status).toBe('ok');
  });

  it('ABN AMRO: details that do not add up to their entry are reported with the difference', () => {
    const entry = readCamt(fixture('abnamro-batch.camt053.xml')).statements[0]!.entries[1]!;
    expect(entry.details.map((d) => d.amount?.toString())).toEqual(['60.00', '40.00']);
    expect(entry.problems).toEqual([
      {
        code: 'detail_amounts_differ',
        severity: 'warning',
        message: 'Statement 1 ("0417164300.2025-01-31"), entry 2, line 53: the 2 transaction details add up to 100.00, the entry is 95.00; difference -5.00 (bank charges?).',
        line: 53,
        statementIndex: 0,
        entryIndex: 1,
      },
    ]);
  });

  it('ABN AMRO: reads an ISO-8859-15 file with € and accented names', () => {
    const document = readCamt(fixture('latin9.camt053.xml'));
    expect(document.encoding).toBe('iso-8859-15');
    const entry = document.statements[0]!.entries[0]!;
    expect(entry.details[0]!.debtor.name).toBe('Aimée Müller-Çelik');
    expect(entry.details[0]!.unstructured).toBe('Terugbetaling € 42 voor Zoë');
    expect(entry.keywords).toEqual({ TRTP: 'SEPA OVERBOEKING', NAME: 'Aimée Müller-Çelik', REMI: 'Terugbetaling € 42' });
  });

  it('reads a namespace-prefixed .08 statement, with references and a DtTm booking date', () => {
    const document = readCamt(fixture('prefixed.camt053.v8.xml'));
    expect(document).toMatchObject({ messageName: 'camt.053.001.08', namespace: 'urn:iso:std:iso:20022:tech:xsd:camt.053.001.08', warnings: [] });
    const entry = document.statements[0]!.entries[0]!;
    expect(entry).toMatchObject({ entryReference: '7', bookingDate: '2025-02-04', bookingDateTime: '2025-02-04T00:10:00+01:00', valueDate: '2025-02-03' });
    expect(entry.details[0]).toMatchObject({
      instructionId: 'GEM-INSTR-1',
      endToEndId: 'BIJSTAND-2025-02-123',
      debtor: { name: 'Gemeente Voorbeeld', iban: 'NL02ABNA0123456789' },
      unstructured: 'Bijstand februari 2025 & toeslag é€',
    });
    // A statement without balances is read, and the missing balances are said out loud.
    expect(document.statements[0]!.problems.map((p) => p.code)).toEqual(['balance_missing']);
  });

  it('reads a camt.054 .08 notification: Sts/Cd, Pty names, ultimate parties, reversal, 01.00', () => {
    const document = readCamt(fixture('notification.camt054.v8.xml'));
    expect(document).toMatchObject({ kind: 'camt.054', version: '08', messageId: 'NTF-20250205-01' });
    const statement = document.statements[0]!;
    expect(statement.balanceCheck.status).toBe('not_applicable');
    const [reversal, info] = statement.entries;
    expect(reversal).toMatchObject({ status: 'BOOK', reversal: true, amountText: '01.00', accountServicerReference: 'NTF-REF-1' });
    expect(reversal!.amount?.toString()).toBe('1.00');
    expect(reversal!.details[0]).toMatchObject({
      messageId: 'M-1',
      paymentInformationId: 'P-1',
      endToEndId: 'E2E-054',
      debtor: { name: 'Sociale Verzekeringsbank', iban: 'NL02ABNA0123456789' },
      ultimateDebtor: 'SVB Kinderbijslag',
      creditor: { name: 'Budgetbeheer Voorbeeld', iban: 'NL91ABNA0417164300' },
      ultimateCreditor: 'A. Cliënt',
    });
    expect(reversal!.problems).toEqual([]);
    expect(info).toMatchObject({ status: 'INFO', booked: false });
    expect(document.summary).toEqual({ statements: 1, entries: 2, booked: 1, errors: 0, warnings: 0 });
  });
});
