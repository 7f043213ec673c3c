import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { DEADLOCK_DETECTED, SERIALIZATION_FAILURE, UNIQUE_VIOLATION, constraintName, sqlState } from './errors.js';

export type Trx = Transaction<Database>;

/**
 * Unique indexes whose violation means "someone else just did the same thing":
 * retrying the whole transaction then finds their row and answers as a replay.
 */
const RACE_CONSTRAINTS = new Set([
  'ledger_transaction_idempotency_key',
  'ledger_transaction_one_resolution',
  'ledger_transaction_one_reversal',
]);

export function isRetryable(error: unknown): boolean {
  const state = sqlState(error);
  if (state === DEADLOCK_DETECTED || state === SERIALIZATION_FAILURE) return true;
  if (state === UNIQUE_VIOLATION) {
    const name = constraintName(error);
    return name !== undefined && RACE_CONSTRAINTS.has(name);
  }
  return false;
}

export interface RetryOptions {
  readonly attempts?: number;
}

/**
 * Runs `work` in one database transaction, retrying the whole of it when the
 * database reports a deadlock, a serialization failure or a lost race on an
 * idempotency index. The door calls this; core functions take the `trx`.
 * Inside `work`, use only `trx`: on PGlite the outer `db` waits for this
 * transaction to end, so using it here hangs.
 */
export async function inTransaction<T>(db: Kysely<Database>, work: (trx: Trx) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      // Jittered backoff so racing callers do not collide again in lockstep.
      await sleep(Math.floor(Math.random() * 5 * attempt));
    }
  }
}
