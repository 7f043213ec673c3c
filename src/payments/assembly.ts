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
 * A batch left assembling by a run that did not finish (a crash, a chunk that failed) is taken up again when its
 * date is in this window, payments and all: the rerun ends with the batches an uninterrupted run would have made.
 * One whose date is not (the run did not come back the same day) is dissolved: its payments go back to `created`,
 * so moving an overdue date, judging holds again and grouping treat them as any other payment not yet in a batch.
 */
export async function openAssembly(trx: Trx, options: { gemeenteId: string; debtorIban: string; executionDates: readonly string[]; createdBy: string }): Promise<Assembly> {
  const left = await trx
    .selectFrom('payment_batch')
    .select(['id', 'debtor_iban', 'execution_date', 'instant'])
    .where('gemeente_id', '=', options.gemeenteId)
    .where('status', '=', 'assembling')
    .forUpdate()
    .execute();
  const wanted = new Set(options.executionDates);
  const batchByDate = new Map<string, bigint>();
  const stale: bigint[] = [];
  for (const batch of left) {
    if (batch.debtor_iban === options.debtorIban && !batch.instant && wanted.has(batch.execution_date)) batchByDate.set(batch.execution_date, batch.id);
    else stale.push(batch.id);
  }
  if (stale.length > 0) {
    await sql`UPDATE payment_instruction SET status = 'created', batch_id = NULL WHERE batch_id = ANY(${numberArray(stale, 'bigint')}::bigint[]) AND status = 'batched'`.execute(trx);
    await trx.deleteFrom('payment_batch').where('id', '=', sql<bigint>`ANY(${numberArray(stale, 'bigint')}::bigint[])`).execute();
  }
  const missing = options.executionDates.filter((date) => !batchByDate.has(date));
  if (missing.length > 0) {
    const opened = await trx
      .insertInto('payment_batch')
      .values(
        missing.map((date) => ({
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
