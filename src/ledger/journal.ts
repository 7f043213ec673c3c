import { sql, type Kysely, type Selectable } from 'kysely';
import { numberArray, textArray } from '../db/array-parameters.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import type { Delta } from './book.js';
import type { CanonicalRequest } from './requests.js';
import type { LedgerTransactionTable, Outcome, TransactionType } from './rows.js';

type KnownColumn = 'id' | 'idempotency_key' | 'type' | 'outcome' | 'request' | 'content_hash' | 'refusal_code' | 'refusal_message' | 'pending_id' | 'reverses_id';

/** A journal entry as the booking engine needs it: identity, outcome, and (when asked) its postings. */
export interface KnownTransaction {
  readonly id: bigint;
  readonly key: string;
  readonly type: TransactionType;
  readonly outcome: Outcome;
  readonly canonical: CanonicalRequest;
  readonly hash: string;
  readonly refusalCode: string | null;
  readonly refusalMessage: string | null;
  readonly deltas: readonly Delta[];
  readonly pendingId: bigint | null;
  readonly reversesId: bigint | null;
}

// Keys and ids travel as one array parameter each, so no list needs cutting into chunks.
export async function loadTransactions(
  db: Kysely<Database> | Trx,
  keys: readonly string[],
  options: { withPostings: boolean },
): Promise<Map<string, KnownTransaction>> {
  const found = new Map<string, KnownTransaction>();
  if (keys.length === 0) return found;
  // One index probe per key: as `= ANY(…)` the planner scans the whole journal for a batch of a thousand keys
  // until the journal is several times larger than the batch, and OFFSET 0 keeps it from turning this back into a join.
  const { rows } = await sql<Pick<Selectable<LedgerTransactionTable>, KnownColumn>>`
    SELECT t.* FROM unnest(${textArray([...new Set(keys)])}::text[]) AS k (key)
      CROSS JOIN LATERAL (
        SELECT id, idempotency_key, type, outcome, request, content_hash, refusal_code, refusal_message, pending_id, reverses_id
          FROM ledger_transaction WHERE idempotency_key = k.key OFFSET 0) AS t`.execute(db);
  const deltas = new Map<bigint, Delta[]>();
  if (options.withPostings && rows.length > 0) {
    const postings = await db
      .selectFrom('ledger_posting')
      .select(['transaction_id', 'account_id', 'side', 'phase', 'amount_cents'])
      .where('transaction_id', '=', sql<bigint>`ANY(${numberArray(rows.map((r) => r.id))}::bigint[])`)
      .orderBy('id')
      .execute();
    for (const p of postings) {
      const list = deltas.get(p.transaction_id) ?? [];
      list.push({ account: p.account_id, side: p.side, phase: p.phase, amount: p.amount_cents });
      deltas.set(p.transaction_id, list);
    }
  }
  for (const row of rows) {
    found.set(row.idempotency_key, {
      id: row.id,
      key: row.idempotency_key,
      type: row.type,
      outcome: row.outcome,
      canonical: row.request as CanonicalRequest,
      hash: row.content_hash,
      refusalCode: row.refusal_code,
      refusalMessage: row.refusal_message,
      deltas: deltas.get(row.id) ?? [],
      pendingId: row.pending_id,
      reversesId: row.reverses_id,
    });
  }
  return found;
}

/** Which of these transactions were already posted, voided (reservations) or reversed. */
export async function loadResolutions(
  db: Kysely<Database> | Trx,
  ids: readonly bigint[],
): Promise<{ posted: Set<bigint>; voided: Set<bigint>; reversed: Set<bigint> }> {
  const posted = new Set<bigint>();
  const voided = new Set<bigint>();
  const reversed = new Set<bigint>();
  if (ids.length === 0) return { posted, voided, reversed };
  const list = sql<bigint>`ANY(${numberArray([...new Set(ids)])}::bigint[])`;
  const rows = await db
    .selectFrom('ledger_transaction')
    .select(['type', 'pending_id', 'reverses_id'])
    .where('outcome', '=', 'booked')
    .where((eb) => eb.or([eb('pending_id', '=', list), eb('reverses_id', '=', list)]))
    .execute();
  for (const row of rows) {
    if (row.type === 'post_pending' && row.pending_id !== null) posted.add(row.pending_id);
    if (row.type === 'void_pending' && row.pending_id !== null) voided.add(row.pending_id);
    if (row.type === 'reversal' && row.reverses_id !== null) reversed.add(row.reverses_id);
  }
  return { posted, voided, reversed };
}
