import type { Kysely } from 'kysely';
import { ensureClient, ensureGemeente } from '../../src/clients/clients.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { book, bookBatch, openAccount, transferBetween, type LedgerRequest, type LedgerResult } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';

export const eur = (text: string): Money => Money.parse(text);

let counter = 0;
/** A key no other test uses, so suites can share one database. */
export const uniqueKey = (label: string): string => `${label}:${process.pid}:${++counter}:${Math.random().toString(36).slice(2, 8)}`;

export interface ClientAccounts {
  clientId: bigint;
  gemeenteId: string;
  available: bigint;
  advances: bigint;
}

export interface Chart {
  bank: bigint;
  suspense: bigint;
  inTransit: bigint;
  equity: bigint;
  client(): Promise<ClientAccounts>;
}

/** A small chart of accounts: one bank account, suspense, payments in transit, and clients on demand. */
export async function aChart(db: Kysely<Database>, gemeenteId = 'GM0505'): Promise<Chart> {
  const tag = uniqueKey('chart');
  await ensureGemeente(db, { id: gemeenteId, name: 'Dordrecht' });
  const open = (code: string, kind: 'asset' | 'liability' | 'equity', purpose: string, rule: 'none' | 'debits_must_not_exceed_credits') =>
    openAccount(db, { code: `${tag}/${code}`, name: code, kind, purpose, balanceRule: rule });
  const bank = await open('bank', 'asset', 'bank', 'none');
  const suspense = await open('suspense', 'liability', 'suspense', 'debits_must_not_exceed_credits');
  const inTransit = await open('in-transit', 'liability', 'payments_in_transit', 'none');
  const equity = await open('equity', 'equity', 'equity', 'none');
  return {
    bank: bank.id,
    suspense: suspense.id,
    inTransit: inTransit.id,
    equity: equity.id,
    async client() {
      const client = await ensureClient(db, { gemeenteId, reference: uniqueKey('c').slice(0, 35) });
      const available = await openAccount(db, {
        code: `${tag}/client/${client.id}/available`,
        name: 'available',
        kind: 'liability',
        purpose: 'client_available',
        balanceRule: 'debits_must_not_exceed_credits',
        gemeenteId,
        clientId: client.id,
      });
      const advances = await openAccount(db, {
        code: `${tag}/client/${client.id}/advances`,
        name: 'advances receivable',
        kind: 'asset',
        purpose: 'advances_receivable',
        balanceRule: 'credits_must_not_exceed_debits',
        gemeenteId,
        clientId: client.id,
      });
      return { clientId: client.id, gemeenteId, available: available.id, advances: advances.id };
    },
  };
}

export const transfer = (key: string, debit: bigint, credit: bigint, amount: string, bookingDate = '2026-11-02'): LedgerRequest =>
  transferBetween({ idempotencyKey: key, bookingDate, description: `transfer ${amount}`, debit, credit, amount: eur(amount) });

export const bookOne = (db: Kysely<Database>, request: LedgerRequest) => inTransaction(db, (trx) => book(trx, request));
export const bookMany = (db: Kysely<Database>, requests: LedgerRequest[]): Promise<LedgerResult[]> => inTransaction(db, (trx) => bookBatch(trx, requests));
