import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { recordDecision, revokeDecision, type DecisionInput, type StoredDecision } from '../../src/maatwerk/index.js';
import { addDays } from '../../src/schedule/index.js';
import { batch } from '../batch/support.js';
import { businessDays } from '../batch/support.js';

export { businessDays };

export const BACK_OFFICE = { userId: 'bo-fatima', role: 'operator' } as const;

export async function runDays(db: Kysely<Database>, from: string, to: string): Promise<void> {
  for (const day of businessDays(from, to)) await batch(db, day);
}

/** A decision as the back office records it on `today`; the rest of the input has sensible defaults. */
export function decide(db: Kysely<Database>, clientId: bigint, today: string, input: Partial<DecisionInput> & Pick<DecisionInput, 'scope' | 'effectiveDate'>): Promise<StoredDecision> {
  return inTransaction(db, (trx) =>
    recordDecision(
      trx,
      clientId,
      {
        reasonCategory: 'financially_self_reliant',
        reason: 'pays her own bills on time, shown over three months',
        assessment: 'Vluchtelingenwerk budget assessment of 2026-04-20',
        reviewDate: addDays(input.effectiveDate, 90),
        decidedBy: BACK_OFFICE.userId,
        ...input,
      },
      { today, actor: BACK_OFFICE },
    ),
  );
}

export function revoke(db: Kysely<Database>, clientId: bigint, decisionId: string, today: string, effectiveDate: string): Promise<StoredDecision> {
  return inTransaction(db, (trx) => revokeDecision(trx, clientId, BigInt(decisionId), { effectiveDate, reason: 'bills went unpaid again', decidedBy: BACK_OFFICE.userId }, { today, actor: BACK_OFFICE }));
}

/** What allocation holds reserved for obligation periods not yet instructed (open reservations), as a string. */
export async function setAsideOf(db: Kysely<Database>, clientId: bigint): Promise<string> {
  const row = await db
    .selectFrom('allocation_reservation')
    .select((eb) => eb.fn.sum<string | null>('amount_cents').as('cents'))
    .where('client_id', '=', clientId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Money.fromCents(BigInt(row?.cents ?? 0)).toString();
}
