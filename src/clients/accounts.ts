import { sql, type Kysely } from 'kysely';
import { numberArray } from '../db/array-parameters.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';

/** The ledger code of a client's free money. */
export function availableAccountCode(clientId: bigint): string {
  return `client/${clientId.toString()}/available`;
}

/**
 * The available-money accounts of many clients at once, opened where missing: one round trip when they all exist (every
 * daily run after a client's first), three when some must be opened, whatever the number of clients (ingestion books
 * thousands in one go). Read first rather than `INSERT … ON CONFLICT DO NOTHING` every time: that statement pays an
 * index probe and a conflict per existing account, and the daily batch asks for every client every day.
 */
export async function availableAccounts(db: Kysely<Database> | Trx, clientIds: readonly bigint[]): Promise<Map<bigint, bigint>> {
  const unique = [...new Set(clientIds)];
  const result = new Map<bigint, bigint>();
  if (unique.length === 0) return result;
  const read = async (ids: readonly bigint[]) => {
    const rows = await db
      .selectFrom('account')
      .select(['id', 'client_id'])
      .where('purpose', '=', 'client_available')
      .where('client_id', '=', sql<bigint>`ANY(${numberArray(ids)}::bigint[])`)
      .execute();
    for (const row of rows) if (row.client_id !== null) result.set(row.client_id, row.id);
  };
  await read(unique);
  const missing = unique.filter((id) => !result.has(id));
  if (missing.length === 0) return result;
  await sql`
    INSERT INTO account (code, name, kind, purpose, balance_rule, gemeente_id, client_id)
    SELECT 'client/' || c.id || '/available', 'free money of client ' || c.reference, 'liability', 'client_available',
           'debits_must_not_exceed_credits', c.gemeente_id, c.id
      FROM client c WHERE c.id = ANY(${numberArray(missing)}::bigint[])
    ON CONFLICT (code) DO NOTHING
  `.execute(db);
  // Also those another transaction opened meanwhile (their insert met ours on the code and did nothing here).
  await read(missing);
  return result;
}

export interface LockedAvailable {
  readonly accountId: bigint;
  /** Free money in cents: credits posted − debits posted − debits pending (reservations count as spent). */
  readonly freeCents: bigint;
}

/**
 * Opens (where missing) and locks the available-money accounts of many clients, together with the
 * other accounts named (the payments-in-transit account their reservations go to), in one sorted
 * `FOR UPDATE`: the same order as the ledger's, so no deadlock with a booking. While the locks are
 * held no receipt, reservation or payment of these clients can commit, so what is read afterwards is
 * the state the allocation books against. Three round trips whatever the number of clients.
 */
export async function lockAvailableAccounts(trx: Trx, clientIds: readonly bigint[], alsoLock: readonly bigint[] = []): Promise<Map<bigint, AvailableAccountState>> {
  return availableAccountStates(trx, await availableAccounts(trx, clientIds), { lock: true, alsoLock });
}

export interface AvailableAccountState extends LockedAvailable {
  /** The account's sequence number of its last posting: every booking for the client moves it. */
  readonly lastSeq: bigint;
}

/**
 * The clients' available accounts as they stand (`accounts`: client → account, from `availableAccounts`), read in one
 * statement; with `lock`, together with `alsoLock`, in the ledger's sorted `FOR UPDATE` order. Unlocked, it lets a
 * caller decide first and check afterwards, under the locks, that nothing moved (same free money, same last posting).
 */
export async function availableAccountStates(
  trx: Trx,
  accounts: ReadonlyMap<bigint, bigint>,
  options: { readonly lock: boolean; readonly alsoLock?: readonly bigint[] },
): Promise<Map<bigint, AvailableAccountState>> {
  const unique = [...new Set([...accounts.values(), ...(options.lock ? (options.alsoLock ?? []) : [])])];
  const result = new Map<bigint, AvailableAccountState>();
  if (unique.length === 0) return result;
  const ids = numberArray(unique);
  const rows = await sql<{ id: bigint; client_id: bigint | null; free: bigint; last_seq: bigint }>`
    SELECT id, client_id, credits_posted - debits_posted - debits_pending AS free, last_seq
      FROM account WHERE id = ANY(${ids}::bigint[]) ORDER BY id ${options.lock ? sql`FOR UPDATE` : sql``}
  `.execute(trx);
  for (const row of rows.rows) {
    if (row.client_id !== null && accounts.get(row.client_id) === row.id) result.set(row.client_id, { accountId: row.id, freeCents: row.free, lastSeq: row.last_seq });
  }
  return result;
}
