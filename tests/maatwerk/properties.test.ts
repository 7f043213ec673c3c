import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { MaatwerkError, recordDecision, revokeDecision, type DecisionInput } from '../../src/maatwerk/index.js';
import { Money } from '../../src/money/money.js';
import { addDays } from '../../src/schedule/index.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, type ObligationSpec } from '../batch/support.js';
import { freshPGlite } from '../support/db.js';
import { BACK_OFFICE, businessDays } from './support.js';

// Kept short so the property runs in well under a minute on PGlite: the April bijstand, May's costs and leefgeld.
const DAYS = businessDays('2026-04-22', '2026-05-12');
const TYPES = ['rent', 'gas', 'electricity', 'water', 'basic_health_insurance'] as const;
const cents = (min: number, max: number) => fc.integer({ min, max }).map((n) => Money.fromCents(BigInt(n)).toString());

const anEvent = fc.record({
  day: fc.constantFrom(...DAYS),
  after: fc.integer({ min: 0, max: 10 }),
  kind: fc.constantFrom('full_opt_out', 'partial', 'hand_over_plan', 'revoke'),
  reservedMoney: fc.constantFrom('pay_due_release_rest', 'pay_all_reserved', 'release_all'),
  picks: fc.uniqueArray(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 4 }),
  stepDays: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 4, maxLength: 4 }),
});

/**
 * Whatever sequence of decisions, replacements and revocations on whatever days, around real bijstand
 * through the daily batch: money is conserved (the books sum to zero, every transaction balances, what
 * reached the client is free, instructed or reserved), no client balance goes below zero, no booking is
 * refused.
 */
describe('properties of maatwerk through the daily batch [pglite]', () => {
  it('conserves money and never lets a client balance go below zero, whatever is decided when', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(...TYPES.map((type) => cents(1_000, 80_000).map((amount): ObligationSpec => ({ type, amount, from: '2026-04-01' })))),
        cents(40_000, 160_000),
        cents(100, 50_000),
        fc.array(anEvent, { minLength: 1, maxLength: 4 }),
        async (obligations, april, buffer, events) => {
          const handle = await freshPGlite();
          try {
            const db = handle.db;
            await aServiceRegion(db);
            const client = await aClient(db, { obligations });
            // A random buffer already there, then the April bijstand.
            const credits: Record<string, string> = { '2026-04-22': buffer, '2026-04-24': april };
            let received = 0n;
            let recorded = 0;
            for (const day of DAYS) {
              if (credits[day]) {
                await bankCredits(db, day, [bijstandFor(client, credits[day], day.slice(0, 7))]);
                received += Money.parse(credits[day]).cents;
              }
              for (const event of events.filter((e) => e.day === day)) {
                const effectiveDate = addDays(day, event.after);
                try {
                  const done = await inTransaction(db, async (trx) => {
                    if (event.kind === 'revoke') {
                      const open = await trx.selectFrom('maatwerk_decision as d').select('d.id').where('d.client_id', '=', client.id).where('d.action', '=', 'decide')
                        .where((eb) => eb.not(eb.exists(eb.selectFrom('maatwerk_decision as e').select('e.id').whereRef('e.replaces_id', '=', 'd.id')))).executeTakeFirst();
                      if (open) await revokeDecision(trx, client.id, open.id, { effectiveDate, reason: 'random revocation', decidedBy: 'bo' }, { today: day, actor: BACK_OFFICE });
                      return open !== undefined;
                    }
                    const ids = event.picks.map((type) => client.obligations[type]!.toString());
                    const input: DecisionInput = {
                      scope: event.kind,
                      reasonCategory: 'other',
                      reason: 'random decision',
                      assessment: 'random assessment',
                      effectiveDate,
                      reviewDate: addDays(effectiveDate, 60),
                      reservedMoney: event.reservedMoney,
                      decidedBy: 'bo',
                      ...(event.kind === 'partial' ? { kept: ids } : {}),
                      ...(event.kind === 'hand_over_plan' ? { handOver: ids.map((obligationId, n) => ({ obligationId, on: addDays(effectiveDate, event.stepDays[n]!) })) } : {}),
                    };
                    await recordDecision(trx, client.id, input, { today: day, actor: BACK_OFFICE });
                    return true;
                  });
                  if (done) recorded += 1;
                } catch (error) {
                  // A refused decision (e.g. a partial one keeping everything) is fine; anything else is a failure.
                  if (!(error instanceof MaatwerkError)) throw error;
                }
              }
              await batch(db, day);
            }
            const report = await verifyLedger(db);
            expect(report.problems).toEqual([]);
            expect(report.ok).toBe(true);
            const { rows } = await sql<{ posted: bigint | null; pending: bigint | null; negative: bigint }>`
              SELECT sum(credits_posted - debits_posted)::bigint AS posted, sum(debits_pending)::bigint AS pending,
                     count(*) FILTER (WHERE credits_posted - debits_posted - debits_pending < 0)::bigint AS negative
                FROM account WHERE purpose = 'client_available'
            `.execute(db);
            expect(rows[0]!.negative).toBe(0n);
            expect(rows[0]!.posted ?? 0n).toBe(received);
            const instructed = await sql<{ cents: bigint | null }>`SELECT sum(amount_cents)::bigint AS cents FROM payment_instruction`.execute(db);
            const open = await sql<{ cents: bigint | null }>`SELECT sum(amount_cents)::bigint AS cents FROM allocation_reservation WHERE status = 'open'`.execute(db);
            expect(rows[0]!.pending ?? 0n).toBe((instructed.rows[0]!.cents ?? 0n) + (open.rows[0]!.cents ?? 0n));
            expect(await db.selectFrom('ledger_transaction').select('idempotency_key').where('outcome', '=', 'refused').execute()).toEqual([]);
            expect(await db.selectFrom('maatwerk_decision').select('id').execute()).toHaveLength(recorded);
          } finally {
            await handle.close();
          }
        },
      ),
      { numRuns: 3, seed: Number(process.env['FC_SEED'] ?? 20260511) },
    );
  }, 300_000);
});
