import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { moneyKeptReserved } from '../payments/retry.js';
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
  /** Payments that did not go out and are not issued again yet: a person decides (retry, correct the IBAN, or hand back). */
  readonly awaitingRetry: { count: number; total: string; items: AwaitingRetry[] };
}

export interface AwaitingRetry {
  readonly instructionId: string;
  readonly clientId: string;
  readonly kind: string;
  readonly period: string;
  readonly amount: string;
  readonly executionDate: IsoDate;
  readonly status: 'cancelled' | 'returned' | 'bank_rejected';
  /** The bank's return reason (AC04, MD07, …) when it gave one. */
  readonly reason: string | null;
  /** True when the money is kept reserved for it (an obligation, or a payment never booked by the bank); a returned leefgeld's money is free again. */
  readonly moneyReserved: boolean;
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
  // Not per run date: a payment stays on this list every day until a person issues it again.
  const waiting = await sql<{ id: bigint; client_id: bigint; kind: string; period: string; amount_cents: bigint; execution_date: IsoDate; status: AwaitingRetry['status']; return_reason: string | null; total_count: bigint; total_cents: bigint }>`
    SELECT i.id, i.client_id, i.kind, i.period, i.amount_cents, to_char(i.execution_date, 'YYYY-MM-DD') AS execution_date, i.status, i.return_reason,
           count(*) OVER ()::bigint AS total_count, sum(i.amount_cents) OVER ()::bigint AS total_cents
      FROM payment_instruction i
     WHERE i.gemeente_id = ${gemeenteId} AND i.status IN ('cancelled', 'returned', 'bank_rejected') AND i.client_id IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM payment_instruction r WHERE r.retry_of = i.id)
     ORDER BY i.execution_date, i.id
     LIMIT ${listLimit}
  `.execute(db);
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
    awaitingRetry: {
      count: Number(waiting.rows[0]?.total_count ?? 0n),
      total: Money.fromCents(waiting.rows[0]?.total_cents ?? 0n).toString(),
      items: waiting.rows.map((w) => ({
        instructionId: w.id.toString(),
        clientId: w.client_id.toString(),
        kind: w.kind,
        period: w.period,
        amount: Money.fromCents(w.amount_cents).toString(),
        executionDate: w.execution_date,
        status: w.status,
        reason: w.return_reason,
        moneyReserved: moneyKeptReserved(w.status, w.kind),
      })),
    },
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
