/**
 * Structured creditor references (SCOR) a payee can give instead of a free
 * text: the Dutch betalingskenmerk (issuer `CUR`, from Currence, the scheme's
 * former owner) and the international RF creditor reference (issuer `ISO`,
 * ISO 11649).
 */

export type ReferenceIssuer = 'CUR' | 'ISO';

/** Weights of the 15 digits after the check digit, from the right: 2^n mod 11. */
const KENMERK_WEIGHTS = [2, 4, 8, 5, 10, 9, 7, 3, 6, 1, 2, 4, 8, 5, 10] as const;

function kenmerkCheckDigit(fifteenDigits: string): number {
  let sum = 0;
  for (let i = 0; i < 15; i += 1) {
    sum += Number(fifteenDigits[14 - i]) * (KENMERK_WEIGHTS[i] ?? 0);
  }
  const check = 11 - (sum % 11);
  return check === 11 ? 0 : check === 10 ? 1 : check;
}

/**
 * A 16-digit Dutch betalingskenmerk: the first digit is a modulus-11 check
 * over the other fifteen. (The 7-digit form without a check digit is not
 * accepted: it cannot be checked, and payees that send one are rare.)
 */
export function isValidBetalingskenmerk(reference: string): boolean {
  if (!/^\d{16}$/.test(reference)) return false;
  return kenmerkCheckDigit(reference.slice(1)) === Number(reference[0]);
}

/** Completes 15 digits with their check digit (for test data and examples). */
export function makeBetalingskenmerk(fifteenDigits: string): string {
  if (!/^\d{15}$/.test(fifteenDigits)) throw new RangeError('a betalingskenmerk is made from exactly 15 digits');
  return `${kenmerkCheckDigit(fifteenDigits)}${fifteenDigits}`;
}

/** ISO 7064 mod 97-10 over digits and letters (A = 10 … Z = 35), as for IBANs. */
function mod97(text: string): number {
  let remainder = 0;
  for (const ch of text) {
    const value = ch >= 'A' && ch <= 'Z' ? ch.charCodeAt(0) - 55 : ch.charCodeAt(0) - 48;
    remainder = value >= 10 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97;
  }
  return remainder;
}

/** An RF creditor reference (ISO 11649): `RF`, two check digits, 1–21 letters or digits; mod 97 = 1. */
export function isValidRfReference(reference: string): boolean {
  if (!/^RF\d{2}[A-Z0-9]{1,21}$/.test(reference)) return false;
  return mod97(reference.slice(4) + reference.slice(0, 4)) === 1;
}

/** Makes an RF reference from 1–21 letters or digits (for test data and examples). */
export function makeRfReference(base: string): string {
  const body = base.toUpperCase();
  if (!/^[A-Z0-9]{1,21}$/.test(body)) throw new RangeError('an RF reference is made from 1 to 21 letters or digits');
  const check = 98 - mod97(`${body}RF00`);
  return `RF${String(check).padStart(2, '0')}${body}`;
}

/** Whether the reference is valid for its issuer. */
export function isValidCreditorReference(issuer: ReferenceIssuer, reference: string): boolean {
  return issuer === 'CUR' ? isValidBetalingskenmerk(reference) : isValidRfReference(reference);
}
