import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintLocalToken, tokenVerifier, type AuthSettings, type LocalTokenClaims } from '../../src/auth/tokens.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { setGemeentePolicy } from '../../src/clients/policy.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import type { SimulatedEntry } from '../../src/demo/bank-statement.js';
import { buildApp } from '../../src/http/app.js';
import { registerBankAccount } from '../../src/ingest/setup.js';
import { createLogger } from '../../src/logging/logger.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { groupIntoBatches } from '../../src/payments/batches.js';
import { describeOnEachDatabase } from '../support/db.js';
import { aClient, aServiceRegion, GEMEENTE } from '../batch/support.js';
import { ingest, statementFile } from '../ingest/region.js';

/**
 * POST /api/suspense/{id}/send-back through the API: who may (operators and approvers, of a gemeente that
 * pays from the account that received the money), what an Idempotency-Key and a repeated request answer,
 * what the queue and the item show afterwards, and what the audit log keeps (never the payer's IBAN).
 */

const settings: AuthSettings = { jwksUrl: undefined, secret: Buffer.alloc(32, 29), issuer: 'ontzorg', audience: 'ontzorg-api' };
const NOW = new Date('2026-12-02T09:00:00Z');
const ZWIJNDRECHT_ACCOUNT = 'NL61BNGH0285000000';
const PAYER_IBAN = 'NL51ABNA0987654321';

const credit = (amount: string, ref: string, name: string, text: string): SimulatedEntry => ({
  amount, creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: ref, bankCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'ESCT' },
  details: [{ counterpartyName: name, counterpartyIban: PAYER_IBAN, unstructured: text }],
});

async function itemOf(db: Kysely<Database>, ref: string): Promise<string> {
  const row = await db.selectFrom('bank_entry_item as i').innerJoin('bank_entry as e', 'e.id', 'i.entry_id').select('i.id').where('e.acct_svcr_ref', '=', ref).executeTakeFirstOrThrow();
  return row.id.toString();
}

describeOnEachDatabase('sending a receipt back to its payer through the API', (handle) => {
  let app: FastifyInstance;
  const token = async (claims: LocalTokenClaims) => ({ authorization: `Bearer ${await mintLocalToken(settings, claims)}` });
  const operator = () => token({ userId: 'operator-dordrecht', role: 'operator', gemeenten: [GEMEENTE] });
  const sendBack = async (itemId: string, body: unknown, headers: Record<string, string>) => app.inject({ method: 'POST', url: `/api/suspense/${itemId}/send-back`, headers, payload: body as Record<string, unknown> });
  const counts = async () => {
    const { db } = handle();
    const n = async (table: 'payment_instruction' | 'suspense_refund' | 'ledger_transaction' | 'audit_log') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    return { instructions: await n('payment_instruction'), refunds: await n('suspense_refund'), journal: await n('ledger_transaction'), audit: await n('audit_log') };
  };

  beforeAll(async () => {
    const { db } = handle();
    await aServiceRegion(db);
    await inTransaction(db, async (trx) => {
      // Zwijndrecht pays from an account of its own; Papendrecht from the same one as Dordrecht.
      await ensureGemeente(trx, { id: 'GM0642', name: 'Zwijndrecht' });
      await registerBankAccount(trx, { iban: ZWIJNDRECHT_ACCOUNT, name: 'Zwijndrecht beheerrekening' });
      await registerPaymentAccount(trx, { iban: ZWIJNDRECHT_ACCOUNT, debtorName: 'Gemeente Zwijndrecht', initiatingPartyName: 'Zwijndrecht' });
      await setGemeentePolicy(trx, 'GM0642', { debtorIban: ZWIJNDRECHT_ACCOUNT, bijstandPayday: '24th' }, 'test-setup');
      await ensureGemeente(trx, { id: 'GM0590', name: 'Papendrecht' });
      const managed = (await trx.selectFrom('gemeente_policy').select('debtor_iban').where('gemeente_id', '=', GEMEENTE).executeTakeFirstOrThrow()).debtor_iban;
      await setGemeentePolicy(trx, 'GM0590', { debtorIban: managed, bijstandPayday: '24th' }, 'test-setup');
    });
    await ingest(
      db,
      statementFile('API-REFUND-1', [
        credit('120.00', 'API-DONATION', 'Stichting Voorbeeld', 'Donatie december'),
        credit('75.00', 'API-SHARED', 'Stichting Voorbeeld', 'Tweede donatie'),
        credit('40.00', 'API-APPROVER', 'Stichting Voorbeeld', 'Derde donatie'),
        credit('15.00', 'API-ASSIGNED', 'Stichting Voorbeeld', 'Voor Amira'),
        { amount: '9.99', creditDebit: 'DBIT', bookingDate: '2026-12-01', accountServicerReference: 'API-DEBIT', details: [{ counterpartyName: 'Kiosk', counterpartyIban: PAYER_IBAN }] },
      ]),
    );
    app = await buildApp({ db, logger: createLogger({ level: 'silent' }), verify: tokenVerifier(settings), now: () => NOW });
    await app.ready();
  });
  afterAll(async () => app?.close());

  it('refuses every role but operator and approver (403), and an operator of a gemeente that does not pay from the account (404), changing nothing', async () => {
    const { db } = handle();
    const item = await itemOf(db, 'API-DONATION');
    const before = await counts();
    const body = { reason: 'not for any of our clients' };
    for (const claims of [
      { userId: 'caseworker-1', role: 'caseworker', organisation: 'VWN' },
      { userId: 'amira', role: 'client', clientId: 1n },
      { userId: 'auditor-dordrecht', role: 'auditor', gemeenten: [GEMEENTE] },
      { userId: 'administrator-dordrecht', role: 'administrator', gemeenten: [GEMEENTE] },
    ] as const satisfies readonly LocalTokenClaims[]) {
      const response = await sendBack(item, body, await token(claims));
      expect(response.statusCode, claims.role).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const outsider = await sendBack(item, body, await token({ userId: 'operator-zwijndrecht', role: 'operator', gemeenten: ['GM0642'] }));
    expect(outsider.statusCode).toBe(404);
    expect(outsider.json()).toMatchObject({ code: 'suspense_item_not_found' });
    expect(await counts()).toEqual(before);
  });

  it('sends it back once per Idempotency-Key and once per content: the same request answers the first refund, other content is refused', async () => {
    const { db } = handle();
    const item = await itemOf(db, 'API-DONATION');
    const body = { reason: 'a donation for the foundation, not for us' };
    const first = await sendBack(item, body, { ...(await operator()), 'idempotency-key': 'send-back-1' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ itemId: item, attempt: 1, gemeenteId: GEMEENTE, amount: '120.00', executionDate: '2026-12-03', remittance: 'Retour: Donatie december', paymentStatus: 'created', replayed: false });
    const afterFirst = await counts();

    const replay = await sendBack(item, body, { ...(await operator()), 'idempotency-key': 'send-back-1' });
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotency-hit']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const again = await sendBack(item, body, await operator());
    expect(again.json()).toMatchObject({ instructionId: (first.json() as { instructionId: string }).instructionId, replayed: true });
    const other = await sendBack(item, { reason: 'changed my mind about why' }, await operator());
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'already_sent_back' });
    expect(await counts()).toEqual(afterFirst);

    const audit = await db.selectFrom('audit_log').selectAll().where('action', '=', 'suspense.send_back').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'operator-dordrecht', role: 'operator', subject: `bank_entry_item/${item}`, gemeente_id: GEMEENTE });
    expect(JSON.stringify(audit[0], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(PAYER_IBAN);
  });

  it('takes the receipt out of the open queue and shows it sent back, by whom, why and how its payment stands', async () => {
    const item = await itemOf(handle().db, 'API-DONATION');
    const queue = await app.inject({ method: 'GET', url: '/api/suspense', headers: await operator() });
    expect((queue.json() as { items: { id: string }[] }).items.map((i) => i.id)).not.toContain(item);
    const view = await app.inject({ method: 'GET', url: `/api/suspense/${item}`, headers: await token({ userId: 'auditor-dordrecht', role: 'auditor', gemeenten: [GEMEENTE] }) });
    expect(view.statusCode).toBe(200);
    expect(view.json()).toMatchObject({
      id: item, amount: '120.00', state: 'sent_back', assignment: null,
      refunds: [{ attempt: 1, sentBy: 'operator-dordrecht', reason: 'a donation for the foundation, not for us', gemeenteId: GEMEENTE, paymentStatus: 'created', remittance: 'Retour: Donatie december', why: null, returnedAs: null }],
    });
    const missing = await app.inject({ method: 'GET', url: '/api/suspense/999999', headers: await operator() });
    expect(missing.statusCode).toBe(404);
  });

  it('asks an operator of two gemeenten paying from the account with whose payments it goes out', async () => {
    const { db } = handle();
    const item = await itemOf(db, 'API-SHARED');
    const both = await token({ userId: 'operator-drechtsteden', role: 'operator', gemeenten: [GEMEENTE, 'GM0590'] });
    const unnamed = await sendBack(item, { reason: 'not ours' }, both);
    expect(unnamed.statusCode).toBe(422);
    expect(unnamed.json()).toMatchObject({ code: 'refund_gemeente_needed', detail: expect.stringContaining('GM0505, GM0590') as unknown });
    const notPaying = await sendBack(item, { reason: 'not ours', gemeente: 'GM0642' }, both);
    expect(notPaying.statusCode).toBe(422);
    const named = await sendBack(item, { reason: 'not ours', gemeente: 'GM0590', remittance: 'Terugbetaling – uw gift van 1 december', executionDate: '2026-12-04' }, both);
    expect(named.statusCode).toBe(200);
    // The bank character set: the dash becomes a hyphen.
    expect(named.json()).toMatchObject({ gemeenteId: 'GM0590', executionDate: '2026-12-04', remittance: 'Terugbetaling - uw gift van 1 december' });
    const batches = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0590', createdBy: 'batch:2026-12-02', executionUntil: '2026-12-04', now: NOW }));
    expect(batches.map((b) => [b.gemeente_id, b.payments, b.total_cents])).toEqual([['GM0590', 1, 7500n]]);
  });

  it('refuses a debit, a request without a reason and an unknown field, with problem+json and nothing changed', async () => {
    const { db } = handle();
    const before = await counts();
    const debit = await sendBack(await itemOf(db, 'API-DEBIT'), { reason: 'send it back' }, await operator());
    expect(debit.statusCode).toBe(409);
    expect(debit.json()).toMatchObject({ code: 'not_refundable' });
    const item = await itemOf(db, 'API-APPROVER');
    expect((await sendBack(item, {}, await operator())).statusCode).toBe(400);
    expect((await sendBack(item, { reason: 'fine', iban: PAYER_IBAN }, await operator())).statusCode).toBe(400);
    expect((await sendBack(item, { reason: 'fine', executionDate: '2026-12-05' }, await operator())).json()).toMatchObject({ code: 'invalid_instruction' });
    expect(await counts()).toEqual(before);
  });

  it('refuses a receipt assigned to a client, and shows it assigned', async () => {
    const { db } = handle();
    const client = await aClient(db);
    const item = await itemOf(db, 'API-ASSIGNED');
    const assigned = await app.inject({ method: 'POST', url: `/api/suspense/${item}/assign`, headers: await operator(), payload: { clientId: client.id.toString(), incomeType: 'other', reason: 'a gift for her', bookingDate: '2026-12-02' } });
    expect(assigned.statusCode).toBe(200);
    const refused = await sendBack(item, { reason: 'send it back after all' }, await operator());
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ code: 'already_assigned' });
    const view = await app.inject({ method: 'GET', url: `/api/suspense/${item}`, headers: await operator() });
    expect(view.json()).toMatchObject({ state: 'assigned', assignment: { by: 'operator-dordrecht', incomeType: 'other' }, refunds: [] });
  });

  it('keeps four eyes: an approver who sent a receipt back does not approve the batch that pays it', async () => {
    const { db } = handle();
    const approver = await token({ userId: 'approver-dordrecht', role: 'approver', gemeenten: [GEMEENTE] });
    const sent = await sendBack(await itemOf(db, 'API-APPROVER'), { reason: 'belongs to the foundation' }, approver);
    expect(sent.statusCode).toBe(200);
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: GEMEENTE, createdBy: 'batch:2026-12-02', executionUntil: '2026-12-04', now: NOW }));
    expect(batch).toMatchObject({ payments: 2, total_cents: 16000n });
    const own = await app.inject({ method: 'POST', url: `/api/batches/${batch!.id}/approve`, headers: approver });
    expect(own.statusCode).toBe(403);
    expect(own.json()).toMatchObject({ code: 'four_eyes' });
    const other = await app.inject({ method: 'POST', url: `/api/batches/${batch!.id}/approve`, headers: await token({ userId: 'approver-2', role: 'approver', gemeenten: [GEMEENTE] }) });
    expect(other.statusCode).toBe(200);
  });
});
