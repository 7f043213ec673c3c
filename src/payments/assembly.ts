import { sql } from 'kysely';
import { numberArray } from '../db/array-parameters.js';
import type { Trx } from '../db/transaction.js';

/** The batches a run assembles, by execution date: a payment of that date from that account goes straight in. */
export interface Assembly {
  readonly debtorIban: string;
  readonly batchByDate: ReadonlyMap<string, bigint>;
}

/**
 * Opens, before the daily batch's chunks start, one `assembling` batch per execution date of its window for the
 * gemeente's account (regular, not instant: the batch makes no urgent payments). Its chunks then insert their
 * payments into these as `batched`, each row written once, and `groupIntoBatches` counts them and hands them over
 * for approval at the end.
 *
 * A batch still assembling from a run that did not finish (a crash, a chunk that failed) is dissolved first: its
 * payments go back to `created`, so this run treats them as any payment made before it and not yet in a batch (an
 * overdue date moved, rule 4 judged again against the machtigingen of now, grouped). Only after a crash does this
 * cost an UPDATE of what that run had made; the batch it leaves is never handed over half-full.
 */
export async function openAssembly(trx: Trx, options: { gemeenteId: string; debtorIban: string; executionDates: readonly string[]; createdBy: string }): Promise<Assembly> {
  const left = await trx.selectFrom('payment_batch').select('id').where('gemeente_id', '=', options.gemeenteId).where('status', '=', 'assembling').forUpdate().execute();
  if (left.length > 0) {
    const ids = numberArray(left.map((b) => b.id), 'bigint');
    await sql`UPDATE payment_instruction SET status = 'created', batch_id = NULL WHERE batch_id = ANY(${ids}::bigint[]) AND status = 'batched'`.execute(trx);
    await trx.deleteFrom('payment_batch').where('id', '=', sql<bigint>`ANY(${ids}::bigint[])`).execute();
  }
  const batchByDate = new Map<string, bigint>();
  if (options.executionDates.length > 0) {
    const opened = await trx
      .insertInto('payment_batch')
      .values(
        options.executionDates.map((date) => ({
          gemeente_id: options.gemeenteId,
          debtor_iban: options.debtorIban,
          execution_date: date,
          instant: false,
          status: 'assembling' as const,
          payments: 0,
          total_cents: 0n,
          approvals_needed: 1,
          created_by: options.createdBy,
        })),
      )
      .returning(['id', 'execution_date'])
      .execute();
    for (const batch of opened) batchByDate.set(batch.execution_date, batch.id);
  }
  return { debtorIban: options.debtorIban, batchByDate };
}
