import { randomBytes } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { aServiceRegion, bankCredits, batch, CLIENT_IBAN, GEMEENTE, PAYEES } from '../batch/support.js';
import { DORDRECHT_BENEFITS, MANAGED } from '../ingest/region.js';
import { describeOnEachDatabase } from '../support/db.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 12), issuer: 'ontzorg', audience: 'ontzorg-api' };
const bsnKeys = { encryption: { id: 'k1', key: randomBytes(32) }, lookup: randomBytes(32), source: 'configured' as const };
// A valid BSN (11-check) for a made-up person.
const BSN = '111222333';

const PEOPLE: Record<string, LocalTokenClaims> = {
  operator: { userId: 'op-d', role: 'operator', gemeenten: [GEMEENTE] },
  administrator: { userId: 'admin-d', role: 'administrator', gemeenten: [GEMEENTE] },
  approver: { userId: 'appr-d', role: 'approver', gemeenten: [GEMEENTE] },
  auditor: { userId: 'aud-d', role: 'auditor', gemeenten: [GEMEENTE] },
  'operator of Zwijndrecht': { userId: 'op-z', role: 'operator', gemeenten: ['GM0642'] },
  'administrator of Zwijndrecht': { userId: 'admin-z', role: 'administrator', gemeenten: ['GM0642'] },
  caseworker: { userId: 'cw-1', role: 'caseworker', organisation: 'VWN', gemeenten: [] },
};

describeOnEachDatabase('the back office keeps client records over HTTP: registration, basis, fixed costs, machtigingen, policy, reports', (handle) => {
  let app: FastifyInstance;
  const tokens = new Map<string, string>();
  const call = (who: string, method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    app.inject({ method, url, headers: { authorization: `Bearer ${tokens.get(who)!}`, ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const auditOf = (subject: string) => handle().db.selectFrom('audit_log').select(['actor', 'action', 'details']).where('subject', '=', subject).orderBy('id').execute();

  const registration = {
    gemeente: GEMEENTE,
    reference: 'DR-2026-0311',
    name: 'Şükrü Öztürk',
    latinName: 'Sukru Ozturk',
    bsn: BSN,
    ownIban: CLIENT_IBAN,
    householdType: 'single',
    bijstandStart: '2026-11-01',
    inburgeringsplichtigWi2021: true,
    fixedTermAsylumPermit: true,
    toeslagenConsentReference: 'TS-2026-11',
    expectedIncome: [{ classification: 'bijstand', monthly: '1334.23' }],
    caseNumbers: ['DOS-88123'],
  };
  let clientId = '';

  beforeAll(async () => {
    const { db } = handle();
    await aServiceRegion(db);
    await ensureGemeente(db, { id: 'GM0642', name: 'Zwijndrecht' });
    for (const [who, claims] of Object.entries(PEOPLE)) tokens.set(who, await mintLocalToken(settings, claims));
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), bsnKeys, now: () => new Date('2026-11-25T10:00:00Z') });
  }, 120_000);
  afterAll(async () => app?.close());

  it('registers a client once: a retry with the same Idempotency-Key answers the first answer, the BSN is never echoed', async () => {
    const first = await call('operator', 'POST', '/api/clients', registration, { 'idempotency-key': 'reg-1' });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.body).not.toContain(BSN);
    clientId = first.json<{ id: string }>().id;
    const again = await call('operator', 'POST', '/api/clients', registration, { 'idempotency-key': 'reg-1' });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotency-hit']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await handle().db.selectFrom('client').select('id').where('reference', '=', registration.reference).execute()).toHaveLength(1);
    const trail = await auditOf(`client/${clientId}`);
    expect(trail.map((a) => [a.actor, a.action])).toEqual([['op-d', 'client.register']]);
    expect(JSON.stringify(trail)).not.toContain(BSN);
  });

  it('does the work of one request sent twice at once under one Idempotency-Key only once', async () => {
    const twin = { ...registration, reference: 'DR-2026-0312', bsn: null };
    const answers = await Promise.all([0, 1, 2].map(() => call('operator', 'POST', '/api/clients', twin, { 'idempotency-key': 'reg-race' })));
    const statuses = answers.map((a) => a.statusCode).sort();
    // One does the work; the others either get its answer or are told it is still being handled.
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409), JSON.stringify(answers.map((a) => a.body))).toBe(true);
    for (const busy of answers.filter((a) => a.statusCode === 409)) expect(busy.json()).toMatchObject({ code: 'idempotency_key_in_progress' });
    const id = answers.find((a) => a.statusCode === 201)!.json<{ id: string }>().id;
    expect((await auditOf(`client/${id}`)).map((a) => a.action)).toEqual(['client.register']);
    const later = await call('operator', 'POST', '/api/clients', twin, { 'idempotency-key': 'reg-race' });
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotency-hit']).toBe('true');
  });

  it('refuses a registration that breaks a rule, naming the field, and stores nothing', async () => {
    const badIban = await call('operator', 'POST', '/api/clients', { ...registration, reference: 'DR-2026-0999', ownIban: 'NL00INGB0000000000' });
    expect(badIban.statusCode).toBe(422);
    expect(badIban.headers['content-type']).toContain('application/problem+json');
    expect(badIban.json<{ detail: string }>().detail).toMatch(/IBAN/i);
    const badBsn = await call('operator', 'POST', '/api/clients', { ...registration, reference: 'DR-2026-0998', bsn: '123456789' });
    expect(badBsn.statusCode).toBe(422);
    expect(badBsn.json<{ code: string }>().code).toBe('invalid_bsn');
    expect(badBsn.body).not.toContain('123456789');
    const unknownField = await call('operator', 'POST', '/api/clients', { ...registration, reference: 'DR-2026-0997', nickname: 'x' });
    expect(unknownField.statusCode).toBe(400);
    expect(await handle().db.selectFrom('client').select('id').where('reference', 'in', ['DR-2026-0999', 'DR-2026-0998', 'DR-2026-0997']).execute()).toEqual([]);
  });

  it('starts the art. 56a period (rule 1) and takes fixed costs only on a basis that covers them (rule 3)', async () => {
    const period = await call('operator', 'POST', `/api/clients/${clientId}/periods`, { basis: 'art56a' });
    expect(period.statusCode, period.body).toBe(201);
    expect(period.json()).toMatchObject({ basis: 'art56a', firstDay: '2026-11-01', lastDay: '2027-04-30' });

    const rent = await call('operator', 'POST', `/api/clients/${clientId}/obligations`, {
      type: 'rent',
      payee: { name: PAYEES.rent.name, iban: PAYEES.rent.iban, reference: { kind: 'unstructured', value: 'contract 4711' } },
      effectiveFrom: '2026-12-01',
      amount: '720.00',
      dueDay: 1,
      basis: 'art56a',
    });
    expect(rent.statusCode, rent.body).toBe(201);
    const rentId = rent.json<{ id: string }>().id;

    const extra = await call('operator', 'POST', `/api/clients/${clientId}/obligations`, {
      type: 'supplementary_insurance',
      payee: { name: 'Zorgverzekeraar', iban: PAYEES.rent.iban },
      effectiveFrom: '2026-12-01',
      amount: '19.95',
      dueDay: 1,
      basis: 'art56a',
    });
    expect(extra.statusCode).toBe(422);
    expect(extra.json()).toMatchObject({ code: 'not_covered_by_art56a' });
    expect(extra.json<{ detail: string }>().detail).toMatch(/56a/);

    const raise = await call('administrator', 'POST', `/api/clients/${clientId}/obligations/${rentId}/versions`, { effectiveFrom: '2027-01-01', amount: '735.50' });
    expect(raise.statusCode, raise.body).toBe(200);
    expect(raise.json<{ versions: { amount: string }[] }>().versions.map((v) => v.amount)).toEqual(['720.00', '735.50']);
    const resent = await call('administrator', 'POST', `/api/clients/${clientId}/obligations/${rentId}/versions`, { effectiveFrom: '2027-01-01', amount: '735.50' });
    expect(resent.json<{ versions: { amount: string }[] }>().versions.map((v) => v.amount), 'the same change sent again without a key').toEqual(['720.00', '735.50']);
    const threeDecimals = await call('administrator', 'POST', `/api/clients/${clientId}/obligations/${rentId}/versions`, { effectiveFrom: '2027-02-01', amount: '735.505' });
    expect(threeDecimals.statusCode).toBe(400);
    expect(threeDecimals.json<{ detail: string }>().detail).toMatch(/amount/);
  });

  it('records and revokes a machtiging (rule 4), shows payee IBANs masked, and assigns the caseworker who may then read the record', async () => {
    const recorded = await call('operator', 'POST', `/api/clients/${clientId}/machtigingen`, { documentReference: 'MACHT-311', signedOn: '2026-11-20', payees: [{ name: PAYEES.rent.name, iban: PAYEES.rent.iban }] });
    expect(recorded.statusCode, recorded.body).toBe(201);
    expect(recorded.body).not.toContain(PAYEES.rent.iban);
    const id = recorded.json<{ id: string }>().id;
    const revoked = await call('operator', 'POST', `/api/clients/${clientId}/machtigingen/${id}/revoke`, { revokedOn: '2026-12-15', reason: 'client moved' });
    expect(revoked.statusCode, revoked.body).toBe(200);
    expect(revoked.json()).toMatchObject({ revokedOn: '2026-12-15' });

    expect((await call('caseworker', 'GET', `/api/clients/${clientId}`)).statusCode).toBe(404);
    const assigned = await call('operator', 'POST', `/api/clients/${clientId}/caseworkers`, { organisation: 'VWN', caseworker: 'cw-1' });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const read = await call('caseworker', 'GET', `/api/clients/${clientId}`);
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ reference: registration.reference, bsn: '*********' });
    expect((await auditOf(`client/${clientId}`)).map((a) => a.action)).toEqual(['client.register', 'client.assign_caseworker', 'client.read']);

    // The guidance stops: the caseworker no longer reads the client, as if the client did not exist.
    const ended = await call('operator', 'POST', `/api/clients/${clientId}/caseworkers/end`, { organisation: 'VWN', caseworker: 'cw-1' });
    expect(ended.statusCode, ended.body).toBe(200);
    expect(ended.json()).toEqual({ id: clientId.toString(), organisation: 'VWN', ended: 1 });
    expect((await call('caseworker', 'GET', `/api/clients/${clientId}`)).statusCode).toBe(404);
    expect((await call('caseworker', 'GET', `/api/clients/${clientId}/statement`)).statusCode).toBe(404);
    const again = await call('operator', 'POST', `/api/clients/${clientId}/caseworkers/end`, { organisation: 'VWN', caseworker: 'cw-1' });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toMatchObject({ code: 'assignment_not_found' });
    expect((await auditOf(`client/${clientId}`)).map((a) => a.action)).toEqual(['client.register', 'client.assign_caseworker', 'client.read', 'client.end_caseworker']);
    // Assigned again later: reads again.
    expect((await call('operator', 'POST', `/api/clients/${clientId}/caseworkers`, { organisation: 'VWN', caseworker: 'cw-1' })).statusCode).toBe(200);
    expect((await call('caseworker', 'GET', `/api/clients/${clientId}`)).statusCode).toBe(200);
  });

  it('changes a record with PATCH, auditing which fields changed but not their values', async () => {
    const changed = await call('operator', 'PATCH', `/api/clients/${clientId}`, { ownIban: 'NL91ABNA0417164300' });
    expect(changed.statusCode, changed.body).toBe(200);
    const trail = await auditOf(`client/${clientId}`);
    const last = trail[trail.length - 1]!;
    expect(last).toMatchObject({ actor: 'op-d', action: 'client.update' });
    expect(JSON.stringify(last.details)).toContain('ownIban');
    expect(JSON.stringify(last.details)).not.toContain('NL91ABNA0417164300');
  });

  it('answers another gemeente\'s client 404, as one that does not exist, and changes nothing', async () => {
    const before = await handle().db.selectFrom('obligation').select('id').execute();
    const attempts = [
      await call('operator of Zwijndrecht', 'POST', `/api/clients/${clientId}/obligations`, { type: 'water', payee: { name: 'Evides', iban: PAYEES.rent.iban }, effectiveFrom: '2026-12-01', amount: '25.00', dueDay: 1, basis: 'art56a' }),
      await call('operator of Zwijndrecht', 'PATCH', `/api/clients/${clientId}`, { name: 'X' }),
      await call('operator of Zwijndrecht', 'POST', `/api/clients/${clientId}/periods`, { basis: 'art56a' }),
      await call('operator of Zwijndrecht', 'POST', '/api/clients/987654321/periods', { basis: 'art56a' }),
    ];
    for (const response of attempts) {
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ code: 'client_not_found' });
    }
    const elsewhere = await call('operator of Zwijndrecht', 'POST', '/api/clients', { ...registration, reference: 'DR-2026-0500' });
    expect(elsewhere.statusCode, elsewhere.body).toBe(404);
    expect(elsewhere.json()).toMatchObject({ code: 'gemeente_not_found' });
    expect(await handle().db.selectFrom('obligation').select('id').execute()).toEqual(before);
  });

  it('lets only administrators of the gemeente set its policy, and shows it to the back office', async () => {
    const policy = { debtorIban: MANAGED, bijstandPayday: 'last_working_day', leefgeldFloor: '60.00', priority: ['rent', 'energy', 'health_insurance', 'water', 'other'] };
    expect((await call('operator', 'PUT', `/api/gemeenten/${GEMEENTE}/policy`, policy)).statusCode).toBe(403);
    expect((await call('administrator of Zwijndrecht', 'PUT', `/api/gemeenten/${GEMEENTE}/policy`, policy)).json()).toMatchObject({ code: 'gemeente_not_found' });
    const incomplete = await call('administrator', 'PUT', `/api/gemeenten/${GEMEENTE}/policy`, { ...policy, priority: ['rent', 'rent', 'energy', 'water', 'other'] });
    expect(incomplete.statusCode).toBe(422);
    expect(incomplete.json()).toMatchObject({ code: 'invalid_policy' });
    const set = await call('administrator', 'PUT', `/api/gemeenten/${GEMEENTE}/policy`, policy);
    expect(set.statusCode, set.body).toBe(200);
    const list = await call('auditor', 'GET', '/api/gemeenten');
    expect(list.statusCode).toBe(200);
    expect(list.json()).toEqual({
      items: [
        {
          id: GEMEENTE,
          name: 'Dordrecht',
          clients: 2,
          policy: expect.objectContaining({ leefgeldFloor: '60.00', bijstandPayday: 'last_working_day', priority: ['rent', 'energy', 'health_insurance', 'water', 'other'] }),
          noodvoorziening: null,
        },
      ],
    });
    expect((await call('caseworker', 'GET', '/api/gemeenten')).statusCode).toBe(403);
    expect((await auditOf(`gemeente/${GEMEENTE}`)).map((a) => [a.actor, a.action])).toEqual([['admin-d', 'gemeente.policy']]);
  });

  it('lets administrators set the noodvoorziening policy (gift or advance, maxima, four eyes, what a client keeps), refusing one that contradicts itself', async () => {
    const nood = { giftsAllowed: false, maxPerGrant: '500.00', maxPerPeriod: '1000.00', periodMonths: 12, fourEyesAbove: '250.00', minimumLeefgeldKept: '150.00', defaultInstalment: '25.00', openAdvanceAtEnd: 'hand_over_as_claim' };
    expect((await call('operator', 'PUT', `/api/gemeenten/${GEMEENTE}/noodvoorziening-policy`, nood)).statusCode).toBe(403);
    const contradictory = await call('administrator', 'PUT', `/api/gemeenten/${GEMEENTE}/noodvoorziening-policy`, { ...nood, maxPerPeriod: '100.00' });
    expect(contradictory.statusCode).toBe(422);
    expect(contradictory.json<{ detail: string }>().detail).toMatch(/maxPerPeriod/);
    const set = await call('administrator', 'PUT', `/api/gemeenten/${GEMEENTE}/noodvoorziening-policy`, nood);
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json()).toEqual(nood);
    const list = await call('approver', 'GET', '/api/gemeenten');
    expect(list.json<{ items: { noodvoorziening: unknown }[] }>().items[0]!.noodvoorziening).toEqual(nood);
  });

  it('gives the daily batch report of a gemeente and date to the back office, 404 for a day it did not run', async () => {
    await bankCredits(handle().db, '2026-11-24', [{ amount: '1334.23', from: DORDRECHT_BENEFITS, name: 'Gemeente Dordrecht', text: 'Uitkering 2026-11 dossier DOS-88123' }]);
    await batch(handle().db, '2026-11-25');
    const report = await call('approver', 'GET', `/api/reports/daily-batch?gemeente=${GEMEENTE}&date=2026-11-25`);
    expect(report.statusCode, report.body).toBe(200);
    expect(report.json()).toMatchObject({ gemeenteId: GEMEENTE, runDate: '2026-11-25' });
    const missing = await call('approver', 'GET', `/api/reports/daily-batch?gemeente=${GEMEENTE}&date=2026-11-26`);
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 'report_not_found' });
    expect((await call('operator of Zwijndrecht', 'GET', `/api/reports/daily-batch?gemeente=${GEMEENTE}&date=2026-11-25`)).statusCode).toBe(404);
  });
});
