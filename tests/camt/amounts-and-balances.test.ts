import { describe, expect, it } from 'vitest';
import { readCamt } from '../../src/camt/index.js';
import { bytes, camt053 } from './builder.js';

function read(entries: Parameters<typeof camt053>[0][number]['entries'], balances: { opening?: string; closing?: string } = {}) {
  return readCamt(bytes(camt053([{ ...balances, entries }]))).statements[0]!;
}

describe('amounts are exact, and what cannot be booked as it is, is flagged on its entry', () => {
  it('reads 12.300 as 12.30 and 01.00 as 1.00', () => {
    const [a, b] = read([{ amount: '12.300' }, { amount: '01.00' }]).entries;
    expect(a!.amount?.toString()).toBe('12.30');
    expect(b!.amount?.toString()).toBe('1.00');
    expect([...a!.problems, ...b!.problems]).toEqual([]);
  });

  it('flags 12.345 on its entry, not rounded, and the rest of the file is still read', () => {
    const statement = read([{ amount: '12.345' }, { amount: '5.00' }], { opening: '0.00', closing: '17.35' });
    const [tooPrecise, fine] = statement.entries;
    expect(tooPrecise).toMatchObject({ amount: null, signedAmount: null, amountText: '12.345' });
    expect(tooPrecise!.problems).toEqual([
      {
        code: 'amount_too_precise',
        severity: 'error',
        message: 'Statement 1 ("STMT-1"), entry 1, line 12: the amount 12.345 has more than two significant decimals; it is not rounded, so this is left for a person.',
        line: 12,
        statementIndex: 0,
        entryIndex: 0,
      },
    ]);
    expect(fine!.amount?.toString()).toBe('5.00');
    expect(statement.balanceCheck).toMatchObject({ status: 'not_checked', reason: 'booked entry 1 (line 11) has no usable euro amount' });
  });

  it('flags an entry in another currency as an error for that entry', () => {
    const entry = read([{ amount: '10.00', currency: 'USD' }]).entries[0]!;
    expect(entry).toMatchObject({ amount: null, currency: 'USD', amountText: '10.00' });
    expect(entry.problems.map((p) => [p.code, p.severity])).toEqual([['unsupported_currency', 'error']]);
  });

  it('checks opening + booked entries = closing, debits negative, PDNG left out', () => {
    const statement = read(
      [
        { amount: '100.00', creditDebit: 'DBIT' },
        { amount: '25.50' },
        { amount: '999.99', status: 'PDNG', bookingDate: null },
      ],
      { opening: '-10.00', closing: '-84.50' },
    );
    expect(statement.balanceCheck.status).toBe('ok');
    expect(statement.openingBalance).toMatchObject({ creditDebit: 'DBIT' });
    expect(statement.problems).toEqual([]);
  });

  it('reports a statement whose balances do not add up, loudly', () => {
    const statement = read([{ amount: '100.00' }, { amount: '0.01' }], { opening: '50.00', closing: '150.00' });
    expect(statement.balanceCheck.status).toBe('mismatch');
    expect(statement.balanceCheck.expectedClosing?.toString()).toBe('150.01');
    expect(statement.balanceCheck.difference?.toString()).toBe('-0.01');
    expect(statement.problems).toEqual([
      {
        code: 'balance_mismatch',
        severity: 'error',
        message: 'Statement 1 ("STMT-1"), line 5: opening balance 50.00 plus 2 booked entries gives 150.01, but the bank reports a closing balance of 150.00; difference -0.01.',
        line: 5,
        statementIndex: 0,
      },
    ]);
    const summary = readCamt(bytes(camt053([{ opening: '50.00', closing: '150.00', entries: [{ amount: '100.00' }, { amount: '0.01' }] }]))).summary;
    expect(summary).toEqual({ statements: 1, entries: 2, booked: 2, errors: 1, warnings: 0 });
  });

  it('flags an unknown status as an error on the entry', () => {
    const entry = read([{ amount: '1.00', status: 'XXXX', bookingDate: null }]).entries[0]!;
    expect(entry).toMatchObject({ status: 'XXXX', booked: false });
    expect(entry.problems.map((p) => p.code)).toEqual(['unknown_status']);
  });

  it('keeps two identical payments as two entries, each with its own position', () => {
    const same = { amount: '40.00', accountServicerReference: 'SAME', endToEndId: 'E2E-1' };
    const entries = read([same, same]).entries;
    expect(entries).toHaveLength(2);
    expect(entries.map((e) => [e.statementIndex, e.entryIndex, e.details[0]!.detailIndex])).toEqual([
      [0, 0, 0],
      [0, 1, 0],
    ]);
  });
});
