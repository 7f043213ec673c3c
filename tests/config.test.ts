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

  it('prices random page reads for the planner at 1.1 unless told, and keeps the server\'s setting when told "server"', () => {
    expect(loadConfig({}).databaseRandomPageCost).toBe(1.1);
    expect(loadConfig({ DATABASE_RANDOM_PAGE_COST: '2' }).databaseRandomPageCost).toBe(2);
    expect(loadConfig({ DATABASE_RANDOM_PAGE_COST: 'server' }).databaseRandomPageCost).toBeNull();
    for (const wrong of ['0', '-1', 'fast', '1.1; DROP TABLE client']) {
      expect(() => loadConfig({ DATABASE_RANDOM_PAGE_COST: wrong })).toThrow(`DATABASE_RANDOM_PAGE_COST must be a positive number such as 1.1 (or "server" to keep the server's setting), got "${wrong}"`);
    }
  });

  describe('BSN keys', () => {
    const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');

    it('are absent by default: the embedded mode makes its own, PostgreSQL refuses to store a BSN', () => {
      expect(loadConfig({}).bsnKeys).toBeUndefined();
    });

    it('decodes both keys, with key id k1 unless told', () => {
      const config = loadConfig({ ONTZORG_BSN_KEY: key(1), ONTZORG_BSN_HASH_KEY: key(2) });
      expect(config.bsnKeys?.keyId).toBe('k1');
      expect(config.bsnKeys?.encryptionKey).toEqual(new Uint8Array(32).fill(1));
      expect(config.bsnKeys?.lookupKey).toEqual(new Uint8Array(32).fill(2));
      expect(loadConfig({ ONTZORG_BSN_KEY: key(1), ONTZORG_BSN_HASH_KEY: key(2), ONTZORG_BSN_KEY_ID: '2026-01' }).bsnKeys?.keyId).toBe('2026-01');
    });

    it('never prints the keys, in JSON or in a log line', async () => {
      const config = loadConfig({ ONTZORG_BSN_KEY: key(7), ONTZORG_BSN_HASH_KEY: key(8) });
      const { inspect } = await import('node:util');
      expect(JSON.stringify(config)).not.toContain(key(7));
      expect(JSON.stringify(config)).toContain('"bsnKeys":"[redacted]"');
      expect(inspect(config)).not.toContain('7, 7');
      expect(inspect(config)).toContain('BsnKeys([redacted])');
    });

    it('refuses one without the other, wrong lengths, non-base64 and the same key twice, without repeating a value', () => {
      const problems = (env: Record<string, string>) => {
        try {
          loadConfig(env);
          return '';
        } catch (error) {
          return (error as ConfigError).message;
        }
      };
      expect(problems({ ONTZORG_BSN_KEY: key(1) })).toContain('ONTZORG_BSN_KEY and ONTZORG_BSN_HASH_KEY go together');
      expect(problems({ ONTZORG_BSN_KEY: Buffer.alloc(16, 1).toString('base64'), ONTZORG_BSN_HASH_KEY: key(2) })).toContain('ONTZORG_BSN_KEY must be 32 random bytes written in base64');
      expect(problems({ ONTZORG_BSN_KEY: key(1), ONTZORG_BSN_HASH_KEY: 'not base64!' })).toContain('ONTZORG_BSN_HASH_KEY must be 32 random bytes');
      expect(problems({ ONTZORG_BSN_KEY: key(3), ONTZORG_BSN_HASH_KEY: key(3) })).toContain('must differ from ONTZORG_BSN_KEY');
      expect(problems({ ONTZORG_BSN_KEY: key(1), ONTZORG_BSN_HASH_KEY: key(2), ONTZORG_BSN_KEY_ID: 'a b' })).toContain('ONTZORG_BSN_KEY_ID');
      expect(problems({ ONTZORG_BSN_KEY: key(3), ONTZORG_BSN_HASH_KEY: key(3) })).not.toContain(key(3));
    });
  });
});
