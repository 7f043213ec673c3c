import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/principal.js';
import { mintLocalToken, tokenVerifier, type AuthSettings } from '../../src/auth/tokens.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { buildApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logging/logger.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches, rejectBatch } from '../../src/payments/batches.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { sha256Hex } from '../../src/sepa/index.js';
import { freshPGlite } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, statementFile } from '../ingest/region.js';

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 7), issuer: 'ontzorg', audience: 'ontzorg-api' };

/**
 * A pain.001 can be uploaded to the bank's portal as it stands. Handed out before the release (or for a
 * rejected batch), the money would leave without four eyes and without the ledger's release booking.
 */
describe('the pain.001 of a batch is handed out only once the batch is released [pglite]', () => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  const outbox = mkdtempSync(join(tmpdir(), 'review-outbox-'));
  const auth = async (role: Role) => ({ authorization: `Bearer ${await mintLocalToken(settings, { userId: `${role}-1`, role, gemeenten: ['GM0505'] })}` });

  beforeAll(async () => {
    handle = await freshPGlite();
    const { db } = handle;
    const region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'SDD', initiatingPartyName: 'SDD' }));
    await ingest(db, statementFile('DL-1', [bijstand('1334.23', 'BIJ-77002', 'DL-REF-1', '2026-12-24')]));
    await inTransaction(db, (trx) =>
      createPaymentInstructions(trx, [
        { idempotencyKey: 'dl/1', clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: 'W53', dueDate: '2026-12-29', executionDate: '2026-12-29', amount: Money.parse('150.00'), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: 'Leefgeld' },
        { idempotencyKey: 'dl/2', clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld', period: 'W53b', dueDate: '2026-12-30', executionDate: '2026-12-30', amount: Money.parse('50.00'), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: 'Leefgeld' },
      ]),
    );
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), outboxDir: outbox });
  });
  afterAll(async () => {
    await app.close();
    await handle.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it('does not hand out the pain.001 of a batch awaiting approval, nor of a rejected one', async () => {
    const { db } = handle;
    const [awaiting, rejected] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2026-12-30', now: new Date('2026-12-28T08:00:00Z') }));
    await inTransaction(db, (trx) => rejectBatch(trx, rejected!.id, 'approver-1', 'wrong amounts'));
    const before = await app.inject({ method: 'GET', url: `/api/batches/${awaiting!.id}/files/1`, headers: await auth('operator') });
    const afterReject = await app.inject({ method: 'GET', url: `/api/batches/${rejected!.id}/files/1`, headers: await auth('operator') });
    expect(before.json()).toMatchObject({ code: 'batch_not_released', detail: expect.stringContaining('SHA-256') });
    expect([before.statusCode, new TextDecoder().decode(before.rawPayload).includes('<CstmrCdtTrfInitn>')]).toEqual([409, false]);
    expect([afterReject.statusCode, new TextDecoder().decode(afterReject.rawPayload).includes('<CstmrCdtTrfInitn>')]).toEqual([409, false]);
  });

  it('once released, hands out the file asked for, byte for byte as released, and answers 404 for a file the batch does not have', async () => {
    const { db } = handle;
    const [batch] = await db.selectFrom('payment_batch').select('id').where('status', '=', 'awaiting_approval').execute();
    await inTransaction(db, (trx) => approveBatch(trx, batch!.id, 'approver-1'));
    const [released] = await releaseBatch(db, batch!.id, { releasedBy: 'approver-2', now: new Date('2026-12-28T09:00:00Z') });
    const first = await app.inject({ method: 'GET', url: `/api/batches/${batch!.id}/files/1`, headers: await auth('operator') });
    expect(first.statusCode).toBe(200);
    expect(sha256Hex(first.rawPayload)).toBe(released!.sha256);
    expect(first.headers['x-content-sha256']).toBe(released!.sha256);
    expect(Buffer.compare(first.rawPayload, Buffer.from(released!.content))).toBe(0);
    const second = await app.inject({ method: 'GET', url: `/api/batches/${batch!.id}/files/2`, headers: await auth('operator') });
    expect([second.statusCode, second.json().code]).toEqual([404, 'batch_not_found']);
  });
});
