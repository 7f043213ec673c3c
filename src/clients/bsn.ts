import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { inspect } from 'node:util';

/**
 * The burgerservicenummer (BSN): validated by the 11-check, encrypted at rest,
 * found through a keyed hash, shown masked. AVG/GDPR (rule 13): a `Bsn` prints
 * itself masked wherever it ends up (string, JSON, console, a logged object), so
 * the digits leave only through `reveal()`, and no error message ever repeats them.
 */

export type BsnErrorCode = 'invalid_bsn' | 'invalid_bsn_key' | 'bsn_not_decryptable';

export class BsnError extends Error {
  constructor(
    readonly code: BsnErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BsnError';
  }
}

/** Shown instead of the digits: six stars and the last three digits, e.g. `******782`. */
function mask(digits: string): string {
  return `******${digits.slice(6)}`;
}

export class Bsn {
  readonly #digits: string;

  private constructor(digits: string) {
    this.#digits = digits;
  }

  /** Used by `parseBsn` and decryption only, after the 11-check. */
  static fromValidDigits(digits: string): Bsn {
    if (!passesElfproef(digits)) throw new BsnError('invalid_bsn', 'not a valid BSN: it fails the 11-check');
    return new Bsn(digits);
  }

  /** The nine digits. The only way out: for an authorised screen, a letter, an exchange with Suwinet. */
  reveal(): string {
    return this.#digits;
  }

  masked(): string {
    return mask(this.#digits);
  }

  equals(other: Bsn): boolean {
    return this.#digits === other.#digits;
  }

  toString(): string {
    return this.masked();
  }

  toJSON(): string {
    return this.masked();
  }

  [inspect.custom](): string {
    return `Bsn(${this.masked()})`;
  }
}

const WEIGHTS = [9, 8, 7, 6, 5, 4, 3, 2, -1] as const;

/**
 * The BSN variant of the 11-check: 9·d1 + 8·d2 + … + 2·d8 − 1·d9 is a multiple
 * of 11. 000000000 passes the arithmetic but is never issued, so it is refused.
 */
export function passesElfproef(digits: string): boolean {
  if (!/^\d{9}$/.test(digits) || digits === '000000000') return false;
  let sum = 0;
  for (let i = 0; i < 9; i += 1) sum += WEIGHTS[i]! * (digits.charCodeAt(i) - 48);
  return sum % 11 === 0;
}

/**
 * Reads a BSN as people write it: "123456782", "1234.56.782", "123 456 782".
 * Old numbers of eight digits get their leading zero back (the BRP pads them).
 * Throws `invalid_bsn` without repeating the input.
 */
export function parseBsn(text: string): Bsn {
  const compact = typeof text === 'string' ? text.replace(/[\s.]/g, '') : '';
  if (!/^\d{8,9}$/.test(compact)) throw new BsnError('invalid_bsn', 'not a valid BSN: a BSN has nine digits');
  return Bsn.fromValidDigits(compact.padStart(9, '0'));
}

export function isValidBsn(text: string): boolean {
  try {
    parseBsn(text);
    return true;
  } catch {
    return false;
  }
}

// ---------- encryption at rest ----------

/** A 256-bit AES key and the id stored with every ciphertext, so keys can be rotated. */
export interface BsnEncryptionKey {
  id: string;
  key: Uint8Array;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const ENVELOPE = /^v1\.([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]+)$/;

function checkEncryptionKey(key: BsnEncryptionKey): void {
  if (!KEY_ID.test(key.id)) throw new BsnError('invalid_bsn_key', 'a BSN key id is 1–32 characters of A–Z, a–z, 0–9, _ or -');
  if (key.key.length !== 32) throw new BsnError('invalid_bsn_key', `the BSN encryption key "${key.id}" must be 32 bytes (AES-256)`);
}

function additionalData(keyId: string, context: string): Buffer {
  return Buffer.from(`bsn/v1/${keyId}/${context}`, 'utf8');
}

/**
 * AES-256-GCM with a random 96-bit IV. The envelope is
 * `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url), one text column.
 * `context` (say the client's id) is authenticated, not stored: a ciphertext
 * copied onto another client's row does not decrypt there.
 */
export function encryptBsn(bsn: Bsn, key: BsnEncryptionKey, context = ''): string {
  checkEncryptionKey(key);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv);
  cipher.setAAD(additionalData(key.id, context));
  const ciphertext = Buffer.concat([cipher.update(bsn.reveal(), 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return ['v1', key.id, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** Decrypts with the key named in the envelope, looked up in `keys` (the current key and older ones). */
export function decryptBsn(envelope: string, keys: BsnEncryptionKey | readonly BsnEncryptionKey[], context = ''): Bsn {
  const match = ENVELOPE.exec(envelope);
  if (!match) throw new BsnError('bsn_not_decryptable', 'the stored BSN is not in the v1 envelope format');
  const [, keyId = '', iv = '', tag = '', ciphertext = ''] = match;
  const key = (Array.isArray(keys) ? keys : [keys]).find((candidate: BsnEncryptionKey) => candidate.id === keyId);
  if (!key) throw new BsnError('bsn_not_decryptable', `the stored BSN was encrypted with key "${keyId}", which is not configured`);
  checkEncryptionKey(key);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(additionalData(keyId, context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    const digits = Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    return Bsn.fromValidDigits(digits);
  } catch {
    throw new BsnError('bsn_not_decryptable', 'the stored BSN could not be decrypted: wrong key, wrong client, or altered data');
  }
}

/** The key id of a stored BSN, to find rows still under an old key when rotating. */
export function bsnKeyId(envelope: string): string | null {
  return ENVELOPE.exec(envelope)?.[1] ?? null;
}

// ---------- lookup ----------

/**
 * HMAC-SHA256 of the nine digits, hex. Keyed, because there are fewer than
 * 10^9 BSNs: a plain hash is reversed by trying them all in minutes. Store it in
 * a unique index and look a client up by it; the key is not the encryption key.
 */
export function bsnLookupHash(bsn: Bsn, hmacKey: Uint8Array): string {
  if (hmacKey.length < 32) throw new BsnError('invalid_bsn_key', 'the BSN lookup key must be at least 32 bytes');
  return createHmac('sha256', hmacKey).update(bsn.reveal(), 'utf8').digest('hex');
}

/** For validating configuration once: the two keys exist and are not the same bytes. */
export function assertSeparateBsnKeys(encryption: BsnEncryptionKey, hmacKey: Uint8Array): void {
  checkEncryptionKey(encryption);
  if (hmacKey.length < 32) throw new BsnError('invalid_bsn_key', 'the BSN lookup key must be at least 32 bytes');
  if (hmacKey.length === encryption.key.length && timingSafeEqual(hmacKey, encryption.key)) {
    throw new BsnError('invalid_bsn_key', 'the BSN lookup key must differ from the BSN encryption key');
  }
}

/** Masks a BSN for display; text that is not a valid BSN is masked entirely. */
export function maskBsn(bsn: Bsn | string): string {
  if (bsn instanceof Bsn) return bsn.masked();
  return isValidBsn(bsn) ? parseBsn(bsn).masked() : '*********';
}

// ---------- remittance text ----------

/** Nine digits standing alone, or written 1234.56.782; never part of a longer number. */
const CANDIDATE = /(?<![\d.])(?:\d{9}|\d{4}\.\d{2}\.\d{3})(?!\.?\d)/g;

/**
 * BSN candidates in a remittance text: every stand-alone nine-digit number that
 * passes the 11-check, once each, in order of appearance. One in eleven random
 * nine-digit numbers passes, so a candidate is a lead, not an identification:
 * the caller looks it up by `bsnLookupHash` and sends anything uncertain to
 * suspense (rule 9).
 */
export function findBsnCandidates(text: string): Bsn[] {
  const found: Bsn[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const digits = match[0].replace(/\./g, '');
    if (passesElfproef(digits) && !found.some((bsn) => bsn.reveal() === digits)) found.push(Bsn.fromValidDigits(digits));
  }
  return found;
}
