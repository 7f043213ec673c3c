import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdvanceRecovery } from '../../src/allocation/advances.js';
import { availableAccountCode } from '../../src/clients/accounts.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { bookBatch, findAccountByCode, getBalance, openAccount, transferBetween } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { addDays } from '../../src/schedule/index.js';
import {
  approveGrant,
  giftBudgetAccountCode,
  grantsOfClient,
  NoodvoorzieningError,
  openAdvancesOf,
  recordRepayments,
  refuseGrant,
  repayEarly,
  requestGrant,
} from '../../src/noodvoorziening/index.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion } from '../batch/support.js';
import { aNoodvoorzieningPolicy, eur, owedBy } from './support.js';

type Op =
  | { op: 'income'; cents: bigint }
  | { op: 'grant'; kind: 'advance' | 'gift'; cents: bigint; instalment: bigint; by: string }
  | { op: 'approve'; which: number; by: string }
  | { op: 'refuse'; which: number }
  | { op: 'recover'; leefgeld: bigint; minimum: bigint }
  | { op: 'early'; which: number; cents: bigint };

const person = fc.constantFrom('operator-a', 'operator-b', 'approver-c');
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('income' as const), cents: fc.bigInt({ min: 1n, max: 200_000n }) }),
  fc.record({ op: fc.constant('grant' as const), kind: fc.constantFrom('advance' as const, 'gift' as const), cents: fc.bigInt({ min: 1n, max: 120_000n }), instalment: fc.bigInt({ min: 1n, max: 10_000n }), by: person }),
  fc.record({ op: fc.constant('approve' as const), which: fc.nat(5), by: person }),
  fc.record({ op: fc.constant('refuse' as const), which: fc.nat(5) }),
  fc.record({ op: fc.constant('recover' as const), leefgeld: fc.bigInt({ min: 0n, max: 30_000n }), minimum: fc.bigInt({ min: 0n, max: 20_000n }) }),
  fc.record({ op: fc.constant('early' as const), which: fc.nat(5), cents: fc.bigInt({ min: 1n, max: 80_000n }) }),
);

/**
 * Whatever sequence of decisions (grants, four-eyes approvals, refusals, instalments from leefgeld, early repayments,
 * money arriving): money is conserved in the whole ledger, every transaction balances, no client's free money goes
 * below zero, and per grant what is owed is what was lent less what was repaid, never below zero; the claim on the
 * ledger is exactly that, the gift budget exactly the gifts. A refused decision leaves every balance as it was.
 */
describe('noodvoorziening properties [pglite]', () => {
  let handle: DatabaseHandle;
  let bank: bigint;
  let run = 0;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    await aNoodvoorzieningPolicy(handle.db, { maxPerPeriod: eur('3000.00') });
    bank = (await inTransaction(handle.db, (trx) => openAccount(trx, { code: 'bank/property-test', name: 'bank', kind: 'asset', purpose: 'bank', balanceRule: 'none' }))).id;
  }, 60_000);
  afterAll(async () => handle.close());

  const counters = async () => (await sql<{ s: string }>`SELECT string_agg(id || ':' || debits_posted || '/' || credits_posted || '/' || debits_pending || '/' || credits_pending, ',' ORDER BY id) AS s FROM account`.execute(handle.db)).rows[0]!.s;

  it('money is conserved, nothing below zero, owed = lent − repaid ≥ 0', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 10 }), async (ops) => {
        run += 1;
        const { db } = handle;
        const client = await aClient(db, { reference: `PROP-${run}` });
        const grants: bigint[] = [];
        let day = 0;
        for (const step of ops) {
          day += 1;
          const today = addDays('2026-03-02', day);
          const before = await counters();
          try {
            await inTransaction(db, async (trx) => {
              switch (step.op) {
                case 'income': {
                  const account = (await findAccountByCode(trx, availableAccountCode(client.id)))?.id ?? (await openAccount(trx, { code: availableAccountCode(client.id), name: 'free', kind: 'liability', purpose: 'client_available', balanceRule: 'debits_must_not_exceed_credits', gemeenteId: 'GM0505', clientId: client.id })).id;
                  await bookBatch(trx, [transferBetween({ idempotencyKey: `prop/${run}/${day}`, bookingDate: today, description: 'bijstand', debit: bank, credit: account, amount: Money.fromCents(step.cents) })]);
                  return;
                }
                case 'grant': {
                  const { grant } = await requestGrant(trx, { clientId: client.id, amount: Money.fromCents(step.cents), kind: step.kind, reason: 'property', instalment: step.kind === 'advance' ? Money.fromCents(step.instalment) : null, idempotencyKey: `prop/${run}/${day}`, requestedBy: step.by, today, now: new Date(`${today}T10:00:00Z`) });
                  grants.push(grant.id);
                  return;
                }
                case 'approve':
                  if (grants.length > 0) await approveGrant(trx, grants[step.which % grants.length]!, step.by, today, new Date(`${today}T10:00:00Z`));
                  return;
                case 'refuse':
                  if (grants.length > 0) await refuseGrant(trx, grants[step.which % grants.length]!, 'approver-c', 'not needed', today);
                  return;
                case 'recover': {
                  const advances = (await openAdvancesOf(trx, [client.id])).get(client.id);
                  const available = await findAccountByCode(trx, availableAccountCode(client.id));
                  if (!advances || !available) return;
                  // The allocation never pays more leefgeld than is free.
                  const free = (await getBalance(trx, available.id)).available;
                  const leefgeld = Money.fromCents(step.leefgeld).min(free);
                  const recovery = new AdvanceRecovery({ ...advances, minimumLeefgeldKept: Money.fromCents(step.minimum) }, client.id, available.id, today);
                  recovery.fromLeefgeld(today, leefgeld);
                  const results = await bookBatch(trx, recovery.bookings);
                  expect(results.every((r) => r.outcome === 'booked')).toBe(true);
                  await recordRepayments(trx, recovery.repayments);
                  return;
                }
                case 'early':
                  if (grants.length > 0) await repayEarly(trx, { clientId: client.id, grantId: grants[step.which % grants.length]!, amount: Money.fromCents(step.cents), reason: 'extra receipt', decidedBy: 'operator-a', idempotencyKey: `prop/${run}/${day}`, today });
                  return;
              }
            });
          } catch (error) {
            if (!(error instanceof NoodvoorzieningError)) throw error;
            expect(await counters(), `${step.op} refused (${error.code}) yet changed the ledger`).toBe(before);
          }

          const totals = (await sql<{ dp: string; cp: string; dpn: string; cpn: string }>`
            SELECT sum(debits_posted)::text AS dp, sum(credits_posted)::text AS cp, sum(debits_pending)::text AS dpn, sum(credits_pending)::text AS cpn FROM account`.execute(db)).rows[0]!;
          expect(totals.dp).toBe(totals.cp);
          expect(totals.dpn).toBe(totals.cpn);
          const unbalanced = await sql<{ n: string }>`
            SELECT count(*)::text AS n FROM (SELECT transaction_id, phase FROM ledger_posting GROUP BY transaction_id, phase
              HAVING sum(CASE side WHEN 'D' THEN amount_cents ELSE -amount_cents END) <> 0) x`.execute(db);
          expect(unbalanced.rows[0]!.n).toBe('0');
          const negative = await sql<{ n: string }>`SELECT count(*)::text AS n FROM account WHERE purpose = 'client_available' AND credits_posted - debits_posted - debits_pending < 0`.execute(db);
          expect(negative.rows[0]!.n).toBe('0');

          const mine = await grantsOfClient(db, client.id);
          for (const g of mine) {
            expect(g.outstanding.isNegative()).toBe(false);
            const repaid = Money.sum(g.repayments.map((r) => r.amount));
            expect(g.repaid.toString()).toBe(repaid.toString());
            if (g.kind === 'advance' && g.status === 'approved') expect(g.outstanding.toString()).toBe(g.amount.minus(repaid).toString());
            else expect(repaid.toString()).toBe('0.00');
          }
          const owed = Money.sum(mine.map((g) => g.outstanding));
          expect(await owedBy(db, client.id)).toBe(owed.toString());
        }
        // Every gift ever approved, and nothing else, on the gemeente's budget.
        const gifts = (await sql<{ n: string | null }>`SELECT sum(amount_cents)::text AS n FROM noodvoorziening_grant WHERE kind = 'gift' AND status = 'approved'`.execute(db)).rows[0]!.n ?? '0';
        const budget = await findAccountByCode(db, giftBudgetAccountCode('GM0505'));
        expect(budget ? (await getBalance(db, budget.id)).debitsPosted.cents.toString() : '0').toBe(gifts);
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
