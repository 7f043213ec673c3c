/**
 * Bench data: a chart of accounts set up in bulk (not timed) and deterministic
 * streams of ledger requests. Amounts are Money made from bigint cents; the PRNG
 * only picks accounts and sizes, never holds money.
 */
import type { Kysely } from 'kysely';
import { ensureGemeente } from '../src/clients/clients.js';
import type { Database } from '../src/db/schema.js';
import { inTransaction } from '../src/db/transaction.js';
import { bookBatch, openAccount, transferBetween, type LedgerRequest } from '../src/ledger/index.js';
import { Money } from '../src/money/money.js';

export const BOOKING_DATE = '2026-11-02';
/** Each client starts with €1,000.00; transfers move 0.01–5.00, so no request is ever refused. */
export const OPENING_CENTS = 100_000n;

/** mulberry32: small, fast, deterministic. Returns integers in [0, n). */
export function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) % n;
    return r;
  };
}

export interface BenchChart {
  readonly bank: bigint;
  readonly inTransit: bigint;
  /** The clients' `available` accounts (rule: never below zero). */
  readonly clients: readonly bigint[];
  /** Transfers booked to fund the clients (part of the ledger, not of the measurement). */
  readonly fundingTransactions: number;
  readonly fundingPostings: number;
}

const GEMEENTE = 'GM0505';

/** Sets up a bank account, payments in transit and `clients` funded client accounts, in bulk. */
export async function setUpChart(db: Kysely<Database>, clients: number, tag: string): Promise<BenchChart> {
  await ensureGemeente(db, { id: GEMEENTE, name: 'Dordrecht' });
  const bank = await openAccount(db, { code: `${tag}/bank`, name: 'bank', kind: 'asset', purpose: 'bank', balanceRule: 'none' });
  const inTransit = await openAccount(db, {
    code: `${tag}/in-transit`,
    name: 'payments in transit',
    kind: 'liability',
    purpose: 'payments_in_transit',
    balanceRule: 'none',
  });
  const accounts: bigint[] = [];
  const CHUNK = 2_000;
  for (let i = 0; i < clients; i += CHUNK) {
    const n = Math.min(CHUNK, clients - i);
    const rows = Array.from({ length: n }, (_, j) => ({ gemeente_id: GEMEENTE, reference: `${tag}-${i + j}`.slice(0, 35) }));
    const inserted = await db.insertInto('client').values(rows).returning(['id']).execute();
    const opened = await db
      .insertInto('account')
      .values(
        inserted.map((c) => ({
          code: `${tag}/client/${c.id}/available`,
          name: 'available',
          kind: 'liability' as const,
          purpose: 'client_available',
          balance_rule: 'debits_must_not_exceed_credits' as const,
          gemeente_id: GEMEENTE,
          client_id: c.id,
        })),
      )
      .returning(['id'])
      .execute();
    accounts.push(...opened.map((a) => a.id));
  }
  // Funded in transfers of up to 99 clients each (one bank leg): set-up, not measured, so kept cheap.
  const opening = Money.fromCents(OPENING_CENTS);
  const funding: LedgerRequest[] = [];
  let fundingPostings = 0;
  for (let i = 0; i < accounts.length; i += 99) {
    const group = accounts.slice(i, i + 99);
    funding.push({
      type: 'transfer',
      idempotencyKey: `${tag}/fund/${i}`,
      bookingDate: BOOKING_DATE,
      description: 'opening balances',
      postings: [
        { account: bank.id, side: 'debit', amount: Money.fromCents(OPENING_CENTS * BigInt(group.length)) },
        ...group.map((account) => ({ account, side: 'credit' as const, amount: opening })),
      ],
    });
    fundingPostings += group.length + 1;
  }
  for (let i = 0; i < funding.length; i += 50) {
    const results = await inTransaction(db, (trx) => bookBatch(trx, funding.slice(i, i + 50)));
    const bad = results.find((r) => r.outcome !== 'booked');
    if (bad) throw new Error(`funding failed: ${JSON.stringify(bad, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);
  }
  return { bank: bank.id, inTransit: inTransit.id, clients: accounts, fundingTransactions: funding.length, fundingPostings };
}

function smallAmount(rand: (n: number) => number): Money {
  return Money.fromCents(BigInt(1 + rand(500)));
}

/** Two-leg transfers between two different random clients, each with its own idempotency key. */
export function transfers(chart: BenchChart, count: number, prefix: string, seed: number): LedgerRequest[] {
  const rand = prng(seed);
  const n = chart.clients.length;
  const out: LedgerRequest[] = new Array<LedgerRequest>(count);
  for (let i = 0; i < count; i++) {
    const from = rand(n);
    const to = (from + 1 + rand(n - 1)) % n;
    const amount = smallAmount(rand);
    out[i] = transferBetween({ idempotencyKey: `${prefix}/${i}`, bookingDate: BOOKING_DATE, description: 'bench transfer', debit: chart.clients[from]!, credit: chart.clients[to]!, amount });
  }
  return out;
}

/**
 * A mix: 60 % transfers, 20 % reservations (pending, client → payments in transit)
 * and 20 % payments of an earlier reservation (post_pending, half of them in part),
 * each payment following its reservation by about `lag` requests so that it usually
 * lands in a later batch and reads the reservation from the journal.
 */
export function mixed(chart: BenchChart, count: number, prefix: string, seed: number, lag: number): LedgerRequest[] {
  const rand = prng(seed);
  const n = chart.clients.length;
  const out: LedgerRequest[] = [];
  const due: { at: number; key: string; amount: bigint }[] = [];
  let head = 0;
  while (out.length < count) {
    const i = out.length;
    const next = due[head];
    if (next && next.at <= i) {
      head++;
      const partial = rand(2) === 0 && next.amount > 1n;
      out.push({
        type: 'post_pending',
        idempotencyKey: `${prefix}/${i}`,
        bookingDate: BOOKING_DATE,
        description: 'bench payment',
        pendingKey: next.key,
        ...(partial ? { amount: Money.fromCents(next.amount - 1n) } : {}),
      });
      continue;
    }
    const roll = rand(4);
    if (roll === 0 && count - i > lag + 1) {
      const amount = smallAmount(rand);
      const key = `${prefix}/${i}`;
      out.push({ type: 'pending', idempotencyKey: key, bookingDate: BOOKING_DATE, description: 'bench reservation', debit: chart.clients[rand(n)]!, credit: chart.inTransit, amount });
      due.push({ at: i + lag, key, amount: amount.cents });
      continue;
    }
    const from = rand(n);
    const to = (from + 1 + rand(n - 1)) % n;
    const amount = smallAmount(rand);
    out.push(transferBetween({ idempotencyKey: `${prefix}/${i}`, bookingDate: BOOKING_DATE, description: 'bench transfer', debit: chart.clients[from]!, credit: chart.clients[to]!, amount }));
  }
  return out;
}

/** Postings a request writes: 2 for a transfer or reservation, 4 for a payment of a reservation. */
export function postingsOf(requests: readonly LedgerRequest[]): number {
  let n = 0;
  for (const r of requests) n += r.type === 'post_pending' ? 4 : r.type === 'transfer' ? r.postings.length : 2;
  return n;
}
