import { createHash } from 'node:crypto';
import { audit } from '../auth/audit.js';
import type { Principal } from '../auth/principal.js';
import { obligationsOf } from '../clients/obligations.js';
import { periodsOf, periodsUntil } from '../clients/ontzorg-periods.js';
import { lockClient, rowToClientRecord } from '../clients/registry.js';
import type { Trx } from '../db/transaction.js';
import type { IsoDate } from '../schedule/index.js';
import { MaatwerkError } from './errors.js';
import { decisionsOf, type StoredDecision } from './read.js';
import { assertNotRetroactive, validateDecision, type DecisionInput } from './rules.js';

/**
 * Recording maatwerk decisions: a decision, its replacement (a new decision ends the one before it from
 * its own effective date) and a revocation. Each in the caller's transaction, under the client's lock,
 * with an audit entry, idempotent by key: the same key and content answer the stored row, the same key
 * with other content is refused. Never an edit (the tables refuse UPDATE and DELETE).
 */

export interface WriteOptions {
  /** Today (Europe/Amsterdam) as the door sees it: rule 10's earliest effective date. */
  readonly today: IsoDate;
  /** The request's Idempotency-Key; without one, the content itself is the key (the same decision twice is one). */
  readonly idempotencyKey?: string | null;
  readonly actor: Pick<Principal, 'userId' | 'role'>;
  readonly requestId?: string;
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function keyFor(clientId: bigint, action: string, given: string | null | undefined, hash: string): string {
  return `maatwerk/${clientId.toString()}/${action}/${given && given.length > 0 ? given : hash}`;
}

/** An earlier row under the same key: answered again when it asked the same, refused when it asked something else. */
async function replay(trx: Trx, clientId: bigint, key: string, hash: string): Promise<StoredDecision | null> {
  const stored = await trx.selectFrom('maatwerk_decision').select(['id', 'client_id', 'request_hash']).where('idempotency_key', '=', key).executeTakeFirst();
  if (!stored) return null;
  if (stored.request_hash !== hash || stored.client_id !== clientId) throw new MaatwerkError('maatwerk_key_reused', `the idempotency key was already used for another maatwerk decision (${stored.id.toString()}); a new decision needs a new key`);
  return (await decisionsOf(trx, [clientId])).get(clientId)!.find((d) => d.id === stored.id.toString())!;
}

/**
 * Rule 10: the first day a row may take effect: today, and never before a day the gemeente's daily batch
 * already ran (what it allocated is history). Reads the batch runs as a read model.
 */
async function notBefore(trx: Trx, gemeenteId: string, today: IsoDate): Promise<IsoDate> {
  const row = await trx.selectFrom('batch_run').select((eb) => eb.fn.max('run_date').as('last')).where('gemeente_id', '=', gemeenteId).executeTakeFirst();
  const last = (row?.last as string | null | undefined) ?? null;
  return last !== null && last > today ? last : today;
}

/** The decision not yet ended by a later row, if any: a new decision replaces it. */
function openDecision(decisions: readonly StoredDecision[]): StoredDecision | null {
  const ended = new Set(decisions.flatMap((d) => (d.replacesId === null ? [] : [d.replacesId])));
  return [...decisions].reverse().find((d) => d.action === 'decide' && !ended.has(d.id)) ?? null;
}

export async function recordDecision(trx: Trx, clientId: bigint, input: DecisionInput, options: WriteOptions): Promise<StoredDecision> {
  const row = await lockClient(trx, clientId);
  const hash = hashOf({ clientId: clientId.toString(), ...input, kept: input.kept ?? [], handOver: input.handOver ?? [] });
  const key = keyFor(clientId, 'decide', options.idempotencyKey, hash);
  const earlier = await replay(trx, clientId, key, hash);
  if (earlier) return earlier;

  const record = rowToClientRecord(row);
  const periods = periodsUntil((await periodsOf(trx, [clientId])).get(clientId) ?? [], record.ontzorgenEndedOn);
  const obligations = (await obligationsOf(trx, [clientId])).get(clientId) ?? [];
  const decisions = (await decisionsOf(trx, [clientId])).get(clientId) ?? [];
  const valid = validateDecision(input, {
    notBefore: await notBefore(trx, record.gemeenteId, options.today),
    periods,
    obligations,
    toeslagenConsent: record.toeslagenConsent,
    ontzorgenEndedOn: record.ontzorgenEndedOn,
  });
  const replaces = openDecision(decisions);
  const inserted = await trx
    .insertInto('maatwerk_decision')
    .values({
      client_id: clientId,
      gemeente_id: record.gemeenteId,
      action: 'decide',
      scope: valid.scope,
      replaces_id: replaces === null ? null : BigInt(replaces.id),
      reason_category: valid.reasonCategory,
      reason: valid.reason,
      assessment: valid.assessment,
      effective_date: valid.effectiveDate,
      review_date: valid.reviewDate,
      reserved_money: valid.reservedMoney,
      toeslagen: valid.toeslagen,
      decided_by: valid.decidedBy,
      idempotency_key: key,
      request_hash: hash,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (valid.obligations.length > 0) {
    await trx
      .insertInto('maatwerk_obligation')
      .values(valid.obligations.map((o) => ({ decision_id: inserted.id, obligation_id: BigInt(o.obligationId), treatment: o.treatment, hand_over_on: o.handOverOn })))
      .execute();
  }
  // No personal data in the audit log: the free-text reason and assessment stay in the decision itself.
  await audit(trx, options.actor, {
    action: replaces === null ? 'maatwerk.decide' : 'maatwerk.replace',
    subject: `maatwerk/${inserted.id.toString()}`,
    gemeenteId: record.gemeenteId,
    clientId,
    ...(options.requestId ? { requestId: options.requestId } : {}),
    details: { scope: valid.scope, category: valid.reasonCategory, effectiveDate: valid.effectiveDate, reviewDate: valid.reviewDate, replaces: replaces?.id ?? null, obligations: valid.obligations.length },
  });
  return (await decisionsOf(trx, [clientId])).get(clientId)!.find((d) => d.id === inserted.id.toString())!;
}

export interface Revocation {
  readonly effectiveDate: IsoDate;
  readonly reason: string;
  readonly decidedBy: string;
}

/** Revokes a decision from `effectiveDate`: from then on ontzorgen withholds as before the decision. */
export async function revokeDecision(trx: Trx, clientId: bigint, decisionId: bigint, revocation: Revocation, options: WriteOptions): Promise<StoredDecision> {
  const row = await lockClient(trx, clientId);
  const hash = hashOf({ clientId: clientId.toString(), decisionId: decisionId.toString(), ...revocation });
  const key = keyFor(clientId, 'revoke', options.idempotencyKey, hash);
  const earlier = await replay(trx, clientId, key, hash);
  if (earlier) return earlier;

  const record = rowToClientRecord(row);
  const decisions = (await decisionsOf(trx, [clientId])).get(clientId) ?? [];
  const target = decisions.find((d) => d.id === decisionId.toString() && d.action === 'decide');
  if (!target) throw new MaatwerkError('maatwerk_not_found', `there is no maatwerk decision ${decisionId.toString()} for this client`);
  const ender = decisions.find((d) => d.replacesId === target.id);
  if (ender) throw new MaatwerkError('maatwerk_already_ended', `decision ${target.id} was already ${ender.action === 'revoke' ? 'revoked' : 'replaced'} from ${ender.effectiveDate} (by ${ender.id})`);
  const reason = (revocation.reason ?? '').trim();
  const decidedBy = (revocation.decidedBy ?? '').trim();
  if (reason.length < 3 || reason.length > 2000) throw new MaatwerkError('invalid_maatwerk_decision', 'a revocation explains its reason (3–2000 characters)');
  if (decidedBy.length < 1 || decidedBy.length > 200) throw new MaatwerkError('invalid_maatwerk_decision', 'a revocation records who took it');
  assertNotRetroactive(revocation.effectiveDate, await notBefore(trx, record.gemeenteId, options.today));

  const inserted = await trx
    .insertInto('maatwerk_decision')
    .values({
      client_id: clientId,
      gemeente_id: record.gemeenteId,
      action: 'revoke',
      scope: null,
      replaces_id: BigInt(target.id),
      reason_category: null,
      reason,
      assessment: null,
      effective_date: revocation.effectiveDate,
      review_date: null,
      reserved_money: null,
      toeslagen: null,
      decided_by: decidedBy,
      idempotency_key: key,
      request_hash: hash,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(trx, options.actor, {
    action: 'maatwerk.revoke',
    subject: `maatwerk/${inserted.id.toString()}`,
    gemeenteId: record.gemeenteId,
    clientId,
    ...(options.requestId ? { requestId: options.requestId } : {}),
    details: { revokes: target.id, effectiveDate: revocation.effectiveDate },
  });
  return (await decisionsOf(trx, [clientId])).get(clientId)!.find((d) => d.id === inserted.id.toString())!;
}
