import { sql, type Kysely, type Selectable } from 'kysely';
import { numberArray } from '../db/array-parameters.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { assertIsoDate, type IsoDate } from '../schedule/index.js';
import { ClientError } from './errors.js';
import { endPeriod, followUpPeriod, statutoryPeriod, type FollowUpBasis, type OntzorgPeriod } from './periods.js';
import { lockClient, rowToClientRecord } from './registry.js';
import type { OntzorgPeriodTable } from './rows.js';

/** Ontzorg periods in the database: rules 1 and 2 applied when they are recorded (see periods.ts). */

export interface StoredPeriod extends OntzorgPeriod {
  readonly id: bigint;
  readonly clientId: bigint;
  readonly endedEarlyOn: IsoDate | null;
  readonly endedReason: string | null;
}

export function rowToPeriod(row: Omit<Selectable<OntzorgPeriodTable>, 'created_at'>): StoredPeriod {
  const stored: OntzorgPeriod = { basis: row.basis, firstDay: row.first_day, lastDay: row.last_day, reviewDate: row.review_date, decisionReference: row.decision_reference };
  // An early end is a later fact about the period, not an edit of the decision: the period ends then.
  const effective = row.ended_early_on ? endPeriod(stored, row.ended_early_on) : stored;
  // Written out whole: V8 builds a spread-then-extended object property by property (the daily batch reads every period).
  return {
    basis: effective.basis,
    firstDay: effective.firstDay,
    lastDay: effective.lastDay,
    reviewDate: effective.reviewDate,
    decisionReference: effective.decisionReference,
    id: row.id,
    clientId: row.client_id,
    endedEarlyOn: row.ended_early_on,
    endedReason: row.ended_reason,
  };
}

/**
 * Rules 1 and 2: starts the client's statutory art. 56a period from the first day of the right to
 * bijstand, for six months or until bijstand ends. Refused (`not_eligible_for_art56a`, citing
 * art. 56a lid 1) for a client without both facts. Replaying answers the period already recorded.
 */
export async function startStatutoryPeriod(trx: Trx, clientId: bigint): Promise<StoredPeriod> {
  const client = rowToClientRecord(await lockClient(trx, clientId));
  const existing = await trx.selectFrom('ontzorg_period').selectAll().where('client_id', '=', clientId).where('basis', '=', 'art56a').executeTakeFirst();
  if (existing) return rowToPeriod(existing);
  const period = statutoryPeriod({
    inburgeringsplichtigWi2021: client.inburgeringsplichtigWi2021,
    fixedTermAsylumPermit: client.fixedTermAsylumPermit,
    bijstandStart: client.bijstandStart,
    bijstandLastDay: client.bijstandEnd,
  });
  return insertPeriod(trx, clientId, period);
}

/**
 * Rule 2: a period on another basis (art. 57, voluntary, budgetbeheer), with its decision reference and
 * a review date within the period. The same decision recorded again answers the stored period.
 */
export async function recordFollowUpPeriod(
  trx: Trx,
  clientId: bigint,
  input: { basis: FollowUpBasis; firstDay: IsoDate; lastDay: IsoDate | null; reviewDate: IsoDate; decisionReference: string },
): Promise<StoredPeriod> {
  rowToClientRecord(await lockClient(trx, clientId));
  const period = followUpPeriod(input);
  const existing = await trx
    .selectFrom('ontzorg_period')
    .selectAll()
    .where('client_id', '=', clientId)
    .where('basis', '=', period.basis)
    .where('decision_reference', '=', period.decisionReference)
    .executeTakeFirst();
  if (existing) return rowToPeriod(existing);
  return insertPeriod(trx, clientId, period);
}

async function insertPeriod(trx: Trx, clientId: bigint, period: OntzorgPeriod): Promise<StoredPeriod> {
  const row = await trx
    .insertInto('ontzorg_period')
    .values({ client_id: clientId, basis: period.basis, first_day: period.firstDay, last_day: period.lastDay, review_date: period.reviewDate, decision_reference: period.decisionReference })
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToPeriod(row);
}

/** Ends a period early (consent revoked, bijstand ended, ontzorgen ended): recorded next to it, never an edit. */
export async function endPeriodEarly(trx: Trx, periodId: bigint, lastDay: IsoDate, reason: string): Promise<StoredPeriod> {
  assertIsoDate(lastDay, 'last day');
  const row = await trx.selectFrom('ontzorg_period').selectAll().where('id', '=', periodId).forUpdate().executeTakeFirst();
  if (!row) throw new ClientError('period_not_found', `there is no ontzorg period ${periodId}`);
  const current = rowToPeriod(row);
  if (current.lastDay !== null && current.lastDay <= lastDay) return current;
  endPeriod(current, lastDay);
  const updated = await trx.updateTable('ontzorg_period').set({ ended_early_on: lastDay, ended_reason: reason.trim() || 'ended early' }).where('id', '=', periodId).returningAll().executeTakeFirstOrThrow();
  return rowToPeriod(updated);
}

const BIJSTAND_ENDED = 'bijstand ended (art. 56a lid 2)';

/**
 * Refuses a change of the client's bijstand dates that the recorded art. 56a period cannot follow: its first
 * day is the first day of bijstand (moving it would move a period already withheld under, reservations and
 * payments included), and a period already ended with bijstand is not reopened by a later or removed end (a
 * new decision, a follow-up period, is needed). An earlier end is fine: `recordBijstandEnd` ends the period.
 */
export async function assertBijstandChangeFitsPeriod(
  trx: Trx,
  clientId: bigint,
  before: { bijstandStart: IsoDate | null; bijstandEnd: IsoDate | null },
  after: { bijstandStart: IsoDate; bijstandEnd: IsoDate | null },
): Promise<void> {
  if (before.bijstandStart === after.bijstandStart && before.bijstandEnd === after.bijstandEnd) return;
  const row = await trx.selectFrom('ontzorg_period').selectAll().where('client_id', '=', clientId).where('basis', '=', 'art56a').executeTakeFirst();
  if (!row) return;
  const period = rowToPeriod(row);
  if (after.bijstandStart !== before.bijstandStart) {
    throw new ClientError(
      'art56a_period_recorded',
      `bijstandStart: the art. 56a period already runs from ${period.firstDay}, the first day of bijstand recorded then; it is not moved (end it and record a follow-up period instead)`,
    );
  }
  const endedWithBijstand = before.bijstandEnd !== null && period.lastDay === before.bijstandEnd;
  if (endedWithBijstand && (after.bijstandEnd === null || after.bijstandEnd > before.bijstandEnd!)) {
    throw new ClientError(
      'art56a_period_recorded',
      `bijstandEnd: the art. 56a period ended with bijstand on ${before.bijstandEnd!}; a later or removed end of bijstand does not reopen it (record a follow-up period instead)`,
    );
  }
}

/**
 * Bijstand ends (rule 2): the 56a period ends with it when that is sooner. Other periods rest on
 * their own decisions and are left to the back office, which the daily list reminds.
 */
export async function recordBijstandEnd(trx: Trx, clientId: bigint, lastDay: IsoDate): Promise<void> {
  assertIsoDate(lastDay, 'last day of bijstand');
  const client = rowToClientRecord(await lockClient(trx, clientId));
  if (lastDay < client.bijstandStart) throw new ClientError('invalid_client', 'bijstandEnd: cannot lie before the first day of bijstand');
  await trx.updateTable('client').set({ bijstand_end: lastDay }).where('id', '=', clientId).execute();
  const statutory = await trx.selectFrom('ontzorg_period').select(['id']).where('client_id', '=', clientId).where('basis', '=', 'art56a').executeTakeFirst();
  if (statutory) await endPeriodEarly(trx, statutory.id, lastDay, BIJSTAND_ENDED);
}

/**
 * Rule 12: ontzorgen ends on `lastDay`. Every period still running ends that day; the daily batch then
 * pays what fell due up to it, releases the reservations for later months, pays the rest to the
 * client and lists the obligations handed back.
 */
export async function endOntzorgen(trx: Trx, clientId: bigint, lastDay: IsoDate, reason: string): Promise<void> {
  assertIsoDate(lastDay, 'last day of ontzorgen');
  rowToClientRecord(await lockClient(trx, clientId));
  await trx.updateTable('client').set({ ontzorgen_ended_on: lastDay }).where('id', '=', clientId).execute();
  const rows = await trx.selectFrom('ontzorg_period').selectAll().where('client_id', '=', clientId).execute();
  for (const row of rows) {
    const period = rowToPeriod(row);
    // A period decided for after the end never starts: `periodsUntil` leaves it out.
    if (period.firstDay <= lastDay && (period.lastDay === null || period.lastDay > lastDay)) await endPeriodEarly(trx, row.id, lastDay, reason);
  }
}

/** Every client's periods, effective ends applied, in one query. */
export async function periodsOf(db: Kysely<Database> | Trx, clientIds: readonly bigint[]): Promise<Map<bigint, StoredPeriod[]>> {
  const result = new Map<bigint, StoredPeriod[]>();
  if (clientIds.length === 0) return result;
  const rows = await db
    .selectFrom('ontzorg_period')
    .select(['id', 'client_id', 'basis', 'first_day', 'last_day', 'review_date', 'decision_reference', 'ended_early_on', 'ended_reason'])
    .where('client_id', '=', sql<bigint>`ANY(${numberArray(clientIds, 'bigint')}::bigint[])`)
    .orderBy('client_id')
    .orderBy('first_day')
    .execute();
  for (const row of rows) {
    const list = result.get(row.client_id);
    if (list) list.push(rowToPeriod(row));
    else result.set(row.client_id, [rowToPeriod(row)]);
  }
  return result;
}

/** Rule 12: the periods as they stand once ontzorgen ended on `endedOn` (those decided for after it never start). */
export function periodsUntil<P extends OntzorgPeriod>(periods: readonly P[], endedOn: IsoDate | null): P[] {
  if (endedOn === null) return [...periods];
  return periods.filter((period) => period.firstDay <= endedOn).map((period) => (period.lastDay === null || period.lastDay > endedOn ? { ...period, ...endPeriod(period, endedOn) } : period));
}
