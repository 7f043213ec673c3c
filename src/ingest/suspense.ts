import { sql, type Kysely } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { book, transferBetween } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { IngestError } from './errors.js';
import { SUSPENSE_REASONS, type SuspenseReason } from './match.js';
import type { IncomeType } from './rows.js';

/** Receipts waiting in suspense for a person (domain rule 9), oldest first. */
export interface SuspenseItem {
  readonly itemId: string;
  readonly fileId: string;
  readonly iban: string;
  readonly bookingDate: string;
  readonly amount: string;
  readonly creditDebit: 'CRDT' | 'DBIT';
  readonly counterpartyName: string | null;
  readonly counterpartyIban: string | null;
  readonly remittance: string | null;
  readonly reason: string;
  readonly ageDays: number;
}

export async function listSuspense(db: Kysely<Database> | Trx, filter: { olderThanDays?: number; asOf?: string; limit?: number; afterId?: bigint } = {}): Promise<SuspenseItem[]> {
  const asOf = filter.asOf ?? new Date().toISOString().slice(0, 10);
  let query = db
    .selectFrom('bank_entry_item as i')
    .innerJoin('bank_entry as e', 'e.id', 'i.entry_id')
    .leftJoin('suspense_assignment as a', (join) => join.onRef('a.item_id', '=', 'i.id').on('a.undone_at', 'is', null))
    .select([
      'i.id', 'e.file_id', 'e.iban', 'i.booking_date', 'i.amount_cents', 'i.credit_debit', 'i.counterparty_name', 'i.counterparty_iban', 'i.remittance', 'i.match_detail',
      sql<number>`(${asOf}::date - i.booking_date)`.as('age_days'),
    ])
    .where('i.destination', '=', 'suspense')
    .where('e.undone_at', 'is', null)
    .where('a.item_id', 'is', null)
    .orderBy('i.id')
    .limit(filter.limit ?? 100);
  if (filter.afterId !== undefined) query = query.where('i.id', '>', filter.afterId);
  if (filter.olderThanDays !== undefined) query = query.where(sql<boolean>`${asOf}::date - i.booking_date > ${filter.olderThanDays}`);
  const rows = await query.execute();
  return rows.map((r) => {
    const reason = (r.match_detail as { reason?: SuspenseReason }).reason;
    return {
      itemId: r.id.toString(),
      fileId: r.file_id.toString(),
      iban: r.iban,
      bookingDate: r.booking_date,
      amount: Money.fromCents(r.amount_cents).toString(),
      creditDebit: r.credit_debit,
      counterpartyName: r.counterparty_name,
      counterpartyIban: r.counterparty_iban,
      remittance: r.remittance,
      reason: reason ? SUSPENSE_REASONS[reason] : 'unknown',
      ageDays: Number(r.age_days),
    };
  });
}

export interface Assignment {
  readonly itemId: bigint;
  readonly clientId: bigint;
  readonly incomeType: IncomeType;
  /** Who assigns (user id) and why: both are kept, the assignment is audited. */
  readonly by: string;
  readonly reason: string;
  readonly bookingDate: string;
}

/**
 * Assigns a receipt in suspense to a client: suspense → the client's free money, recorded
 * with who, when and why. Assigning again to the same client answers the first assignment;
 * to another client it is refused (undo the file, or book a correction, instead).
 */
export async function assignSuspense(trx: Trx, assignment: Assignment): Promise<{ replayed: boolean; ledgerKey: string }> {
  const item = await trx
    .selectFrom('bank_entry_item as i')
    .innerJoin('bank_entry as e', 'e.id', 'i.entry_id')
    .innerJoin('bank_account as b', 'b.iban', 'e.iban')
    .select(['i.id', 'i.amount_cents', 'i.credit_debit', 'i.destination', 'e.undone_at', 'b.suspense_account_id'])
    .where('i.id', '=', assignment.itemId)
    .forUpdate(['i'])
    .executeTakeFirst();
  if (!item || item.destination !== 'suspense' || item.undone_at !== null) {
    throw new IngestError('suspense_item_not_found', `there is no receipt ${assignment.itemId} in suspense`);
  }
  if (item.credit_debit !== 'CRDT') throw new IngestError('not_assignable', `item ${assignment.itemId} is a debit; only receipts can be assigned to a client`);
  const existing = await trx.selectFrom('suspense_assignment').selectAll().where('item_id', '=', assignment.itemId).where('undone_at', 'is', null).executeTakeFirst();
  if (existing) {
    if (existing.client_id === assignment.clientId && existing.income_type === assignment.incomeType) return { replayed: true, ledgerKey: existing.ledger_key };
    throw new IngestError('already_assigned', `receipt ${assignment.itemId} was already assigned by ${existing.assigned_by} on ${existing.assigned_at.toISOString().slice(0, 10)}`);
  }
  const client = await trx.selectFrom('client').select('id').where('id', '=', assignment.clientId).executeTakeFirst();
  if (!client) throw new IngestError('unknown_client', `there is no client ${assignment.clientId}`);
  const ledgerKey = `suspense-assignment/${assignment.itemId}`;
  const account = (await availableAccounts(trx, [assignment.clientId])).get(assignment.clientId)!;
  const result = await book(
    trx,
    transferBetween({
      idempotencyKey: ledgerKey,
      bookingDate: assignment.bookingDate,
      description: `receipt ${assignment.itemId} assigned from suspense (${assignment.incomeType})`,
      debit: item.suspense_account_id,
      credit: account,
      amount: Money.fromCents(item.amount_cents),
    }),
  );
  if (result.outcome !== 'booked') throw new Error(`assignment booking ${ledgerKey} was ${result.outcome}`);
  await trx
    .insertInto('suspense_assignment')
    .values({ item_id: assignment.itemId, client_id: assignment.clientId, income_type: assignment.incomeType, assigned_by: assignment.by, reason: assignment.reason, ledger_key: ledgerKey })
    .execute();
  return { replayed: false, ledgerKey };
}
