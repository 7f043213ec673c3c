import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration from the environment', () => {
  it('defaults to the embedded database and inline jobs', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.dataDir).toBe('./data');
    expect(config.port).toBe(3000);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every variable that is wrong, and what is wrong with it', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', PORT: '70000', LOG_LEVEL: 'loud', REDIS_URL: 'not a url', MIGRATE_ON_START: 'maybe' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain('DATABASE_URL must start with postgres: or postgresql:, got "mysql:"');
    expect(message).toContain('PORT must be a whole number from 1 to 65535, got "70000"');
    expect(message).toContain('LOG_LEVEL must be one of');
    expect(message).toContain('REDIS_URL is not a valid URL');
    expect(message).toContain('MIGRATE_ON_START must be true or false, got "maybe"');
  });

  it('reads a full production configuration', () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/ontzorg', REDIS_URL: 'redis://redis:6379', PORT: '8080', HOST: '0.0.0.0', LOG_LEVEL: 'warn', MIGRATE_ON_START: 'false' });
    expect(config).toMatchObject({ databaseUrl: 'postgres://u:p@db:5432/ontzorg', redisUrl: 'redis://redis:6379', port: 8080, host: '0.0.0.0', logLevel: 'warn', migrateOnStart: false });
  });
});
