import { Decimal } from 'decimal.js';

/**
 * An amount of euros, held as integer cents. The only place amounts are made:
 * parsing from decimal strings, from cents, and explicit rounding from a Decimal.
 * A JS number never holds money.
 */

export const CURRENCY = 'EUR';

/** Largest amount the ledger accepts in one posting: a billion euros, far above any real payment. */
export const MAX_CENTS = 100_000_000_000n;

export class InvalidAmount extends Error {
  readonly code = 'invalid_amount';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAmount';
  }
}

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

export class Money {
  private constructor(readonly cents: bigint) {}

  static readonly ZERO = new Money(0n);

  static fromCents(cents: bigint): Money {
    if (typeof cents !== 'bigint') throw new InvalidAmount('an amount in cents must be a bigint');
    return cents === 0n ? Money.ZERO : new Money(cents);
  }

  /**
   * Parses a decimal string such as "123.45", "-5", "01.00" or "12.300" exactly.
   * Refused: more than two significant decimals, exponents, NaN, Infinity, empty
   * text, and anything that is not a plain decimal. Nothing is ever rounded here.
   */
  static parse(text: string, what = 'amount'): Money {
    if (typeof text !== 'string') throw new InvalidAmount(`${what} must be a decimal string such as "123.45"`);
    const match = DECIMAL.exec(text.trim());
    if (!match) throw new InvalidAmount(`${what} "${text}" is not a decimal amount such as "123.45"`);
    const [, sign, whole = '0', fraction = ''] = match;
    const significant = fraction.replace(/0+$/, '');
    if (significant.length > 2) {
      throw new InvalidAmount(`${what} "${text}" has more than two decimals; euro amounts are in whole cents`);
    }
    const cents = BigInt(whole) * 100n + BigInt(significant.padEnd(2, '0'));
    return Money.fromCents(sign === '-' ? -cents : cents);
  }

  /** Rounds a computed Decimal to cents, half away from zero, as the caller's rule says. */
  static round(value: Decimal, rounding: Decimal.Rounding = Decimal.ROUND_HALF_UP): Money {
    if (!value.isFinite()) throw new InvalidAmount('an amount must be a finite number');
    // Decimal#toFixed is exact string output of an integral Decimal, not a float conversion.
    // eslint-disable-next-line no-restricted-syntax
    return Money.fromCents(BigInt(value.times(100).toDecimalPlaces(0, rounding).toFixed(0)));
  }

  plus(other: Money): Money {
    return Money.fromCents(this.cents + other.cents);
  }

  minus(other: Money): Money {
    return Money.fromCents(this.cents - other.cents);
  }

  negate(): Money {
    return Money.fromCents(-this.cents);
  }

  isZero(): boolean {
    return this.cents === 0n;
  }

  isPositive(): boolean {
    return this.cents > 0n;
  }

  isNegative(): boolean {
    return this.cents < 0n;
  }

  compare(other: Money): -1 | 0 | 1 {
    return this.cents < other.cents ? -1 : this.cents > other.cents ? 1 : 0;
  }

  equals(other: Money): boolean {
    return this.cents === other.cents;
  }

  min(other: Money): Money {
    return this.cents <= other.cents ? this : other;
  }

  toDecimal(): Decimal {
    return new Decimal(this.cents.toString()).dividedBy(100);
  }

  /** "123.45", "-0.05": the form used in JSON and files. */
  toString(): string {
    const negative = this.cents < 0n;
    const abs = negative ? -this.cents : this.cents;
    const whole = abs / 100n;
    const fraction = (abs % 100n).toString().padStart(2, '0');
    return `${negative ? '-' : ''}${whole}.${fraction}`;
  }

  toJSON(): string {
    return this.toString();
  }

  static sum(amounts: Iterable<Money>): Money {
    let total = 0n;
    for (const amount of amounts) total += amount.cents;
    return Money.fromCents(total);
  }
}

/** Parses a positive amount within the ledger's range; what a transfer accepts at the edge. */
export function parsePositiveAmount(text: string, what = 'amount'): Money {
  const amount = Money.parse(text, what);
  if (!amount.isPositive()) throw new InvalidAmount(`${what} must be more than 0.00, got "${text}"`);
  if (amount.cents > MAX_CENTS) throw new InvalidAmount(`${what} "${text}" is above the maximum of ${Money.fromCents(MAX_CENTS)}`);
  return amount;
}

/** Refuses any currency but the euro: the engine books SEPA euro payments only. */
export function assertEuro(currency: string, what = 'currency'): void {
  if (currency !== CURRENCY) throw new InvalidAmount(`${what} "${currency}" is not supported; only EUR is booked`);
}
