import { createHash } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import { getGemeentePolicy } from '../clients/policy.js';
import { lockClient, rowToClientRecord, type ClientRecord } from '../clients/registry.js';
import type { Trx } from '../db/transaction.js';
import { bookBatch, transferBetween } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { groupIntoBatches } from '../payments/batches.js';
import { createPaymentInstructions } from '../payments/instructions.js';
import { addDays, addMonths, businessDayOnOrAfter, lastDayOf, yearMonthOf, type IsoDate } from '../schedule/index.js';
import { openAdvancesAccount, openGiftBudgetAccount } from './accounts.js';
import { NoodvoorzieningError } from './errors.js';
import { getNoodvoorzieningPolicy, type NoodvoorzieningPolicy } from './policy.js';
import type { GrantKind, GrantPayment, GrantStatus, NoodvoorzieningGrantTable } from './rows.js';

/**
 * Granting a noodvoorziening: a back-office user asks (amount, reason, gift or advance, how it is paid);
 * the gemeente's policy is checked at once; at or below the four-eyes threshold the request is the decision,
 * above it a second person (an approver, never the requester) approves or refuses. On approval, in the same
 * transaction: the ledger booking (an advance debits the client's advances-receivable account, a gift the
 * gemeente's budget; both credit the client's free money) and an urgent payment instruction to the client's own
 * account, which reserves that same money at once, so the client's balance never goes below zero.
 */

export interface GrantRequest {
  readonly clientId: bigint;
  readonly amount: Money;
  readonly kind: GrantKind;
  readonly reason: string;
  /** Default `instant` (SCT Inst where the bank takes it, else the next regular batch of today). */
  readonly payment?: GrantPayment;
  /** An advance's instalment per leefgeld payment; default the policy's. Not for a gift. */
  readonly instalment?: Money | null;
  readonly idempotencyKey: string;
  readonly requestedBy: string;
  /** The decision day (Europe/Amsterdam). */
  readonly today: IsoDate;
  /** The moment an instant batch's file is made at. */
  readonly now: Date;
}

export interface Grant {
  readonly id: bigint;
  readonly clientId: bigint;
  readonly gemeenteId: string;
  readonly amount: Money;
  readonly kind: GrantKind;
  readonly reason: string;
  readonly payment: GrantPayment;
  readonly instalment: Money | null;
  readonly status: GrantStatus;
  readonly fourEyes: boolean;
  readonly requestedBy: string;
  readonly requestedOn: IsoDate;
  readonly decidedBy: string | null;
  readonly decidedOn: IsoDate | null;
  readonly refusalReason: string | null;
  readonly instructionId: bigint | null;
  readonly handedOverOn: IsoDate | null;
}

export function rowToGrant(row: Selectable<NoodvoorzieningGrantTable>): Grant {
  return {
    id: row.id,
    clientId: row.client_id,
    gemeenteId: row.gemeente_id,
    amount: Money.fromCents(row.amount_cents),
    kind: row.kind,
    reason: row.reason,
    payment: row.payment,
    instalment: row.instalment_cents === null ? null : Money.fromCents(row.instalment_cents),
    status: row.status,
    fourEyes: row.four_eyes,
    requestedBy: row.requested_by,
    requestedOn: row.requested_on,
    decidedBy: row.decided_by,
    decidedOn: row.decided_on,
    refusalReason: row.refusal_reason,
    instructionId: row.instruction_id,
    handedOverOn: row.handed_over_on,
  };
}

function invalid(message: string): NoodvoorzieningError {
  return new NoodvoorzieningError('invalid_noodvoorziening', message);
}

/** The same day `months` months earlier (the last day of a shorter month): the rolling period starts the day after. */
function monthsBefore(date: IsoDate, months: number): IsoDate {
  const month = addMonths(yearMonthOf(date), -months);
  const last = lastDayOf(month);
  const day = date.slice(8, 10);
  return `${month}-${day}` > last ? last : `${month}-${day}`;
}

function requestHash(request: GrantRequest, payment: GrantPayment, instalment: Money | null): string {
  const canonical = JSON.stringify({
    clientId: request.clientId.toString(),
    amount: request.amount.toString(),
    kind: request.kind,
    reason: request.reason.trim(),
    payment,
    instalment: instalment?.toString() ?? null,
  });
  return createHash('sha256').update(canonical).digest('hex');
}

function checkClient(client: ClientRecord | null, clientId: bigint, today: IsoDate): ClientRecord {
  if (!client) throw new NoodvoorzieningError('noodvoorziening_client_not_eligible', `client ${clientId} has no registered record yet`);
  if (client.ontzorgenEndedOn !== null && client.ontzorgenEndedOn < today) {
    throw new NoodvoorzieningError('noodvoorziening_client_not_eligible', `ontzorgen of client ${clientId} ended on ${client.ontzorgenEndedOn}: a noodvoorziening is paid only while the service manages the money`);
  }
  if (client.ownIban === null) throw new NoodvoorzieningError('noodvoorziening_client_not_eligible', `client ${clientId} has no own account recorded to pay the noodvoorziening to`);
  return client;
}

async function checkLimits(trx: Trx, policy: NoodvoorzieningPolicy, request: GrantRequest): Promise<void> {
  if (request.kind === 'gift' && !policy.giftsAllowed) {
    throw new NoodvoorzieningError('gift_not_allowed', `gemeente ${policy.gemeenteId} does not give a noodvoorziening as a gift; grant it as an advance`);
  }
  if (request.amount.compare(policy.maxPerGrant) > 0) {
    throw new NoodvoorzieningError('grant_above_maximum', `${request.amount.toString()} is above the maximum of ${policy.maxPerGrant.toString()} per grant in ${policy.gemeenteId}`);
  }
  const since = monthsBefore(request.today, policy.periodMonths);
  const row = await trx
    .selectFrom('noodvoorziening_grant')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<bigint>('amount_cents'), sql<bigint>`0`).as('total'))
    .where('client_id', '=', request.clientId)
    .where('status', '<>', 'refused')
    .where('requested_on', '>', since)
    .where('requested_on', '<=', request.today)
    .executeTakeFirstOrThrow();
  const already = Money.fromCents(BigInt(row.total));
  if (already.plus(request.amount).compare(policy.maxPerPeriod) > 0) {
    const left = policy.maxPerPeriod.minus(already);
    throw new NoodvoorzieningError(
      'period_maximum_exceeded',
      `client ${request.clientId} already received ${already.toString()} since ${addDays(since, 1)}; the maximum is ${policy.maxPerPeriod.toString()} per ${policy.periodMonths} months, so at most ${(left.isNegative() ? Money.ZERO : left).toString()} is still possible`,
    );
  }
}

/**
 * Records a request for a noodvoorziening, once per idempotency key (the same key and content answer the
 * stored grant; another content is refused). At or below the gemeente's four-eyes threshold it is granted and
 * paid at once; above it, it waits for an approver. The client's lock serialises requests for one client, so
 * two at once cannot both pass the period maximum.
 */
export async function requestGrant(trx: Trx, request: GrantRequest): Promise<{ grant: Grant; replayed: boolean }> {
  if (!(request.amount instanceof Money) || !request.amount.isPositive()) throw invalid('the amount must be more than 0.00');
  const reason = typeof request.reason === 'string' ? request.reason.trim() : '';
  if (reason.length < 3 || reason.length > 2000) throw invalid('the reason is a text of 3 to 2000 characters: why the client needs this now');
  if (request.kind !== 'advance' && request.kind !== 'gift') throw invalid('the kind is "advance" (paid back from leefgeld) or "gift"');
  const payment = request.payment ?? 'instant';
  if (payment !== 'instant' && payment !== 'next_batch') throw invalid('the payment is "instant" or "next_batch"');
  if (request.kind === 'gift' && request.instalment) throw invalid('a gift is not paid back: it has no instalment');
  if (request.instalment && !request.instalment.isPositive()) throw invalid('the instalment must be more than 0.00');
  if (typeof request.idempotencyKey !== 'string' || request.idempotencyKey.length < 1 || request.idempotencyKey.length > 200) throw invalid('the idempotency key is a text of 1 to 200 characters');

  const clientRow = await lockClient(trx, request.clientId);
  const existing = await trx.selectFrom('noodvoorziening_grant').selectAll().where('idempotency_key', '=', request.idempotencyKey).executeTakeFirst();
  const policy = await getNoodvoorzieningPolicy(trx, clientRow.gemeente_id);
  const instalment = request.kind === 'advance' ? (request.instalment ?? policy.defaultInstalment) : null;
  const hash = requestHash(request, payment, instalment);
  if (existing) {
    if (existing.request_hash !== hash || existing.client_id !== request.clientId) {
      throw new NoodvoorzieningError('noodvoorziening_key_reused', `the key "${request.idempotencyKey}" was already used for another noodvoorziening request`);
    }
    return { grant: rowToGrant(existing), replayed: true };
  }
  const client = checkClient(clientRow.registered_at ? rowToClientRecord(clientRow) : null, request.clientId, request.today);
  await checkLimits(trx, policy, request);

  const fourEyes = request.amount.compare(policy.fourEyesAbove) > 0;
  const row = await trx
    .insertInto('noodvoorziening_grant')
    .values({
      client_id: client.id,
      gemeente_id: client.gemeenteId,
      amount_cents: request.amount.cents,
      kind: request.kind,
      reason,
      payment,
      instalment_cents: instalment?.cents ?? null,
      status: 'requested',
      four_eyes: fourEyes,
      requested_by: request.requestedBy,
      requested_on: request.today,
      idempotency_key: request.idempotencyKey,
      request_hash: hash,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (fourEyes) return { grant: rowToGrant(row), replayed: false };
  return { grant: await payGrant(trx, row, client, request.requestedBy, request.today, request.now), replayed: false };
}

async function lockGrant(trx: Trx, grantId: bigint): Promise<Selectable<NoodvoorzieningGrantTable>> {
  const row = await trx.selectFrom('noodvoorziening_grant').selectAll().where('id', '=', grantId).forUpdate().executeTakeFirst();
  if (!row) throw new NoodvoorzieningError('noodvoorziening_not_found', `there is no noodvoorziening ${grantId}`);
  return row;
}

function checkUndecided(row: Selectable<NoodvoorzieningGrantTable>): void {
  if (row.status !== 'requested') {
    throw new NoodvoorzieningError('noodvoorziening_already_decided', `noodvoorziening ${row.id} was already ${row.status} by ${row.decided_by ?? 'someone'} on ${row.decided_on ?? '?'}`);
  }
}

/** Four eyes: an approver who did not ask for it approves; then it is booked and paid as on request. */
export async function approveGrant(trx: Trx, grantId: bigint, approver: string, today: IsoDate, now: Date): Promise<Grant> {
  const row = await lockGrant(trx, grantId);
  checkUndecided(row);
  if (row.four_eyes && row.requested_by === approver) {
    throw new NoodvoorzieningError('four_eyes_required', `you asked for noodvoorziening ${grantId} yourself; above the threshold a second person must approve it`);
  }
  const clientRow = await lockClient(trx, row.client_id);
  const client = checkClient(clientRow.registered_at ? rowToClientRecord(clientRow) : null, row.client_id, today);
  return payGrant(trx, row, client, approver, today, now);
}

export async function refuseGrant(trx: Trx, grantId: bigint, decidedBy: string, reason: string, today: IsoDate): Promise<Grant> {
  const why = typeof reason === 'string' ? reason.trim() : '';
  if (why.length < 3 || why.length > 2000) throw invalid('a refusal needs a reason of 3 to 2000 characters');
  const row = await lockGrant(trx, grantId);
  checkUndecided(row);
  // Four eyes both ways: above the threshold the one who asked does not decide, also not to say no.
  if (row.four_eyes && row.requested_by === decidedBy) {
    throw new NoodvoorzieningError('four_eyes_required', `you asked for noodvoorziening ${grantId} yourself; above the threshold a second person must decide on it`);
  }
  const updated = await trx
    .updateTable('noodvoorziening_grant')
    .set({ status: 'refused', decided_by: decidedBy, decided_on: today, decided_at: new Date(), refusal_reason: why })
    .where('id', '=', grantId)
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToGrant(updated);
}

/**
 * The money of an approved grant: client's free money credited from the claim (advance) or the budget (gift),
 * then an urgent instruction to the client's own account that reserves it again at once. `instant` executes
 * today where the bank takes SCT Inst (any day) and is put in its own batch now, awaiting a batch approver;
 * otherwise it waits for the next daily batch (the next business day).
 */
async function payGrant(trx: Trx, row: Selectable<NoodvoorzieningGrantTable>, client: ClientRecord, decidedBy: string, today: IsoDate, now: Date): Promise<Grant> {
  const policy = await getGemeentePolicy(trx, client.gemeenteId);
  const debtor = await trx.selectFrom('payment_account').select(['instant']).where('iban', '=', policy.debtorIban).executeTakeFirstOrThrow();
  const amount = Money.fromCents(row.amount_cents);
  const available = (await availableAccounts(trx, [client.id])).get(client.id)!;
  const from = row.kind === 'advance' ? await openAdvancesAccount(trx, client.id, client.gemeenteId) : await openGiftBudgetAccount(trx, client.gemeenteId);
  const [booked] = await bookBatch(trx, [
    transferBetween({
      idempotencyKey: `noodvoorziening/${row.id.toString()}/grant`,
      bookingDate: today,
      description: row.kind === 'advance' ? `emergency advance ${row.id.toString()} lent to the client (rule 11)` : `emergency gift ${row.id.toString()} from the gemeente's budget`,
      debit: from,
      credit: available,
      amount,
    }),
  ]);
  if (booked?.outcome !== 'booked') throw new Error(`noodvoorziening ${row.id}: the grant was not booked (${booked?.outcome === 'rejected' ? booked.error.message : booked?.outcome === 'refused' ? booked.message : 'no result'})`);

  const instant = row.payment === 'instant' && debtor.instant;
  const executionDate = instant ? today : row.payment === 'instant' ? businessDayOnOrAfter(today) : businessDayOnOrAfter(addDays(today, 1));
  const [outcome] = await createPaymentInstructions(trx, [
    {
      idempotencyKey: `noodvoorziening/${row.id.toString()}`,
      clientId: client.id,
      gemeenteId: client.gemeenteId,
      kind: 'noodvoorziening',
      period: today,
      dueDate: executionDate,
      executionDate,
      amount,
      debtorIban: policy.debtorIban,
      creditor: { name: client.name, latinName: client.latinName, iban: client.ownIban! },
      remittance: `${row.kind === 'advance' ? 'Voorschot' : 'Gift'} noodvoorziening ${today}`,
      urgent: row.payment === 'instant',
    },
  ]);
  if (!outcome || outcome.outcome === 'refused') throw new Error(`noodvoorziening ${row.id}: the payment was refused (${outcome?.outcome === 'refused' ? outcome.reason : 'no result'})`);
  const updated = await trx
    .updateTable('noodvoorziening_grant')
    .set({ status: 'approved', decided_by: decidedBy, decided_on: today, decided_at: new Date(), instruction_id: outcome.instructionId })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  // Urgent means now: the instant batch waits for a batch approver at once instead of tomorrow's run.
  if (row.payment === 'instant') await groupIntoBatches(trx, { gemeenteId: client.gemeenteId, createdBy: `noodvoorziening:${row.id.toString()}`, executionUntil: executionDate, now });
  return rowToGrant(updated);
}
