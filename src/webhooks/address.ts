import { lookup } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { WebhookError } from './errors.js';
import type { WebhookSecretKey } from './secret-seal.js';

/**
 * Where a webhook may point (SSRF): an organisation's endpoint on the internet, never something
 * inside the service's own network. Checked when an administrator sets the URL (the host resolved,
 * every address public) and again on every delivery, on the address actually connected to, so a DNS
 * name that later resolves to 10.0.0.5 or 169.254.169.254 is refused too.
 */
export interface WebhookSettings {
  /**
   * ONTZORG_WEBHOOK_ALLOW_LOCAL, for local testing only: http:// to 127.0.0.1, ::1 or localhost, and
   * private or loopback addresses. Off in production.
   */
  readonly allowLocal: boolean;
  /**
   * The key signing secrets are sealed with (derived from the data key, ONTZORG_BSN_KEY). Without it a
   * secret can be neither stored nor read; a webhook set before secrets were sealed still signs.
   */
  readonly secretKey?: WebhookSecretKey;
}

export const STRICT_WEBHOOKS: WebhookSettings = Object.freeze({ allowLocal: false });

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_URL_LENGTH = 2_000;

const refuse = (message: string): never => {
  throw new WebhookError('invalid_webhook_url', message);
};

/** The checks that need no network: scheme, credentials, length. Answers the parsed URL. */
export function parseWebhookUrl(text: string, settings: WebhookSettings): URL {
  if (text.length > MAX_URL_LENGTH) refuse(`the webhook URL is longer than ${MAX_URL_LENGTH} characters`);
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    refuse('the webhook URL is not a valid URL (expected https://host/path)');
  }
  const parsed = url!;
  if (parsed.username !== '' || parsed.password !== '') refuse('the webhook URL must not carry a user name or password: the receiver checks the signature instead');
  if (parsed.hash !== '') refuse('the webhook URL must not have a #fragment');
  if (parsed.protocol === 'http:') {
    if (!settings.allowLocal) refuse('the webhook URL must start with https://');
    if (!LOOPBACK_HOSTS.has(parsed.hostname)) refuse('http:// is allowed only to 127.0.0.1, ::1 or localhost (ONTZORG_WEBHOOK_ALLOW_LOCAL, for local testing); anything else must be https://');
  } else if (parsed.protocol !== 'https:') {
    refuse('the webhook URL must start with https://');
  }
  return parsed;
}

/** The host as an IP literal (brackets of IPv6 removed), or null for a name. */
export function literalAddress(url: URL): string | null {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  return isIP(host) === 0 ? null : host;
}

/**
 * Everything a URL check does, DNS included: the host must resolve, and every address it resolves to
 * must be public (a name with one public and one private address is refused: either may be used).
 * With `allowLocal` only the URL itself is checked.
 */
export async function checkWebhookUrl(text: string, settings: WebhookSettings, resolve: (host: string) => Promise<string[]> = resolveAll): Promise<URL> {
  const url = parseWebhookUrl(text, settings);
  if (settings.allowLocal) return url;
  const literal = literalAddress(url);
  let addresses: string[] = [];
  if (literal) {
    addresses = [literal];
  } else {
    try {
      addresses = await resolve(url.hostname);
    } catch {
      refuse(`the webhook host ${url.hostname} cannot be resolved`);
    }
    if (addresses.length === 0) refuse(`the webhook host ${url.hostname} cannot be resolved`);
  }
  const inside = addresses.find((a) => !isPublicAddress(a));
  if (inside !== undefined) refuse(`the webhook host ${url.hostname} resolves to ${inside}, which is not a public internet address (private, loopback, link-local or reserved)`);
  return url;
}

function resolveAll(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => lookup(host, { all: true, verbatim: true }, (error, found) => (error ? reject(error) : resolve(found.map((a) => a.address)))));
}

/** Refused at connection time: the host resolved to an address that is not public. */
export class AddressNotPublic extends Error {
  readonly code = 'ADDRESS_NOT_PUBLIC';
  constructor(readonly address: string) {
    super(`the webhook host resolved to ${address}, which is not a public internet address`);
    this.name = 'AddressNotPublic';
  }
}

/**
 * A `lookup` for node's http(s).request that refuses non-public addresses at the moment of
 * connecting: the address checked is the address used (no time between check and use for a DNS
 * answer to change). IP literals never reach a lookup; the caller checks those itself.
 */
export function guardedLookup(settings: WebhookSettings): LookupFunction {
  const guarded = (hostname: string, options: { all?: boolean; family?: number | string } & Record<string, unknown>, callback: (...args: unknown[]) => void): void => {
    lookup(hostname, { ...options, all: true } as { all: true }, (error, found) => {
      if (error) return callback(error);
      const bad = settings.allowLocal ? undefined : found.find((a) => !isPublicAddress(a.address));
      if (bad) return callback(new AddressNotPublic(bad.address));
      if (found.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
      if (options.all) return callback(null, found);
      return callback(null, found[0]!.address, found[0]!.family);
    });
  };
  return guarded as unknown as LookupFunction;
}

// IPv4 ranges that are not the public internet (RFC 6890 and its updates).
const IPV4_NOT_PUBLIC: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata (169.254.169.254)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
];

function ipv4Number(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function ipv4IsPublic(value: number): boolean {
  return !IPV4_NOT_PUBLIC.some(([base, bits]) => {
    const size = 2 ** (32 - bits);
    const start = ipv4Number(base)!;
    return value >= start && value < start + size;
  });
}

/** The eight 16-bit words of an IPv6 address (with an IPv4 tail allowed), or null when it is not one. */
export function ipv6Words(address: string): number[] | null {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // An IPv4 tail (::ffff:10.0.0.1) is two words written another way.
    const v4 = ipv4Number(text.slice(lastColon + 1));
    if (v4 === null) return null;
    text = `${text.slice(0, lastColon + 1)}${Math.floor(v4 / 65536).toString(16)}:${(v4 % 65536).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string): number[] | null => {
    if (part === '') return [];
    const words = part.split(':');
    if (words.some((w) => !/^[0-9a-f]{1,4}$/.test(w))) return null;
    return words.map((w) => parseInt(w, 16));
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return null;
  const known = head.length + rest.length;
  if (halves.length === 1 && known !== 8) return null;
  if (halves.length === 2 && known > 7) return null;
  return [...head, ...Array<number>(8 - known).fill(0), ...rest];
}

function ipv6IsPublic(words: readonly number[]): boolean {
  const [w0, w1, w2, w3, w4, w5, w6, w7] = words as [number, number, number, number, number, number, number, number];
  const embeddedV4 = w6 * 65536 + w7;
  // ::ffff:a.b.c.d (IPv4-mapped) and 64:ff9b::a.b.c.d (NAT64): as public as the IPv4 address inside.
  if (w0 === 0 && w1 === 0 && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0xffff) return ipv4IsPublic(embeddedV4);
  if (w0 === 0x64 && w1 === 0xff9b && w2 === 0 && w3 === 0 && w4 === 0 && w5 === 0) return ipv4IsPublic(embeddedV4);
  // Only global unicast (2000::/3) is the internet; inside it, the protocol, documentation and 6to4 blocks are not.
  if ((w0 & 0xe000) !== 0x2000) return false;
  if (w0 === 0x2001 && w1 < 0x0200) return false; // 2001::/23 IETF protocol assignments (Teredo, ORCHID, …)
  if (w0 === 0x2001 && w1 === 0x0db8) return false; // 2001:db8::/32 documentation
  if (w0 === 0x2002) return false; // 2002::/16 6to4
  if (w0 === 0x3fff && w1 < 0x1000) return false; // 3fff::/20 documentation
  return true;
}

/** Whether an address is on the public internet: not private, loopback, link-local, multicast, documentation or otherwise reserved. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address.split('%')[0]!);
  if (family === 4) return ipv4IsPublic(ipv4Number(address)!);
  if (family === 6) {
    const words = ipv6Words(address);
    return words !== null && ipv6IsPublic(words);
  }
  return false;
}
