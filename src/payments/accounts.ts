import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { openAccount } from '../ledger/index.js';
import { PaymentError } from './errors.js';

export interface PaymentAccountSettings {
  /** A bank account already registered for ingestion (bank_account). */
  readonly iban: string;
  readonly debtorName: string;
  readonly initiatingPartyName: string;
  readonly painVersion?: '03' | '09';
  readonly batchBooking?: boolean;
  /** Whether the bank takes SCT Inst in pain.001; without it urgent payments go in the next regular batch. */
  readonly instant?: boolean;
}

/** Sets up one of our bank accounts to pay from, with its payments-in-transit account. Replayable. */
export async function registerPaymentAccount(trx: Trx, settings: PaymentAccountSettings): Promise<{ inTransitAccountId: bigint }> {
  const bank = await trx.selectFrom('bank_account').select(['iban', 'name']).where('iban', '=', settings.iban).executeTakeFirst();
  if (!bank) throw new PaymentError('unknown_payment_account', `${settings.iban} is not registered as one of our bank accounts`);
  const inTransit = await openAccount(trx, { code: `in-transit/${bank.iban}`, name: `payments in transit from ${bank.name}`, kind: 'liability', purpose: 'payments_in_transit', balanceRule: 'none' });
  const values = {
    debtor_name: settings.debtorName,
    initiating_party_name: settings.initiatingPartyName,
    pain_version: settings.painVersion ?? '09',
    batch_booking: settings.batchBooking ?? true,
    instant: settings.instant ?? false,
  };
  await trx
    .insertInto('payment_account')
    .values({ iban: bank.iban, in_transit_account_id: inTransit.id, ...values })
    .onConflict((oc) => oc.column('iban').doUpdateSet(values))
    .execute();
  return { inTransitAccountId: inTransit.id };
}

export async function setDoubleApprovalThreshold(db: Kysely<Database> | Trx, gemeenteId: string, aboveCents: bigint): Promise<void> {
  await db
    .insertInto('payment_policy')
    .values({ gemeente_id: gemeenteId, double_approval_above_cents: aboveCents })
    .onConflict((oc) => oc.column('gemeente_id').doUpdateSet({ double_approval_above_cents: aboveCents }))
    .execute();
}
