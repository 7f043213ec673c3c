import { openAccount } from '../ledger/index.js';
import type { Trx } from '../db/transaction.js';

/** The ledger code of a client's advances-receivable account: what the client owes, never their balance. */
export function advancesAccountCode(clientId: bigint): string {
  return `client/${clientId.toString()}/advances`;
}

/** The ledger code of a gemeente's budget for emergency gifts. */
export function giftBudgetAccountCode(gemeenteId: string): string {
  return `gemeente/${gemeenteId}/noodvoorziening`;
}

/**
 * The claim on a client: an asset of the service (lent money it gets back), whose credits (repayments) may
 * never exceed its debits (what was lent): nothing is ever repaid twice.
 */
export async function openAdvancesAccount(trx: Trx, clientId: bigint, gemeenteId: string): Promise<bigint> {
  const account = await openAccount(trx, {
    code: advancesAccountCode(clientId),
    name: `emergency advances owed by client ${clientId.toString()}`,
    kind: 'asset',
    purpose: 'advances_receivable',
    balanceRule: 'credits_must_not_exceed_debits',
    gemeenteId,
    clientId,
  });
  return account.id;
}

/** Gifts are the gemeente's spending: an expense account without a limit (the budget is policy, checked before). */
export async function openGiftBudgetAccount(trx: Trx, gemeenteId: string): Promise<bigint> {
  const account = await openAccount(trx, {
    code: giftBudgetAccountCode(gemeenteId),
    name: `noodvoorziening gifts of ${gemeenteId}`,
    kind: 'expense',
    purpose: 'noodvoorziening_budget',
    balanceRule: 'none',
    gemeenteId,
  });
  return account.id;
}
