import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';

/**
 * Tamper evidence for the journal. Triggers stop the application from changing
 * what was booked; a seal shows whether anyone changed it anyway (a superuser
 * who disabled the triggers, a restored backup, an edited dump). Sealing runs
 * after the fact, so it never slows a booking down.
 */

export const GENESIS_HASH = '0'.repeat(64);

export interface Seal {
  readonly id: bigint;
  readonly fromXid: bigint;
  readonly toXid: bigint;
  readonly transactionCount: bigint;
  readonly hash: string;
}

/** Hashes everything that makes up the transactions of one xid range, in id order, onto the previous hash. */
async function rangeHash(db: Kysely<Database> | Trx, previousHash: string, fromXid: bigint, toXid: bigint): Promise<{ hash: string; count: bigint }> {
  const { rows } = await sql<{ line: string }>`
    SELECT concat_ws('|', t.id, t.idempotency_key, t.type, t.outcome, t.booking_date, t.content_hash, t.pending_id, t.reverses_id,
             t.refusal_code, coalesce(string_agg(concat_ws(':', p.account_id, p.side, p.phase, p.amount_cents, p.account_seq,
               p.debits_posted_after, p.credits_posted_after, p.debits_pending_after, p.credits_pending_after), ',' ORDER BY p.id), '')) AS line
      FROM ledger_transaction t
      LEFT JOIN ledger_posting p ON p.transaction_id = t.id
     WHERE t.created_xid >= ${fromXid} AND t.created_xid < ${toXid}
     GROUP BY t.id
     ORDER BY t.id
  `.execute(db);
  const hash = createHash('sha256').update(previousHash);
  for (const row of rows) hash.update('\n').update(row.line);
  return { hash: hash.digest('hex'), count: BigInt(rows.length) };
}

/** Seals everything finished since the last seal; returns the new seal, or undefined when nothing new is final. */
export async function sealLedger(db: Kysely<Database>): Promise<Seal | undefined> {
  return inTransaction(db, async (trx) => {
    // One sealer at a time; a second waits and then finds nothing left to seal.
    await sql`SELECT pg_advisory_xact_lock(hashtext('ontzorg.ledger_seal'))`.execute(trx);
    const last = await trx.selectFrom('ledger_seal').selectAll().orderBy('id', 'desc').limit(1).executeTakeFirst();
    const fromXid = last?.to_xid ?? 0n;
    const { rows } = await sql<{ xmin: bigint }>`SELECT txid_snapshot_xmin(txid_current_snapshot())::bigint AS xmin`.execute(trx);
    const toXid = rows[0]!.xmin;
    if (toXid <= fromXid) return undefined;
    const previousHash = last?.hash ?? GENESIS_HASH;
    const { hash, count } = await rangeHash(trx, previousHash, fromXid, toXid);
    if (count === 0n && last) return undefined;
    const seal = await trx
      .insertInto('ledger_seal')
      .values({ from_xid: fromXid, to_xid: toXid, transaction_count: count, previous_hash: previousHash, hash })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { id: seal.id, fromXid, toXid, transactionCount: count, hash };
  });
}

/** Recomputes every seal from the journal; names each seal whose contents changed and any broken link. */
export async function verifySeals(db: Kysely<Database>): Promise<{ ok: boolean; seals: number; problems: string[] }> {
  const seals = await db.selectFrom('ledger_seal').selectAll().orderBy('id').execute();
  const problems: string[] = [];
  let previous = GENESIS_HASH;
  let previousTo = 0n;
  for (const seal of seals) {
    if (seal.previous_hash !== previous || seal.from_xid !== previousTo) problems.push(`seal ${seal.id}: the chain is broken before it`);
    const { hash, count } = await rangeHash(db, seal.previous_hash, seal.from_xid, seal.to_xid);
    if (count !== seal.transaction_count) problems.push(`seal ${seal.id}: sealed ${seal.transaction_count} transactions, the journal now holds ${count}`);
    else if (hash !== seal.hash) problems.push(`seal ${seal.id}: the sealed transactions were changed after sealing`);
    previous = seal.hash;
    previousTo = seal.to_xid;
  }
  return { ok: problems.length === 0, seals: seals.length, problems };
}

/** What is not sealed yet, and why: the auditor's answer to "why does the last seal lag behind?". */
export interface SealStatus {
  readonly seals: bigint;
  /** Ledger transactions written since the last seal. */
  readonly unsealed: bigint;
  /**
   * Of those, the ones a seal cannot cover yet: written after a database transaction (of any database on
   * the server) that is still running, so a transaction that commits late cannot fall into a sealed range.
   */
  readonly heldBack: bigint;
  /** That oldest running transaction, without its query text (which may hold personal data). */
  readonly oldestOpen: { readonly pid: number; readonly applicationName: string; readonly database: string | null; readonly state: string | null; readonly since: Date | null } | null;
}

export async function sealStatus(db: Kysely<Database>): Promise<SealStatus> {
  const last = await db.selectFrom('ledger_seal').select(['to_xid']).orderBy('id', 'desc').limit(1).executeTakeFirst();
  const { rows } = await sql<{ xmin: bigint; unsealed: bigint; held: bigint }>`
    SELECT s.xmin,
           (SELECT count(*) FROM ledger_transaction WHERE created_xid >= ${last?.to_xid ?? 0n})::bigint AS unsealed,
           (SELECT count(*) FROM ledger_transaction WHERE created_xid >= greatest(s.xmin, ${last?.to_xid ?? 0n}))::bigint AS held
      FROM (SELECT txid_snapshot_xmin(txid_current_snapshot())::bigint AS xmin) s
  `.execute(db);
  const { unsealed, held } = rows[0]!;
  let oldestOpen: SealStatus['oldestOpen'] = null;
  if (BigInt(held) > 0n) {
    // The backend whose transaction started first among those holding an xid or a snapshot, other than this one.
    const open = await sql<{ pid: number; application_name: string; datname: string | null; state: string | null; xact_start: Date | null }>`
      SELECT pid, application_name, datname, state, xact_start
        FROM pg_stat_activity
       WHERE pid <> pg_backend_pid() AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL)
       ORDER BY xact_start NULLS LAST
       LIMIT 1
    `.execute(db);
    const row = open.rows[0];
    if (row) oldestOpen = { pid: row.pid, applicationName: row.application_name, database: row.datname, state: row.state, since: row.xact_start };
  }
  const count = await db.selectFrom('ledger_seal').select((eb) => eb.fn.countAll<bigint>().as('n')).executeTakeFirstOrThrow();
  return { seals: BigInt(count.n), unsealed: BigInt(unsealed), heldBack: BigInt(held), oldestOpen };
}

/** One line for the CLI and the job's log. */
export function describeSealStatus(status: SealStatus): string {
  if (status.unsealed === 0n) return `every transaction is sealed (${status.seals} seals)`;
  const waiting = status.heldBack > 0n
    ? `; ${status.heldBack} of them wait for an older database transaction that is still open` +
      (status.oldestOpen
        ? ` (pid ${status.oldestOpen.pid}, application "${status.oldestOpen.applicationName || 'unnamed'}"${status.oldestOpen.database ? `, database ${status.oldestOpen.database}` : ''}, ${status.oldestOpen.state ?? 'state unknown'}${status.oldestOpen.since ? `, since ${status.oldestOpen.since.toISOString()}` : ''}): a seal covers them once it ends`
        : '')
    : '; the next seal covers them';
  return `${status.unsealed} transaction(s) not sealed yet${waiting}`;
}
