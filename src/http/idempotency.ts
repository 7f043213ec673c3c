import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { principalOf } from './auth.js';

export class IdempotencyKeyReused extends Error {
  readonly code = 'idempotency_key_reused';
  constructor(key: string) {
    super(`the Idempotency-Key "${key}" was already used for a different request; use a new key for a new request`);
    this.name = 'IdempotencyKeyReused';
  }
}

export class IdempotencyKeyInProgress extends Error {
  readonly code = 'idempotency_key_in_progress';
  constructor(key: string) {
    super(`a request with the Idempotency-Key "${key}" is still being handled; ask again in a moment for its answer`);
    this.name = 'IdempotencyKeyInProgress';
  }
}

/** A claim whose request never finished (the process died) is taken over after this long. */
const ABANDONED_AFTER_MS = 5 * 60_000;
const IN_PROGRESS = 0;

/**
 * Writes accept an `Idempotency-Key` header: a retried request (same person, same key, same
 * route and body) gets the first answer again, marked `Idempotency-Hit: true`; the same key
 * with another request is refused. Without the header the write runs as is (the core
 * functions are idempotent by their own keys too).
 *
 * The key is claimed before the work starts (a row with status 0), so two copies of one request
 * arriving at once do the work once: the second is told to ask again. A failed request gives its
 * claim up, so a retry runs it again; a claim left behind by a process that died is taken over after
 * five minutes (the work is idempotent by its own keys, so running it again changes nothing twice).
 */
export async function idempotent(
  db: Kysely<Database>,
  request: FastifyRequest,
  reply: FastifyReply,
  work: () => Promise<{ status: number; body: unknown }>,
): Promise<unknown> {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0) {
    const result = await work();
    return reply.code(result.status).send(result.body);
  }
  if (key.length > 200) throw new IdempotencyKeyReused(key.slice(0, 40));
  const actor = principalOf(request).userId;
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
  const body = Buffer.isBuffer(request.body) ? request.body : Buffer.from(JSON.stringify(request.body ?? null));
  const hash = createHash('sha256').update(route).update('\n').update(request.url).update('\n').update(body).digest('hex');
  const claimed = await db
    .insertInto('http_idempotency')
    .values({ actor, key, route, request_hash: hash, status: IN_PROGRESS, body: JSON.stringify(null) })
    .onConflict((oc) => oc.columns(['actor', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (!claimed) {
    const stored = await db.selectFrom('http_idempotency').selectAll().where('actor', '=', actor).where('key', '=', key).executeTakeFirst();
    if (stored && stored.request_hash !== hash) throw new IdempotencyKeyReused(key);
    if (stored && stored.status !== IN_PROGRESS) return reply.code(stored.status).header('idempotency-hit', 'true').send(stored.body);
    // Still in progress, or given up between the two statements: take it over only when abandoned.
    const takenOver = await db
      .updateTable('http_idempotency')
      .set({ created_at: new Date() })
      .where('actor', '=', actor)
      .where('key', '=', key)
      .where('status', '=', IN_PROGRESS)
      .where('created_at', '<', new Date(Date.now() - ABANDONED_AFTER_MS))
      .returning('key')
      .executeTakeFirst();
    if (!takenOver) {
      if (stored) throw new IdempotencyKeyInProgress(key);
      return idempotent(db, request, reply, work);
    }
  }
  let result: { status: number; body: unknown };
  try {
    result = await work();
  } catch (error) {
    await db.deleteFrom('http_idempotency').where('actor', '=', actor).where('key', '=', key).where('status', '=', IN_PROGRESS).execute();
    throw error;
  }
  await db
    .updateTable('http_idempotency')
    .set({ status: result.status, body: JSON.stringify(result.body) })
    .where('actor', '=', actor)
    .where('key', '=', key)
    .execute();
  return reply.code(result.status).send(result.body);
}
