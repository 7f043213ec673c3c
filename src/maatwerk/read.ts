import { sql, type Kysely, type Selectable } from 'kysely';
import type { ClientObligation } from '../clients/obligations.js';
import { numberArray } from '../db/array-parameters.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import type { IsoDate } from '../schedule/index.js';
import type { MaatwerkDecisionTable, MaatwerkObligationTable } from './rows.js';
import { decisionOn, obligationSchedule, type MaatwerkDecision } from './rules.js';

/** Reading decisions: in bulk for the daily batch, one client's history for people. */

type DecisionRow = Omit<Selectable<MaatwerkDecisionTable>, 'request_hash' | 'idempotency_key' | 'gemeente_id'>;

export interface StoredDecision extends MaatwerkDecision {
  readonly clientId: bigint;
  readonly createdAt: Date;
}

export function rowToDecision(row: DecisionRow, items: readonly Pick<Selectable<MaatwerkObligationTable>, 'obligation_id' | 'treatment' | 'hand_over_on'>[]): StoredDecision {
  return {
    id: row.id.toString(),
    clientId: row.client_id,
    action: row.action,
    scope: row.scope,
    replacesId: row.replaces_id === null ? null : row.replaces_id.toString(),
    reasonCategory: row.reason_category,
    reason: row.reason,
    assessment: row.assessment,
    effectiveDate: row.effective_date,
    reviewDate: row.review_date,
    reservedMoney: row.reserved_money,
    toeslagen: row.toeslagen,
    decidedBy: row.decided_by,
    createdAt: row.created_at,
    obligations: items.map((i) => ({ obligationId: i.obligation_id.toString(), treatment: i.treatment, handOverOn: i.hand_over_on })),
  };
}

const DECISION_COLUMNS = [
  'id', 'client_id', 'action', 'scope', 'replaces_id', 'reason_category', 'reason', 'assessment', 'effective_date', 'review_date', 'reserved_money', 'toeslagen', 'decided_by', 'created_at',
] as const;

/** Every decision and revocation of these clients, oldest first: two queries whatever the number of clients. */
export async function decisionsOf(db: Kysely<Database> | Trx, clientIds: readonly bigint[]): Promise<Map<bigint, StoredDecision[]>> {
  const result = new Map<bigint, StoredDecision[]>();
  if (clientIds.length === 0) return result;
  const list = numberArray(clientIds, 'bigint');
  const rows = await db.selectFrom('maatwerk_decision').select(DECISION_COLUMNS).where('client_id', '=', sql<bigint>`ANY(${list}::bigint[])`).orderBy('id').execute();
  if (rows.length === 0) return result;
  const items = await db
    .selectFrom('maatwerk_obligation')
    .select(['decision_id', 'obligation_id', 'treatment', 'hand_over_on'])
    .where('decision_id', '=', sql<bigint>`ANY(${rows.map((r) => r.id.toString())}::bigint[])`)
    .orderBy('decision_id')
    .orderBy('obligation_id')
    .execute();
  const itemsBy = new Map<bigint, typeof items>();
  for (const item of items) itemsBy.set(item.decision_id, [...(itemsBy.get(item.decision_id) ?? []), item]);
  // A partial decision recorded before it named what it hands over (only its kept rows are stored) hands over what the
  // client had when it was decided; read so, an obligation recorded after it stays withheld (rules 3 and 10).
  const older = rows.filter((r) => r.scope === 'partial' && !(itemsBy.get(r.id) ?? []).some((i) => i.treatment === 'handed_over'));
  if (older.length > 0) {
    const owned = await db
      .selectFrom('obligation')
      .select(['id', 'client_id', 'valid_until', 'created_at'])
      .where('client_id', '=', sql<bigint>`ANY(${[...new Set(older.map((r) => r.client_id.toString()))]}::bigint[])`)
      .orderBy('id')
      .execute();
    for (const row of older) {
      const mine = itemsBy.get(row.id) ?? [];
      const derived = owned
        .filter((o) => o.client_id === row.client_id && o.created_at <= row.created_at && (o.valid_until === null || o.valid_until >= row.effective_date) && !mine.some((i) => i.obligation_id === o.id))
        .map((o) => ({ decision_id: row.id, obligation_id: o.id, treatment: 'handed_over' as const, hand_over_on: row.effective_date }));
      itemsBy.set(row.id, [...mine, ...derived].sort((a, b) => (a.obligation_id < b.obligation_id ? -1 : a.obligation_id > b.obligation_id ? 1 : 0)));
    }
  }
  for (const row of rows) {
    const decision = rowToDecision(row, itemsBy.get(row.id) ?? []);
    const mine = result.get(row.client_id);
    if (mine) mine.push(decision);
    else result.set(row.client_id, [decision]);
  }
  return result;
}

export type DecisionStatus = 'in_force' | 'scheduled' | 'ended' | 'revocation';

export interface DecisionHistoryEntry {
  readonly decision: StoredDecision;
  readonly status: DecisionStatus;
  /** When a later row ended it (its first day no longer in force), and how. */
  readonly endedOn: IsoDate | null;
  readonly endedBy: { readonly id: string; readonly how: 'revoked' | 'replaced' } | null;
  /** Per obligation of the client, from when the client pays it under this decision (the hand-over plan). */
  readonly schedule: readonly { readonly obligationId: string; readonly type: string; readonly payee: string; readonly handedOverOn: IsoDate | null }[];
}

/**
 * A client's maatwerk history as of `asOf`, newest first: every decision and revocation, which one is in
 * force, and per decision the hand-over plan of the client's obligations. Read-only.
 */
export function decisionHistory(decisions: readonly StoredDecision[], obligations: readonly ClientObligation[], asOf: IsoDate): { inForce: string | null; entries: DecisionHistoryEntry[] } {
  const current = decisionOn(decisions, asOf);
  const endedBy = new Map<string, StoredDecision>();
  for (const row of decisions) if (row.replacesId !== null) endedBy.set(row.replacesId, row);
  const byId = new Map(obligations.map((o) => [o.id, o]));
  const entries = decisions.map((decision): DecisionHistoryEntry => {
    const ender = endedBy.get(decision.id) ?? null;
    const status: DecisionStatus =
      decision.action === 'revoke' ? 'revocation' : current?.id === decision.id ? 'in_force' : ender !== null && ender.effectiveDate <= asOf ? 'ended' : decision.effectiveDate > asOf ? 'scheduled' : 'ended';
    const schedule =
      decision.action === 'revoke'
        ? []
        : obligationSchedule(decision, obligations.map((o) => o.id)).map((s) => ({ ...s, type: byId.get(s.obligationId)!.type, payee: byId.get(s.obligationId)!.payee.name }));
    return { decision, status, endedOn: ender?.effectiveDate ?? null, endedBy: ender ? { id: ender.id, how: ender.action === 'revoke' ? 'revoked' : 'replaced' } : null, schedule };
  });
  return { inForce: current?.id ?? null, entries: entries.reverse() };
}

/** What a client's statement says about maatwerk: the decision in force today, else the next one scheduled. */
export interface MaatwerkOnStatement {
  readonly scope: NonNullable<StoredDecision['scope']>;
  readonly status: 'in_force' | 'scheduled';
  readonly effectiveDate: IsoDate;
  readonly reviewDate: IsoDate | null;
  readonly plan: readonly { readonly obligationType: ClientObligation['type']; readonly payee: string; readonly handedOverOn: IsoDate | null }[];
}

export function maatwerkOnStatement(decisions: readonly StoredDecision[], obligations: readonly ClientObligation[], asOf: IsoDate): MaatwerkOnStatement | null {
  if (decisions.length === 0) return null;
  const { entries } = decisionHistory(decisions, obligations, asOf);
  const shown = entries.find((e) => e.status === 'in_force') ?? [...entries].reverse().find((e) => e.status === 'scheduled');
  if (!shown || shown.decision.scope === null) return null;
  const types = new Map(obligations.map((o) => [o.id, o.type]));
  return {
    scope: shown.decision.scope,
    status: shown.status === 'in_force' ? 'in_force' : 'scheduled',
    effectiveDate: shown.decision.effectiveDate,
    reviewDate: shown.decision.reviewDate,
    plan: shown.schedule.map((s) => ({ obligationType: types.get(s.obligationId)!, payee: s.payee, handedOverOn: s.handedOverOn })),
  };
}
