import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { getAccount, type AccountRow } from './accounts.js';
import type { AccountId } from './requests.js';
import type { AccountKind } from './rows.js';

export interface Balance {
  readonly debitsPosted: Money;
  readonly creditsPosted: Money;
  readonly debitsPending: Money;
  readonly creditsPending: Money;
  /** On the account's normal side: credits − debits for liabilities, income and equity; debits − credits otherwise. */
  readonly posted: Money;
  /** What is free: posted, less what is reserved against it (pending on the other side). */
  readonly available: Money;
}

interface Counters {
  debits_posted: bigint;
  credits_posted: bigint;
  debits_pending: bigint;
  credits_pending: bigint;
}

const CREDIT_NORMAL: readonly AccountKind[] = ['liability', 'income', 'equity'];

export function toBalance(kind: AccountKind, c: Counters): Balance {
  const creditNormal = CREDIT_NORMAL.includes(kind);
  const posted = creditNormal ? c.credits_posted - c.debits_posted : c.debits_posted - c.credits_posted;
  const available = creditNormal ? posted - c.debits_pending : posted - c.credits_pending;
  return {
    debitsPosted: Money.fromCents(c.debits_posted),
    creditsPosted: Money.fromCents(c.credits_posted),
    debitsPending: Money.fromCents(c.debits_pending),
    creditsPending: Money.fromCents(c.credits_pending),
    posted: Money.fromCents(posted),
    available: Money.fromCents(available),
  };
}

export function balanceOfRow(row: AccountRow): Balance {
  return toBalance(row.kind, row);
}

/** The current balance, as kept with every booking. */
export async function getBalance(db: Kysely<Database> | Trx, account: AccountId): Promise<Balance> {
  return balanceOfRow(await getAccount(db, account));
}

const ZERO: Counters = { debits_posted: 0n, credits_posted: 0n, debits_pending: 0n, credits_pending: 0n };

/** The balance as it stood at a moment: one index lookup of the running balance on the last posting before it. */
export async function balanceAt(db: Kysely<Database> | Trx, account: AccountId, moment: Date): Promise<Balance> {
  const row = await getAccount(db, account);
  const last = await db
    .selectFrom('ledger_posting')
    .select(['debits_posted_after as debits_posted', 'credits_posted_after as credits_posted', 'debits_pending_after as debits_pending', 'credits_pending_after as credits_pending'])
    .where('account_id', '=', account)
    .where('booked_at', '<=', moment)
    .orderBy('account_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return toBalance(row.kind, last ?? ZERO);
}

/** The balance by booking date: every posting whose booking date is on or before `date`, whenever it was written. */
export async function balanceOnDate(db: Kysely<Database> | Trx, account: AccountId, date: string): Promise<Balance> {
  const row = await getAccount(db, account);
  const sums = await db
    .selectFrom('ledger_posting')
    .select([
      sql<bigint>`coalesce(sum(amount_cents) FILTER (WHERE side = 'D' AND phase = 'posted'), 0)::bigint`.as('debits_posted'),
      sql<bigint>`coalesce(sum(amount_cents) FILTER (WHERE side = 'C' AND phase = 'posted'), 0)::bigint`.as('credits_posted'),
      sql<bigint>`coalesce(sum(CASE phase WHEN 'pending' THEN amount_cents WHEN 'release' THEN -amount_cents END) FILTER (WHERE side = 'D'), 0)::bigint`.as('debits_pending'),
      sql<bigint>`coalesce(sum(CASE phase WHEN 'pending' THEN amount_cents WHEN 'release' THEN -amount_cents END) FILTER (WHERE side = 'C'), 0)::bigint`.as('credits_pending'),
    ])
    .where('account_id', '=', account)
    .where('booking_date', '<=', date)
    .executeTakeFirstOrThrow();
  return toBalance(row.kind, sums);
}
