import { randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SignJWT, createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ConfigError } from '../config.js';
import { AuthError, principalFromClaims, type Principal, type Role } from './principal.js';

/**
 * Bearer tokens. A municipality's identity provider signs them (verified against its JWKS,
 * AUTH_JWKS_URL); for local use a shared secret (AUTH_JWT_SECRET, base64, ≥ 32 bytes) signs and
 * verifies them, and `ontzorg token` mints one. The embedded mode without either generates a
 * local secret once, next to its data directory (`<dataDir>.auth-secret`, mode 0600), so
 * `npm start` and the demo work without set-up; a server deployment (DATABASE_URL) without
 * either refuses every protected request rather than invent a secret.
 */
export interface AuthSettings {
  readonly jwksUrl: string | undefined;
  readonly secret: Uint8Array | undefined;
  readonly issuer: string;
  readonly audience: string;
}

type Env = Readonly<Record<string, string | undefined>>;

export function loadAuthSettings(env: Env, mode: { databaseUrl: string | undefined; dataDir: string }): AuthSettings {
  const problems: string[] = [];
  const jwksUrl = env['AUTH_JWKS_URL']?.trim() || undefined;
  // Keys fetched without TLS could be swapped on the way for someone else's: https, except to this machine.
  if (jwksUrl && !/^https:\/\//.test(jwksUrl) && !/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?\//.test(jwksUrl)) {
    problems.push('AUTH_JWKS_URL must be an https URL of the identity provider\'s JWKS (http only to localhost)');
  }
  let secret: Uint8Array | undefined;
  const given = env['AUTH_JWT_SECRET']?.trim();
  if (given) {
    const bytes = Buffer.from(given, 'base64');
    if (bytes.length < 32) problems.push('AUTH_JWT_SECRET must be base64 of at least 32 random bytes (openssl rand -base64 32)');
    else secret = bytes;
  } else if (!jwksUrl && !mode.databaseUrl) {
    secret = embeddedSecret(mode.dataDir);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { jwksUrl, secret, issuer: env['AUTH_ISSUER']?.trim() || 'ontzorg', audience: env['AUTH_AUDIENCE']?.trim() || 'ontzorg-api' };
}

export function authSecretPath(dataDir: string): string {
  return `${resolve(dataDir)}.auth-secret`;
}

function embeddedSecret(dataDir: string): Uint8Array {
  const path = authSecretPath(dataDir);
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    try {
      writeFileSync(path, randomBytes(32).toString('base64'), { flag: 'wx', mode: 0o600 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
}

export type TokenVerifier = (token: string) => Promise<Principal>;

export function tokenVerifier(settings: AuthSettings): TokenVerifier {
  const jwks = settings.jwksUrl ? createRemoteJWKSet(new URL(settings.jwksUrl)) : undefined;
  // Imported once: given the raw bytes, jose imports the key again on every request (a measurable part of a statement's CPU).
  let hmacKey: Promise<webcrypto.CryptoKey> | undefined;
  const secretKey = (secret: Uint8Array): Promise<webcrypto.CryptoKey> =>
    (hmacKey ??= webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']));
  return async (token) => {
    if (!jwks && !settings.secret) throw new AuthError('auth_not_configured', 'sign-in is not configured on this server (AUTH_JWKS_URL or AUTH_JWT_SECRET)');
    let payload: JWTPayload;
    try {
      // A token without an expiry would be valid for ever: refused, whoever signed it.
      const options = { issuer: settings.issuer, audience: settings.audience, clockTolerance: 30, requiredClaims: ['exp'] };
      payload = jwks ? (await jwtVerify(token, jwks, options)).payload : (await jwtVerify(token, await secretKey(settings.secret!), { ...options, algorithms: ['HS256'] })).payload;
    } catch {
      // The reason (expired, wrong signature) is not for the caller: it would help an attacker more than a user.
      throw new AuthError('unauthenticated', 'the token is not valid or has expired; sign in again');
    }
    return principalFromClaims(payload as Record<string, unknown>);
  };
}

export interface LocalTokenClaims {
  readonly userId: string;
  readonly role: Role;
  readonly gemeenten?: readonly string[];
  readonly organisation?: string;
  readonly team?: string;
  readonly clientId?: bigint;
}

/** A token signed with the local secret, for development, the demo and scripts. */
export async function mintLocalToken(settings: AuthSettings, claims: LocalTokenClaims, ttlSeconds = 8 * 3600): Promise<string> {
  if (!settings.secret) throw new AuthError('auth_not_configured', 'no local secret (AUTH_JWT_SECRET) to sign with; tokens come from the identity provider');
  const body: Record<string, unknown> = { role: claims.role, gemeenten: claims.gemeenten ?? [] };
  if (claims.organisation) body['org'] = claims.organisation;
  if (claims.team) body['team'] = claims.team;
  if (claims.clientId !== undefined) body['client_id'] = claims.clientId.toString();
  return new SignJWT(body)
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(settings.secret);
}
