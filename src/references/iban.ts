import IBAN from 'iban';

const IBAN_SHAPE = /^[A-Z]{2}\d{2}[A-Z0-9]{1,30}$/;
const BIC_SHAPE = /^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$/;

/** Spaces removed, upper case: the electronic form an IBAN has in a file. */
export function normaliseIban(iban: string): string {
  return iban.replace(/\s+/g, '').toUpperCase();
}

/** An IBAN in electronic form (no spaces, upper case) with a correct checksum and national length. */
export function isValidIban(iban: string): boolean {
  return IBAN_SHAPE.test(iban) && IBAN.isValid(iban);
}

/** A BIC of 8 or 11 characters in the shape both pain.001 versions accept. */
export function isValidBic(bic: string): boolean {
  return BIC_SHAPE.test(bic) && /^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]/.test(bic);
}
