import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import type { IsoDate } from '../schedule/index.js';
import type { ScheduledKind } from './rows.js';

/**
 * What allocation and the batch did for a gemeente on a run date, read back from the bookkeeping:
 * the same answer however often (and by how many workers at once) the batch of that date ran.
 */
export interface AllocationSummary {
  readonly receipts: { count: number; total: string; passedOnCount: number; passedOnTotal: string };
  readonly reservationsBooked: number;
  readonly payments: Record<ScheduledKind, { count: number; total: string }>;
  readonly latePayments: number;
  readonly held: { clientId: string; obligationId: string | null; period: string; amount: string; executionDate: IsoDate; reason: string }[];
}

export async function allocationSummary(db: Kysely<Database> | Trx, gemeenteId: string, runDate: IsoDate, listLimit = 1_000): Promise<AllocationSummary> {
  const receipts = await sql<{ count: bigint; total: bigint | null; passed_count: bigint; passed_total: bigint | null }>`
    SELECT count(*)::bigint AS count, sum(r.amount_cents)::bigint AS total,
           count(*) FILTER (WHERE r.outcome = 'passed_on')::bigint AS passed_count,
           sum(r.amount_cents) FILTER (WHERE r.outcome = 'passed_on')::bigint AS passed_total
      FROM allocation_receipt r JOIN client c ON c.id = r.client_id
     WHERE c.gemeente_id = ${gemeenteId} AND r.allocated_on = ${runDate}::date
  `.execute(db);
  const reservations = await sql<{ count: bigint }>`
    SELECT count(*)::bigint AS count FROM allocation_reservation r JOIN client c ON c.id = r.client_id
     WHERE c.gemeente_id = ${gemeenteId} AND r.booked_on = ${runDate}::date
  `.execute(db);
  const scheduled = await sql<{ kind: ScheduledKind; count: bigint; total: bigint; late: bigint }>`
    SELECT kind, count(*)::bigint AS count, sum(amount_cents)::bigint AS total, count(*) FILTER (WHERE late)::bigint AS late
      FROM scheduled_payment WHERE gemeente_id = ${gemeenteId} AND run_date = ${runDate}::date GROUP BY kind
  `.execute(db);
  const held = await db
    .selectFrom('scheduled_payment')
    .select(['client_id', 'obligation_id', 'period_key', 'amount_cents', 'execution_date', 'hold_reason'])
    .where('gemeente_id', '=', gemeenteId)
    .where('run_date', '=', runDate)
    .where('hold_reason', 'is not', null)
    .orderBy('client_id')
    .orderBy('idempotency_key')
    .limit(listLimit)
    .execute();
  const payments = { obligation: { count: 0, total: '0.00' }, leefgeld: { count: 0, total: '0.00' }, pass_on: { count: 0, total: '0.00' }, closing: { count: 0, total: '0.00' } };
  let late = 0;
  for (const row of scheduled.rows) {
    payments[row.kind] = { count: Number(row.count), total: Money.fromCents(row.total).toString() };
    late += Number(row.late);
  }
  const r = receipts.rows[0]!;
  return {
    receipts: { count: Number(r.count), total: Money.fromCents(r.total ?? 0n).toString(), passedOnCount: Number(r.passed_count), passedOnTotal: Money.fromCents(r.passed_total ?? 0n).toString() },
    reservationsBooked: Number(reservations.rows[0]!.count),
    payments,
    latePayments: late,
    held: held.map((h) => ({
      clientId: h.client_id.toString(),
      obligationId: h.obligation_id?.toString() ?? null,
      period: h.period_key,
      amount: Money.fromCents(h.amount_cents).toString(),
      executionDate: h.execution_date,
      reason: h.hold_reason!,
    })),
  };
}
