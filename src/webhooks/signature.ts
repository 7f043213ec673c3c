import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a receiver knows a notice came from us and is fresh: HMAC-SHA256 with the organisation's
 * secret over `<timestamp>.<body>` (the exact bytes received), hex, in `Ontzorg-Signature: v1=<hex>`;
 * the timestamp (Unix seconds) in `Ontzorg-Timestamp`. A receiver recomputes the signature, compares in
 * constant time, and refuses a timestamp more than five minutes away from its clock (a replay).
 * Because the timestamp is signed, a replayed old request cannot be given a new one.
 */
export const WEBHOOK_HEADERS = {
  eventId: 'ontzorg-event-id',
  timestamp: 'ontzorg-timestamp',
  signature: 'ontzorg-signature',
  attempt: 'ontzorg-delivery-attempt',
} as const;

export const SIGNATURE_VERSION = 'v1';
/** How old (or how far ahead) a timestamp a receiver should accept, in seconds. */
export const REPLAY_WINDOW_SECONDS = 300;

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`. */
export function signNotice(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.`, 'utf8').update(body, 'utf8').digest('hex');
  return `${SIGNATURE_VERSION}=${mac}`;
}

export type SignatureCheck = { readonly ok: true } | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'mismatch' | 'too_old' | 'in_the_future' };

/**
 * The receiver's side, as the README describes it (and the tests' receiver runs it): the signature
 * must match and the timestamp lie within five minutes of `now`. Several `v1=` values separated by
 * commas are accepted (one must match), so a receiver can be moved to a new secret without a gap.
 */
export function verifyNoticeSignature(input: { secret: string; body: string; timestamp: string | undefined; signature: string | undefined; now: Date; windowSeconds?: number }): SignatureCheck {
  if (!input.timestamp || !input.signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: 'malformed' };
  const timestamp = Number(input.timestamp);
  const expected = Buffer.from(signNotice(input.secret, timestamp, input.body), 'utf8');
  const given = input.signature.split(',').map((s) => Buffer.from(s.trim(), 'utf8'));
  if (!given.some((g) => g.length === expected.length && timingSafeEqual(g, expected))) return { ok: false, reason: 'mismatch' };
  const age = Math.floor(input.now.getTime() / 1000) - timestamp;
  const window = input.windowSeconds ?? REPLAY_WINDOW_SECONDS;
  if (age > window) return { ok: false, reason: 'too_old' };
  if (age < -window) return { ok: false, reason: 'in_the_future' };
  return { ok: true };
}
