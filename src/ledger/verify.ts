import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { Money } from '../money/money.js';

export interface LedgerReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly accounts: bigint;
  readonly transactions: bigint;
  readonly refusals: bigint;
  readonly postings: bigint;
}

/**
 * Recomputes the books from the journal and compares them with what is kept:
 * every account's counters equal the sum of its postings, its running balance
 * and sequence agree, every booked transaction balances per phase, and all
 * accounts together sum to zero. Read-only; safe to run at any time.
 */
export async function verifyLedger(db: Kysely<Database>): Promise<LedgerReport> {
  const problems: string[] = [];

  const counters = await sql<{ code: string; field: string; kept: bigint; computed: bigint }>`
    WITH sums AS (
      SELECT account_id,
             coalesce(sum(amount_cents) FILTER (WHERE side = 'D' AND phase = 'posted'), 0)::bigint AS dp,
             coalesce(sum(amount_cents) FILTER (WHERE side = 'C' AND phase = 'posted'), 0)::bigint AS cp,
             coalesce(sum(CASE phase WHEN 'pending' THEN amount_cents WHEN 'release' THEN -amount_cents END) FILTER (WHERE side = 'D'), 0)::bigint AS dpn,
             coalesce(sum(CASE phase WHEN 'pending' THEN amount_cents WHEN 'release' THEN -amount_cents END) FILTER (WHERE side = 'C'), 0)::bigint AS cpn,
             count(*)::bigint AS n,
             coalesce(max(account_seq), 0)::bigint AS max_seq
        FROM ledger_posting GROUP BY account_id
    ), compared AS (
      SELECT a.code, v.field, v.kept, v.computed
        FROM account a
        LEFT JOIN sums s ON s.account_id = a.id
        CROSS JOIN LATERAL (VALUES
          ('debits posted', a.debits_posted, coalesce(s.dp, 0)),
          ('credits posted', a.credits_posted, coalesce(s.cp, 0)),
          ('debits pending', a.debits_pending, coalesce(s.dpn, 0)),
          ('credits pending', a.credits_pending, coalesce(s.cpn, 0)),
          ('posting count', a.last_seq, coalesce(s.n, 0)),
          ('last sequence', a.last_seq, coalesce(s.max_seq, 0))
        ) AS v (field, kept, computed)
    )
    SELECT code, field, kept, computed FROM compared WHERE kept <> computed ORDER BY code, field
  `.execute(db);
  for (const r of counters.rows) problems.push(`account ${r.code}: ${r.field} kept as ${r.kept}, the postings say ${r.computed}`);

  const running = await sql<{ code: string }>`
    SELECT a.code
      FROM account a
      JOIN ledger_posting p ON p.account_id = a.id AND p.account_seq = a.last_seq
     WHERE (p.debits_posted_after, p.credits_posted_after, p.debits_pending_after, p.credits_pending_after)
        <> (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
  `.execute(db);
  for (const r of running.rows) problems.push(`account ${r.code}: the running balance on its last posting differs from its balance`);

  const unbalanced = await sql<{ idempotency_key: string; phase: string; difference: bigint }>`
    SELECT t.idempotency_key, p.phase, sum(CASE p.side WHEN 'D' THEN p.amount_cents ELSE -p.amount_cents END)::bigint AS difference
      FROM ledger_posting p JOIN ledger_transaction t ON t.id = p.transaction_id
     GROUP BY t.idempotency_key, p.phase
    HAVING sum(CASE p.side WHEN 'D' THEN p.amount_cents ELSE -p.amount_cents END) <> 0
  `.execute(db);
  for (const r of unbalanced.rows) {
    problems.push(`transaction ${r.idempotency_key}: ${r.phase} postings are off by ${Money.fromCents(r.difference).toString()}`);
  }

  const orphans = await sql<{ idempotency_key: string; problem: string }>`
    SELECT t.idempotency_key, 'a booked transaction without postings' AS problem
      FROM ledger_transaction t
     WHERE t.outcome = 'booked' AND NOT EXISTS (SELECT 1 FROM ledger_posting p WHERE p.transaction_id = t.id)
    UNION ALL
    SELECT coalesce(t.idempotency_key, 'id ' || p.transaction_id), CASE WHEN t.id IS NULL THEN 'postings without a transaction' ELSE 'postings on a refused transaction' END
      FROM (SELECT DISTINCT transaction_id FROM ledger_posting) p
      LEFT JOIN ledger_transaction t ON t.id = p.transaction_id
     WHERE t.id IS NULL OR t.outcome <> 'booked'
  `.execute(db);
  for (const r of orphans.rows) problems.push(`transaction ${r.idempotency_key}: ${r.problem}`);

  const totals = await sql<{ dp: bigint; cp: bigint; dpn: bigint; cpn: bigint; accounts: bigint }>`
    SELECT coalesce(sum(debits_posted), 0)::bigint AS dp, coalesce(sum(credits_posted), 0)::bigint AS cp,
           coalesce(sum(debits_pending), 0)::bigint AS dpn, coalesce(sum(credits_pending), 0)::bigint AS cpn,
           count(*)::bigint AS accounts
      FROM account
  `.execute(db);
  const t = totals.rows[0]!;
  if (t.dp !== t.cp) problems.push(`all accounts together: posted debits exceed credits by ${Money.fromCents(t.dp - t.cp).toString()}`);
  if (t.dpn !== t.cpn) problems.push(`all accounts together: pending debits exceed pending credits by ${Money.fromCents(t.dpn - t.cpn).toString()}`);

  const counts = await sql<{ transactions: bigint; refusals: bigint; postings: bigint }>`
    SELECT (SELECT count(*) FROM ledger_transaction WHERE outcome = 'booked')::bigint AS transactions,
           (SELECT count(*) FROM ledger_transaction WHERE outcome = 'refused')::bigint AS refusals,
           (SELECT count(*) FROM ledger_posting)::bigint AS postings
  `.execute(db);
  const c = counts.rows[0]!;
  return { ok: problems.length === 0, problems, accounts: t.accounts, transactions: c.transactions, refusals: c.refusals, postings: c.postings };
}
