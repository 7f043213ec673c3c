import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { endOntzorgen } from '../../src/clients/ontzorg-periods.js';
import { inTransaction } from '../../src/db/transaction.js';
import { findAccountByCode, getBalance } from '../../src/ledger/index.js';
import type { Money } from '../../src/money/money.js';
import {
  advancesAccountCode,
  approveGrant,
  giftBudgetAccountCode,
  grantsOfClient,
  NoodvoorzieningError,
  refuseGrant,
  repayEarly,
  requestGrant,
  type GrantRequest,
} from '../../src/noodvoorziening/index.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { describeOnEachDatabase } from '../support/db.js';
import { MANAGED } from '../ingest/region.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, freeOf, type TestClient } from '../batch/support.js';
import { aNoodvoorzieningPolicy, eur, owedBy } from './support.js';

/** Every account's counters, to show a refused decision changed nothing. */
async function ledgerState(db: Parameters<typeof aServiceRegion>[0]): Promise<string> {
  const { rows } = await sql<{ s: string }>`SELECT string_agg(id || ':' || debits_posted || '/' || credits_posted || '/' || debits_pending || '/' || credits_pending, ',' ORDER BY id) AS s FROM account`.execute(db);
  const grants = await sql<{ n: string }>`SELECT count(*)::text AS n FROM noodvoorziening_grant`.execute(db);
  const instructions = await sql<{ n: string }>`SELECT count(*)::text AS n FROM payment_instruction`.execute(db);
  return `${rows[0]?.s ?? ''}|${grants.rows[0]!.n}|${instructions.rows[0]!.n}`;
}

describeOnEachDatabase('granting a noodvoorziening: policy, four eyes, bookings, payment', (handle) => {
  let amira: TestClient;
  let dawit: TestClient;
  let key = 0;
  const ask = (request: Partial<GrantRequest> & { clientId: bigint; amount: Money }) => {
    const today = request.today ?? '2026-03-25';
    return inTransaction(handle().db, (trx) =>
      requestGrant(trx, { kind: 'advance', reason: 'the first huurtoeslag is eight weeks away', idempotencyKey: `k-${++key}`, requestedBy: 'operator-1', today, now: new Date(`${today}T10:00:00Z`), ...request }),
    );
  };
  const refusedWith = async (code: string, work: () => Promise<unknown>) => {
    const before = await ledgerState(handle().db);
    const error = await work().then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(NoodvoorzieningError);
    expect((error as NoodvoorzieningError).code).toBe(code);
    expect(await ledgerState(handle().db)).toBe(before);
    return error as NoodvoorzieningError;
  };

  beforeAll(async () => {
    const { db } = handle();
    await aServiceRegion(db);
    await aNoodvoorzieningPolicy(db);
    amira = await aClient(db, {});
    dawit = await aClient(db, {});
    await bankCredits(db, '2026-03-24', [bijstandFor(amira, '1334.23', '2026-03')]);
  }, 120_000);

  it('an advance is a claim on the client: advances-receivable debited, free money unchanged, the payment reserves it', async () => {
    const { grant } = await ask({ clientId: amira.id, amount: eur('300.00') });
    expect(grant.status).toBe('approved');
    const db = handle().db;
    expect(await owedBy(db, amira.id)).toBe('300.00');
    // 1,334.23 received; +300.00 lent, −300.00 reserved for the payment to her own account.
    expect(await freeOf(db, amira.id)).toBe('1334.23');
    const available = await getBalance(db, (await findAccountByCode(db, `client/${amira.id}/available`))!.id);
    expect(available.creditsPosted.toString()).toBe('1634.23');
    expect(available.debitsPending.toString()).toBe('300.00');
    const instruction = await db.selectFrom('payment_instruction').selectAll().where('id', '=', grant.instructionId!).executeTakeFirstOrThrow();
    expect(instruction).toMatchObject({ kind: 'noodvoorziening', amount_cents: 30000n, creditor_iban: 'NL22SNSB0912345678', urgent: true, client_id: amira.id });
  });

  it('a gift is paid from the gemeente\'s budget, never a claim on the client', async () => {
    const db = handle().db;
    await ask({ clientId: dawit.id, amount: eur('200.00'), kind: 'gift' });
    const budget = await getBalance(db, (await findAccountByCode(db, giftBudgetAccountCode('GM0505')))!.id);
    expect(budget.debitsPosted.toString()).toBe('200.00');
    expect(await findAccountByCode(db, advancesAccountCode(dawit.id))).toBeUndefined();
    expect(await freeOf(db, dawit.id)).toBe('0.00');
  });

  it('policy: a gift where the gemeente gives none is refused, and nothing changes', async () => {
    await aNoodvoorzieningPolicy(handle().db, { giftsAllowed: false });
    try {
      await refusedWith('gift_not_allowed', () => ask({ clientId: dawit.id, amount: eur('50.00'), kind: 'gift' }));
    } finally {
      await aNoodvoorzieningPolicy(handle().db);
    }
  });

  it('policy: more than the maximum per grant (1,000.00) is refused', async () => {
    await refusedWith('grant_above_maximum', () => ask({ clientId: dawit.id, amount: eur('1000.01') }));
  });

  it('policy: the maximum per period (1,500.00 per 12 months) counts every grant not refused, until it is 12 months old', async () => {
    const other = await aClient(handle().db, {});
    const waiting = await ask({ clientId: other.id, amount: eur('1000.00'), today: '2026-03-01' }); // above 500.00: requested, counts already
    await ask({ clientId: other.id, amount: eur('400.00'), today: '2026-06-01' });
    const error = await refusedWith('period_maximum_exceeded', () => ask({ clientId: other.id, amount: eur('100.01'), today: '2026-06-01' }));
    expect(error.message).toContain('at most 100.00 is still possible');
    await ask({ clientId: other.id, amount: eur('100.00'), today: '2026-06-01' });
    // A refused grant does not count: refusing the 1,000.00 frees the room again.
    await inTransaction(handle().db, (trx) => refuseGrant(trx, waiting.grant.id, 'approver-1', 'the landlord agreed to wait', '2026-06-02'));
    await ask({ clientId: other.id, amount: eur('500.00'), today: '2026-06-02' });
    // 1 March 2027: the grants of 1 June 2026 still count (1,000.00), the window is (1 March 2026, 1 March 2027].
    await refusedWith('period_maximum_exceeded', () => ask({ clientId: other.id, amount: eur('500.01'), today: '2027-03-01' }));
    // 2 June 2027: all of them are older than 12 months.
    await ask({ clientId: other.id, amount: eur('500.00'), today: '2027-06-02' });
  });

  it('four eyes: above 500.00 the grant waits; the requester can neither approve nor refuse it; another approver can, and then it is booked and paid', async () => {
    const db = handle().db;
    const { grant } = await ask({ clientId: dawit.id, amount: eur('750.00'), requestedBy: 'operator-1' });
    expect(grant).toMatchObject({ status: 'requested', fourEyes: true, decidedBy: null, instructionId: null });
    expect(await owedBy(db, dawit.id)).toBe('0.00');
    await refusedWith('four_eyes_required', () => inTransaction(db, (trx) => approveGrant(trx, grant.id, 'operator-1', '2026-03-25', new Date())));
    // Found by the property test: refusing one's own request hit the database's four-eyes check as an internal error.
    await refusedWith('four_eyes_required', () => inTransaction(db, (trx) => refuseGrant(trx, grant.id, 'operator-1', 'changed my mind', '2026-03-25')));
    const approved = await inTransaction(db, (trx) => approveGrant(trx, grant.id, 'approver-1', '2026-03-26', new Date('2026-03-26T10:00:00Z')));
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'approver-1', decidedOn: '2026-03-26' });
    expect(await owedBy(db, dawit.id)).toBe('750.00');
    await refusedWith('noodvoorziening_already_decided', () => inTransaction(db, (trx) => approveGrant(trx, grant.id, 'approver-2', '2026-03-26', new Date())));
    await refusedWith('noodvoorziening_already_decided', () => inTransaction(db, (trx) => refuseGrant(trx, grant.id, 'approver-2', 'too late', '2026-03-26')));
  });

  it('the database itself refuses a four-eyes grant decided by its requester', async () => {
    const someone = await aClient(handle().db, {});
    const { grant } = await ask({ clientId: someone.id, amount: eur('600.00'), requestedBy: 'operator-9' });
    const error = await sql`UPDATE noodvoorziening_grant SET status = 'refused', decided_by = 'operator-9', refusal_reason = 'self' WHERE id = ${grant.id.toString()}::bigint`
      .execute(handle().db)
      .then(() => null, (e: unknown) => e);
    expect((error as { code?: string }).code).toBe('23514');
    await inTransaction(handle().db, (trx) => refuseGrant(trx, grant.id, 'approver-1', 'not needed after all', '2026-03-26'));
  });

  it('a refusal needs a reason and books nothing', async () => {
    const { grant } = await ask({ clientId: dawit.id, amount: eur('510.00') });
    await refusedWith('invalid_noodvoorziening', () => inTransaction(handle().db, (trx) => refuseGrant(trx, grant.id, 'approver-1', ' ', '2026-03-26')));
    const before = await ledgerState(handle().db);
    const refused = await inTransaction(handle().db, (trx) => refuseGrant(trx, grant.id, 'approver-1', 'paid by the landlord\'s hardship fund', '2026-03-26'));
    expect(refused).toMatchObject({ status: 'refused', refusalReason: 'paid by the landlord\'s hardship fund' });
    expect(await ledgerState(handle().db)).toBe(before);
  });

  it('idempotent by key: a retry answers the same grant and books nothing; the key with other content is refused', async () => {
    const db = handle().db;
    const first = await ask({ clientId: amira.id, amount: eur('100.00'), idempotencyKey: 'retry-1' });
    const before = await ledgerState(db);
    const again = await ask({ clientId: amira.id, amount: eur('100.00'), idempotencyKey: 'retry-1' });
    expect(again).toMatchObject({ replayed: true, grant: { id: first.grant.id } });
    expect(await ledgerState(db)).toBe(before);
    await refusedWith('noodvoorziening_key_reused', () => ask({ clientId: amira.id, amount: eur('100.01'), idempotencyKey: 'retry-1' }));
  });

  it('bad input is refused with a clear error and changes nothing', async () => {
    await refusedWith('invalid_noodvoorziening', () => ask({ clientId: amira.id, amount: eur('0.00') }));
    await refusedWith('invalid_noodvoorziening', () => ask({ clientId: amira.id, amount: eur('10.00'), reason: 'x' }));
    await refusedWith('invalid_noodvoorziening', () => ask({ clientId: amira.id, amount: eur('10.00'), kind: 'gift', instalment: eur('5.00') }));
  });

  it('a client without an own account, or whose ontzorgen ended, cannot receive one', async () => {
    const db = handle().db;
    const noIban = await aClient(db, { ownIban: null });
    await refusedWith('noodvoorziening_client_not_eligible', () => ask({ clientId: noIban.id, amount: eur('100.00') }));
    const ended = await aClient(db, {});
    await inTransaction(db, (trx) => endOntzorgen(trx, ended.id, '2026-03-20', 'moved'));
    await refusedWith('noodvoorziening_client_not_eligible', () => ask({ clientId: ended.id, amount: eur('100.00') }));
  });

  it('a gemeente without a noodvoorziening policy grants nothing', async () => {
    await sql`DELETE FROM noodvoorziening_policy`.execute(handle().db);
    try {
      await refusedWith('noodvoorziening_policy_missing', () => ask({ clientId: amira.id, amount: eur('10.00') }));
    } finally {
      await aNoodvoorzieningPolicy(handle().db);
    }
  });

  it('early repayment by decision: from free money, capped at what is owed and at what is free, once per key', async () => {
    const db = handle().db;
    const [advance] = (await grantsOfClient(db, amira.id)).filter((g) => g.kind === 'advance' && g.amount.toString() === '300.00');
    const repay = (amount: string, idempotencyKey: string) =>
      inTransaction(db, (trx) => repayEarly(trx, { clientId: amira.id, grantId: advance!.id, amount: eur(amount), reason: 'energy refund received, decision 2026-014', decidedBy: 'operator-1', idempotencyKey, today: '2026-03-27' }));
    await refusedWith('repayment_not_possible', () => repay('300.01', 'r-1'));
    const done = await repay('120.00', 'r-2');
    expect(done).toMatchObject({ replayed: false });
    expect(done.outstanding.toString()).toBe('180.00');
    expect((await repay('120.00', 'r-2')).replayed).toBe(true);
    await refusedWith('noodvoorziening_key_reused', () => repay('10.00', 'r-2'));
    // 400.00 lent in all (300.00 + 100.00), 120.00 repaid; her free money 1,334.23 − 120.00.
    expect(await owedBy(db, amira.id)).toBe('280.00');
    expect(await freeOf(db, amira.id)).toBe('1214.23');
    // Dawit has nothing free: an early repayment of his advance is refused.
    const [dawits] = (await grantsOfClient(db, dawit.id)).filter((g) => g.kind === 'advance' && g.status === 'approved');
    await refusedWith('repayment_not_possible', () =>
      inTransaction(db, (trx) => repayEarly(trx, { clientId: dawit.id, grantId: dawits!.id, amount: eur('1.00'), reason: 'a decision', decidedBy: 'operator-1', idempotencyKey: 'r-3', today: '2026-03-27' })),
    );
    const gift = (await grantsOfClient(db, dawit.id)).find((g) => g.kind === 'gift')!;
    await refusedWith('repayment_not_possible', () =>
      inTransaction(db, (trx) => repayEarly(trx, { clientId: dawit.id, grantId: gift.id, amount: eur('1.00'), reason: 'a decision', decidedBy: 'operator-1', idempotencyKey: 'r-4', today: '2026-03-27' })),
    );
  });

  it('instant, with a bank that takes SCT Inst: executed today, even on a Saturday, in its own instant batch awaiting approval', async () => {
    const db = handle().db;
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09', instant: true }));
    try {
      const { grant } = await ask({ clientId: amira.id, amount: eur('80.00'), today: '2026-03-28', now: new Date('2026-03-28T10:00:00Z') });
      const row = await db.selectFrom('payment_instruction as i').innerJoin('payment_batch as b', 'b.id', 'i.batch_id').select(['i.execution_date', 'i.status', 'b.instant', 'b.status as batch_status', 'b.payments']).where('i.id', '=', grant.instructionId!).executeTakeFirstOrThrow();
      expect(row).toEqual({ execution_date: '2026-03-28', status: 'batched', instant: true, batch_status: 'awaiting_approval', payments: 1 });
    } finally {
      await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' }));
    }
  });

  it('instant, with a bank without SCT Inst: joins the regular batch of the first business day, made now', async () => {
    const { grant } = await ask({ clientId: amira.id, amount: eur('70.00'), today: '2026-03-28' });
    const row = await handle().db.selectFrom('payment_instruction as i').innerJoin('payment_batch as b', 'b.id', 'i.batch_id').select(['i.execution_date', 'i.urgent', 'b.instant']).where('i.id', '=', grant.instructionId!).executeTakeFirstOrThrow();
    expect(row).toEqual({ execution_date: '2026-03-30', urgent: true, instant: false });
  });

  it('next batch: waits, not urgent, for the daily batch of the next business day', async () => {
    const { grant } = await ask({ clientId: amira.id, amount: eur('60.00'), payment: 'next_batch', today: '2026-03-27' });
    const row = await handle().db.selectFrom('payment_instruction').select(['execution_date', 'urgent', 'status', 'batch_id']).where('id', '=', grant.instructionId!).executeTakeFirstOrThrow();
    expect(row).toEqual({ execution_date: '2026-03-30', urgent: false, status: 'created', batch_id: null });
  });
});
