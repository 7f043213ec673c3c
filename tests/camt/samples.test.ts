import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readCamt } from '../../src/camt/index.js';
import { fixture } from './builder.js';
import { refusal } from './support.js';

const samples = readdirSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'camt')).filter((f) => f.startsWith('genkgo_'));

describe('the ISO 20022 samples', () => {
  it('are all there', () => {
    expect(samples).toHaveLength(18);
  });

  it.each(samples.filter((f) => !f.includes('wrong')))('reads %s completely', (name) => {
    const document = readCamt(fixture(name));
    expect(document.statements.length).toBeGreaterThan(0);
    expect(document.messageId).not.toBe('');
    for (const statement of document.statements) expect(statement.account.iban).toMatch(/^[A-Z]{2}\d{2}/);
  });

  it('refuses the one without a statement', () => {
    const error = refusal(() => readCamt(fixture('genkgo_camt_camt053.v2.wrong.xml')));
    expect(error.code).toBe('no_statements');
    expect(error.message).toBe('The file holds no Stmt element: there is nothing to read.');
  });

  it('reads a .02 statement: identity, balances, entry, parties and a structured reference', () => {
    const document = readCamt(fixture('genkgo_camt_camt053.v2.minimal.xml'));
    expect(document).toMatchObject({ kind: 'camt.053', messageName: 'camt.053.001.02', messageId: 'CAMT053RIB000000000001', createdAt: '2015-03-10T18:43:50+00:00' });
    const [statement] = document.statements;
    expect(statement).toMatchObject({
      id: '253EURNL26VAYB8060476890',
      electronicSequenceNumber: '12312',
      legalSequenceNumber: '12312',
      copyDuplicate: 'CODU',
      fromDateTime: '2007-10-18T08:00:00+01:00',
      account: { iban: 'NL26VAYB8060476890', currency: 'EUR' },
    });
    expect(statement!.openingBalance?.signedAmount?.toString()).toBe('18.15');
    // The closing balance is in SEK: not a euro amount, so the check is not made and says so.
    expect(statement!.closingBalance).toMatchObject({ type: 'CLBD', amount: null, currency: 'SEK', amountText: '27.00', creditDebit: 'DBIT' });
    expect(statement!.balanceCheck.status).toBe('not_checked');
    expect(statement!.problems.map((p) => p.code)).toEqual(['balance_not_checked']);
    const [entry] = statement!.entries;
    expect(entry).toMatchObject({
      amountText: '8.85',
      creditDebit: 'CRDT',
      reversal: false,
      status: 'BOOK',
      booked: true,
      bookingDate: '2014-12-31',
      valueDate: '2015-01-02',
      bankTransactionCode: { domain: null, proprietaryCode: '544' },
    });
    expect(entry!.amount?.toString()).toBe('8.85');
    const [detail] = entry!.details;
    expect(detail).toMatchObject({
      debtor: { name: 'NAME NAME', iban: 'NL56AGDH9619008421' },
      creditor: { name: 'Company Name', iban: 'NL56AGDH9619008421' },
      creditorReferences: [{ type: 'SCOR', issuer: 'BBA', reference: '4654654654654654', scheme: 'other', checkDigitsValid: null }],
      amount: null,
    });
  });

  it('reads two statements of one file, each with its own position', () => {
    const document = readCamt(fixture('genkgo_camt_camt053.v2.multi.statement.xml'));
    expect(document.statements).toHaveLength(2);
    expect(document.statements.map((s) => s.index)).toEqual([0, 1]);
    expect(document.statements[1]!.entries[0]).toMatchObject({ statementIndex: 1, entryIndex: 0 });
    expect(document.summary).toMatchObject({ statements: 2, entries: 2, booked: 2 });
  });

  it('reads the .08 shapes: Sts/Cd and Dbtr/Pty/Nm', () => {
    const document = readCamt(fixture('genkgo_camt_camt053.v8.xml'));
    const entry = document.statements[0]!.entries[0]!;
    expect(entry.status).toBe('BOOK');
    expect(entry.details[0]!.debtor.name).not.toBeNull();
  });

  it('flags sub-cent amounts instead of rounding them (five decimals sample)', () => {
    const statement = readCamt(fixture('genkgo_camt_camt053.v2.five.decimals.xml')).statements[0]!;
    // 18.150 + 8.850 = 27.000, but the bank reports 27.050.
    expect(statement.entries[0]!.amount?.toString()).toBe('8.85');
    expect(statement.balanceCheck).toMatchObject({ status: 'mismatch' });
    expect(statement.balanceCheck.difference?.toString()).toBe('0.05');
  });

  it('reads a camt.054 with a batch and three details, and reports what does not add up', () => {
    const document = readCamt(fixture('genkgo_camt_camt054.v8.xml'));
    expect(document).toMatchObject({ kind: 'camt.054', version: '08' });
    const entry = document.statements[0]!.entries[0]!;
    expect(entry.batches).toEqual([
      {
        messageId: 'UXC06170000006',
        paymentInformationId: 'UXC06170000006PI00001',
        numberOfTransactions: '2',
        totalAmount: null,
        totalAmountText: '6.3',
        totalCurrency: 'CHF',
        creditDebit: 'DBIT',
      },
    ]);
    expect(entry.details).toHaveLength(3);
    expect(entry.details[2]).toMatchObject({
      detailIndex: 2,
      instructionId: 'UXC06170000006PI00001II00002',
      endToEndId: 'UXC06170000006PI00001EE00002',
      unstructured: 'Unstructured Remittance Information V3 block 1 Unstructured Remittance Information V3 block 2',
      additionalRemittanceInfo: 'Additional Remittance Information V3 block 1 Additional Remittance Information V3 block 2',
      creditor: { name: 'Example Creditor 3 - V3', iban: 'CH7212345003232323232' },
      currency: 'CHF',
      amount: null,
    });
    expect(entry.problems.map((p) => p.code)).toEqual([
      'unsupported_currency',
      'unsupported_currency',
      'unsupported_currency',
      'unsupported_currency',
      'unsupported_currency',
      'batch_count_differs',
    ]);
    expect(entry.problems[0]!.message).toBe(
      'Statement 1 ("AAAASESS-FP-ACCR001"), entry 1, line 64: the amount 200000 is in SEK; only EUR is booked, so this is left for a person.',
    );
  });

  it('flags a BOOK entry without booking date instead of refusing the file', () => {
    const entry = readCamt(fixture('genkgo_camt_camt054.v8-with-UETR.xml')).statements[0]!.entries[0]!;
    expect(entry.bookingDate).toBeNull();
    expect(entry.details[0]!.uetr).toBe('255ae394-9965-4438-ac86-f406feada396');
    expect(entry.problems.map((p) => [p.code, p.severity])).toContainEqual(['missing_booking_date', 'error']);
  });

  it('takes a valid IBAN written as Othr/Id, with a warning', () => {
    const statement = readCamt(fixture('genkgo_camt_camt054.v2.xml')).statements[0]!;
    expect(statement.account.iban).toBe('CH2801234000123456789');
    expect(statement.problems[0]).toMatchObject({ code: 'iban_as_other_id', severity: 'warning', line: 40 });
    expect(statement.entries[0]).toMatchObject({ bookingDate: '2007-10-18', bookingDateTime: '2007-10-18T13:15:00+01:00' });
  });

  it('reads a balance dated with DtTm', () => {
    const statement = readCamt(fixture('genkgo_camt_camt53.only-Dt-with-DtTm.xml')).statements[0]!;
    expect(statement.openingBalance).toMatchObject({ date: '2025-07-23', currency: 'RON', amount: null });
    expect(statement.entries).toEqual([]);
  });

  it('reports XSD deviations as warnings and still reads the file', () => {
    const text = new TextDecoder().decode(fixture('genkgo_camt_camt053.v2.minimal.xml')).replace('<AddtlStmtInf>', '<Purp/><AddtlStmtInf>');
    const document = readCamt(new TextEncoder().encode(text), { checkSchema: true });
    expect(document.statements[0]!.entries).toHaveLength(1);
    expect(document.warnings).toHaveLength(1);
    expect(document.warnings[0]).toMatchObject({ code: 'schema_deviation', severity: 'warning', line: 170 });
    expect(document.warnings[0]!.message).toMatch(/^Deviation from the camt.053.001.02 XSD at line 170: .*Purp/);
  });

  it('passes the XSD check on a valid sample', () => {
    const document = readCamt(fixture('genkgo_camt_camt053.v2.minimal.xml'), { checkSchema: true });
    expect(document.schemaChecked).toBe(true);
    expect(document.warnings).toEqual([]);
  });
});
