import fc from 'fast-check';
import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { assertEuro, InvalidAmount, Money, parsePositiveAmount } from '../../src/money/money.js';

describe('Money', () => {
  it.each([
    ['123.45', 12345n],
    ['01.00', 100n],
    ['12.300', 1230n],
    ['-0.05', -5n],
    ['7', 700n],
    ['0.1', 10n],
  ])('parses "%s" exactly to %s cents', (text, cents) => {
    expect(Money.parse(text).cents).toBe(cents);
  });

  it('refuses more than two significant decimals instead of rounding', () => {
    expect(() => Money.parse('12.345')).toThrow(InvalidAmount);
    expect(() => Money.parse('12.345')).toThrow('has more than two decimals');
  });

  it('writes amounts as plain decimal strings for JSON and files', () => {
    expect(Money.fromCents(5n).toString()).toBe('0.05');
    expect(Money.fromCents(-133423n).toString()).toBe('-1334.23');
    expect(JSON.stringify({ amount: Money.parse('720') })).toBe('{"amount":"720.00"}');
  });

  it('rounds a computed amount once, explicitly, half away from zero by default', () => {
    expect(Money.round(new Decimal('819.23').dividedBy(4)).toString()).toBe('204.81');
    expect(Money.round(new Decimal('819.23').dividedBy(4), Decimal.ROUND_DOWN).toString()).toBe('204.80');
    expect(Money.round(new Decimal('-0.005')).toString()).toBe('-0.01');
    expect(() => Money.round(new Decimal(NaN))).toThrow(InvalidAmount);
  });

  it('accepts positive amounts within the ledger range only', () => {
    expect(parsePositiveAmount('0.01').cents).toBe(1n);
    expect(() => parsePositiveAmount('0.00')).toThrow('must be more than 0.00');
    expect(() => parsePositiveAmount('-1.00')).toThrow('must be more than 0.00');
    expect(() => parsePositiveAmount('1000000000.01')).toThrow('above the maximum');
  });

  it('refuses any currency but EUR', () => {
    expect(() => assertEuro('EUR')).not.toThrow();
    expect(() => assertEuro('USD')).toThrow('"USD" is not supported; only EUR is booked');
  });

  it('round-trips every cent amount through its text form (property)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 13n), max: 10n ** 13n }), (cents) => {
        expect(Money.parse(Money.fromCents(cents).toString()).cents).toBe(cents);
      }),
    );
  });

  it('adds and subtracts without ever losing a cent (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: -(10n ** 11n), max: 10n ** 11n }), { maxLength: 50 }), (list) => {
        const total = Money.sum(list.map((c) => Money.fromCents(c)));
        expect(total.cents).toBe(list.reduce((a, b) => a + b, 0n));
        expect(list.reduce((m, c) => m.minus(Money.fromCents(c)), total).isZero()).toBe(true);
      }),
    );
  });
});
