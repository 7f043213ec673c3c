import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERMISSIONS, ROLES, type Role } from '../../src/auth/principal.js';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import { buildApp, routeTable, type RouteEntry } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { requestGrant } from '../../src/noodvoorziening/grants.js';
import { setNoodvoorzieningPolicy } from '../../src/noodvoorziening/policy.js';
import { checkedWebhookUrl, setWebhook, STRICT_WEBHOOKS, webhookSecretKeyFrom } from '../../src/webhooks/index.js';

/** Strict addresses, and a key to seal signing secrets with. */
const WEBHOOKS = { ...STRICT_WEBHOOKS, secretKey: webhookSecretKeyFrom({ id: 'k1', key: Buffer.alloc(32, 9) }) };
import { describeOnEachDatabase } from '../support/db.js';
import { TODAY, twoMonthsOfAmira } from '../statements/scenario.js';

/**
 * Every route against every role (issue 7). The routes come from the app itself (`routeTable`), so
 * a new route without an example here fails the first test until someone says how it is scoped.
 * Each example is a valid request about Amira (Dordrecht, GM0505) or her gemeente's data:
 * - a role without the right answers 403 before anything is read;
 * - a role with the right, but for another gemeente, another caseworker's clients or another
 *   client, answers 404 for one item (as if it did not exist) and leaves Dordrecht's data out of a
 *   list; and nothing is changed by such an attempt.
 */

const eur = (text: string): Money => Money.parse(text);
const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 13), issuer: 'ontzorg', audience: 'ontzorg-api' };

/** How a route is scoped: one client's data, one gemeente's, a list filtered by scope, the service's bank side (no gemeente), or the asker's own. */
type Scope = 'client' | 'gemeente' | 'list' | 'organisation' | 'self';
interface Example {
  scope: Scope;
  url: string;
  body?: unknown;
}
interface Ids {
  amira: string;
  obligation: string;
  period: string;
  machtiging: string;
  batch: string;
  payment: string;
  bankFile: string;
  grant: string;
}

const day = '2026-11-25';
function examples(ids: Ids): Record<string, Example> {
  const client = `/api/clients/${ids.amira}`;
  return {
    'POST /api/bank-files': { scope: 'organisation', url: '/api/bank-files', body: '<x/>' },
    'POST /api/bank-files/preview': { scope: 'organisation', url: '/api/bank-files/preview', body: '<x/>' },
    'GET /api/bank-files': { scope: 'organisation', url: '/api/bank-files' },
    'GET /api/bank-files/:id': { scope: 'organisation', url: `/api/bank-files/${ids.bankFile}` },
    'POST /api/bank-files/:id/undo': { scope: 'organisation', url: `/api/bank-files/${ids.bankFile}/undo`, body: { reason: 'test' } },
    'POST /api/status-reports': { scope: 'organisation', url: '/api/status-reports', body: '<x/>' },
    'GET /api/status-reports/:id': { scope: 'organisation', url: '/api/status-reports/999999' },
    'GET /api/suspense': { scope: 'organisation', url: '/api/suspense' },
    'POST /api/suspense/:id/assign': { scope: 'client', url: '/api/suspense/999999/assign', body: { clientId: ids.amira, incomeType: 'bijstand', reason: 'test assignment', bookingDate: day } },
    'GET /api/suspense/:id': { scope: 'organisation', url: '/api/suspense/999999' },
    // The refund goes out with the payments of one of the sender's gemeenten: others are answered 404.
    'POST /api/suspense/:id/send-back': { scope: 'gemeente', url: '/api/suspense/999999/send-back', body: { reason: 'role test send back' } },
    'GET /api/batches': { scope: 'list', url: '/api/batches' },
    'GET /api/payments': { scope: 'list', url: '/api/payments' },
    'POST /api/payments/:id/retry': { scope: 'gemeente', url: `/api/payments/${ids.payment}/retry`, body: { executionDate: day } },
    'POST /api/batches/:id/bank-rejected': { scope: 'gemeente', url: `/api/batches/${ids.batch}/bank-rejected`, body: { reason: 'the portal refused the file', bookingDate: day } },
    'GET /api/batches/:id': { scope: 'gemeente', url: `/api/batches/${ids.batch}` },
    'GET /api/batches/:id/files/:sequence': { scope: 'gemeente', url: `/api/batches/${ids.batch}/files/1` },
    'POST /api/batches/:id/approve': { scope: 'gemeente', url: `/api/batches/${ids.batch}/approve`, body: {} },
    'POST /api/batches/:id/reject': { scope: 'gemeente', url: `/api/batches/${ids.batch}/reject`, body: { reason: 'test rejection' } },
    'POST /api/batches/:id/release': { scope: 'gemeente', url: `/api/batches/${ids.batch}/release`, body: {} },
    'GET /api/audit': { scope: 'list', url: '/api/audit' },
    'GET /api/clients': { scope: 'list', url: '/api/clients' },
    'GET /api/clients/:id': { scope: 'client', url: client },
    'POST /api/clients': { scope: 'gemeente', url: '/api/clients', body: { gemeente: 'GM0505', reference: 'ROLE-TEST-1', name: 'Test Person', householdType: 'single', bijstandStart: '2026-11-01', inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true } },
    'PATCH /api/clients/:id': { scope: 'client', url: client, body: { name: 'Changed Name' } },
    'POST /api/clients/:id/periods': { scope: 'client', url: `${client}/periods`, body: { basis: 'art57', firstDay: '2027-04-01', reviewDate: '2027-06-01', decisionReference: 'ROLE-57' } },
    'POST /api/clients/:id/periods/:periodId/end': { scope: 'client', url: `${client}/periods/${ids.period}/end`, body: { lastDay: '2027-01-31', reason: 'test end' } },
    'POST /api/clients/:id/end-ontzorgen': { scope: 'client', url: `${client}/end-ontzorgen`, body: { lastDay: '2027-01-31', reason: 'test end' } },
    'POST /api/clients/:id/obligations': { scope: 'client', url: `${client}/obligations`, body: { type: 'water', payee: { name: 'Evides', iban: 'NL02ABNA0123456789' }, effectiveFrom: '2027-01-01', amount: '30.00', dueDay: 1, basis: 'art56a' } },
    'POST /api/clients/:id/obligations/:obligationId/versions': { scope: 'client', url: `${client}/obligations/${ids.obligation}/versions`, body: { effectiveFrom: '2027-02-01', amount: '999.00' } },
    'POST /api/clients/:id/obligations/:obligationId/end': { scope: 'client', url: `${client}/obligations/${ids.obligation}/end`, body: { lastDay: '2027-01-31' } },
    'POST /api/clients/:id/machtigingen': { scope: 'client', url: `${client}/machtigingen`, body: { documentReference: 'ROLE-M', signedOn: day, payees: [{ name: 'Evides', iban: 'NL02ABNA0123456789' }] } },
    'POST /api/clients/:id/machtigingen/:machtigingId/revoke': { scope: 'client', url: `${client}/machtigingen/${ids.machtiging}/revoke`, body: { revokedOn: day, reason: 'test revocation' } },
    'POST /api/clients/:id/caseworkers': { scope: 'client', url: `${client}/caseworkers`, body: { organisation: 'Humanitas', caseworker: 'someone' } },
    'POST /api/clients/:id/caseworkers/end': { scope: 'client', url: `${client}/caseworkers/end`, body: { organisation: 'Humanitas', caseworker: 'nobody-assigned' } },
    'GET /api/gemeenten': { scope: 'list', url: '/api/gemeenten' },
    'PUT /api/gemeenten/:id/policy': { scope: 'gemeente', url: '/api/gemeenten/GM0505/policy', body: { debtorIban: 'NL91ABNA0417164300', bijstandPayday: '24th' } },
    'GET /api/reports/daily-batch': { scope: 'gemeente', url: `/api/reports/daily-batch?gemeente=GM0505&date=${day}` },
    'GET /api/reports/daily-batch/runs': { scope: 'gemeente', url: '/api/reports/daily-batch/runs?gemeente=GM0505' },
    'GET /api/clients/:id/statement': { scope: 'client', url: `${client}/statement` },
    'GET /api/me/statement': { scope: 'self', url: '/api/me/statement' },
    'GET /api/signals': { scope: 'list', url: '/api/signals' },
    'POST /api/clients/:id/maatwerk': { scope: 'client', url: `${client}/maatwerk`, body: { scope: 'full_opt_out', reasonCategory: 'other', reason: 'role test', assessment: 'role test', effectiveDate: '2027-01-04', reviewDate: '2027-02-01' } },
    'POST /api/clients/:id/maatwerk/:decisionId/revoke': { scope: 'client', url: `${client}/maatwerk/999999/revoke`, body: { effectiveDate: '2027-01-04', reason: 'role test' } },
    'GET /api/clients/:id/maatwerk': { scope: 'client', url: `${client}/maatwerk` },
    'POST /api/clients/:id/noodvoorzieningen': { scope: 'client', url: `${client}/noodvoorzieningen`, body: { amount: '100.00', kind: 'advance', reason: 'role test' } },
    'GET /api/clients/:id/noodvoorzieningen': { scope: 'client', url: `${client}/noodvoorzieningen` },
    'POST /api/clients/:id/noodvoorzieningen/:grantId/early-repayment': { scope: 'client', url: `${client}/noodvoorzieningen/${ids.grant}/early-repayment`, body: { amount: '10.00', reason: 'role test' } },
    'POST /api/noodvoorzieningen/:id/approve': { scope: 'gemeente', url: `/api/noodvoorzieningen/${ids.grant}/approve` },
    'POST /api/noodvoorzieningen/:id/refuse': { scope: 'gemeente', url: `/api/noodvoorzieningen/${ids.grant}/refuse`, body: { reason: 'role test' } },
    'GET /api/noodvoorzieningen': { scope: 'list', url: '/api/noodvoorzieningen' },
    'PUT /api/gemeenten/:id/noodvoorziening-policy': {
      scope: 'gemeente',
      url: '/api/gemeenten/GM0505/noodvoorziening-policy',
      body: { giftsAllowed: true, maxPerGrant: '1.00', maxPerPeriod: '1.00', periodMonths: 1, fourEyesAbove: '0.00', minimumLeefgeldKept: '0.00', defaultInstalment: '1.00', openAdvanceAtEnd: 'hand_over_as_claim' },
    },
    'GET /api/monitor': { scope: 'gemeente', url: '/api/monitor?gemeente=GM0505&from=2026-10&to=2026-11' },
    'GET /monitor': { scope: 'gemeente', url: '/monitor?gemeente=GM0505&from=2026-10&to=2026-11' },
    'POST /monitor/session': { scope: 'organisation', url: '/monitor/session' },
    // VWN's webhook carries Dordrecht's signals: an administrator of elsewhere may not see or change it.
    'GET /api/organisations/:org/webhook': { scope: 'gemeente', url: '/api/organisations/VWN/webhook' },
    'PUT /api/organisations/:org/webhook': { scope: 'gemeente', url: '/api/organisations/VWN/webhook', body: { url: 'https://93.184.215.14/ontzorg', secret: 'role-test-secret-0123456789abcdef-xyz', gemeenten: ['GM0505'] } },
    'DELETE /api/organisations/:org/webhook': { scope: 'gemeente', url: '/api/organisations/VWN/webhook' },
    'GET /api/organisations/:org/webhook/deliveries': { scope: 'gemeente', url: '/api/organisations/VWN/webhook/deliveries' },
    'POST /api/organisations/:org/webhook/deliveries/:id/redeliver': { scope: 'gemeente', url: '/api/organisations/VWN/webhook/deliveries/999999/redeliver' },
  };
}

/** Per role: someone of Dordrecht (or Amira's own caseworker, or Amira), and someone who may not see her. */
function insider(role: Role, amira: bigint): LocalTokenClaims {
  if (role === 'caseworker') return { userId: 'caseworker-1', role, organisation: 'VWN', gemeenten: [] };
  if (role === 'client') return { userId: 'amira', role, clientId: amira };
  return { userId: `${role}-dordrecht`, role, gemeenten: ['GM0505'] };
}
function outsider(role: Role, sara: bigint): LocalTokenClaims {
  if (role === 'caseworker') return { userId: 'caseworker-9', role, organisation: 'VWN', gemeenten: [] };
  if (role === 'client') return { userId: 'sara', role, clientId: sara };
  return { userId: `${role}-zwijndrecht`, role, gemeenten: ['GM0642'] };
}

const OPEN = new Set(['GET /healthz', 'GET /readyz']);
const key = (route: RouteEntry) => `${route.method} ${route.url}`;

describeOnEachDatabase('every route against every role and tenant', (handle) => {
  let app: FastifyInstance;
  let ids: Ids;
  let amiraReference = '';
  const inside = new Map<Role, string>();
  const outside = new Map<Role, string>();
  const send = (token: string, method: string, example: Example): Promise<LightMyRequestResponse> =>
    app.inject({
      method: method as 'GET',
      url: example.url,
      headers: { authorization: `Bearer ${token}`, ...(typeof example.body === 'string' ? { 'content-type': 'application/xml' } : {}) },
      ...(example.body === undefined ? {} : { payload: example.body as string }),
    });
  /** What the attempts may not change: the rows of every table a route above writes to. */
  const fingerprint = async () => {
    const { db } = handle();
    const count = async (table: string) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(db)).rows[0]!.n);
    const tables = ['client', 'obligation', 'obligation_version', 'ontzorg_period', 'machtiging', 'machtiging_payee', 'gemeente_policy', 'payment_batch', 'ledger_transaction', 'caseworker_assignment', 'maatwerk_decision', 'noodvoorziening_grant', 'noodvoorziening_policy', 'noodvoorziening_repayment', 'payment_instruction', 'suspense_refund'] as const;
    const statuses = [
      ...(await db.selectFrom('payment_batch').select(['id', 'status']).orderBy('id').execute()),
      ...(await db.selectFrom('noodvoorziening_grant').select(['id', 'status']).orderBy('id').execute()),
    ];
    const policies = await db.selectFrom('noodvoorziening_policy').selectAll().execute();
    const webhooks = await db.selectFrom('organisation_webhook').selectAll().orderBy('id').execute();
    const names = await db.selectFrom('client').select(['id', 'name', 'ontzorgen_ended_on']).orderBy('id').execute();
    return JSON.stringify({ counts: await Promise.all(tables.map(count)), statuses, names, policies, webhooks }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  };

  beforeAll(async () => {
    const { db } = handle();
    const s = await twoMonthsOfAmira(db);
    const amira = s.amira.id;
    amiraReference = (await db.selectFrom('client').select('reference').where('id', '=', amira).executeTakeFirstOrThrow()).reference;
    const first = <T>(row: T | undefined, what: string): T => {
      if (row === undefined) throw new Error(`the scenario has no ${what}`);
      return row;
    };
    ids = {
      amira: amira.toString(),
      obligation: first(await db.selectFrom('obligation').select('id').where('client_id', '=', amira).executeTakeFirst(), 'obligation').id.toString(),
      period: first(await db.selectFrom('ontzorg_period').select('id').where('client_id', '=', amira).executeTakeFirst(), 'period').id.toString(),
      machtiging: first(await db.selectFrom('machtiging').select('id').where('client_id', '=', amira).executeTakeFirst(), 'machtiging').id.toString(),
      batch: first(await db.selectFrom('payment_batch').select('id').where('gemeente_id', '=', 'GM0505').executeTakeFirst(), 'batch').id.toString(),
      payment: first(await db.selectFrom('payment_instruction').select('id').where('client_id', '=', amira).executeTakeFirst(), 'payment').id.toString(),
      bankFile: first(await db.selectFrom('bank_file').select('id').executeTakeFirst(), 'bank file').id.toString(),
      // A noodvoorziening above the four-eyes threshold, waiting for an approver.
      grant: await inTransaction(db, async (trx) => {
        await setNoodvoorzieningPolicy(trx, 'GM0505', { giftsAllowed: true, maxPerGrant: eur('1000.00'), maxPerPeriod: eur('1500.00'), periodMonths: 12, fourEyesAbove: eur('250.00'), minimumLeefgeldKept: eur('150.00'), defaultInstalment: eur('25.00'), openAdvanceAtEnd: 'settle_from_balance' }, 'setup');
        const { grant } = await requestGrant(trx, { clientId: amira, amount: eur('400.00'), kind: 'advance', reason: 'deposit for the new flat', idempotencyKey: 'roles-grant', requestedBy: 'operator-dordrecht', today: '2026-11-25', now: TODAY });
        return grant.id.toString();
      }),
    };
    const webhookUrl = await checkedWebhookUrl('https://93.184.215.14/ontzorg', STRICT_WEBHOOKS);
    await inTransaction(db, (trx) => setWebhook(trx, 'VWN', { url: webhookUrl, secret: 'role-test-secret-0123456789abcdef-xyz', gemeenten: ['GM0505'] }, { by: 'setup', scope: ['GM0505'], settings: WEBHOOKS }));
    for (const role of ROLES) {
      inside.set(role, await mintLocalToken(settings, insider(role, amira)));
      outside.set(role, await mintLocalToken(settings, outsider(role, s.sara)));
    }
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => TODAY, webhooks: WEBHOOKS });
    await app.ready();
  }, 300_000);
  afterAll(async () => app?.close());

  it('knows how every route is scoped: each needs a right, or is one of the open health checks', () => {
    const table = examples(ids);
    const api = routeTable(app).filter((route) => !route.url.startsWith('/docs'));
    expect(api.filter((route) => route.action === null).map(key)).toEqual([...OPEN]);
    expect(api.filter((route) => route.action !== null && !(key(route) in table)).map(key)).toEqual([]);
  });

  it('answers 401 to every protected route without a token, and 403 to every role without the right, changing nothing', async () => {
    const before = await fingerprint();
    const table = examples(ids);
    for (const route of routeTable(app)) {
      if (route.action === null) continue;
      const example = table[key(route)]!;
      const anonymous = await app.inject({ method: route.method as 'GET', url: example.url });
      expect(anonymous.statusCode, `${key(route)} without a token`).toBe(401);
      for (const role of ROLES) {
        if (PERMISSIONS[route.action].includes(role)) continue;
        const response = await send(inside.get(role)!, route.method, example);
        expect(response.statusCode, `${key(route)} as ${role}`).toBe(403);
        expect(response.headers['content-type']).toContain('application/problem+json');
      }
    }
    expect(await fingerprint()).toBe(before);
  });

  it('answers 404 to every role with the right but not the tenant, and leaves Dordrecht out of every list, changing nothing', async () => {
    const table = examples(ids);
    const leaks = (body: string) => body.includes('GM0505') || body.includes(amiraReference) || body.includes('Amira');
    // Reads by Amira's own people first, so the audit log and the lists have something of Dordrecht's to hide.
    const lists = (route: RouteEntry) => (table[key(route)]?.scope === 'list' ? 1 : 0);
    for (const route of [...routeTable(app)].sort((a, b) => lists(a) - lists(b))) {
      const example = table[key(route)];
      if (route.method !== 'GET' || !example || route.action === null) continue;
      for (const role of PERMISSIONS[route.action]) {
        const response = await send(inside.get(role)!, route.method, example);
        expect(response.statusCode, `${key(route)} as ${role} of Dordrecht`).toBeLessThan(500);
        expect([401, 403], `${key(route)} as ${role} of Dordrecht`).not.toContain(response.statusCode);
        if (example.scope === 'list' && response.statusCode === 200) expect(leaks(response.body), `${key(route)} as ${role} of Dordrecht shows Dordrecht`).toBe(true);
      }
    }
    const before = await fingerprint();
    for (const route of routeTable(app)) {
      const example = table[key(route)];
      if (!example || route.action === null || example.scope === 'organisation' || example.scope === 'self') continue;
      for (const role of PERMISSIONS[route.action]) {
        const response = await send(outside.get(role)!, route.method, example);
        const who = `${key(route)} as ${role} of elsewhere`;
        if (example.scope === 'list') {
          expect(response.statusCode, who).toBe(200);
          expect(leaks(response.body), `${who} shows Dordrecht: ${response.body.slice(0, 300)}`).toBe(false);
        } else {
          expect(response.statusCode, `${who}: ${response.body.slice(0, 300)}`).toBe(404);
          expect(response.headers['content-type']).toContain('application/problem+json');
        }
      }
    }
    expect(await fingerprint()).toBe(before);
  });
});
