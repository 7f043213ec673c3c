import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { ConfiguredBsnKeys } from '../config.js';
import { assertSeparateBsnKeys, bsnLookupHash, findBsnCandidates, type BsnEncryptionKey } from './bsn.js';
import { ClientError } from './errors.js';

/**
 * Where the BSN keys come from. Configured keys (ONTZORG_BSN_KEY, ONTZORG_BSN_HASH_KEY) always win.
 * Without them:
 * - the **embedded** mode generates both keys once and keeps them in a file *next to* its data
 *   directory (`<dataDir>.bsn-keys.json`, mode 0600). The embedded mode is the zero-setup single-machine
 *   and demo mode; refusing there would make every demo set up secrets first. Keeping the file outside
 *   the data directory means a dump or copy of the database alone does not carry the key.
 * - the **PostgreSQL** mode refuses (`bsn_keys_missing`) as soon as a BSN is to be stored or matched:
 *   a server deployment generating its own key would lose every BSN with the container it ran in.
 */
export interface BsnKeys {
  readonly encryption: BsnEncryptionKey;
  readonly lookup: Uint8Array;
  /** `generated` when the embedded mode made them; the caller may say so once in its log. */
  readonly source: 'configured' | 'generated' | 'key_file';
}

export interface BsnKeySettings {
  readonly bsnKeys: ConfiguredBsnKeys | undefined;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
}

export function bsnKeyFilePath(dataDir: string): string {
  return `${resolve(dataDir)}.bsn-keys.json`;
}

function fromConfigured(keys: ConfiguredBsnKeys, source: BsnKeys['source']): BsnKeys {
  const encryption = { id: keys.keyId, key: keys.encryptionKey };
  assertSeparateBsnKeys(encryption, keys.lookupKey);
  return { encryption, lookup: keys.lookupKey, source };
}

/** The BSN keys for this process, or null when there are none and none may be made (PostgreSQL without keys). */
export function resolveBsnKeys(settings: BsnKeySettings): BsnKeys | null {
  if (settings.bsnKeys) return fromConfigured(settings.bsnKeys, 'configured');
  if (settings.databaseUrl) return null;
  const path = bsnKeyFilePath(settings.dataDir);
  if (existsSync(path)) {
    const stored = JSON.parse(readFileSync(path, 'utf8')) as { keyId?: unknown; encryptionKey?: unknown; lookupKey?: unknown };
    if (typeof stored.keyId !== 'string' || typeof stored.encryptionKey !== 'string' || typeof stored.lookupKey !== 'string') {
      throw new ClientError('bsn_keys_missing', `the BSN key file ${path} is damaged; restore it from a backup (without it the stored BSNs cannot be read)`);
    }
    return fromConfigured({ keyId: stored.keyId, encryptionKey: Buffer.from(stored.encryptionKey, 'base64'), lookupKey: Buffer.from(stored.lookupKey, 'base64') }, 'key_file');
  }
  mkdirSync(dirname(path), { recursive: true });
  const generated = { keyId: 'embedded1', encryptionKey: randomBytes(32), lookupKey: randomBytes(32) };
  // 'wx': never overwrite a key file another process just wrote.
  try {
    writeFileSync(
      path,
      JSON.stringify({ keyId: generated.keyId, encryptionKey: generated.encryptionKey.toString('base64'), lookupKey: generated.lookupKey.toString('base64') }),
      { flag: 'wx', mode: 0o600 },
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return resolveBsnKeys(settings);
    throw error;
  }
  chmodSync(path, 0o600);
  return fromConfigured(generated, 'generated');
}

/** As `resolveBsnKeys`, but refuses clearly when there are no keys. */
export function requireBsnKeys(keys: BsnKeys | null | undefined): BsnKeys {
  if (!keys) {
    throw new ClientError(
      'bsn_keys_missing',
      'no BSN keys are configured: set ONTZORG_BSN_KEY and ONTZORG_BSN_HASH_KEY (each 32 random bytes in base64) to store or look up a BSN',
    );
  }
  return keys;
}

/**
 * For ingestion (`PlanOptions.bsnHashesIn`): the keyed hashes of the BSN candidates in a remittance
 * text. A candidate is a lead, not an identification (one in eleven random nine-digit numbers passes
 * the 11-check); matching looks the hash up among registered clients and sends anything uncertain to
 * suspense. The digits never leave this function.
 */
export function bsnHashesIn(keys: BsnKeys): (text: string) => string[] {
  return (text: string) => findBsnCandidates(text).map((bsn) => bsnLookupHash(bsn, keys.lookup));
}

/**
 * What the doors pass to ingestion: BSN matching when there are keys, none otherwise (ingestion then
 * matches on references and case numbers only, as its CONTEXT.md says).
 */
export function ingestOptionsFor(settings: BsnKeySettings): { bsnHashesIn?: (text: string) => string[] } {
  const keys = resolveBsnKeys(settings);
  return keys ? { bsnHashesIn: bsnHashesIn(keys) } : {};
}
