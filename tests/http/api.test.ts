import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ROLES, type Role } from '../../src/auth/principal.js';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt } from '../../src/demo/bank-statement.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { describeOnEachDatabase } from '../support/db.js';
import { MANAGED, SOMEONE, aRegion, bijstand, statementFile, type Region } from '../ingest/region.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 7), issuer: 'ontzorg', audience: 'ontzorg-api' };
const token = (role: Role, gemeenten = ['GM0505'], extra: { clientId?: bigint; organisation?: string } = {}) =>
  mintLocalToken(settings, { userId: `${role}-1`, role, gemeenten, organisation: extra.organisation ?? (role === 'caseworker' ? 'VWN' : undefined), ...(extra.clientId !== undefined ? { clientId: extra.clientId } : role === 'client' ? { clientId: 1n } : {}) } as Parameters<typeof mintLocalToken>[1]);

describeOnEachDatabase('the HTTP API: roles, tenants, problems and idempotency', (handle) => {
  let app: FastifyInstance;
  let region: Region;
  let fileId: string;
  let batchId: string;
  const outbox = mkdtempSync(join(tmpdir(), 'ontzorg-api-outbox-'));
  const auth = async (role: Role, gemeenten?: string[]) => ({ authorization: `Bearer ${await token(role, gemeenten)}` });
  const statement = writeCamt(statementFile('API-1', [
    bijstand('1334.23', 'BIJ-77002', 'API-REF-1', '2026-12-24'),
    { amount: '15.00', creditDebit: 'CRDT', bookingDate: '2026-12-24', accountServicerReference: 'API-REF-2', details: [{ counterpartyIban: SOMEONE, unstructured: 'onbekend' }] },
  ]));

  beforeAll(async () => {
    const { db } = handle();
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'SDD', initiatingPartyName: 'SDD' }));
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), outboxDir: outbox });
  });
  afterAll(async () => {
    await app.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('answers a request without a token, or with a forged one, 401 as problem+json', async () => {
    const none = await app.inject({ method: 'GET', url: '/api/bank-files' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['content-type']).toContain('application/problem+json');
    expect(none.json()).toMatchObject({ code: 'unauthenticated' });
    const forged = await mintLocalToken({ ...settings, secret: Buffer.alloc(32, 9) }, { userId: 'x', role: 'administrator', gemeenten: ['GM0505'] });
    expect((await app.inject({ method: 'GET', url: '/api/bank-files', headers: { authorization: `Bearer ${forged}` } })).statusCode).toBe(401);
  });

  it('lets only operators and administrators upload; the upload answers 202 and the file is ingested', async () => {
    for (const role of ROLES.filter((r) => r !== 'operator' && r !== 'administrator')) {
      const denied = await app.inject({ method: 'POST', url: '/api/bank-files', headers: { ...(await auth(role)), 'content-type': 'application/xml' }, payload: statement });
      expect(denied.statusCode, role).toBe(403);
    }
    const response = await app.inject({ method: 'POST', url: '/api/bank-files?fileName=day.xml', headers: { ...(await auth('operator')), 'content-type': 'application/xml', 'idempotency-key': 'upload-1' }, payload: statement });
    expect(response.statusCode).toBe(202);
    fileId = (response.json() as { fileId: string }).fileId;
    const status = await app.inject({ method: 'GET', url: `/api/bank-files/${fileId}`, headers: await auth('auditor') });
    expect(status.json()).toMatchObject({ status: 'ingested', summary: { newEntries: 2, toClients: 1, toSuspense: 1 } });
  });

  it('answers a retried write with the first answer, and refuses the same key for another request', async () => {
    const retried = await app.inject({ method: 'POST', url: '/api/bank-files?fileName=day.xml', headers: { ...(await auth('operator')), 'content-type': 'application/xml', 'idempotency-key': 'upload-1' }, payload: statement });
    expect(retried.statusCode).toBe(202);
    expect(retried.headers['idempotency-hit']).toBe('true');
    expect(retried.json()).toMatchObject({ fileId });
    const other = await app.inject({ method: 'POST', url: '/api/bank-files?fileName=other.xml', headers: { ...(await auth('operator')), 'content-type': 'application/xml', 'idempotency-key': 'upload-1' }, payload: statement.replace('API-1', 'API-2') });
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ code: 'idempotency_key_reused' });
  });

  it('refuses a hostile file with a clear problem, nothing booked', async () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>';
    const preview = await app.inject({ method: 'POST', url: '/api/bank-files/preview', headers: { ...(await auth('operator')), 'content-type': 'application/xml' }, payload: xxe });
    expect(preview.statusCode).toBe(422);
    expect(preview.json()).toMatchObject({ code: 'file_refused' });
  });

  it('assigns suspense only to a client of your own gemeenten (another gemeente\'s client answers 404)', async () => {
    const list = await app.inject({ method: 'GET', url: '/api/suspense', headers: await auth('operator') });
    const items = (list.json() as { items: { id: string; amount: string }[] }).items;
    expect(items.map((i) => i.amount)).toEqual(['15.00']);
    const body = { clientId: region.sara.toString(), incomeType: 'other', reason: 'donation for Sara', bookingDate: '2026-12-28' };
    const foreign = await app.inject({ method: 'POST', url: `/api/suspense/${items[0]!.id}/assign`, headers: await auth('operator', ['GM0505']), payload: body });
    expect(foreign.statusCode).toBe(404);
    const missing = await app.inject({ method: 'POST', url: `/api/suspense/${items[0]!.id}/assign`, headers: await auth('operator', ['GM0505']), payload: { ...body, clientId: '999999' } });
    expect(missing.statusCode).toBe(404);
    // The same answer shape for "not yours" and "does not exist": existence is not revealed.
    const shape = (r: typeof foreign) => { const { detail, instance, ...rest } = r.json() as Record<string, string>; return { ...rest, detail: detail!.replace(/\d+/, 'N'), instance: typeof instance }; };
    expect(shape(foreign)).toEqual(shape(missing));
    const invalid = await app.inject({ method: 'POST', url: `/api/suspense/${items[0]!.id}/assign`, headers: await auth('operator', ['GM0642']), payload: { ...body, incomeType: 'lottery' } });
    expect(invalid.statusCode).toBe(400);
    expect((invalid.json() as { detail: string }).detail).toContain('incomeType');
    const ok = await app.inject({ method: 'POST', url: `/api/suspense/${items[0]!.id}/assign`, headers: await auth('operator', ['GM0642']), payload: body });
    expect(ok.statusCode).toBe(200);
  });

  it('shows a batch only to its gemeente, approves with four eyes, releases, and downloads the exact file', async () => {
    const { db } = handle();
    await inTransaction(db, (trx) => createPaymentInstructions(trx, [{ idempotencyKey: 'api/leefgeld', clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: '2026-W53', dueDate: '2026-12-29', executionDate: '2026-12-29', amount: Money.parse('150.00'), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: 'Leefgeld' }]));
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'approver-1', executionUntil: '2026-12-29', now: new Date('2026-12-28T08:00:00Z') }));
    batchId = batch!.id.toString();
    expect((await app.inject({ method: 'GET', url: `/api/batches/${batchId}`, headers: await auth('approver', ['GM0642']) })).statusCode).toBe(404);
    const listed = await app.inject({ method: 'GET', url: '/api/batches?status=awaiting_approval', headers: await auth('approver') });
    expect((listed.json() as { items: { id: string; files: { sha256: string }[] }[] }).items.map((b) => b.id)).toEqual([batchId]);
    const sha = (listed.json() as { items: { files: { sha256: string }[] }[] }).items[0]!.files[0]!.sha256;
    expect((await app.inject({ method: 'POST', url: `/api/batches/${batchId}/approve`, headers: await auth('operator') })).statusCode).toBe(403);
    const self = await app.inject({ method: 'POST', url: `/api/batches/${batchId}/approve`, headers: await auth('approver') });
    expect(self.statusCode).toBe(403);
    expect(self.json()).toMatchObject({ code: 'four_eyes' });
    const approver2 = `Bearer ${await mintLocalToken(settings, { userId: 'approver-2', role: 'approver', gemeenten: ['GM0505'] })}`;
    expect((await app.inject({ method: 'POST', url: `/api/batches/${batchId}/approve`, headers: { authorization: approver2 } })).json()).toMatchObject({ status: 'approved', approvedBy: ['approver-2'] });
    expect((await app.inject({ method: 'POST', url: `/api/batches/${batchId}/release`, headers: await auth('approver') })).statusCode).toBe(403);
    const released = await app.inject({ method: 'POST', url: `/api/batches/${batchId}/release`, headers: await auth('operator') });
    expect(released.json()).toMatchObject({ status: 'released', releasedBy: 'operator-1' });
    const download = await app.inject({ method: 'GET', url: `/api/batches/${batchId}/files/1`, headers: await auth('auditor') });
    expect(download.headers['content-type']).toContain('application/xml');
    expect(createHash('sha256').update(download.rawPayload).digest('hex')).toBe(sha);
  });

  it('gives the audit log to auditors only, with who did what', async () => {
    expect((await app.inject({ method: 'GET', url: '/api/audit', headers: await auth('operator') })).statusCode).toBe(403);
    const log = await app.inject({ method: 'GET', url: '/api/audit?limit=100', headers: await auth('auditor') });
    const actions = (log.json() as { items: { action: string; actor: string }[] }).items.map((i) => `${i.actor}:${i.action}`);
    expect(actions).toEqual(expect.arrayContaining(['operator-1:bank_file.upload', 'approver-2:batch.approve', 'operator-1:batch.release', 'auditor-1:batch.download']));
  });

  it('serves the OpenAPI description and the interactive page at /docs', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs/' });
    expect(page.statusCode).toBe(200);
    const spec = await app.inject({ method: 'GET', url: '/docs/json' });
    const paths = Object.keys((spec.json() as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(expect.arrayContaining(['/api/bank-files', '/api/bank-files/{id}', '/api/suspense', '/api/batches/{id}/approve', '/api/audit']));
  });
});
