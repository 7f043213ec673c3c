import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { lockAvailableAccounts } from '../clients/accounts.js';
import { CLIENT_RECORD_COLUMNS, rowToClientRecord } from '../clients/registry.js';
import { numberArray } from '../db/array-parameters.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { bookBatch, transferBetween } from '../ledger/index.js';
import { decisionsOf } from '../maatwerk/read.js';
import { fullyOptedOutOn, toeslagenAppliedOn } from '../maatwerk/rules.js';
import { Money } from '../money/money.js';
import type { IsoDate } from '../schedule/index.js';
import { advancesAccountCode } from './accounts.js';
import { NoodvoorzieningError } from './errors.js';
import type { OpenAdvance } from './recovery.js';
import type { OpenAdvanceAtEnd, RepaymentKind } from './rows.js';

/**
 * Repaying advances: the rows that say which grant a repayment booking repaid (instalments from leefgeld, booked
 * by the allocation; an early repayment by decision; a settlement at the end of ontzorgen), the bulk read the
 * allocation needs per chunk, and the hand-over of an open claim. Every repayment is a ledger transfer from the
 * client's free money to the advances-receivable account, whose balance rule forbids repaying more than was lent.
 */

/** A client's open advances with the gemeente's recovery settings: what the allocation of one client needs. */
export interface ClientAdvances {
  readonly accountId: bigint;
  readonly minimumLeefgeldKept: Money;
  readonly openAdvanceAtEnd: OpenAdvanceAtEnd;
  readonly advances: readonly OpenAdvance[];
}

/** The open (approved, not handed over, not repaid) advances of many clients in one query. */
export async function openAdvancesOf(db: Kysely<Database> | Trx, clientIds: readonly bigint[]): Promise<Map<bigint, ClientAdvances>> {
  const result = new Map<bigint, ClientAdvances>();
  if (clientIds.length === 0) return result;
  const { rows } = await sql<{ id: bigint; client_id: bigint; instalment_cents: bigint; outstanding: bigint; account_id: bigint; minimum_cents: bigint; at_end: OpenAdvanceAtEnd }>`
    SELECT g.id, g.client_id, g.instalment_cents, g.amount_cents - coalesce(r.repaid, 0) AS outstanding, a.id AS account_id,
           p.minimum_leefgeld_kept_cents AS minimum_cents, p.open_advance_at_end AS at_end
      FROM noodvoorziening_grant g
      JOIN noodvoorziening_policy p ON p.gemeente_id = g.gemeente_id
      JOIN account a ON a.code = 'client/' || g.client_id || '/advances'
      LEFT JOIN (SELECT grant_id, sum(amount_cents) AS repaid FROM noodvoorziening_repayment GROUP BY grant_id) r ON r.grant_id = g.id
     WHERE g.client_id = ANY(${numberArray(clientIds, 'bigint')}::bigint[]) AND g.kind = 'advance' AND g.status = 'approved' AND g.handed_over_on IS NULL
       AND g.amount_cents > coalesce(r.repaid, 0)
     ORDER BY g.client_id, g.id
  `.execute(db);
  for (const row of rows) {
    const advance: OpenAdvance = { grantId: row.id, instalment: Money.fromCents(row.instalment_cents), outstanding: Money.fromCents(BigInt(row.outstanding)) };
    const known = result.get(row.client_id);
    if (known) (known.advances as OpenAdvance[]).push(advance);
    else result.set(row.client_id, { accountId: row.account_id, minimumLeefgeldKept: Money.fromCents(row.minimum_cents), openAdvanceAtEnd: row.at_end, advances: [advance] });
  }
  return result;
}

export interface RepaymentRow {
  readonly grantId: bigint;
  readonly ledgerKey: string;
  readonly clientId: bigint;
  readonly kind: RepaymentKind;
  readonly amount: Money;
  readonly bookedOn: IsoDate;
  readonly leefgeldDate?: IsoDate | null;
  readonly decidedBy?: string | null;
  readonly reason?: string | null;
}

/** Records which grants repayment bookings repaid; a replay of the same booking records nothing twice. */
export async function recordRepayments(trx: Trx, repayments: readonly RepaymentRow[]): Promise<void> {
  if (repayments.length === 0) return;
  const rows = repayments.map((r) => ({
    grant_id: r.grantId.toString(),
    ledger_key: r.ledgerKey,
    client_id: r.clientId.toString(),
    kind: r.kind,
    amount_cents: r.amount.cents.toString(),
    booked_on: r.bookedOn,
    leefgeld_date: r.leefgeldDate ?? null,
    decided_by: r.decidedBy ?? null,
    reason: r.reason ?? null,
  }));
  await sql`
    INSERT INTO noodvoorziening_repayment (grant_id, ledger_key, client_id, kind, amount_cents, booked_on, leefgeld_date, decided_by, reason)
    SELECT grant_id, ledger_key, client_id, kind, amount_cents, booked_on, leefgeld_date, decided_by, reason
      FROM json_populate_recordset(NULL::noodvoorziening_repayment, ${JSON.stringify(rows)}::json)
    ON CONFLICT (ledger_key, grant_id) DO NOTHING
  `.execute(trx);
}

/** Rule 12 with the policy `hand_over_as_claim`: the open advances stay owed, handed to the gemeente as a claim. */
export async function handOverAdvances(trx: Trx, grantIds: readonly bigint[], on: IsoDate): Promise<void> {
  if (grantIds.length === 0) return;
  await sql`UPDATE noodvoorziening_grant SET handed_over_on = ${on}::date WHERE id = ANY(${grantIds.map(String)}::bigint[]) AND handed_over_on IS NULL`.execute(trx);
}

/**
 * The client's money on the managed account that is to be passed on to the client (rule 6), not the pool's: receipts
 * the allocation passed on whose payment is not made yet (no own account then), and receipts no allocation has seen
 * yet that it will pass on (every income but bijstand without consent to apply toeslagen, everything under a full
 * maatwerk opt-out). Read once per decision, for one client (this is not a batch path).
 */
async function waitingToBePassedOn(trx: Trx, clientId: bigint, today: IsoDate): Promise<Money> {
  const client = rowToClientRecord(await trx.selectFrom('client').select(CLIENT_RECORD_COLUMNS).where('id', '=', clientId).executeTakeFirstOrThrow());
  const decisions = (await decisionsOf(trx, [clientId])).get(clientId) ?? [];
  const optedOut = fullyOptedOutOn(decisions, today);
  const consent = toeslagenAppliedOn(decisions, today, client.toeslagenConsent);
  const { rows } = await sql<{ owed: string; unseen: string }>`
    SELECT
      (SELECT coalesce(sum(r.amount_cents), 0) FROM allocation_receipt r
        WHERE r.client_id = ${clientId.toString()}::bigint AND r.outcome = 'passed_on'
          AND NOT EXISTS (SELECT 1 FROM scheduled_payment s WHERE s.idempotency_key = r.pass_on_key))::text AS owed,
      (SELECT coalesce(sum(x.amount_cents), 0) FROM (
         SELECT i.amount_cents, i.income_type FROM bank_entry_item i JOIN bank_entry e ON e.id = i.entry_id
          WHERE i.client_id = ${clientId.toString()}::bigint AND i.destination = 'client' AND i.credit_debit = 'CRDT' AND e.undone_at IS NULL
            AND NOT EXISTS (SELECT 1 FROM allocation_receipt r WHERE r.receipt_key = i.ledger_key)
         UNION ALL
         SELECT i.amount_cents, a.income_type FROM suspense_assignment a JOIN bank_entry_item i ON i.id = a.item_id
          WHERE a.client_id = ${clientId.toString()}::bigint AND a.undone_at IS NULL AND i.credit_debit = 'CRDT'
            AND NOT EXISTS (SELECT 1 FROM allocation_receipt r WHERE r.receipt_key = a.ledger_key)
       ) x WHERE ${optedOut} OR (NOT ${consent} AND coalesce(x.income_type, 'other') <> 'bijstand'))::text AS unseen
  `.execute(trx);
  const row = rows[0]!;
  return Money.fromCents(BigInt(row.owed) + BigInt(row.unseen));
}

export interface EarlyRepayment {
  readonly clientId: bigint;
  readonly grantId: bigint;
  readonly amount: Money;
  readonly reason: string;
  readonly decidedBy: string;
  readonly idempotencyKey: string;
  readonly today: IsoDate;
}

/**
 * An early repayment by decision (an extra receipt, a refund): from the client's free money, never more than is
 * still owed on the grant nor more than is free now. Once per key: the same key and amount answer the booking
 * again; another amount under it is refused.
 */
export async function repayEarly(trx: Trx, repayment: EarlyRepayment): Promise<{ repaid: Money; outstanding: Money; replayed: boolean }> {
  const { clientId, grantId, amount } = repayment;
  if (!(amount instanceof Money) || !amount.isPositive()) throw new NoodvoorzieningError('invalid_noodvoorziening', 'the amount must be more than 0.00');
  const reason = typeof repayment.reason === 'string' ? repayment.reason.trim() : '';
  if (reason.length < 3 || reason.length > 2000) throw new NoodvoorzieningError('invalid_noodvoorziening', 'an early repayment needs a reason of 3 to 2000 characters: the decision it rests on');
  if (typeof repayment.idempotencyKey !== 'string' || repayment.idempotencyKey.length < 1 || repayment.idempotencyKey.length > 200) throw new NoodvoorzieningError('invalid_noodvoorziening', 'the idempotency key is a text of 1 to 200 characters');
  const ledgerKey = `noodvoorziening/${grantId.toString()}/early/${createHash('sha256').update(repayment.idempotencyKey).digest('hex').slice(0, 32)}`;

  // The client's free money is locked first, in the ledger's order: no allocation of this client runs meanwhile.
  const locked = await lockAvailableAccounts(trx, [clientId]);
  const grant = await trx.selectFrom('noodvoorziening_grant').selectAll().where('id', '=', grantId).where('client_id', '=', clientId).forUpdate().executeTakeFirst();
  if (!grant) throw new NoodvoorzieningError('noodvoorziening_not_found', `client ${clientId} has no noodvoorziening ${grantId}`);
  const repaidRow = await trx
    .selectFrom('noodvoorziening_repayment')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<bigint>('amount_cents'), sql<bigint>`0`).as('repaid'))
    .where('grant_id', '=', grantId)
    .executeTakeFirstOrThrow();
  const outstanding = Money.fromCents(grant.amount_cents - BigInt(repaidRow.repaid));
  const prior = await trx.selectFrom('noodvoorziening_repayment').select(['amount_cents']).where('ledger_key', '=', ledgerKey).where('grant_id', '=', grantId).executeTakeFirst();
  if (prior) {
    if (prior.amount_cents !== amount.cents) throw new NoodvoorzieningError('noodvoorziening_key_reused', `the key "${repayment.idempotencyKey}" was already used for a repayment of ${Money.fromCents(prior.amount_cents).toString()}`);
    return { repaid: amount, outstanding, replayed: true };
  }
  if (grant.kind !== 'advance' || grant.status !== 'approved') throw new NoodvoorzieningError('repayment_not_possible', `noodvoorziening ${grantId} is not an approved advance: there is nothing to repay`);
  if (grant.handed_over_on !== null) throw new NoodvoorzieningError('repayment_not_possible', `the advance ${grantId} was handed over to the gemeente as a claim on ${grant.handed_over_on}; it is repaid to the gemeente, not here`);
  if (amount.compare(outstanding) > 0) throw new NoodvoorzieningError('repayment_not_possible', `${amount.toString()} is more than the ${outstanding.toString()} still owed on advance ${grantId}`);
  // Rule 6: money waiting to be passed on to the client is among the free money, but it is the client's own, never
  // the gemeente's claim's: only the rest may repay an advance (else the pass-on could not be paid at all).
  const free = Money.fromCents(locked.get(clientId)?.freeCents ?? 0n);
  const theirs = await waitingToBePassedOn(trx, clientId, repayment.today);
  const usable = free.minus(theirs).isNegative() ? Money.ZERO : free.minus(theirs);
  if (amount.compare(usable) > 0) {
    const owed = theirs.isPositive() ? ` (${theirs.toString()} of the ${free.toString()} free is passed-on money owed to the client, rule 6)` : '';
    throw new NoodvoorzieningError('repayment_not_possible', `the client has ${usable.toString()} free for a repayment now${owed}, less than ${amount.toString()}`);
  }

  const account = await trx.selectFrom('account').select('id').where('code', '=', advancesAccountCode(clientId)).executeTakeFirstOrThrow();
  const [booked] = await bookBatch(trx, [
    transferBetween({ idempotencyKey: ledgerKey, bookingDate: repayment.today, description: `early repayment of emergency advance ${grantId.toString()} by decision`, debit: locked.get(clientId)!.accountId, credit: account.id, amount }),
  ]);
  if (booked?.outcome !== 'booked') throw new NoodvoorzieningError('repayment_not_possible', `the repayment was not booked: ${booked?.outcome === 'refused' ? booked.message : booked?.outcome === 'rejected' ? booked.error.message : 'no result'}`);
  await recordRepayments(trx, [{ grantId, ledgerKey, clientId, kind: 'early_repayment', amount, bookedOn: repayment.today, decidedBy: repayment.decidedBy, reason }]);
  return { repaid: amount, outstanding: outstanding.minus(amount), replayed: false };
}
