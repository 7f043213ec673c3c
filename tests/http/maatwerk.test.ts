import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERMISSIONS, type Principal, type Role } from '../../src/auth/principal.js';
import { assignCaseworker } from '../../src/auth/scope.js';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { startStatutoryPeriod } from '../../src/clients/ontzorg-periods.js';
import { registerClient } from '../../src/clients/registry.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp, routeTable } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { listSignals } from '../../src/statements/index.js';
import { aClient, aServiceRegion, singleAdultObligations, type TestClient } from '../batch/support.js';
import { describeOnEachDatabase } from '../support/db.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 12), issuer: 'ontzorg', audience: 'ontzorg-api' };
/** "Today" for the app: Monday 4 May 2026. */
const NOW = new Date('2026-05-04T10:00:00Z');
const BACK_OFFICE: readonly Role[] = ['administrator', 'operator', 'approver', 'auditor'];
/** Amira's caseworker, as a verified token makes them. */
const caseworkerOne: Principal = { userId: 'caseworker-1', role: 'caseworker', gemeenten: [], organisation: 'VWN', team: null, clientId: null };

describeOnEachDatabase('maatwerk over HTTP: who may decide, revoke and read, per role and tenant', (handle) => {
  let app: FastifyInstance;
  let amira: TestClient;
  let sara: bigint;
  const tokens = new Map<string, string>();
  const askers: Record<string, LocalTokenClaims> = {};
  const as = (label: string | null): Record<string, string> => (label ? { authorization: `Bearer ${tokens.get(label)!}` } : {});
  const post = (label: string | null, url: string, payload: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: { ...as(label), ...headers } });
  const get = (label: string | null, url: string) => app.inject({ method: 'GET', url, headers: as(label) });
  const count = async (action: string, actor?: string) => {
    let query = handle().db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('action', '=', action);
    if (actor) query = query.where('actor', '=', actor);
    return Number((await query.executeTakeFirstOrThrow()).n);
  };
  const partial = () => ({
    scope: 'partial',
    reasonCategory: 'own_account_automatic_payments',
    reason: 'energy, water and premium paid by automatic transfer from her own account',
    assessment: 'budget interview with Vluchtelingenwerk, 28 April 2026',
    effectiveDate: '2026-05-11',
    reviewDate: '2026-08-01',
    kept: [amira.obligations.rent!.toString()],
  });

  beforeAll(async () => {
    const { db } = handle();
    await aServiceRegion(db);
    await ensureGemeente(db, { id: 'GM0642', name: 'Zwijndrecht' });
    amira = await aClient(db, { obligations: singleAdultObligations('2026-04-01') });
    sara = await inTransaction(db, async (trx) => {
      const record = await registerClient(trx, { gemeenteId: 'GM0642', reference: `ZW-M-${process.pid % 1000}`, name: 'Sara Ghebremedhin', householdType: 'single', bijstandStart: '2026-03-01', inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true });
      await startStatutoryPeriod(trx, record.id);
      return record.id;
    });
    await assignCaseworker(db, { clientId: amira.id, organisation: 'VWN', caseworkerId: 'caseworker-1' });
    for (const role of BACK_OFFICE) {
      askers[`${role} of Dordrecht`] = { userId: `${role}-d`, role, gemeenten: ['GM0505'] };
      askers[`${role} of Zwijndrecht`] = { userId: `${role}-z`, role, gemeenten: ['GM0642'] };
    }
    askers['caseworker-1 (Amira)'] = { userId: 'caseworker-1', role: 'caseworker', organisation: 'VWN', gemeenten: [] };
    askers['caseworker-2 (nobody)'] = { userId: 'caseworker-2', role: 'caseworker', organisation: 'VWN', gemeenten: ['GM0505'] };
    askers['client Amira'] = { userId: 'amira', role: 'client', clientId: amira.id };
    askers['client Sara'] = { userId: 'sara', role: 'client', clientId: sara };
    for (const [label, claims] of Object.entries(askers)) tokens.set(label, await mintLocalToken(settings, claims));
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => NOW });
  }, 120_000);
  afterAll(async () => app?.close());

  it('declares the rights: deciding is for the operator and the administrator only; reading for whoever may see the client', () => {
    const routes = routeTable(app).filter((r) => r.url.includes('/maatwerk'));
    expect(routes.map((r) => `${r.method} ${r.url} ${r.action}`).sort()).toEqual([
      'GET /api/clients/:id/maatwerk maatwerk:read',
      'POST /api/clients/:id/maatwerk maatwerk:decide',
      'POST /api/clients/:id/maatwerk/:decisionId/revoke maatwerk:decide',
    ]);
    expect(PERMISSIONS['maatwerk:decide']).toEqual(['operator', 'administrator']);
  });

  it('answers every route without a token 401, as problem+json', async () => {
    for (const response of [await get(null, `/api/clients/${amira.id}/maatwerk`), await post(null, `/api/clients/${amira.id}/maatwerk`, partial()), await post(null, `/api/clients/${amira.id}/maatwerk/1/revoke`, {})]) {
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('refuses a decision by the approver, the auditor, a caseworker or a client (403), and another gemeente\'s back office gets 404', async () => {
    for (const label of ['approver of Dordrecht', 'auditor of Dordrecht', 'caseworker-1 (Amira)', 'client Amira']) {
      const response = await post(label, `/api/clients/${amira.id}/maatwerk`, partial());
      expect(response.statusCode, label).toBe(403);
      expect(response.json()).toMatchObject({ code: 'forbidden' });
    }
    for (const label of ['operator of Zwijndrecht', 'administrator of Zwijndrecht']) {
      const response = await post(label, `/api/clients/${amira.id}/maatwerk`, partial());
      expect(response.statusCode, label).toBe(404);
      expect(response.json()).toMatchObject({ code: 'client_not_found' });
    }
    expect(await handle().db.selectFrom('maatwerk_decision').selectAll().execute()).toEqual([]);
  });

  it('the operator decides: 201 with the plan per obligation; audited without the free text; a retry with the same key answers the same decision', async () => {
    const first = await post('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, partial(), { 'idempotency-key': 'mw-1' });
    expect(first.statusCode).toBe(201);
    const body = first.json() as { id: string; status: string; scope: string; decidedBy: string; plan: { type: string; handedOverOn: string | null }[] };
    expect(body).toMatchObject({ scope: 'partial', status: 'scheduled', decidedBy: 'operator-d', reservedMoney: 'pay_due_release_rest', toeslagen: 'passed_on', replaces: null });
    expect(body.plan.map((p) => `${p.type} ${p.handedOverOn}`)).toEqual(['rent null', 'gas 2026-05-11', 'electricity 2026-05-11', 'water 2026-05-11', 'basic_health_insurance 2026-05-11']);
    const again = await post('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, partial(), { 'idempotency-key': 'mw-1' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotency-hit']).toBe('true');
    expect((again.json() as { id: string }).id).toBe(body.id);
    const reused = await post('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, { ...partial(), reviewDate: '2026-09-01' }, { 'idempotency-key': 'mw-1' });
    expect(reused.statusCode).toBe(422);
    expect(reused.json()).toMatchObject({ code: 'idempotency_key_reused' });
    expect(await handle().db.selectFrom('maatwerk_decision').select('id').execute()).toHaveLength(1);
    const entry = await handle().db.selectFrom('audit_log').selectAll().where('action', '=', 'maatwerk.decide').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ actor: 'operator-d', role: 'operator', client_id: amira.id, subject: `maatwerk/${body.id}` });
    expect(JSON.stringify(entry.details)).not.toContain('automatic transfer');
  });

  it('refuses, citing the rule, a decision that would take effect in the past (rule 10) or withhold toeslagen without consent (rule 6); nothing recorded', async () => {
    const past = await post('administrator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, { ...partial(), effectiveDate: '2026-05-01' });
    expect(past.statusCode).toBe(422);
    expect(past.json()).toMatchObject({ code: 'maatwerk_breaks_rule' });
    expect((past.json() as { detail: string }).detail).toMatch(/^rule 10: /);
    const toeslagen = await post('administrator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, { ...partial(), toeslagen: 'applied' });
    expect(toeslagen.statusCode).toBe(422);
    expect((toeslagen.json() as { detail: string }).detail).toMatch(/^rule 6: /);
    const unknown = await post('administrator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, { ...partial(), kept: ['999999'] });
    expect(unknown.json()).toMatchObject({ status: 422, code: 'invalid_maatwerk_decision' });
    const field = await post('administrator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, { ...partial(), colour: 'red' });
    expect(field.statusCode).toBe(400);
    expect(await handle().db.selectFrom('maatwerk_decision').select('id').execute()).toHaveLength(1);
  });

  it('the administrator replaces it with a hand-over plan: a new row, the old one ended from the new one\'s date', async () => {
    const o = amira.obligations;
    const response = await post('administrator of Dordrecht', `/api/clients/${amira.id}/maatwerk`, {
      scope: 'hand_over_plan',
      reasonCategory: 'learning_to_pay',
      reason: 'learns to pay one bill at a time',
      assessment: 'caseworker report, 1 May 2026',
      effectiveDate: '2026-06-01',
      reviewDate: '2026-08-15',
      handOver: [
        { obligationId: o.gas!.toString(), on: '2026-06-01' },
        { obligationId: o.electricity!.toString(), on: '2026-06-01' },
        { obligationId: o.basic_health_insurance!.toString(), on: '2026-07-01' },
        { obligationId: o.water!.toString(), on: '2026-08-01' },
      ],
    });
    expect(response.statusCode).toBe(201);
    const plan = response.json() as { id: string; replaces: string; plan: { type: string; handedOverOn: string | null }[] };
    expect(plan.plan.map((p) => `${p.type} ${p.handedOverOn}`)).toEqual(['rent null', 'gas 2026-06-01', 'electricity 2026-06-01', 'water 2026-08-01', 'basic_health_insurance 2026-07-01']);
    const history = (await get('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk`)).json() as { inForce: string | null; decisions: { id: string; status: string; endedOn: string | null; endedBy: { how: string } | null }[] };
    expect(history.inForce).toBeNull();
    expect(history.decisions.map((d) => [d.id, d.status, d.endedOn, d.endedBy?.how ?? null])).toEqual([
      [plan.id, 'scheduled', null, null],
      [plan.replaces, 'scheduled', '2026-06-01', 'replaced'],
    ]);
    expect(await count('maatwerk.replace', 'administrator-d')).toBe(1);
  });

  it('reminds of the review of the decision still standing, not of the one it replaced (rule 10: a decision is reviewed by its date)', async () => {
    const { db } = handle();
    const reviews = async (asOf: string, language: 'nl' | 'en' = 'en') =>
      (await listSignals(db, caseworkerOne, { asOf, language, kind: 'maatwerk_review_due' })).map((s) => ({ client: s.client.id, date: s.date, message: s.message }));
    // The replaced partial decision was to be reviewed by 1 August; the hand-over plan by 15 August.
    expect(await reviews('2026-07-01')).toEqual([]);
    expect(await reviews('2026-07-20')).toEqual([{ client: amira.id.toString(), date: '2026-08-15', message: 'Review of the maatwerk decision of 1 June 2026 due by 15 August 2026' }]);
    expect(await reviews('2026-08-20', 'nl')).toEqual([{ client: amira.id.toString(), date: '2026-08-15', message: 'Herbeoordeling van het maatwerkbesluit van 1 juni 2026 had uiterlijk 15 augustus 2026 moeten gebeuren' }]);
    // Another caseworker's view has nothing of Amira.
    expect(await listSignals(db, { ...caseworkerOne, userId: 'caseworker-2', gemeenten: ['GM0505'] }, { asOf: '2026-07-20', language: 'en', kind: 'maatwerk_review_due' })).toEqual([]);
  });

  it('reads: the back office of the client\'s gemeente, the client\'s own caseworker and the client; everyone else 404; caseworker and client reads audited', async () => {
    const expected: Record<string, number> = {
      'administrator of Dordrecht': 200, 'operator of Dordrecht': 200, 'approver of Dordrecht': 200, 'auditor of Dordrecht': 200,
      'administrator of Zwijndrecht': 404, 'operator of Zwijndrecht': 404, 'approver of Zwijndrecht': 404, 'auditor of Zwijndrecht': 404,
      'caseworker-1 (Amira)': 200, 'caseworker-2 (nobody)': 404, 'client Amira': 200, 'client Sara': 404,
    };
    for (const [label, status] of Object.entries(expected)) {
      const response = await get(label, `/api/clients/${amira.id}/maatwerk`);
      expect(response.statusCode, label).toBe(status);
      if (status === 200) expect((response.json() as { decisions: unknown[] }).decisions, label).toHaveLength(2);
      else expect(response.json(), label).toMatchObject({ code: 'client_not_found' });
    }
    expect(await count('maatwerk.read', 'caseworker-1')).toBe(1);
    expect(await count('maatwerk.read', 'amira')).toBe(1);
    expect(await count('maatwerk.read', 'operator-d')).toBe(0);
    expect(await count('maatwerk.read', 'caseworker-2')).toBe(0);
  });

  it('revokes once: a caseworker may not (403); the operator may (201); again is 409; an unknown decision 404', async () => {
    const history = (await get('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk`)).json() as { decisions: { id: string }[] };
    const current = history.decisions[0]!.id;
    const body = { effectiveDate: '2026-07-01', reason: 'paying the premium went wrong twice' };
    expect((await post('caseworker-1 (Amira)', `/api/clients/${amira.id}/maatwerk/${current}/revoke`, body)).statusCode).toBe(403);
    expect((await post('operator of Zwijndrecht', `/api/clients/${amira.id}/maatwerk/${current}/revoke`, body)).statusCode).toBe(404);
    const revoked = await post('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk/${current}/revoke`, body);
    expect(revoked.statusCode).toBe(201);
    expect(revoked.json()).toMatchObject({ action: 'revoke', replaces: current, effectiveDate: '2026-07-01', status: 'revocation', decidedBy: 'operator-d' });
    const twice = await post('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk/${current}/revoke`, { ...body, reason: 'again' });
    expect(twice.json()).toMatchObject({ status: 409, code: 'maatwerk_already_ended' });
    const unknown = await post('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk/999999/revoke`, body);
    expect(unknown.json()).toMatchObject({ status: 404, code: 'maatwerk_not_found' });
    const after = (await get('operator of Dordrecht', `/api/clients/${amira.id}/maatwerk`)).json() as { decisions: { action: string; endedBy: { how: string } | null }[] };
    expect(after.decisions.map((d) => `${d.action} ${d.endedBy?.how ?? '-'}`)).toEqual(['revoke -', 'decide revoked', 'decide replaced']);
  });

  it('a revoked decision needs no review', async () => {
    expect(await listSignals(handle().db, caseworkerOne, { asOf: '2026-08-20', language: 'en', kind: 'maatwerk_review_due' })).toEqual([]);
  });

  it('never edits history: the database refuses UPDATE and DELETE of a decision', async () => {
    const { db } = handle();
    await expect(db.updateTable('maatwerk_decision').set({ reason: 'changed afterwards' }).execute()).rejects.toThrow(/never edited/);
    await expect(db.deleteFrom('maatwerk_obligation').execute()).rejects.toThrow(/never edited/);
  });
});
