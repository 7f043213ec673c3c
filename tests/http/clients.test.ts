import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROLES, type Principal, type Role } from '../../src/auth/principal.js';
import { canSeeClient } from '../../src/auth/scope.js';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { visibleClients } from '../../src/statements/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { TODAY, twoMonthsOfAmira, type Scenario } from '../statements/scenario.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 11), issuer: 'ontzorg', audience: 'ontzorg-api' };
const BACK_OFFICE: readonly Role[] = ['administrator', 'operator', 'approver', 'auditor'];

/** Who asks. Dordrecht (GM0505): Amira (assigned to caseworker-1 of VWN) and Dawit; Zwijndrecht (GM0642): Sara (team "zwijndrecht" of VWN). */
type Asker = { label: string; claims: LocalTokenClaims };
function askers(s: Scenario): Asker[] {
  return [
    ...BACK_OFFICE.map((role) => ({ label: `${role} of Dordrecht`, claims: { userId: `${role}-d`, role, gemeenten: ['GM0505'] } })),
    ...BACK_OFFICE.map((role) => ({ label: `${role} of Zwijndrecht`, claims: { userId: `${role}-z`, role, gemeenten: ['GM0642'] } })),
    { label: 'caseworker-1 (Amira)', claims: { userId: 'caseworker-1', role: 'caseworker', organisation: 'VWN', gemeenten: [] } },
    { label: 'caseworker-2 (nobody)', claims: { userId: 'caseworker-2', role: 'caseworker', organisation: 'VWN', gemeenten: ['GM0505'] } },
    { label: 'team zwijndrecht (Sara)', claims: { userId: 'caseworker-3', role: 'caseworker', organisation: 'VWN', team: 'zwijndrecht', gemeenten: [] } },
    { label: 'caseworker-1 of another organisation', claims: { userId: 'caseworker-1', role: 'caseworker', organisation: 'Humanitas', gemeenten: [] } },
    { label: 'client Amira', claims: { userId: 'amira', role: 'client', clientId: s.amira.id } },
    { label: 'client Sara', claims: { userId: 'sara', role: 'client', clientId: s.sara } },
  ];
}

/** Whom each asker may see, by name: the expectation every route is held to. */
function expectedScope(label: string): readonly ('amira' | 'dawit' | 'sara')[] {
  if (label.endsWith('of Dordrecht')) return ['amira', 'dawit'];
  if (label.endsWith('of Zwijndrecht')) return ['sara'];
  if (label === 'caseworker-1 (Amira)' || label === 'client Amira') return ['amira'];
  if (label === 'team zwijndrecht (Sara)' || label === 'client Sara') return ['sara'];
  return [];
}

describeOnEachDatabase('clients, statements and signals over HTTP: every route, every role, every tenant', (handle) => {
  let app: FastifyInstance;
  let s: Scenario;
  let ids: Record<'amira' | 'dawit' | 'sara', bigint>;
  const tokens = new Map<string, string>();
  const as = (label: string) => ({ authorization: `Bearer ${tokens.get(label)!}` });
  const get = (label: string | null, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'GET', url, headers: { ...(label ? as(label) : {}), ...headers } });
  const auditCount = async (actor: string, action: string) =>
    Number((await handle().db.selectFrom('audit_log').select((eb) => eb.fn.countAll<string>().as('n')).where('actor', '=', actor).where('action', '=', action).executeTakeFirstOrThrow()).n);

  beforeAll(async () => {
    const { db } = handle();
    s = await twoMonthsOfAmira(db);
    ids = { amira: s.amira.id, dawit: s.dawit, sara: s.sara };
    for (const asker of askers(s)) tokens.set(asker.label, await mintLocalToken(settings, asker.claims));
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => TODAY });
  }, 300_000);
  afterAll(async () => app?.close());

  it('answers every route without a token 401, as problem+json', async () => {
    for (const url of ['/api/clients', `/api/clients/${ids.amira}`, `/api/clients/${ids.amira}/statement`, '/api/me/statement', '/api/signals']) {
      const response = await get(null, url);
      expect(response.statusCode, url).toBe(401);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('lists exactly the clients each role may see, filtered by gemeente and paged', async () => {
    for (const asker of askers(s)) {
      const response = await get(asker.label, '/api/clients?limit=500');
      expect(response.statusCode, asker.label).toBe(200);
      const listed = (response.json() as { items: { id: string; bsn: string | null }[] }).items.map((c) => c.id).sort();
      expect(listed, asker.label).toEqual(expectedScope(asker.label).map((n) => ids[n].toString()).sort());
    }
    const filtered = await get('operator of Dordrecht', '/api/clients?gemeente=GM0642');
    expect((filtered.json() as { items: unknown[] }).items).toEqual([]);
    const first = (await get('operator of Dordrecht', '/api/clients?limit=1')).json() as { items: { id: string }[]; next: string };
    const second = (await get('operator of Dordrecht', `/api/clients?limit=1&after=${first.next}`)).json() as { items: { id: string }[] };
    expect([first.items[0]!.id, second.items[0]!.id].sort()).toEqual([ids.amira, ids.dawit].map(String).sort());
  });

  it('the list and the one-client check agree for every principal and client (visibleClients ⇔ canSeeClient)', async () => {
    const { db } = handle();
    for (const asker of askers(s)) {
      const principal: Principal = {
        userId: asker.claims.userId, role: asker.claims.role, gemeenten: asker.claims.gemeenten ?? [], organisation: asker.claims.organisation ?? null, team: asker.claims.team ?? null, clientId: asker.claims.clientId ?? null,
      };
      const { rows } = await sql<{ id: bigint }>`SELECT c.id FROM client c WHERE ${visibleClients(principal)} ORDER BY c.id`.execute(db);
      for (const id of Object.values(ids)) expect(rows.some((r) => r.id === id), `${asker.label} / ${id}`).toBe((await canSeeClient(db, principal, id)) !== null);
    }
  });

  it('shows a client record (BSN masked, IBAN masked) and a statement to those who may see it; 404 to everyone else, the same as a client that does not exist', async () => {
    for (const asker of askers(s)) {
      for (const [name, id] of Object.entries(ids) as ['amira' | 'dawit' | 'sara', bigint][]) {
        const visible = expectedScope(asker.label).includes(name);
        for (const url of [`/api/clients/${id}`, `/api/clients/${id}/statement?from=2026-11-01&to=2026-11-30`, `/api/clients/${id}/statement?format=html`, `/api/clients/${id}/statement?format=csv`]) {
          const response = await get(asker.label, url);
          expect(response.statusCode, `${asker.label} → ${name} ${url}`).toBe(visible ? 200 : 404);
          if (!visible) expect(response.json()).toMatchObject({ code: 'client_not_found' });
        }
      }
      const missing = await get(asker.label, '/api/clients/999999/statement');
      expect(missing.statusCode).toBe(404);
      const foreign = expectedScope(asker.label).includes('sara') ? ids.amira : ids.sara;
      const notYours = await get(asker.label, `/api/clients/${foreign}/statement`);
      const shape = (r: LightMyRequestResponse) => {
        const { detail, instance, ...rest } = r.json() as Record<string, string>;
        return { ...rest, detail: detail!.replace(/\d+/, 'N'), instance: typeof instance };
      };
      expect(shape(notYours), asker.label).toEqual(shape(missing));
    }
    const record = (await get('operator of Dordrecht', `/api/clients/${ids.amira}`)).json() as Record<string, unknown>;
    expect(record).toMatchObject({ name: 'Amira Haddad', gemeente: { id: 'GM0505', name: 'Dordrecht' }, ownIban: '**************5678', toeslagenConsent: true });
    expect(record.obligations).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'rent', payee: 'Woonbron', amount: '720.00' })]));
    expect(record.periods).toEqual([expect.objectContaining({ basis: 'art56a', firstDay: '2026-10-01', lastDay: '2027-03-31' })]);
    expect(JSON.stringify(record)).not.toMatch(/NL22SNSB0912345678/);
  });

  it('gives the client their own statement at /api/me; every other role is refused there', async () => {
    for (const role of ROLES) {
      const label = role === 'client' ? 'client Amira' : role === 'caseworker' ? 'caseworker-1 (Amira)' : `${role} of Dordrecht`;
      const response = await get(label, '/api/me/statement');
      expect(response.statusCode, role).toBe(role === 'client' ? 200 : 403);
    }
    const mine = (await get('client Amira', '/api/me/statement?from=2026-10-01&to=2026-11-30')).json() as { client: { id: string }; closingBalance: string; months: unknown[] };
    const viaId = (await get('client Amira', `/api/clients/${ids.amira}/statement?from=2026-10-01&to=2026-11-30`)).json() as typeof mine;
    expect(mine.client.id).toBe(ids.amira.toString());
    expect(mine).toEqual(viaId);
    expect(mine.months).toHaveLength(2);
  });

  it('answers in the language asked for (lang, else Accept-Language), right to left for Arabic; as HTML and as CSV', async () => {
    const ar = await get('client Amira', '/api/me/statement', { 'accept-language': 'ar-SY,ar;q=0.9,en;q=0.5' });
    expect(ar.json()).toMatchObject({ language: 'ar', dir: 'rtl' });
    expect(ar.headers['content-language']).toBe('ar');
    expect(ar.headers['cache-control']).toBe('private, no-store');
    expect((await get('client Amira', '/api/me/statement?lang=en', { 'accept-language': 'ar' })).json()).toMatchObject({ language: 'en', dir: 'ltr' });
    expect((await get('client Amira', '/api/me/statement')).json()).toMatchObject({ language: 'nl' });
    const html = await get('client Amira', '/api/me/statement?format=html&lang=ar');
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.body).toContain('<html lang="ar" dir="rtl">');
    const csv = await get('operator of Dordrecht', `/api/clients/${ids.amira}/statement?format=csv&from=2026-10-01&to=2026-11-30`);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/^attachment; filename="statement-.+-2026-10-01-2026-11-30\.csv"$/);
    expect(csv.body.split('\r\n')[0]).toBe('\ufeffclient_reference;gemeente;month;date;kind;description;amount;balance;transaction_id');
  });

  it('refuses a period it cannot make and a language it does not have, naming the field', async () => {
    const reversed = await get('operator of Dordrecht', `/api/clients/${ids.amira}/statement?from=2026-11-30&to=2026-11-01`);
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json()).toMatchObject({ code: 'invalid_statement_period' });
    const long = await get('operator of Dordrecht', `/api/clients/${ids.amira}/statement?from=2024-01-01&to=2026-11-30`);
    expect(long.json()).toMatchObject({ code: 'invalid_statement_period' });
    const lang = await get('operator of Dordrecht', `/api/clients/${ids.amira}/statement?lang=xx`);
    expect(lang.statusCode).toBe(400);
    expect((lang.json() as { detail: string }).detail).toContain('lang');
    const format = await get('operator of Dordrecht', `/api/clients/${ids.amira}/statement?format=pdf`);
    expect((format.json() as { detail: string }).detail).toContain('format');
  });

  it('lists signals only for the asker\'s clients: the returned payment, the open advance, the maatwerk decision, the period ending', async () => {
    expect((await get('client Amira', '/api/signals')).statusCode).toBe(403);
    const mine = (await get('caseworker-1 (Amira)', '/api/signals?limit=500')).json() as { items: { kind: string; client: { id: string }; message: string }[] };
    expect(new Set(mine.items.map((i) => i.client.id))).toEqual(new Set([ids.amira.toString()]));
    expect(mine.items.map((i) => i.kind)).toEqual(expect.arrayContaining(['payment_returned', 'advance_open', 'maatwerk_decision']));
    expect(mine.items.find((i) => i.kind === 'payment_returned')!.message).toBe('Betaling Water november (Evides) (€\u00a025,00) kwam terug: de rekening is opgeheven; nog niet opnieuw betaald');
    expect(mine.items.find((i) => i.kind === 'advance_open')!.message).toContain('€\u00a0175,00');
    const team = (await get('team zwijndrecht (Sara)', '/api/signals?lang=en')).json() as { items: { kind: string; client: { id: string }; message: string }[] };
    expect(team.items).toEqual([expect.objectContaining({ kind: 'period_ending', client: expect.objectContaining({ id: ids.sara.toString() }) as unknown })]);
    expect(team.items[0]!.message).toBe('The ontzorg period (art. 56a) ends on 30 November 2026, in 5 days, with nothing decided after it');
    expect(((await get('caseworker-2 (nobody)', '/api/signals')).json() as { items: unknown[] }).items).toEqual([]);
    const dordrecht = (await get('auditor of Dordrecht', '/api/signals?limit=500')).json() as { items: { client: { gemeenteId: string } }[] };
    expect(dordrecht.items.length).toBeGreaterThanOrEqual(mine.items.length);
    expect(dordrecht.items.every((i) => i.client.gemeenteId === 'GM0505')).toBe(true);
    const zwijndrecht = (await get('auditor of Zwijndrecht', '/api/signals')).json() as { items: { client: { id: string } }[] };
    expect(zwijndrecht.items.map((i) => i.client.id)).toEqual([ids.sara.toString()]);
  });

  it('pages signals with an opaque cursor and filters by kind; a cursor it did not give is refused', async () => {
    const all = ((await get('operator of Dordrecht', '/api/signals?limit=500')).json() as { items: { id: string }[] }).items.map((i) => i.id);
    const walked: string[] = [];
    let after = '';
    for (;;) {
      const page = (await get('operator of Dordrecht', `/api/signals?limit=1${after}`)).json() as { items: { id: string }[]; next: string | null };
      walked.push(...page.items.map((i) => i.id));
      if (!page.next) break;
      after = `&after=${page.next}`;
    }
    expect(walked).toEqual(all);
    const returned = (await get('operator of Dordrecht', '/api/signals?kind=payment_returned')).json() as { items: { kind: string }[] };
    expect(returned.items.map((i) => i.kind)).toEqual(['payment_returned']);
    const bad = await get('operator of Dordrecht', '/api/signals?after=bm90LWEtY3Vyc29y');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'invalid_signal_cursor' });
  });

  it('audits every read by a caseworker or a client (statement, record, list, signals), and none by the back office', async () => {
    const { db } = handle();
    const before = {
      statement: await auditCount('caseworker-1', 'statement.read'),
      record: await auditCount('caseworker-1', 'client.read'),
      list: await auditCount('caseworker-1', 'client.list'),
      signals: await auditCount('caseworker-1', 'signals.read'),
      own: await auditCount('amira', 'statement.read'),
      office: await auditCount('operator-d', 'statement.read'),
    };
    await get('caseworker-1 (Amira)', `/api/clients/${ids.amira}/statement?format=csv`);
    await get('caseworker-1 (Amira)', `/api/clients/${ids.amira}`);
    await get('caseworker-1 (Amira)', '/api/clients');
    await get('caseworker-1 (Amira)', '/api/signals');
    await get('client Amira', '/api/me/statement?format=html');
    await get('operator of Dordrecht', `/api/clients/${ids.amira}/statement`);
    // A refused look (another caseworker's client) reads nothing, so nothing is audited for it.
    await get('caseworker-1 (Amira)', `/api/clients/${ids.sara}/statement`);
    expect(await auditCount('caseworker-1', 'statement.read')).toBe(before.statement + 1);
    expect(await auditCount('caseworker-1', 'client.read')).toBe(before.record + 1);
    expect(await auditCount('caseworker-1', 'client.list')).toBe(before.list + 1);
    expect(await auditCount('caseworker-1', 'signals.read')).toBe(before.signals + 1);
    expect(await auditCount('amira', 'statement.read')).toBe(before.own + 1);
    expect(await auditCount('operator-d', 'statement.read')).toBe(before.office);
    const entry = await db.selectFrom('audit_log').selectAll().where('actor', '=', 'amira').where('action', '=', 'statement.read').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry).toMatchObject({ role: 'client', client_id: ids.amira, gemeente_id: 'GM0505', subject: `client/${ids.amira}` });
    expect(entry.details).toMatchObject({ format: 'html', language: 'nl', from: '2026-11-01', to: '2026-11-30' });
  });

  it('describes the routes in the OpenAPI document', async () => {
    const spec = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/clients', '/api/clients/{id}', '/api/clients/{id}/statement', '/api/me/statement', '/api/signals']));
  });
});
