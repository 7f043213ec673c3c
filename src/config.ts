/**
 * Configuration comes from the environment only, is validated once at start-up
 * and is frozen afterwards. An error names the variable and says what is wrong,
 * so an operator can fix a deployment without reading code.
 */

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  /** PostgreSQL connection string; when absent the embedded PGlite database is used. */
  readonly databaseUrl: string | undefined;
  /** Where the embedded database keeps its files. */
  readonly dataDir: string;
  readonly databasePoolSize: number;
  /** Redis for BullMQ; when absent, `serve --with-workers` runs the daily jobs inline. */
  readonly redisUrl: string | undefined;
  readonly logLevel: LogLevel;
  readonly host: string;
  readonly port: number;
  readonly migrateOnStart: boolean;
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

  const logLevel = (text('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);

  const config: Config = {
    databaseUrl: url('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: text('ONTZORG_DATA_DIR') ?? './data',
    databasePoolSize: integer('DATABASE_POOL_SIZE', 10, 1, 200),
    redisUrl: url('REDIS_URL', ['redis:', 'rediss:']),
    logLevel,
    host: text('HOST') ?? '127.0.0.1',
    port: integer('PORT', 3000, 1, 65535),
    migrateOnStart: flag('MIGRATE_ON_START', true),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
