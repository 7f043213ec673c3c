import type { Kysely } from 'kysely';
import { ensureClient, ensureGemeente } from '../../src/clients/clients.js';
import type { Database } from '../../src/db/schema.js';
import { openAccount, transferBetween, type LedgerRequest } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';

export interface WorkloadAccounts {
  bank: bigint;
  inTransit: bigint;
  clients: bigint[];
}

const CLIENTS = 30;

export async function openWorkloadAccounts(db: Kysely<Database>): Promise<WorkloadAccounts> {
  await ensureGemeente(db, { id: 'GM0505', name: 'Dordrecht' });
  const bank = await openAccount(db, { code: 'crash/bank', name: 'bank', kind: 'asset', purpose: 'bank', balanceRule: 'none' });
  const inTransit = await openAccount(db, { code: 'crash/in-transit', name: 'in transit', kind: 'liability', purpose: 'payments_in_transit', balanceRule: 'none' });
  const clients: bigint[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const client = await ensureClient(db, { gemeenteId: 'GM0505', reference: `CRASH-${i}` });
    const account = await openAccount(db, {
      code: `crash/client/${i}/available`, name: 'available', kind: 'liability', purpose: 'client_available',
      balanceRule: 'debits_must_not_exceed_credits', gemeenteId: 'GM0505', clientId: client.id,
    });
    clients.push(account.id);
  }
  return { bank: bank.id, inTransit: inTransit.id, clients };
}

const cents = (n: number) => Money.fromCents(BigInt(n));

/**
 * A deterministic day: receipts, reservations, payments of reservations (some
 * in part), releases, leefgeld and some overdrafts that must be refused, in
 * batches of 25. The same accounts always give the same requests.
 */
export function crashWorkload(accounts: WorkloadAccounts): LedgerRequest[][] {
  const requests: LedgerRequest[] = [];
  let seed = 20261125;
  const next = (max: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % max;
  };
  const date = '2026-11-24';
  const move = (idempotencyKey: string, description: string, debit: bigint, credit: bigint, amount: Money): LedgerRequest =>
    transferBetween({ idempotencyKey, bookingDate: date, description, debit, credit, amount });
  accounts.clients.forEach((client, c) => {
    requests.push(move(`crash/${c}/bijstand`, 'bijstand', accounts.bank, client, cents(100_000 + next(50_000))));
  });
  for (let step = 0; step < 600; step++) {
    const c = next(accounts.clients.length);
    const client = accounts.clients[c]!;
    const key = `crash/${c}/${step}`;
    switch (next(5)) {
      case 0:
        requests.push({ type: 'pending', idempotencyKey: `${key}/reserve`, bookingDate: date, description: 'rent reserved', debit: client, credit: accounts.inTransit, amount: cents(10_000 + next(60_000)) });
        requests.push(next(3) === 0
          ? { type: 'void_pending', idempotencyKey: `${key}/release`, bookingDate: date, description: 'released', pendingKey: `${key}/reserve` }
          : { type: 'post_pending', idempotencyKey: `${key}/pay`, bookingDate: date, description: 'paid', pendingKey: `${key}/reserve`, ...(next(2) === 0 ? { amount: cents(5_000) } : {}) });
        break;
      case 1:
        requests.push(move(`${key}/in`, 'toeslag', accounts.bank, client, cents(1 + next(40_000))));
        break;
      default:
        requests.push(move(`${key}/leefgeld`, 'leefgeld', client, accounts.inTransit, cents(1 + next(30_000))));
    }
  }
  const batches: LedgerRequest[][] = [];
  for (let i = 0; i < requests.length; i += 25) batches.push(requests.slice(i, i + 25));
  return batches;
}
