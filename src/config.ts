/**
 * Configuration comes from the environment only, is validated once at start-up
 * and is frozen afterwards. An error names the variable and says what is wrong,
 * so an operator can fix a deployment without reading code.
 */

/**
 * PostgreSQL's default random_page_cost of 4 prices a page read out of order as four read in sequence: right for
 * spinning disks, not for a working set in memory or on SSD, where it makes the planner read a whole table rather than
 * look up the rows of one chunk of clients through an index (the daily batch's reads of 2,000 clients out of 100,000:
 * a scan of 45 ms where the index takes 4.5). 1.1 is the usual value for SSD.
 */
export const DEFAULT_RANDOM_PAGE_COST = 1.1;

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  readonly databaseUrl: string | undefined;
  /** Where the embedded database keeps its files. */
  readonly dataDir: string;
  readonly databasePoolSize: number;
  /** DATABASE_RANDOM_PAGE_COST: the planner's random_page_cost on the service's connections; null (`server`) leaves the server's. */
  readonly databaseRandomPageCost: number | null;
  /** Redis for BullMQ; when absent, `serve --with-workers` runs the daily jobs inline. */
  readonly redisUrl: string | undefined;
  readonly logLevel: LogLevel;
  readonly host: string;
  readonly port: number;
  readonly migrateOnStart: boolean;
  /**
   * The BSN keys (ONTZORG_BSN_KEY, ONTZORG_BSN_HASH_KEY): both or neither. Without them the
   * embedded mode generates a key file next to its data directory on first use, and the
   * PostgreSQL mode refuses to store a BSN (see src/clients/bsn-keys.ts).
   */
  readonly bsnKeys: ConfiguredBsnKeys | undefined;
  /**
   * ONTZORG_WEBHOOK_ALLOW_LOCAL, for local testing only: organisation webhooks may then point at
   * http://127.0.0.1, ::1 or localhost and at private addresses. Off, they must be https:// to a
   * public address (src/webhooks/address.ts).
   */
  readonly webhookAllowLocal: boolean;
}

/** Decoded BSN keys; they print as "[redacted]" wherever a config object ends up. */
export interface ConfiguredBsnKeys {
  readonly keyId: string;
  readonly encryptionKey: Uint8Array;
  readonly lookupKey: Uint8Array;
}

function redactedKeys(keys: ConfiguredBsnKeys): ConfiguredBsnKeys {
  const hidden = { toJSON: () => '[redacted]', [Symbol.for('nodejs.util.inspect.custom')]: () => 'BsnKeys([redacted])' };
  return Object.freeze(Object.assign(Object.create(hidden) as object, keys)) as ConfiguredBsnKeys;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
      problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return Number(raw);
  };
  const pageCost = (name: string): number | null => {
    const raw = text(name);
    if (raw === undefined) return DEFAULT_RANDOM_PAGE_COST;
    if (raw === 'server') return null;
    if (!/^\d{1,4}(\.\d{1,3})?$/.test(raw) || Number(raw) <= 0) {
      problems.push(`${name} must be a positive number such as 1.1 (or "server" to keep the server's setting), got "${raw}"`);
      return DEFAULT_RANDOM_PAGE_COST;
    }
    return Number(raw);
  };
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    if (['true', '1', 'yes'].includes(raw.toLowerCase())) return true;
    if (['false', '0', 'no'].includes(raw.toLowerCase())) return false;
    problems.push(`${name} must be true or false, got "${raw}"`);
    return fallback;
  };
  const url = (name: string, schemes: readonly string[]): string | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      problems.push(`${name} is not a valid URL (expected ${schemes.map((s) => `${s}//…`).join(' or ')})`);
      return undefined;
    }
    if (!schemes.includes(parsed.protocol)) {
      problems.push(`${name} must start with ${schemes.join(' or ')}, got "${parsed.protocol}"`);
      return undefined;
    }
    return raw;
  };

  const key32 = (name: string): Uint8Array | undefined => {
    const raw = text(name);
    if (raw === undefined) return undefined;
    const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(raw) && raw.length % 4 === 0 ? Buffer.from(raw, 'base64') : undefined;
    // Never repeat the value: it is a secret.
    if (!bytes || bytes.length !== 32) {
      problems.push(`${name} must be 32 random bytes written in base64 (44 characters, e.g. from \`openssl rand -base64 32\`)`);
      return undefined;
    }
    return new Uint8Array(bytes);
  };
  const bsnKeys = ((): ConfiguredBsnKeys | undefined => {
    const encryptionKey = key32('ONTZORG_BSN_KEY');
    const lookupKey = key32('ONTZORG_BSN_HASH_KEY');
    const keyId = text('ONTZORG_BSN_KEY_ID') ?? 'k1';
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(keyId)) problems.push('ONTZORG_BSN_KEY_ID must be 1–32 characters of A–Z, a–z, 0–9, _ or -');
    const given = [text('ONTZORG_BSN_KEY'), text('ONTZORG_BSN_HASH_KEY')].filter((v) => v !== undefined).length;
    if (given === 1) problems.push('ONTZORG_BSN_KEY and ONTZORG_BSN_HASH_KEY go together: set both or neither');
    if (!encryptionKey || !lookupKey) return undefined;
    if (Buffer.from(encryptionKey).equals(Buffer.from(lookupKey))) {
      problems.push('ONTZORG_BSN_HASH_KEY must differ from ONTZORG_BSN_KEY: the lookup hash and the encryption need separate keys');
      return undefined;
    }
    return redactedKeys({ keyId, encryptionKey, lookupKey });
  })();

  const logLevel = (text('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const config: Config = {
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: text('ONTZORG_DATA_DIR') ?? './data',
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 200),
    databaseRandomPageCost: pageCost('DATABASE_RANDOM_PAGE_COST'),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    logLevel,
    host: text('HOST') ?? '127.0.0.1',
    port: integer('PORT', 3000, 1, 65535),
    migrateOnStart: flag('MIGRATE_ON_START', true),
    bsnKeys,
    webhookAllowLocal: flag('ONTZORG_WEBHOOK_ALLOW_LOCAL', false),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
