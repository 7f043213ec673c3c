import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERMISSIONS, ROLES } from '../../src/auth/principal.js';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import { buildApp, routeTable } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { deliverNotice, openWebhookSecret, recordSignalNotices, STRICT_WEBHOOKS } from '../../src/webhooks/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { AS_OF, LOCAL, SECRET, aSignalScene, startReceiver, type Receiver, type Scene } from '../webhooks/support.js';
import { SIGNAL_KINDS } from '../../src/statements/index.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 17), issuer: 'ontzorg', audience: 'ontzorg-api' };
const PUBLIC_URL = 'https://93.184.215.14/ontzorg/signals?token=receiver-own-token';
const base = '/api/organisations/VWN/webhook';

describeOnEachDatabase('an organisation\'s webhook over HTTP: set, read, remove, deliveries, redeliver; per role and tenant', (handle) => {
  let app: FastifyInstance;
  let local: FastifyInstance;
  let scene: Scene;
  let receiver: Receiver;
  const tokens = new Map<string, string>();
  const call = (label: string | null, method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: unknown, headers: Record<string, string> = {}, on = app): Promise<LightMyRequestResponse> =>
    on.inject({ method, url, headers: { ...(label ? { authorization: `Bearer ${tokens.get(label)!}` } : {}), ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const audits = (action: string) => handle().db.selectFrom('audit_log').selectAll().where('action', '=', action).orderBy('id').execute();

  beforeAll(async () => {
    const { db } = handle();
    scene = await aSignalScene(db, 'http');
    receiver = await startReceiver();
    const askers: Record<string, LocalTokenClaims> = {
      'administrator of Dordrecht': { userId: 'admin-d', role: 'administrator', gemeenten: ['GM0505'] },
      'administrator of the region': { userId: 'admin-r', role: 'administrator', gemeenten: ['GM0505', 'GM0642'] },
      'administrator of Zwijndrecht': { userId: 'admin-z', role: 'administrator', gemeenten: ['GM0642'] },
      'caseworker-1': { userId: 'caseworker-1', role: 'caseworker', organisation: 'VWN', gemeenten: [] },
    };
    for (const role of ROLES) if (role !== 'administrator') askers[role] = role === 'client' ? { userId: 'amira', role, clientId: scene.amira } : role === 'caseworker' ? askers['caseworker-1']! : { userId: `${role}-d`, role, gemeenten: ['GM0505'] };
    for (const [label, claims] of Object.entries(askers)) tokens.set(label, await mintLocalToken(settings, claims));
    // Strict addresses, as in production, with the key secrets are sealed with.
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), webhooks: { ...STRICT_WEBHOOKS, secretKey: LOCAL.secretKey! } });
    // The same API with ONTZORG_WEBHOOK_ALLOW_LOCAL on, as for local testing.
    local = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), webhooks: LOCAL });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await local?.close();
    await receiver?.close();
  });

  it('declares the right: every webhook route is for administrators only, and the others are refused before anything is read', async () => {
    const routes = routeTable(app).filter((r) => r.url.startsWith('/api/organisations'));
    expect(routes.map((r) => `${r.method} ${r.url} ${r.action}`).sort()).toEqual([
      'DELETE /api/organisations/:org/webhook webhooks:manage',
      'GET /api/organisations/:org/webhook webhooks:manage',
      'GET /api/organisations/:org/webhook/deliveries webhooks:manage',
      'POST /api/organisations/:org/webhook/deliveries/:id/redeliver webhooks:manage',
      'PUT /api/organisations/:org/webhook webhooks:manage',
    ]);
    expect(PERMISSIONS['webhooks:manage']).toEqual(['administrator']);
    for (const role of ROLES.filter((r) => r !== 'administrator')) {
      const response = await call(role, 'PUT', base, { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0505'] });
      expect(response.statusCode, role).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await call(null, 'GET', base)).statusCode).toBe(401);
  });

  it('refuses what a webhook may not point at, naming why, and changes nothing', async () => {
    const put = (url: string, on = app) => call('administrator of Dordrecht', 'PUT', base, { url, secret: SECRET, gemeenten: ['GM0505'] }, {}, on);
    const refused = async (url: string, on = app) => {
      const response = await put(url, on);
      expect(response.statusCode, url).toBe(422);
      expect(response.json()).toMatchObject({ code: 'invalid_webhook_url', status: 422 });
      return (response.json() as { detail: string }).detail;
    };
    expect(await refused('http://93.184.215.14/hook')).toBe('the webhook URL must start with https://');
    expect(await refused('https://user:pw@93.184.215.14/hook')).toMatch(/user name or password/);
    expect(await refused('https://10.0.0.8/hook')).toMatch(/10\.0\.0\.8, which is not a public internet address/);
    expect(await refused('https://169.254.169.254/latest/meta-data')).toMatch(/not a public internet address/);
    expect(await refused('https://localhost/hook')).toMatch(/not a public internet address/);
    expect(await refused('http://127.0.0.1:8080/hook')).toBe('the webhook URL must start with https://');
    // With the flag for local testing: loopback over http and private addresses, but never http elsewhere.
    expect(await refused('http://10.0.0.8/hook', local)).toMatch(/http:\/\/ is allowed only to 127\.0\.0\.1, ::1 or localhost/);
    expect((await put('https://10.0.0.8/hook', local)).statusCode).toBe(201);
    expect((await call('administrator of Dordrecht', 'DELETE', base)).statusCode).toBe(200);
    const short = await call('administrator of Dordrecht', 'PUT', base, { url: PUBLIC_URL, secret: 'too-short', gemeenten: ['GM0505'] });
    expect(short.statusCode).toBe(400);
    expect(short.body).not.toContain('too-short');
    expect((await call('administrator of Dordrecht', 'PUT', base, { url: PUBLIC_URL, gemeenten: ['GM0505'] })).json()).toMatchObject({ code: 'invalid_webhook', detail: 'a new webhook needs its signing secret' });
    expect((await call('administrator of Dordrecht', 'PUT', base, { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0505'], kinds: ['gossip'] })).statusCode).toBe(400);
    expect((await call('administrator of Dordrecht', 'GET', base)).statusCode).toBe(404);
  });

  it('sets the webhook with its secret but never answers or audits the secret; a change without a secret keeps it', async () => {
    const created = await call('administrator of Dordrecht', 'PUT', base, { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0505'], kinds: ['arrears', 'payment_returned', 'period_ending'] });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ organisation: 'VWN', url: PUBLIC_URL, active: true, kinds: ['arrears', 'payment_returned', 'period_ending'], gemeenten: ['GM0505'], secretSet: true, createdBy: 'admin-d' });
    const read = await call('administrator of Dordrecht', 'GET', base);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created.json());
    const changed = await call('administrator of Dordrecht', 'PUT', base, { url: PUBLIC_URL, active: false, gemeenten: ['GM0505'] });
    expect(changed.statusCode).toBe(200);
    expect(changed.json()).toMatchObject({ active: false, secretSet: true, secretChangedAt: (created.json() as { secretChangedAt: string }).secretChangedAt });
    // Every kind of signal, when none were chosen.
    expect((changed.json() as { kinds: string[] }).kinds).toEqual([...SIGNAL_KINDS]);
    // Kept sealed, never in clear (src/webhooks/secret-seal.ts).
    const stored = await handle().db.selectFrom('organisation_webhook').select(['secret', 'secret_sealed']).where('organisation', '=', 'VWN').where('deleted_at', 'is', null).executeTakeFirstOrThrow();
    expect(stored.secret).toBeNull();
    expect(openWebhookSecret(LOCAL.secretKey, 'VWN', stored.secret_sealed!)).toBe(SECRET);
    const rotated = await call('administrator of Dordrecht', 'PUT', base, { url: PUBLIC_URL, secret: `${SECRET}-2026`, gemeenten: ['GM0505'] });
    expect(rotated.json()).toMatchObject({ active: true });
    expect((rotated.json() as { secretChangedAt: string }).secretChangedAt).not.toBe((created.json() as { secretChangedAt: string }).secretChangedAt);

    const entries = [...(await audits('webhook.create')), ...(await audits('webhook.change'))];
    expect(entries.map((e) => [e.actor, e.action, e.gemeente_id, e.subject])).toContainEqual(['admin-d', 'webhook.change', 'GM0505', 'organisation/VWN/webhook']);
    expect(entries.find((e) => (e.details as { secretChanged: boolean }).secretChanged && e.action === 'webhook.change')).toBeDefined();
    const logged = JSON.stringify(entries.map((e) => e.details));
    for (const text of [created.body, read.body, changed.body, rotated.body, logged]) expect(text).not.toContain(SECRET);
    // The host, not the URL: the receiver's own token in the query stays out of the audit log.
    expect(logged).toContain('"host":"93.184.215.14"');
    expect(logged).not.toContain('receiver-own-token');
  });

  it('takes an organisation named in full (URL-encoded), and two administrators creating its webhook at once make one', async () => {
    const url = `/api/organisations/${encodeURIComponent('Vluchtelingenwerk Zuidwest-Nederland')}/webhook`;
    const both = await Promise.all([
      call('administrator of Dordrecht', 'PUT', url, { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0505'] }),
      call('administrator of the region', 'PUT', url, { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0505'], active: false }),
    ]);
    expect(both.map((r) => r.statusCode).sort()).toEqual([200, 201]);
    const rows = await handle().db.selectFrom('organisation_webhook').select('organisation').where('organisation', '=', 'Vluchtelingenwerk Zuidwest-Nederland').execute();
    expect(rows).toHaveLength(1);
    expect((await call('administrator of Dordrecht', 'GET', url)).json()).toMatchObject({ organisation: 'Vluchtelingenwerk Zuidwest-Nederland' });
  });

  it('hides a webhook from an administrator of another gemeente (404, as if there were none) and lets them change nothing', async () => {
    const before = await handle().db.selectFrom('organisation_webhook').selectAll().where('organisation', '=', 'VWN').where('deleted_at', 'is', null).executeTakeFirstOrThrow();
    const z = 'administrator of Zwijndrecht';
    for (const response of [
      await call(z, 'GET', base),
      await call(z, 'GET', `${base}/deliveries`),
      await call(z, 'PUT', base, { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0642'] }),
      await call(z, 'PUT', base, { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0505'] }),
      await call(z, 'DELETE', base),
      await call(z, 'POST', `${base}/deliveries/1/redeliver`),
    ]) {
      expect(response.statusCode, response.body).toBe(404);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    // An administrator of the whole region may see it.
    expect((await call('administrator of the region', 'GET', base)).statusCode).toBe(200);
    expect(await handle().db.selectFrom('organisation_webhook').selectAll().where('organisation', '=', 'VWN').where('deleted_at', 'is', null).executeTakeFirstOrThrow()).toEqual(before);
  });

  it('lists the deliveries page by page, filtered by status, and redelivers a failed one (once per Idempotency-Key, once while pending), audited', async () => {
    const { db } = handle();
    // Pointed at a local receiver, through the API with the flag for local testing on.
    expect((await call('administrator of Dordrecht', 'PUT', base, { url: receiver.url, secret: SECRET, gemeenten: ['GM0505'] }, {}, local)).statusCode).toBe(200);
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const notices = await db.selectFrom('webhook_notice as n').innerJoin('organisation_webhook as w', 'w.id', 'n.webhook_id').select(['n.id', 'n.event_id']).where('w.organisation', '=', 'VWN').where('w.deleted_at', 'is', null).execute();
    expect(notices).toHaveLength(1);
    const notice = notices[0]!;
    receiver.script([400]);
    expect(await deliverNotice(db, notice.id, { settings: LOCAL })).toMatchObject({ kind: 'failed' });

    const failed = await call('administrator of Dordrecht', 'GET', `${base}/deliveries?status=failed`);
    expect(failed.statusCode).toBe(200);
    const [item] = (failed.json() as { items: Record<string, unknown>[] }).items;
    expect(item).toMatchObject({ id: notice.id.toString(), eventId: notice.event_id, signalKind: 'period_ending', clientId: scene.amira.toString(), gemeente: 'GM0505', status: 'failed', lastStatusCode: 400, round: 1, attempts: 1 });
    expect((item!.log as unknown[])[0]).toMatchObject({ round: 1, attempt: 1, statusCode: 400, outcome: 'failed' });
    expect(((await call('administrator of Dordrecht', 'GET', `${base}/deliveries?status=delivered`)).json() as { items: unknown[] }).items).toEqual([]);

    const key = { 'idempotency-key': 'redeliver-1' };
    const first = await call('administrator of Dordrecht', 'POST', `${base}/deliveries/${notice.id}/redeliver`, undefined, key);
    const replay = await call('administrator of Dordrecht', 'POST', `${base}/deliveries/${notice.id}/redeliver`, undefined, key);
    const again = await call('administrator of Dordrecht', 'POST', `${base}/deliveries/${notice.id}/redeliver`);
    expect([first.statusCode, replay.statusCode, again.statusCode]).toEqual([202, 202, 202]);
    expect(replay.headers['idempotency-hit']).toBe('true');
    expect([first, replay, again].map((r) => (r.json() as { round: number; status: string }).round)).toEqual([2, 2, 2]);
    expect((await audits('webhook.redeliver')).map((e) => [e.actor, e.client_id, e.gemeente_id, e.subject])).toEqual([['admin-d', scene.amira, 'GM0505', `webhook-notice/${notice.id}`]]);
    expect(await deliverNotice(db, notice.id, { settings: LOCAL, round: 2 })).toMatchObject({ kind: 'delivered' });
    expect(receiver.forEvent(notice.event_id)).toHaveLength(2);
    expect((await call('administrator of Dordrecht', 'POST', `${base}/deliveries/999999/redeliver`)).json()).toMatchObject({ status: 404, code: 'webhook_notice_not_found' });

    // A second notice, then pages of one.
    await db.insertInto('caseworker_assignment').values({ client_id: scene.dawit, organisation: 'VWN', caseworker_id: 'caseworker-1' }).execute();
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const page1 = (await call('administrator of Dordrecht', 'GET', `${base}/deliveries?limit=1`)).json() as { items: { id: string; clientId: string }[]; next: string | null };
    const page2 = (await call('administrator of Dordrecht', 'GET', `${base}/deliveries?limit=1&after=${page1.next!}`)).json() as { items: { id: string }[]; next: string | null };
    expect(page1.items[0]!.clientId).toBe(scene.dawit.toString());
    expect(page2.items.map((i) => i.id)).toEqual([notice.id.toString()]);
    expect(BigInt(page2.items[0]!.id)).toBeLessThan(BigInt(page1.items[0]!.id));
  });

  it('refuses a secret, as problem+json naming what to set, where the service has no data key; nothing is stored', async () => {
    const keyless = await buildApp({ db: handle().db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings) });
    try {
      const token = tokens.get('administrator of Dordrecht')!;
      const answer = await keyless.inject({ method: 'PUT', url: '/api/organisations/Keyless/webhook', headers: { authorization: `Bearer ${token}` }, payload: { url: PUBLIC_URL, secret: SECRET, gemeenten: ['GM0505'] } });
      expect(answer.statusCode).toBe(503);
      expect(answer.headers['content-type']).toContain('application/problem+json');
      expect(answer.json()).toMatchObject({ code: 'webhook_key_missing', detail: expect.stringContaining('ONTZORG_BSN_KEY') });
      expect(await handle().db.selectFrom('organisation_webhook').select('id').where('organisation', '=', 'Keyless').execute()).toEqual([]);
    } finally {
      await keyless.close();
    }
  });

  it('removes the webhook: the secret is forgotten, waiting deliveries cancelled, audited; then it answers 404', async () => {
    const removed = await call('administrator of Dordrecht', 'DELETE', base);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toEqual({ organisation: 'VWN', removed: true, cancelled: 1 });
    expect((await call('administrator of Dordrecht', 'GET', base)).statusCode).toBe(404);
    expect((await call('administrator of Dordrecht', 'DELETE', base)).json()).toMatchObject({ status: 404, code: 'webhook_not_found' });
    const rows = await handle().db.selectFrom('organisation_webhook').select(['secret', 'secret_sealed', 'deleted_by']).where('organisation', '=', 'VWN').execute();
    expect(rows.every((r) => r.secret === null && r.secret_sealed === null)).toBe(true);
    expect((await audits('webhook.remove')).map((e) => e.actor)).toContain('admin-d');
  });
});
