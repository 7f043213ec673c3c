import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, type Role } from '../../src/auth/principal.js';
import { assignCaseworker } from '../../src/auth/scope.js';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { registerClient } from '../../src/clients/registry.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, type TestClient } from '../batch/support.js';
import { aNoodvoorzieningPolicy } from '../noodvoorziening/support.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 17), issuer: 'ontzorg', audience: 'ontzorg-api' };
const NOW = new Date('2026-03-25T10:00:00Z');

type Grant = { id: string; status: string; outstanding: string; repaid: string; kind: string; amount: string; fourEyes: boolean; requestedBy: string; decidedBy: string | null; repayments: unknown[] };

/**
 * The noodvoorziening over HTTP, every role and tenant. Dordrecht (GM0505): Amira (caseworker-1 of VWN) and Dawit;
 * Zwijndrecht (GM0642): Sara. Only the back office's operators and administrators ask for a grant or decide an
 * early repayment; only approvers approve or refuse; whoever may see the client reads its grants (caseworker and
 * client reads audited); another gemeente's or another caseworker's client answers 404, and nothing changes.
 */
describeOnEachDatabase('noodvoorziening over HTTP: every role, every tenant', (handle) => {
  let app: FastifyInstance;
  let amira: TestClient;
  let dawit: TestClient;
  let sara: bigint;
  const tokens = new Map<string, string>();
  let keys = 0;
  const send = (who: string | null, method: 'GET' | 'POST', url: string, body?: unknown, key: string | null = `key-${++keys}`): Promise<LightMyRequestResponse> =>
    app.inject({
      method,
      url,
      headers: { ...(who ? { authorization: `Bearer ${tokens.get(who)!}` } : {}), ...(key && method === 'POST' ? { 'idempotency-key': key } : {}) },
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
  const grants = async () => Number((await handle().db.selectFrom('noodvoorziening_grant').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  const audits = async (actor: string, action: string) =>
    Number((await handle().db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('actor', '=', actor).where('action', '=', action).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    const { db } = handle();
    await aServiceRegion(db);
    await aNoodvoorzieningPolicy(db);
    amira = await aClient(db, {});
    dawit = await aClient(db, {});
    await bankCredits(db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03')]);
    sara = await inTransaction(db, async (trx) => {
      await ensureGemeente(trx, { id: 'GM0642', name: 'Zwijndrecht' });
      const record = await registerClient(trx, { gemeenteId: 'GM0642', reference: 'ZW-0001', name: 'Sara Tesfay', ownIban: 'NL22SNSB0912345678', householdType: 'single', bijstandStart: '2026-03-01', inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true });
      await assignCaseworker(trx, { clientId: amira.id, organisation: 'VWN', caseworkerId: 'caseworker-1' });
      return record.id;
    });
    const people: Record<string, LocalTokenClaims> = {
      'caseworker of Amira': { userId: 'caseworker-1', role: 'caseworker', organisation: 'VWN', gemeenten: [] },
      'another caseworker': { userId: 'caseworker-2', role: 'caseworker', organisation: 'VWN', gemeenten: ['GM0505'] },
      'client Amira': { userId: 'amira', role: 'client', clientId: amira.id },
      'client Sara': { userId: 'sara', role: 'client', clientId: sara },
    };
    for (const role of ['administrator', 'operator', 'approver', 'auditor'] as const) {
      people[`${role} of Dordrecht`] = { userId: `${role}-d`, role, gemeenten: ['GM0505'] };
      people[`${role} of Zwijndrecht`] = { userId: `${role}-z`, role, gemeenten: ['GM0642'] };
    }
    people['second approver of Dordrecht'] = { userId: 'approver-d2', role: 'approver', gemeenten: ['GM0505'] };
    for (const [label, claims] of Object.entries(people)) tokens.set(label, await mintLocalToken(settings, claims));
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => NOW });
  }, 120_000);
  afterAll(async () => app?.close());

  it('grants only operators and administrators may ask for: at once below the threshold (201), waiting above it (202)', async () => {
    const small = await send('operator of Dordrecht', 'POST', `/api/clients/${amira.id}/noodvoorzieningen`, { amount: '250.00', kind: 'advance', reason: 'first toeslagen not there yet', instalment: '25.00' });
    expect(small.statusCode, small.body).toBe(201);
    expect(small.json()).toMatchObject({ status: 'approved', kind: 'advance', amount: '250.00', outstanding: '250.00', fourEyes: false, decidedBy: 'operator-d' });
    const big = await send('administrator of Dordrecht', 'POST', `/api/clients/${dawit.id}/noodvoorzieningen`, { amount: '800.00', kind: 'gift', reason: 'deposit for a fridge after a flood', payment: 'next_batch' });
    expect(big.statusCode, big.body).toBe(202);
    expect(big.json()).toMatchObject({ status: 'requested', fourEyes: true, decidedBy: null });
    expect(await audits('operator-d', 'noodvoorziening.request')).toBe(1);
  });

  it('answers 401 without a token and 403 to every role without the right, changing nothing', async () => {
    const before = await grants();
    const routes: { method: 'GET' | 'POST'; url: string; body?: unknown; action: keyof typeof PERMISSIONS }[] = [
      { method: 'POST', url: `/api/clients/${amira.id}/noodvoorzieningen`, body: { amount: '10.00', kind: 'advance', reason: 'test' }, action: 'noodvoorziening:grant' },
      { method: 'POST', url: '/api/noodvoorzieningen/1/approve', action: 'noodvoorziening:approve' },
      { method: 'POST', url: '/api/noodvoorzieningen/1/refuse', body: { reason: 'test' }, action: 'noodvoorziening:approve' },
      { method: 'POST', url: `/api/clients/${amira.id}/noodvoorzieningen/1/early-repayment`, body: { amount: '1.00', reason: 'test' }, action: 'noodvoorziening:grant' },
      { method: 'GET', url: `/api/clients/${amira.id}/noodvoorzieningen`, action: 'noodvoorziening:read' },
      { method: 'GET', url: '/api/noodvoorzieningen', action: 'noodvoorziening:list' },
    ];
    const insider = (role: Role) => (role === 'caseworker' ? 'caseworker of Amira' : role === 'client' ? 'client Amira' : `${role} of Dordrecht`);
    for (const route of routes) {
      expect((await send(null, route.method, route.url, route.body)).statusCode, route.url).toBe(401);
      for (const role of ROLES) {
        if (PERMISSIONS[route.action].includes(role)) continue;
        const response = await send(insider(role), route.method, route.url, route.body);
        expect(response.statusCode, `${route.method} ${route.url} as ${role}`).toBe(403);
      }
    }
    expect(await grants()).toBe(before);
  });

  it('four eyes over HTTP: an approver of the gemeente approves (then it is paid); another gemeente\'s approver gets 404', async () => {
    const list = await send('approver of Dordrecht', 'GET', '/api/noodvoorzieningen?status=requested');
    expect(list.statusCode).toBe(200);
    const waiting = (list.json() as { items: Grant[] }).items;
    expect(waiting.map((g) => g.amount)).toEqual(['800.00']);
    const id = waiting[0]!.id;
    expect((await send('approver of Zwijndrecht', 'POST', `/api/noodvoorzieningen/${id}/approve`)).statusCode).toBe(404);
    expect(((await send('approver of Zwijndrecht', 'GET', '/api/noodvoorzieningen')).json() as { items: unknown[] }).items).toEqual([]);
    const approved = await send('approver of Dordrecht', 'POST', `/api/noodvoorzieningen/${id}/approve`, undefined, 'approve-1');
    expect(approved.statusCode, approved.body).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved', decidedBy: 'approver-d', kind: 'gift', outstanding: '0.00' });
    // A retry with the same key answers the first outcome; a second decision by someone else is refused.
    const retry = await send('approver of Dordrecht', 'POST', `/api/noodvoorzieningen/${id}/approve`, undefined, 'approve-1');
    expect(retry.statusCode).toBe(200);
    expect(retry.headers['idempotency-hit']).toBe('true');
    const again = await send('second approver of Dordrecht', 'POST', `/api/noodvoorzieningen/${id}/refuse`, { reason: 'changed my mind' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'noodvoorziening_already_decided' });
    expect(await audits('approver-d', 'noodvoorziening.approve')).toBe(1);
  });

  it('a refusal by an approver, with the reason', async () => {
    const asked = await send('operator of Dordrecht', 'POST', `/api/clients/${dawit.id}/noodvoorzieningen`, { amount: '600.00', kind: 'advance', reason: 'rent arrears from before' });
    const refused = await send('approver of Dordrecht', 'POST', `/api/noodvoorzieningen/${(asked.json() as Grant).id}/refuse`, { reason: 'covered by the landlord\'s scheme' });
    expect(refused.statusCode).toBe(200);
    expect(refused.json()).toMatchObject({ status: 'refused', refusalReason: 'covered by the landlord\'s scheme' });
  });

  it('refuses another gemeente\'s client (404), a missing Idempotency-Key and a policy breach with clear errors, changing nothing', async () => {
    const before = await grants();
    const body = { amount: '100.00', kind: 'advance', reason: 'test' };
    const elsewhere = await send('operator of Zwijndrecht', 'POST', `/api/clients/${amira.id}/noodvoorzieningen`, body);
    expect(elsewhere.statusCode).toBe(404);
    expect(elsewhere.json()).toMatchObject({ code: 'client_not_found' });
    const noKey = await send('operator of Dordrecht', 'POST', `/api/clients/${amira.id}/noodvoorzieningen`, body, null);
    expect(noKey.statusCode).toBe(422);
    expect(noKey.json()).toMatchObject({ code: 'invalid_noodvoorziening' });
    const tooMuch = await send('operator of Dordrecht', 'POST', `/api/clients/${amira.id}/noodvoorzieningen`, { ...body, amount: '1000.01' });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json()).toMatchObject({ code: 'grant_above_maximum' });
    expect(tooMuch.headers['content-type']).toContain('application/problem+json');
    const badAmount = await send('operator of Dordrecht', 'POST', `/api/clients/${amira.id}/noodvoorzieningen`, { ...body, amount: '12.5' });
    expect(badAmount.statusCode).toBe(400);
    expect(await grants()).toBe(before);
  });

  it('an early repayment by an operator, from the client\'s free money; another gemeente\'s operator gets 404', async () => {
    const [advance] = ((await send('operator of Dordrecht', 'GET', `/api/clients/${amira.id}/noodvoorzieningen`)).json() as { items: Grant[] }).items;
    const url = `/api/clients/${amira.id}/noodvoorzieningen/${advance!.id}/early-repayment`;
    expect((await send('operator of Zwijndrecht', 'POST', url, { amount: '50.00', reason: 'energy refund' })).statusCode).toBe(404);
    const repaid = await send('operator of Dordrecht', 'POST', url, { amount: '50.00', reason: 'energy refund, decision 2026-14' });
    expect(repaid.statusCode, repaid.body).toBe(200);
    expect(repaid.json()).toMatchObject({ outstanding: '200.00', repaid: '50.00' });
    const tooMuch = await send('operator of Dordrecht', 'POST', url, { amount: '200.01', reason: 'more than owed' });
    expect(tooMuch.json()).toMatchObject({ code: 'repayment_not_possible' });
  });

  it('reads a client\'s grants for those who may see the client, auditing caseworkers and clients; 404 for everyone else', async () => {
    const url = `/api/clients/${amira.id}/noodvoorzieningen`;
    for (const who of ['operator of Dordrecht', 'approver of Dordrecht', 'auditor of Dordrecht', 'administrator of Dordrecht', 'caseworker of Amira', 'client Amira']) {
      const response = await send(who, 'GET', url);
      expect(response.statusCode, who).toBe(200);
      expect(response.json(), who).toMatchObject({ outstanding: '200.00', items: [{ amount: '250.00', outstanding: '200.00', repayments: [{ kind: 'early_repayment', amount: '50.00' }] }] });
    }
    for (const who of ['operator of Zwijndrecht', 'auditor of Zwijndrecht', 'another caseworker', 'client Sara']) {
      const response = await send(who, 'GET', url);
      expect(response.statusCode, who).toBe(404);
    }
    expect(await audits('caseworker-1', 'noodvoorziening.read')).toBe(1);
    expect(await audits('amira', 'noodvoorziening.read')).toBe(1);
    expect(await audits('operator-d', 'noodvoorziening.read')).toBe(0);
  });

  it('signals a granted noodvoorziening to the client\'s caseworker, and to nobody else\'s', async () => {
    const mine = await send('caseworker of Amira', 'GET', '/api/signals?kind=noodvoorziening_granted&lang=en');
    expect(mine.statusCode, mine.body).toBe(200);
    const items = (mine.json() as { items: { client: { id: string }; message: string; details: Record<string, string> }[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]!.client.id).toBe(amira.id.toString());
    expect(items[0]!.message).toContain('granted as an advance');
    expect(items[0]!.details).toMatchObject({ kind: 'advance', amount: '250.00', instalment: '25.00' });
    const other = await send('another caseworker', 'GET', '/api/signals?kind=noodvoorziening_granted');
    expect((other.json() as { items: unknown[] }).items).toEqual([]);
  });

  it('the approvers\' list is per gemeente and paged', async () => {
    const first = (await send('auditor of Dordrecht', 'GET', '/api/noodvoorzieningen?limit=1')).json() as { items: Grant[]; next: string };
    expect(first.items).toHaveLength(1);
    const rest = (await send('auditor of Dordrecht', 'GET', `/api/noodvoorzieningen?limit=50&after=${first.next}`)).json() as { items: Grant[] };
    expect([first.items[0]!, ...rest.items].map((g) => g.amount)).toEqual(['250.00', '800.00', '600.00']);
    expect(((await send('operator of Dordrecht', 'GET', '/api/noodvoorzieningen?gemeente=GM0642')).json() as { items: unknown[] }).items).toEqual([]);
  });
});
