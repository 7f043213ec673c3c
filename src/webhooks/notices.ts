import { sql, type Kysely } from 'kysely';
import type { Principal } from '../auth/principal.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import type { IsoDate } from '../schedule/index.js';
import { listSignals } from '../statements/index.js';

/**
 * The outbox: a signal notice is recorded once per webhook, client, signal kind and signal key (the
 * signal's stable id, `arrears/123`), in the same database as everything else; delivery happens
 * after, from the notice (src/webhooks/delivery.ts). Recording again, from a rerun of the batch, a
 * second worker or the periodic sweep, inserts nothing new (the unique constraint
 * `webhook_notice_once`), so a signal is never announced twice.
 *
 * Only clients assigned (now) to a caseworker or team of the webhook's organisation produce notices
 * for it, and only in the gemeenten and of the kinds the webhook names.
 */

/** Reads signals as the back office of one gemeente would: the signals list's own rules, all clients of it. */
function serviceReader(gemeenteId: string): Principal {
  return { userId: 'webhooks', role: 'auditor', gemeenten: [gemeenteId], organisation: null, team: null, clientId: null };
}

export interface RecordedNotices {
  /** New notices (0 when everything was recorded before). */
  readonly recorded: number;
  /** Webhooks that were asked (active, naming the gemeente). */
  readonly webhooks: number;
}

/**
 * Computes the current signals of a gemeente and records a notice for each one an active webhook
 * carries and has not had yet. Cheap when no webhook names the gemeente: one query.
 */
export async function recordSignalNotices(db: Kysely<Database> | Trx, gemeenteId: string, asOf: IsoDate): Promise<RecordedNotices> {
  const webhooks = await db
    .selectFrom('organisation_webhook')
    .select(['id', 'organisation', 'kinds'])
    .where('deleted_at', 'is', null)
    .where('active', '=', true)
    .where(sql<boolean>`${gemeenteId} = ANY(gemeenten)`)
    .execute();
  if (webhooks.length === 0) return { recorded: 0, webhooks: 0 };
  const assigned = await db
    .selectFrom('caseworker_assignment as a')
    .innerJoin('client as c', 'c.id', 'a.client_id')
    .select(['a.client_id', 'a.organisation'])
    .distinct()
    .where('a.ended_at', 'is', null)
    .where('c.gemeente_id', '=', gemeenteId)
    .where(
      'a.organisation',
      'in',
      webhooks.map((w) => w.organisation),
    )
    .execute();
  if (assigned.length === 0) return { recorded: 0, webhooks: webhooks.length };
  const clientsOf = new Map<string, Set<string>>();
  for (const a of assigned) clientsOf.set(a.organisation, (clientsOf.get(a.organisation) ?? new Set()).add(a.client_id.toString()));

  const signals = await listSignals(db, serviceReader(gemeenteId), { asOf, gemeente: gemeenteId, language: 'nl' });
  const rows = webhooks.flatMap((w) => {
    const clients = clientsOf.get(w.organisation) ?? new Set<string>();
    return signals
      .filter((s) => clients.has(s.client.id) && w.kinds.includes(s.kind))
      .map((s) => ({ webhook_id: w.id, organisation: w.organisation, gemeente_id: gemeenteId, client_id: BigInt(s.client.id), signal_kind: s.kind, signal_key: s.id, arose_on: s.date }));
  });
  let recorded = 0;
  for (let i = 0; i < rows.length; i += 1_000) {
    const inserted = await db
      .insertInto('webhook_notice')
      .values(rows.slice(i, i + 1_000))
      .onConflict((oc) => oc.constraint('webhook_notice_once').doNothing())
      .returning('id')
      .execute();
    recorded += inserted.length;
  }
  return { recorded, webhooks: webhooks.length };
}

/** Every gemeente an active webhook names, each recorded in turn: the periodic sweep and the step after a bank file. */
export async function recordSignalNoticesEverywhere(db: Kysely<Database>, asOf: IsoDate): Promise<{ recorded: number; gemeenten: number }> {
  const { rows } = await sql<{ gemeente_id: string }>`
    SELECT DISTINCT unnest(gemeenten) AS gemeente_id FROM organisation_webhook WHERE deleted_at IS NULL AND active ORDER BY 1
  `.execute(db);
  let recorded = 0;
  for (const { gemeente_id } of rows) recorded += (await recordSignalNotices(db, gemeente_id, asOf)).recorded;
  return { recorded, gemeenten: rows.length };
}
