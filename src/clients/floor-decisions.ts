import { sql, type Kysely } from 'kysely';
import { numberArray } from '../db/array-parameters.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { isIsoDate, type IsoDate } from '../schedule/index.js';
import { ClientError } from './errors.js';
import { lockClient, rowToClientRecord } from './registry.js';

/**
 * Rule 8: leefgeld is not reduced below the gemeente's floor without a recorded back-office
 * decision. A decision names its reference, reason and who took it, and applies from its date.
 */
export interface FloorDecisionRecord {
  readonly reference: string;
  readonly floor: Money;
  readonly effectiveFrom: IsoDate;
  readonly effectiveUntil: IsoDate | null;
  readonly reason: string;
  readonly decidedBy: string;
}

export async function recordFloorDecision(trx: Trx, clientId: bigint, decision: FloorDecisionRecord): Promise<FloorDecisionRecord> {
  rowToClientRecord(await lockClient(trx, clientId));
  const reference = decision.reference?.trim() ?? '';
  const refuse = (message: string): never => {
    throw new ClientError('invalid_floor_decision', message);
  };
  if (reference.length < 1 || reference.length > 100) refuse('a floor decision needs its reference (1–100 characters)');
  if (!(decision.floor instanceof Money) || decision.floor.isNegative()) refuse('the floor is an amount of 0.00 or more');
  if (!isIsoDate(decision.effectiveFrom ?? '')) refuse('the effective date must be a date written as YYYY-MM-DD');
  if (decision.effectiveUntil && (!isIsoDate(decision.effectiveUntil) || decision.effectiveUntil < decision.effectiveFrom)) refuse('the end date must lie on or after the effective date');
  if ((decision.reason?.trim() ?? '').length < 3) refuse('a floor decision records its reason');
  if ((decision.decidedBy?.trim() ?? '').length < 1) refuse('a floor decision records who took it');
  await trx
    .insertInto('floor_decision')
    .values({ client_id: clientId, reference, floor_cents: decision.floor.cents, effective_from: decision.effectiveFrom, effective_until: decision.effectiveUntil ?? null, reason: decision.reason.trim(), decided_by: decision.decidedBy.trim() })
    .onConflict((oc) => oc.columns(['client_id', 'reference']).doNothing())
    .execute();
  return (await floorDecisionsOf(trx, [clientId])).get(clientId)!.find((d) => d.reference === reference)!;
}

export async function floorDecisionsOf(db: Kysely<Database> | Trx, clientIds: readonly bigint[]): Promise<Map<bigint, FloorDecisionRecord[]>> {
  const result = new Map<bigint, FloorDecisionRecord[]>();
  if (clientIds.length === 0) return result;
  const rows = await db.selectFrom('floor_decision').selectAll().where('client_id', '=', sql<bigint>`ANY(${numberArray(clientIds, 'bigint')}::bigint[])`).orderBy('id').execute();
  for (const r of rows) {
    const record: FloorDecisionRecord = { reference: r.reference, floor: Money.fromCents(r.floor_cents), effectiveFrom: r.effective_from, effectiveUntil: r.effective_until, reason: r.reason, decidedBy: r.decided_by };
    result.set(r.client_id, [...(result.get(r.client_id) ?? []), record]);
  }
  return result;
}

/** The decision in force on `date`: the latest effective one (rule 10: a decision changes only what comes after it). */
export function floorDecisionOn(decisions: readonly FloorDecisionRecord[], date: IsoDate): FloorDecisionRecord | null {
  let found: FloorDecisionRecord | null = null;
  for (const d of decisions) {
    if (d.effectiveFrom <= date && (d.effectiveUntil === null || date <= d.effectiveUntil) && (found === null || d.effectiveFrom >= found.effectiveFrom)) found = d;
  }
  return found;
}
