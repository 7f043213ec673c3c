import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadAuthSettings, mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import { ConfigError } from '../../src/config.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 41), issuer: 'ontzorg', audience: 'ontzorg-api' };
const server = { databaseUrl: 'postgres://x', dataDir: '.' };

describe('sign-in tokens', () => {
  it('refuses a token without an expiry, even one signed with the right key', async () => {
    const verify = tokenVerifier(settings);
    const claims = { role: 'operator', gemeenten: ['GM0505'] };
    const forever = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('operator-1').setIssuer('ontzorg').setAudience('ontzorg-api').setIssuedAt().sign(settings.secret!);
    await expect(verify(forever)).rejects.toMatchObject({ code: 'unauthenticated' });
    const expiring = await mintLocalToken(settings, { userId: 'operator-1', role: 'operator', gemeenten: ['GM0505'] });
    await expect(verify(expiring)).resolves.toMatchObject({ userId: 'operator-1', role: 'operator' });
  });

  it('takes the identity provider\'s keys over https only (http to this machine, for local testing)', () => {
    expect(() => loadAuthSettings({ AUTH_JWKS_URL: 'http://idp.example.nl/.well-known/jwks.json' }, server)).toThrow(ConfigError);
    expect(() => loadAuthSettings({ AUTH_JWKS_URL: 'http://idp.example.nl/.well-known/jwks.json' }, server)).toThrow(/AUTH_JWKS_URL must be an https URL/);
    expect(loadAuthSettings({ AUTH_JWKS_URL: 'https://idp.example.nl/.well-known/jwks.json' }, server).jwksUrl).toBe('https://idp.example.nl/.well-known/jwks.json');
    expect(loadAuthSettings({ AUTH_JWKS_URL: 'http://127.0.0.1:8080/jwks.json' }, server).jwksUrl).toBe('http://127.0.0.1:8080/jwks.json');
  });
});
