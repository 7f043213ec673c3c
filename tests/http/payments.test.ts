import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { approveBatch, rejectBatch } from '../../src/payments/batches.js';
import { releaseBatch } from '../../src/payments/release.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, businessDays, singleAdultObligations } from '../batch/support.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 29), issuer: 'ontzorg', audience: 'ontzorg-api' };
const PEOPLE: Record<string, LocalTokenClaims> = {
  operator: { userId: 'operator-7', role: 'operator', gemeenten: ['GM0505'] },
  'operator elsewhere': { userId: 'operator-z', role: 'operator', gemeenten: ['GM0642'] },
  auditor: { userId: 'auditor-1', role: 'auditor', gemeenten: ['GM0505'] },
};

interface Listed {
  items: { id: string; status: string; kind: string; period: string; amount: string; attempt: number; retryOf: string | null; batchId: string | null }[];
}

/**
 * A batch an approver rejects before release cancels its payments and keeps their money reserved; without a
 * way to issue them again the landlord is never paid. The back office finds them and issues them again.
 */
describe('payments that did not go out are found and issued again [pglite]', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  const tokens = new Map<string, string>();
  const as = (who: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${tokens.get(who)!}`, ...extra });

  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    for (const [who, claims] of Object.entries(PEOPLE)) tokens.set(who, await mintLocalToken(settings, claims));
    app = await buildApp({ db: handle.db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => new Date('2026-03-27T09:00:00Z') });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await handle?.close();
  });

  it('issues April rent again after the approver rejected its batch, from the money kept reserved, with four eyes', async () => {
    const { db } = handle;
    const client = await aClient(db, { obligations: singleAdultObligations('2026-04-01'), reference: 'DR-RETRY' });
    await bankCredits(db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
    let rejectedBatch: bigint | null = null;
    for (const day of businessDays('2026-03-25', '2026-03-31')) {
      await batch(db, day);
      const rent = await db.selectFrom('payment_instruction as i').innerJoin('obligation as o', 'o.id', 'i.obligation_id').select('i.batch_id').where('o.type', '=', 'rent').where('i.status', '=', 'batched').executeTakeFirst();
      if (rent?.batch_id) {
        rejectedBatch = rent.batch_id;
        await inTransaction(db, (trx) => rejectBatch(trx, rent.batch_id!, 'approver-1', 'amounts look wrong, check first'));
        break;
      }
    }
    expect(rejectedBatch).not.toBeNull();

    const cancelled = (await app.inject({ method: 'GET', url: `/api/payments?status=cancelled&client=${client.id}`, headers: as('auditor') })).json<Listed>().items;
    const rent = cancelled.find((p) => p.kind === 'obligation' && p.amount === '720.00')!;
    expect(rent).toMatchObject({ status: 'cancelled', attempt: 1, batchId: rejectedBatch!.toString() });
    expect((await app.inject({ method: 'GET', url: '/api/payments?status=cancelled', headers: as('operator elsewhere') })).json<Listed>().items).toEqual([]);

    const retry = (who: string, key: string) => app.inject({ method: 'POST', url: `/api/payments/${rent.id}/retry`, headers: as(who, { 'idempotency-key': key }), payload: { executionDate: '2026-03-31' } });
    expect((await retry('operator elsewhere', 'r-z')).statusCode).toBe(404);
    expect((await retry('auditor', 'r-a')).statusCode).toBe(403);
    const first = await retry('operator', 'r-1');
    expect(first.statusCode).toBe(201);
    const again = await retry('operator', 'r-1');
    expect(again.json()).toEqual(first.json());
    const { instructionId } = first.json<{ instructionId: string }>();

    const listed = (await app.inject({ method: 'GET', url: `/api/payments?client=${client.id}`, headers: as('operator') })).json<Listed>().items;
    expect(listed.filter((p) => p.amount === '720.00').map((p) => [p.status, p.attempt, p.retryOf])).toEqual([
      ['created', 2, rent.id],
      ['cancelled', 1, null],
    ]);
    // The next run puts it in a batch; the person who issued it again may not approve that batch.
    await batch(db, '2026-03-30');
    const reissued = await db.selectFrom('payment_instruction').select(['batch_id', 'status']).where('id', '=', BigInt(instructionId)).executeTakeFirstOrThrow();
    expect(reissued.status).toBe('batched');
    await expect(inTransaction(db, (trx) => approveBatch(trx, reissued.batch_id!, 'operator-7'))).rejects.toMatchObject({ code: 'four_eyes' });
    await inTransaction(db, (trx) => approveBatch(trx, reissued.batch_id!, 'approver-2'));
    const audit = await db.selectFrom('audit_log').select(['actor', 'action', 'gemeente_id']).where('action', '=', 'payment.retry').execute();
    expect(audit).toEqual([{ actor: 'operator-7', action: 'payment.retry', gemeente_id: 'GM0505' }]);
  });

  it('records a batch the bank\'s portal refused: its payments wait, with their money, to be issued again', async () => {
    const { db } = handle;
    const approved = await db.selectFrom('payment_batch').select('id').where('status', '=', 'approved').executeTakeFirstOrThrow();
    await releaseBatch(db, approved.id, { releasedBy: 'operator-7', now: new Date('2026-03-30T10:00:00Z') });
    const mark = (who: string) => app.inject({ method: 'POST', url: `/api/batches/${approved.id}/bank-rejected`, headers: as(who, { 'idempotency-key': `bank-${who}` }), payload: { reason: 'the portal refused the file: wrong format', bookingDate: '2026-03-30' } });
    expect((await mark('operator elsewhere')).statusCode).toBe(404);
    const marked = await mark('operator');
    expect(marked.statusCode).toBe(200);
    expect(marked.json()).toMatchObject({ status: 'bank_rejected' });
    const waiting = (await app.inject({ method: 'GET', url: `/api/payments?batch=${approved.id}`, headers: as('operator') })).json<Listed>().items;
    expect(waiting.length).toBeGreaterThan(0);
    expect(new Set(waiting.map((p) => p.status))).toEqual(new Set(['bank_rejected']));
    const again = await app.inject({ method: 'POST', url: `/api/payments/${waiting[0]!.id}/retry`, headers: as('operator'), payload: { executionDate: '2026-03-31' } });
    expect(again.statusCode).toBe(201);
    expect((await db.selectFrom('audit_log').select('action').where('action', '=', 'batch.bank_rejected').execute()).length).toBe(1);
  });

  it('refuses to issue again a payment that is still on its way', async () => {
    const { db } = handle;
    const live = await db.selectFrom('payment_instruction').select('id').where('status', '=', 'batched').executeTakeFirstOrThrow();
    const answer = await app.inject({ method: 'POST', url: `/api/payments/${live.id}/retry`, headers: as('operator'), payload: { executionDate: '2026-03-31' } });
    expect(answer.statusCode).toBe(409);
    expect(answer.json()).toMatchObject({ code: 'not_retryable' });
  });
});
