import { sql } from 'kysely';
import { todayOrNextBusinessDay } from '../allocation/memo.js';
import { holdReasonsFor } from '../clients/machtigingen.js';
import type { Trx } from '../db/transaction.js';
import { setHold } from '../payments/instructions.js';
import type { IsoDate } from '../schedule/index.js';

/**
 * Rule 4 after an instruction exists: before the day's batches are grouped, every obligation payment of the
 * gemeente not yet in a batch (`held`, or `created` and unbatched) is judged again against the client's
 * machtigingen valid on its execution date. A machtiging recorded since lets a held payment go, so it joins
 * this day's batch (on the first business day it can, when its execution date passed while it was held); a
 * machtiging revoked or ended since holds a created one, its money staying reserved. Read in two queries
 * whatever the number of payments; only those whose hold changes are written (`setHold`, with its event).
 */
export async function reviewHolds(trx: Trx, gemeenteId: string, runDate: IsoDate, createdBefore: Date): Promise<{ released: number; held: number }> {
  const open = await trx
    .selectFrom('payment_instruction')
    .select(['id', 'client_id', 'creditor_iban', 'execution_date', 'status'])
    .where('gemeente_id', '=', gemeenteId)
    .where('kind', '=', 'obligation')
    .where('client_id', 'is not', null)
    .where((eb) => eb.or([eb('status', '=', 'held'), eb.and([eb('status', '=', 'created'), eb('batch_id', 'is', null)])]))
    // What this run made was judged moments ago: on a costs day that is every client's obligations.
    .where('created_at', '<', createdBefore)
    .orderBy('id')
    .execute();
  if (open.length === 0) return { released: 0, held: 0 };
  const today = todayOrNextBusinessDay(runDate);
  // A held payment whose date passed would go on the first business day it can: judged for that day.
  const goesOn = (instruction: (typeof open)[number]): IsoDate => (instruction.status === 'held' && instruction.execution_date < today ? today : instruction.execution_date);
  const reasons = await holdReasonsFor(trx, open, goesOn);
  let released = 0;
  let held = 0;
  for (const [n, instruction] of open.entries()) {
    const executionDate = goesOn(instruction);
    const reason = reasons[n] ?? null;
    if (instruction.status === 'held' && reason === null) {
      await setHold(trx, instruction.id, null, `batch:${runDate}`, { executionDate });
      released += 1;
    } else if (instruction.status === 'created' && reason !== null) {
      await setHold(trx, instruction.id, reason, `batch:${runDate}`);
      held += 1;
    }
  }
  return { released, held };
}

/**
 * A payment made after the day's batch had run (issued again by a person in the afternoon, a hold lifted by
 * hand) can reach the next run with an execution date that has passed. A bank refuses a file dated in the
 * past, and one such payment would stop the whole gemeente's batch: it goes on the first business day it
 * can instead, late but paid, with an event on its record. One statement, whatever the number.
 */
export async function moveOverduePayments(trx: Trx, gemeenteId: string, runDate: IsoDate): Promise<number> {
  const today = todayOrNextBusinessDay(runDate);
  const moved = await sql<{ id: bigint }>`
    WITH moved AS (
      UPDATE payment_instruction i SET execution_date = ${today}::date
        FROM payment_instruction was
       WHERE was.id = i.id AND i.gemeente_id = ${gemeenteId} AND i.status = 'created' AND i.batch_id IS NULL AND i.execution_date < ${today}::date
      RETURNING i.id, to_char(was.execution_date, 'YYYY-MM-DD') AS was
    )
    INSERT INTO payment_event (instruction_id, kind, actor, details)
    SELECT id, 'execution_moved', ${`batch:${runDate}`}, json_build_object('reason', 'its execution date had passed before it could be put in a batch', 'executionDate', json_build_object('from', was, 'to', ${today}::text))::jsonb
      FROM moved
    RETURNING instruction_id AS id
  `.execute(trx);
  return moved.rows.length;
}
