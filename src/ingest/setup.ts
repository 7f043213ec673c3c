import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { book, expectBooked, openAccount, transferBetween } from '../ledger/index.js';
import type { Money } from '../money/money.js';
import { isValidIban, normaliseIban } from '../references/index.js';
import { normaliseIdentifier } from './match.js';
import type { IdentifierKind, MatchRule, PayerKind } from './rows.js';

/** Set-up of what ingestion matches against. Every function here is safe to replay. */

function ibanOrThrow(iban: string, what: string): string {
  const normalised = normaliseIban(iban);
  if (!isValidIban(normalised)) throw new RangeError(`${what}: "${iban}" is not a valid IBAN`);
  return normalised;
}

export interface RegisterBankAccount {
  readonly iban: string;
  readonly name: string;
  /**
   * The bank's booked balance on the day the account is taken into use, booked once against
   * an opening-balance account (to be assigned by a person), so that the ledger and the
   * bank's statements can be compared from the first statement on.
   */
  readonly openingBalance?: { readonly amount: Money; readonly date: string };
}

/** Registers one of the organisation's bank accounts (a management account) with its ledger and suspense accounts. */
export async function registerBankAccount(trx: Trx, account: RegisterBankAccount): Promise<{ iban: string; accountId: bigint; suspenseAccountId: bigint }> {
  const iban = ibanOrThrow(account.iban, 'bank account');
  const ledger = await openAccount(trx, { code: `bank/${iban}`, name: account.name, kind: 'asset', purpose: 'bank', balanceRule: 'none' });
  const suspense = await openAccount(trx, { code: `suspense/${iban}`, name: `suspense of ${account.name}`, kind: 'liability', purpose: 'suspense', balanceRule: 'none' });
  await trx
    .insertInto('bank_account')
    .values({ iban, name: account.name, account_id: ledger.id, suspense_account_id: suspense.id })
    .onConflict((oc) => oc.column('iban').doNothing())
    .execute();
  if (account.openingBalance && !account.openingBalance.amount.isZero()) {
    const opening = await openAccount(trx, { code: `opening/${iban}`, name: `opening balance of ${account.name}`, kind: 'liability', purpose: 'opening_balance', balanceRule: 'none' });
    const amount = account.openingBalance.amount;
    const positive = amount.isPositive();
    expectBooked(
      await book(
        trx,
        transferBetween({
          idempotencyKey: `opening-balance/${iban}`,
          bookingDate: account.openingBalance.date,
          description: `opening balance of ${iban} as the bank reported it`,
          debit: positive ? ledger.id : opening.id,
          credit: positive ? opening.id : ledger.id,
          amount: positive ? amount : amount.negate(),
        }),
      ),
    );
  }
  return { iban, accountId: ledger.id, suspenseAccountId: suspense.id };
}

export async function registerKnownPayer(db: Kysely<Database> | Trx, payer: { gemeenteId: string; iban: string; name: string; kind: PayerKind }): Promise<void> {
  const iban = ibanOrThrow(payer.iban, 'known payer');
  await db
    .insertInto('known_payer')
    .values({ gemeente_id: payer.gemeenteId, iban, name: payer.name, kind: payer.kind })
    .onConflict((oc) => oc.columns(['gemeente_id', 'iban']).doUpdateSet({ name: payer.name, kind: payer.kind }))
    .execute();
}

/** Records an identifier a client is found by (their reference, a payer's case number, a BSN's keyed hash). */
export async function addClientIdentifier(db: Kysely<Database> | Trx, identifier: { clientId: bigint; gemeenteId: string; kind: IdentifierKind; value: string }): Promise<void> {
  const value = identifier.kind === 'bsn_hash' ? identifier.value : normaliseIdentifier(identifier.value);
  await db
    .insertInto('client_identifier')
    .values({ client_id: identifier.clientId, gemeente_id: identifier.gemeenteId, kind: identifier.kind, value })
    .onConflict((oc) => oc.columns(['kind', 'value', 'gemeente_id']).doNothing())
    .execute();
}

/** A gemeente's matching rules, in order; leaving one out switches it off. */
export async function setMatchingRules(db: Kysely<Database> | Trx, gemeenteId: string, rules: readonly MatchRule[]): Promise<void> {
  await db
    .insertInto('gemeente_matching')
    .values({ gemeente_id: gemeenteId, rules: [...rules] })
    .onConflict((oc) => oc.column('gemeente_id').doUpdateSet({ rules: [...rules] }))
    .execute();
}
