import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { ObligationType } from '../../src/clients/obligation-rules.js';
import { Money } from '../../src/money/money.js';
import { addDays, isBusinessDay } from '../../src/schedule/index.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, batch, bijstandFor, toeslagFor, type ObligationSpec } from './support.js';

const DAYS = (() => {
  const days: string[] = [];
  for (let d = '2026-03-19'; d <= '2026-04-10'; d = addDays(d, 1)) if (isBusinessDay(d)) days.push(d);
  return days;
})();
const TYPES: ObligationType[] = ['rent', 'gas', 'electricity', 'water', 'basic_health_insurance'];

const cents = (min: number, max: number) => fc.integer({ min, max }).map((n) => Money.fromCents(BigInt(n)).toString());
const aClientSpec = fc.record({
  consent: fc.boolean(),
  obligations: fc.uniqueArray(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 5 }).chain((types) => fc.tuple(...types.map((type) => cents(500, 90_000).map((amount): ObligationSpec => ({ type, amount, from: '2026-04-01' }))))),
  credits: fc.array(fc.record({ day: fc.constantFrom(...DAYS), kind: fc.constantFrom('bijstand', 'HUURTOESLAG', 'ZORGTOESLAG'), amount: cents(100, 160_000) }), { maxLength: 4 }),
});

/**
 * Random households, random credits on random days, the batch on a random subset of business days (some twice):
 * - money is conserved: what reached a client is free, or reserved for a payment instruction or an open reservation;
 * - reserved never exceeds what the client has (no client account below zero, no booking refused);
 * - a rerun of a day creates nothing.
 */
describe('properties of allocation and the daily batch [pglite]', () => {
  it('conserves money, never over-reserves, and a rerun creates nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(aClientSpec, { minLength: 1, maxLength: 3 }), fc.subarray(DAYS, { minLength: 3 }), fc.subarray(DAYS, { maxLength: 3 }), async (specs, runDays, rerunDays) => {
        const handle = await freshPGlite();
        try {
          const db = handle.db;
          await aServiceRegion(db);
          const clients = [];
          for (const spec of specs) clients.push({ spec, client: await aClient(db, { obligations: spec.obligations, toeslagenConsentReference: spec.consent ? 'consent' : null }) });
          let received = 0n;
          for (const day of DAYS) {
            const credits = clients.flatMap(({ spec, client }) =>
              spec.credits.filter((c) => c.day === day).map((c) => (c.kind === 'bijstand' ? bijstandFor(client, c.amount, day) : toeslagFor(client, c.kind as 'HUURTOESLAG', c.amount, day))),
            );
            if (credits.length > 0) {
              await bankCredits(db, day, credits);
              received += credits.reduce((sum, c) => sum + Money.parse(c.amount).cents, 0n);
            }
            if (!runDays.includes(day)) continue;
            await batch(db, day);
            if (rerunDays.includes(day)) {
              const journal = await db.selectFrom('ledger_transaction').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
              const again = await batch(db, day);
              expect(again.created).toBe(0);
              expect(again.batchesCreated).toBe(0);
              expect(await db.selectFrom('ledger_transaction').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).toEqual(journal);
            }
          }
          const { rows } = await sql<{ posted: bigint | null; free: bigint | null; pending: bigint | null; negative: bigint }>`
            SELECT sum(credits_posted - debits_posted)::bigint AS posted, sum(credits_posted - debits_posted - debits_pending)::bigint AS free,
                   sum(debits_pending)::bigint AS pending, count(*) FILTER (WHERE credits_posted - debits_posted - debits_pending < 0)::bigint AS negative
              FROM account WHERE purpose = 'client_available'
          `.execute(db);
          const totals = rows[0]!;
          expect(totals.posted ?? 0n).toBe(received);
          expect(totals.negative).toBe(0n);
          const instructed = await sql<{ cents: bigint | null }>`SELECT sum(amount_cents)::bigint AS cents FROM payment_instruction`.execute(db);
          const open = await sql<{ cents: bigint | null }>`SELECT sum(amount_cents)::bigint AS cents FROM allocation_reservation WHERE status = 'open'`.execute(db);
          expect(totals.pending ?? 0n).toBe((instructed.rows[0]!.cents ?? 0n) + (open.rows[0]!.cents ?? 0n));
          expect(await db.selectFrom('ledger_transaction').select('idempotency_key').where('outcome', '=', 'refused').execute()).toEqual([]);
        } finally {
          await handle.close();
        }
      }),
      { numRuns: 6, seed: Number(process.env['FC_SEED'] ?? 20260325) },
    );
  }, 600_000);
});
