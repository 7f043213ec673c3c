import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { ipv6Words } from '../../src/webhooks/address.js';
import { PostFailed, postNotice } from '../../src/webhooks/post.js';
import { backoffDelay, checkWebhookUrl, classifyAnswer, isPublicAddress, parseWebhookUrl, signNotice, STRICT_WEBHOOKS, verifyNoticeSignature, WebhookError } from '../../src/webhooks/index.js';
import { LOCAL, SECRET, startReceiver } from './support.js';

/** The rules of the webhooks that need no database: where a webhook may point, signatures, what an answer means. */

const refusal = async (url: string, settings = STRICT_WEBHOOKS, resolve?: (host: string) => Promise<string[]>): Promise<string> => {
  try {
    await checkWebhookUrl(url, settings, resolve);
  } catch (error) {
    if (error instanceof WebhookError && error.code === 'invalid_webhook_url') return error.message;
    throw error;
  }
  return 'accepted';
};

describe('where a webhook may point (SSRF)', () => {
  it('accepts https to a public address, and a name that resolves only to public addresses', async () => {
    expect(await refusal('https://93.184.215.14/ontzorg/signals')).toBe('accepted');
    expect(await refusal('https://[2a00:1450:400e:80f::200e]:8443/hook')).toBe('accepted');
    expect(await refusal('https://hooks.vluchtelingenwerk.example/ontzorg', STRICT_WEBHOOKS, async () => ['93.184.215.14', '2a00:1450:400e:80f::200e'])).toBe('accepted');
  });

  it('refuses anything but https, and URLs with a user name or password', async () => {
    expect(await refusal('http://93.184.215.14/hook')).toBe('the webhook URL must start with https://');
    expect(await refusal('ftp://93.184.215.14/hook')).toBe('the webhook URL must start with https://');
    expect(await refusal('https://user:secret@93.184.215.14/hook')).toMatch(/must not carry a user name or password/);
    expect(await refusal('https://token@93.184.215.14/hook')).toMatch(/must not carry a user name or password/);
    expect(await refusal('not a url')).toMatch(/not a valid URL/);
    expect(await refusal(`https://93.184.215.14/${'a'.repeat(2_000)}`)).toMatch(/longer than 2000/);
  });

  it('refuses private, loopback, link-local and other reserved addresses, written in any form, and names that resolve to one', async () => {
    for (const url of [
      'https://10.1.2.3/hook',
      'https://172.20.0.5/hook',
      'https://192.168.1.10/hook',
      'https://127.0.0.1:8443/hook',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/hook',
      'https://0.0.0.0/hook',
      'https://2130706433/hook',
      'https://0x7f.1/hook',
      'https://[::1]/hook',
      'https://[::ffff:127.0.0.1]/hook',
      'https://[::ffff:a9fe:a9fe]/hook',
      'https://[fd12:3456::1]/hook',
      'https://[fe80::1]/hook',
      'https://[64:ff9b::a00:1]/hook',
      'https://224.0.0.1/hook',
    ]) {
      expect(await refusal(url), url).toMatch(/is not a public internet address/);
    }
    expect(await refusal('https://localhost/hook')).toMatch(/resolves to (127\.0\.0\.1|::1)/);
    expect(await refusal('https://rebind.example/hook', STRICT_WEBHOOKS, async () => ['93.184.215.14', '10.0.0.7'])).toMatch(/resolves to 10\.0\.0\.7/);
    expect(await refusal('https://nowhere.invalid/hook', STRICT_WEBHOOKS, async () => Promise.reject(new Error('ENOTFOUND')))).toMatch(/cannot be resolved/);
  });

  it('allows http to loopback and private addresses only with ONTZORG_WEBHOOK_ALLOW_LOCAL, and never http elsewhere', async () => {
    expect(await refusal('http://127.0.0.1:9999/hook', LOCAL)).toBe('accepted');
    expect(await refusal('http://localhost:9999/hook', LOCAL)).toBe('accepted');
    expect(await refusal('http://[::1]:9999/hook', LOCAL)).toBe('accepted');
    expect(await refusal('https://10.1.2.3/hook', LOCAL)).toBe('accepted');
    expect(await refusal('http://10.1.2.3/hook', LOCAL)).toMatch(/http:\/\/ is allowed only to 127\.0\.0\.1, ::1 or localhost/);
    expect(await refusal('http://user:pw@127.0.0.1/hook', LOCAL)).toMatch(/user name or password/);
    expect(await refusal('http://127.0.0.1:9999/hook')).toBe('the webhook URL must start with https://');
  });

  it('reads ONTZORG_WEBHOOK_ALLOW_LOCAL as a flag, off unless set', () => {
    expect(loadConfig({}).webhookAllowLocal).toBe(false);
    expect(loadConfig({ ONTZORG_WEBHOOK_ALLOW_LOCAL: 'true' }).webhookAllowLocal).toBe(true);
    expect(() => loadConfig({ ONTZORG_WEBHOOK_ALLOW_LOCAL: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadConfig({ ONTZORG_WEBHOOK_ALLOW_LOCAL: 'sometimes' })).toThrow(/ONTZORG_WEBHOOK_ALLOW_LOCAL must be true or false/);
  });

  it('knows the public internet from the rest, IPv4 and IPv6', () => {
    expect(['8.8.8.8', '93.184.215.14', '2a00:1450:400e:80f::200e', '::ffff:8.8.8.8', '64:ff9b::808:808'].map(isPublicAddress)).toEqual([true, true, true, true, true]);
    expect(['10.0.0.1', '172.31.255.255', '192.168.0.1', '127.0.0.1', '169.254.1.1', '100.127.255.255', '198.18.0.1', '192.0.2.1', '255.255.255.255', '::', '::1', 'fc00::1', 'fe80::1%eth0', 'ff02::1', '2001:db8::1', '2002:c000:201::1', '::ffff:10.0.0.1', 'not-an-ip'].map(isPublicAddress)).toEqual(
      Array(18).fill(false),
    );
    expect(['172.15.255.255', '172.32.0.0', '100.128.0.0', '11.0.0.0'].map(isPublicAddress)).toEqual([true, true, true, true]);
    expect(ipv6Words('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(ipv6Words('2001:db8::1')).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(ipv6Words('1:2:3:4:5:6:7:8:9')).toBeNull();
    expect(ipv6Words('1::2::3')).toBeNull();
  });

  it('checks the address connected to on every delivery: a name that resolves to loopback is refused before anything is sent', async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url).port;
      const send = (url: string) => postNotice(new URL(url), '{}', {}, { timeoutMs: 1_000, settings: STRICT_WEBHOOKS });
      await expect(send(`https://localhost:${port}/hook`)).rejects.toMatchObject({ reason: 'address_not_public' });
      await expect(send(`https://127.0.0.1:${port}/hook`)).rejects.toBeInstanceOf(PostFailed);
      expect(receiver.received).toHaveLength(0);
      // The same receiver, with the flag for local testing on: reached.
      await expect(postNotice(new URL(`http://localhost:${port}/hook`), '{}', {}, { timeoutMs: 1_000, settings: LOCAL })).resolves.toMatchObject({ statusCode: 401 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });

  it('does not deliver to a webhook set for local testing once the flag is off', () => {
    expect(() => parseWebhookUrl('http://127.0.0.1:9999/hook', STRICT_WEBHOOKS)).toThrow(/must start with https/);
  });
});

describe('signatures and answers', () => {
  const body = '{"id":"e1","type":"signal"}';
  const now = new Date('2026-11-25T10:00:00Z');
  const ts = Math.floor(now.getTime() / 1000);

  it('signs "<timestamp>.<body>" with HMAC-SHA256, as the README tells receivers to check', async () => {
    const { createHmac } = await import('node:crypto');
    expect(signNotice(SECRET, ts, body)).toBe(`v1=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`);
    expect(verifyNoticeSignature({ secret: SECRET, body, timestamp: String(ts), signature: signNotice(SECRET, ts, body), now })).toEqual({ ok: true });
  });

  it('lets a receiver refuse a changed body, another secret, a replay older than five minutes and a timestamp from the future', () => {
    const signature = signNotice(SECRET, ts, body);
    const check = (over: Partial<Parameters<typeof verifyNoticeSignature>[0]>) => verifyNoticeSignature({ secret: SECRET, body, timestamp: String(ts), signature, now, ...over });
    expect(check({ body: body.replace('e1', 'e2') })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ secret: `${SECRET}x` })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ timestamp: String(ts + 1) })).toEqual({ ok: false, reason: 'mismatch' });
    expect(check({ now: new Date(now.getTime() + 300_000) })).toEqual({ ok: true });
    expect(check({ now: new Date(now.getTime() + 301_000) })).toEqual({ ok: false, reason: 'too_old' });
    expect(check({ now: new Date(now.getTime() - 301_000) })).toEqual({ ok: false, reason: 'in_the_future' });
    expect(check({ signature: undefined })).toEqual({ ok: false, reason: 'missing' });
    expect(check({ timestamp: '12ab' })).toEqual({ ok: false, reason: 'malformed' });
    expect(check({ signature: `v1=${'0'.repeat(64)}, ${signature}` })).toEqual({ ok: true });
  });

  it('delivered on 2xx; tried again on 408, 429 and 5xx; failed at once on any other answer', () => {
    expect([200, 201, 204, 299].map(classifyAnswer)).toEqual(['delivered', 'delivered', 'delivered', 'delivered']);
    expect([408, 429, 500, 502, 503, 504].map(classifyAnswer)).toEqual(Array(6).fill('retry'));
    expect([301, 302, 400, 401, 403, 404, 410, 422].map(classifyAnswer)).toEqual(Array(8).fill('failed'));
  });

  it('waits exponentially longer between attempts: ten attempts from 30 s span about four hours', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, 30_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    const total = Array.from({ length: 9 }, (_, i) => backoffDelay(i + 1, 30_000)).reduce((a, b) => a + b, 0);
    expect(total / 3_600_000).toBeCloseTo(4.26, 1);
  });
});
