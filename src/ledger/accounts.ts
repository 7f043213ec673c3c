import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import { numberArray } from '../db/array-parameters.js';
import type { Trx } from '../db/transaction.js';
import { LedgerError } from './errors.js';
import type { AccountId } from './requests.js';
import type { AccountKind, AccountTable, BalanceRule } from './rows.js';

export type AccountRow = Selectable<AccountTable>;

export interface OpenAccount {
  /** A stable, human-readable key such as "client/42/available" or "bank/NL91…"; never personal data. */
  readonly code: string;
  readonly name: string;
  readonly kind: AccountKind;
  readonly purpose: string;
  readonly balanceRule: BalanceRule;
  readonly gemeenteId?: string | null;
  readonly clientId?: bigint | null;
}

/**
 * Opens an account, or returns the one that already has this code when its
 * settings are the same, so that set-up code can be replayed safely.
 */
export async function openAccount(db: Kysely<Database> | Trx, account: OpenAccount): Promise<AccountRow> {
  const values = {
    code: account.code,
    name: account.name,
    kind: account.kind,
    purpose: account.purpose,
    balance_rule: account.balanceRule,
    gemeente_id: account.gemeenteId ?? null,
    client_id: account.clientId ?? null,
  };
  const inserted = await db
    .insertInto('account')
    .values(values)
    .onConflict((oc) => oc.column('code').doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) return inserted;
  const existing = await db.selectFrom('account').selectAll().where('code', '=', account.code).executeTakeFirstOrThrow();
  const differing = (['kind', 'purpose', 'balance_rule', 'gemeente_id', 'client_id'] as const).filter(
    (field) => existing[field] !== values[field],
  );
  if (differing.length > 0) {
    throw new LedgerError('account_conflict', `account "${account.code}" already exists with a different ${differing.join(', ')}`, {
      code: account.code,
      fields: differing,
    });
  }
  return existing;
}

export async function findAccountByCode(db: Kysely<Database> | Trx, code: string): Promise<AccountRow | undefined> {
  return db.selectFrom('account').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function getAccount(db: Kysely<Database> | Trx, id: AccountId): Promise<AccountRow> {
  const row = await db.selectFrom('account').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new LedgerError('unknown_account', `account ${id} does not exist`, { account: id.toString() });
  return row;
}

const LOCKED_COLUMNS = ['id', 'code', 'gemeente_id', 'balance_rule', 'debits_posted', 'credits_posted', 'debits_pending', 'credits_pending', 'last_seq'] as const;
export type LockedAccount = Pick<AccountRow, (typeof LOCKED_COLUMNS)[number]>;

/**
 * Locks the accounts in one round trip, in ascending id order, so that two
 * bookings touching the same accounts always queue instead of deadlocking.
 * Demands a transaction: a lock outside one would be released at once.
 */
export async function lockAccounts(trx: Trx, ids: readonly AccountId[]): Promise<Map<AccountId, LockedAccount>> {
  const unique = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const locked = new Map<AccountId, LockedAccount>();
  if (unique.length === 0) return locked;
  // One array parameter, not one per id: the statement stays the same size whatever the batch.
  // Only what booking needs: the other columns (names, timestamps) cost parsing on every batch.
  const rows = await trx
    .selectFrom('account')
    .select(LOCKED_COLUMNS)
    .where('id', '=', sql<AccountId>`ANY(${numberArray(unique)}::bigint[])`)
    .orderBy('id')
    .forUpdate()
    .execute();
  for (const row of rows) locked.set(row.id, row);
  return locked;
}
