import { isValidBetalingskenmerk, isValidIban, isValidRfReference, normaliseIban } from '../references/index.js';
import type { CreditorReferenceScheme } from './types.js';

/**
 * Payment references: the Dutch betalingskenmerk (issuer CUR), the ISO 11649
 * RF creditor reference (issuer ISO) and the MT940-style keywords banks put
 * in AddtlNtryInf. Check digits are a flag for matching, never a refusal.
 */

/**
 * Checks a betalingskenmerk: spaces and dots are ignored; 16 digits are checked
 * (modulus 11 over the last fifteen). Returns null for all-digit kenmerken of another
 * length (a 7-digit one has no check digit; 9–14 digits use a length code not checked here).
 */
export function betalingskenmerkValid(reference: string): boolean | null {
  const digits = reference.replace(/[\s.]/g, '');
  if (!/^\d+$/.test(digits)) return false;
  return digits.length === 16 ? isValidBetalingskenmerk(digits) : null;
}

/** ISO 11649, as written on a statement: spaces and lower case allowed. */
export function rfReferenceValid(reference: string): boolean {
  return isValidRfReference(reference.replace(/\s/g, '').toUpperCase());
}

/** ISO 13616 with the national length, as written on a statement: spaces and lower case allowed. */
export function ibanValid(iban: string): boolean {
  return isValidIban(normaliseIban(iban));
}

export function classifyCreditorReference(
  reference: string,
  issuer: string | null,
): { scheme: CreditorReferenceScheme; checkDigitsValid: boolean | null } {
  const upperIssuer = issuer?.toUpperCase() ?? null;
  if (upperIssuer === 'ISO' || (upperIssuer === null && /^RF\d{2}/i.test(reference.trim()))) {
    return { scheme: 'iso11649', checkDigitsValid: rfReferenceValid(reference) };
  }
  if (upperIssuer === 'CUR') return { scheme: 'betalingskenmerk', checkDigitsValid: betalingskenmerkValid(reference) };
  return { scheme: 'other', checkDigitsValid: null };
}

/**
 * The keywords Dutch banks write in AddtlNtryInf and MT940 field 86. Only these
 * split the text, so a `/` inside a description ("huur 01/2025") stays in its value.
 */
const KEYWORDS = [
  'TRTP', 'IBAN', 'BIC', 'NAME', 'REMI', 'EREF', 'MARF', 'CSID', 'PREF', 'NRTX', 'RTYP', 'RTRN', 'ISDT', 'ORDP', 'BENM',
  'ADDR', 'CDTRREFTP', 'CDTRREF', 'CD', 'ISSR', 'USTD', 'STRD', 'SVCL', 'PURP', 'ULTC', 'ULTD', 'ULTB', 'INFO', 'ACCW',
  'OCMT', 'EXCH', 'CHGS', 'COAM', 'BUSP', 'ID', 'RETURNREASON', 'TRCD', 'FX',
] as const;
const KEYWORD_SET: ReadonlySet<string> = new Set(KEYWORDS);
const LONGEST_KEYWORD = Math.max(...KEYWORDS.map((k) => k.length));

/**
 * Parses `/TRTP/SEPA BATCH SALARIS/PREF/B123/NRTX/2` into
 * `{ TRTP: 'SEPA BATCH SALARIS', PREF: 'B123', NRTX: '2' }`. Text that does not
 * start with a keyword gives no keywords. The first occurrence of a key wins.
 */
export function parseKeywords(text: string | null): Record<string, string> {
  const result: Record<string, string> = {};
  if (!text) return result;
  const compact = text.indexOf('\n') === -1 ? text.trim() : text.replace(/\s*\n\s*/g, '').trim();
  if (compact.charCodeAt(0) !== 0x2f /* / */) return result;
  // A keyword is `/KEY/` where KEY is known; its value runs to the next keyword.
  const found: { key: string; valueStart: number; start: number }[] = [];
  for (let slash = 0; slash !== -1 && slash < compact.length; ) {
    const close = compact.indexOf('/', slash + 1);
    if (close === -1) break;
    const candidate = compact.slice(slash + 1, close);
    if (close - slash - 1 <= LONGEST_KEYWORD && KEYWORD_SET.has(candidate)) {
      found.push({ key: candidate, valueStart: close + 1, start: slash });
      slash = compact.indexOf('/', close + 1);
    } else {
      slash = found.length === 0 ? -1 : close;
    }
  }
  for (let i = 0; i < found.length; i++) {
    const { key, valueStart } = found[i]!;
    const next = found[i + 1];
    let value = compact.slice(valueStart, next ? next.start : compact.length);
    if (!next) value = value.replace(/\/$/, '');
    if (!(key in result)) result[key] = value.trim();
  }
  return result;
}
