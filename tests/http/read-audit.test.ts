import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ReadAudits } from '../../src/auth/audit.js';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { describeOnEachDatabase } from '../support/db.js';
import { TODAY, twoMonthsOfAmira, type Scenario } from '../statements/scenario.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 12), issuer: 'ontzorg', audience: 'ontzorg-api' };

/** Makes the audit log refuse one kind of entry, as a full disk or a broken constraint would. */
async function refuseAuditsIn(db: Parameters<typeof twoMonthsOfAmira>[0], language: string): Promise<() => Promise<void>> {
  await sql
    .raw(
      `CREATE FUNCTION test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $fn$
       BEGIN
         IF NEW.details->>'language' = '${language}' THEN RAISE EXCEPTION 'the audit log is not writable'; END IF;
         RETURN NEW;
       END $fn$`,
    )
    .execute(db);
  await sql`CREATE TRIGGER test_refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION test_refuse_audit()`.execute(db);
  return async () => {
    await sql`DROP TRIGGER test_refuse_audit ON audit_log`.execute(db);
    await sql`DROP FUNCTION test_refuse_audit()`.execute(db);
  };
}

describeOnEachDatabase('reads by caseworkers and clients are audited in shared commits, and never answered unaudited', (handle, driver) => {
  let app: FastifyInstance;
  let s: Scenario;
  let caseworker: string;
  let client: string;

  beforeAll(async () => {
    const { db } = handle();
    s = await twoMonthsOfAmira(db);
    caseworker = await mintLocalToken(settings, { userId: 'caseworker-1', role: 'caseworker', organisation: 'VWN', gemeenten: [] });
    client = await mintLocalToken(settings, { userId: 'amira', role: 'client', clientId: s.amira.id });
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => TODAY });
  }, 300_000);
  afterAll(async () => app?.close());

  const read = (token: string, url: string, requestId: string) =>
    app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token}`, 'x-request-id': requestId } });

  it('answers 60 concurrent reads, each with its own audit entry, committed in fewer commits than reads', async () => {
    const { db } = handle();
    const asks = Array.from({ length: 60 }, (_, i) =>
      i % 2 === 0 ? read(caseworker, `/api/clients/${s.amira.id}/statement`, `burst-${i}`) : read(client, '/api/me/statement?format=csv', `burst-${i}`),
    );
    const answers = await Promise.all(asks);
    expect(answers.map((a) => a.statusCode)).toEqual(answers.map(() => 200));
    const rows = await db.selectFrom('audit_log').select(['request_id', 'actor', 'action', 'client_id', sql<string>`xmin::text`.as('xid')]).where('request_id', 'like', 'burst-%').execute();
    expect(rows.map((r) => r.request_id).sort()).toEqual(Array.from({ length: 60 }, (_, i) => `burst-${i}`).sort());
    for (const row of rows) {
      expect(row).toMatchObject({ action: 'statement.read', client_id: s.amira.id, actor: Number(row.request_id!.slice(6)) % 2 === 0 ? 'caseworker-1' : 'amira' });
    }
    // PGlite's one connection runs every query in turn, so there reads seldom overlap (the direct test below gathers on both).
    if (driver === 'postgres') expect(new Set(rows.map((r) => r.xid)).size).toBeLessThan(60);
  });

  it('does not answer a read whose audit entry cannot be written, and answers the reads beside it', async () => {
    const { db } = handle();
    const restore = await refuseAuditsIn(db, 'en');
    try {
      const asks = Array.from({ length: 12 }, (_, i) => read(caseworker, `/api/clients/${s.amira.id}/statement?lang=${i === 6 ? 'en' : 'nl'}`, `mixed-${i}`));
      const answers = await Promise.all(asks);
      const refused = answers[6]!;
      expect(refused.statusCode).toBe(500);
      expect(refused.headers['content-type']).toContain('application/problem+json');
      // Nothing of the statement leaves the service without its audit entry.
      expect(refused.body).not.toContain('balance');
      expect(refused.body).not.toContain(String(s.amira.id));
      expect(answers.filter((_, i) => i !== 6).map((a) => a.statusCode)).toEqual(Array.from({ length: 11 }, () => 200));
      const rows = await db.selectFrom('audit_log').select('request_id').where('request_id', 'like', 'mixed-%').execute();
      expect(rows.map((r) => r.request_id).sort()).toEqual(Array.from({ length: 12 }, (_, i) => `mixed-${i}`).filter((id) => id !== 'mixed-6').sort());
    } finally {
      await restore();
    }
  });

  it('gathers reads that arrive while a commit is in flight, and keeps a failing one to itself', async () => {
    const { db } = handle();
    const audits = new ReadAudits(db);
    const restore = await refuseAuditsIn(db, 'xx');
    try {
      const actor = { userId: 'caseworker-1', role: 'caseworker' as const };
      const entry = (i: number) => ({ action: 'statement.read', subject: `client/${s.amira.id}`, clientId: s.amira.id, gemeenteId: 'GM0505', requestId: `direct-${i}`, details: { language: i === 5 ? 'xx' : 'nl' } });
      // The first goes at once, alone; the other nine arrive while it is in flight and share the next commit.
      const outcomes = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => audits.record(actor, entry(i))));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const rows = await db.selectFrom('audit_log').select(['request_id', sql<string>`xmin::text`.as('xid')]).where('request_id', 'like', 'direct-%').orderBy('id').execute();
      expect(rows.map((r) => r.request_id)).toEqual(['direct-0', 'direct-1', 'direct-2', 'direct-3', 'direct-4', 'direct-6', 'direct-7', 'direct-8', 'direct-9']);
      // The shared commit failed for one entry, so the others were written one by one: ten tries, nine commits.
      expect(new Set(rows.map((r) => r.xid)).size).toBe(9);
      // Without the failing one, the nine late ones share a single commit.
      const more = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => audits.record(actor, { ...entry(i === 5 ? 0 : i), requestId: `shared-${i}` })));
      expect(more.every((o) => o.status === 'fulfilled')).toBe(true);
      const shared = await db.selectFrom('audit_log').select(sql<string>`xmin::text`.as('xid')).where('request_id', 'like', 'shared-%').orderBy('id').execute();
      expect(shared).toHaveLength(10);
      expect(new Set(shared.map((r) => r.xid)).size).toBe(2);
    } finally {
      await audits.close();
      await restore();
    }
    await expect(audits.record({ userId: 'x', role: 'client' }, { action: 'statement.read' })).rejects.toThrow('the read audit is closed');
  });

  it('commits a group of full list pages together, however many rows it holds', async () => {
    const { db } = handle();
    const audits = new ReadAudits(db);
    const actor = { userId: 'caseworker-1', role: 'caseworker' as const };
    const page = (read: string, size: number) =>
      Array.from({ length: size }, (_, i) => ({ action: 'client.list', subject: `client/${i + 1}`, clientId: BigInt(i + 1), gemeenteId: 'GM0505', requestId: `page-${read}` }));
    // One read goes alone; three pages of 3,000 arrive meanwhile: 9,000 rows, 72,000 values, more than one statement may carry.
    await Promise.all([audits.record(actor, ...page('first', 1)), ...['a', 'b', 'c'].map((read) => audits.record(actor, ...page(read, 3_000)))]);
    await audits.close();
    const rows = await db
      .selectFrom('audit_log')
      .select(['request_id', sql<string>`xmin::text`.as('xid'), (eb) => eb.fn.countAll<string>().as('n')])
      .where('request_id', 'in', ['page-a', 'page-b', 'page-c'])
      .groupBy(['request_id', sql`xmin::text`])
      .orderBy('request_id')
      .execute();
    expect(rows.map((r) => [r.request_id, Number(r.n)])).toEqual([
      ['page-a', 3_000],
      ['page-b', 3_000],
      ['page-c', 3_000],
    ]);
    expect(new Set(rows.map((r) => r.xid)).size).toBe(1);
  });
});
