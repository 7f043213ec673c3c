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

/**
 * Writes accept an `Idempotency-Key` header: a retried request (same person, same key, same
 * route and body) gets the first answer again, marked `Idempotency-Hit: true`; the same key
 * with another request is refused. Without the header the write runs as is (the core
 * functions are idempotent by their own keys too).
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
  const stored = await db.selectFrom('http_idempotency').selectAll().where('actor', '=', actor).where('key', '=', key).executeTakeFirst();
  if (stored) {
    if (stored.request_hash !== hash) throw new IdempotencyKeyReused(key);
    return reply.code(stored.status).header('idempotency-hit', 'true').send(stored.body);
  }
  const result = await work();
  await db
    .insertInto('http_idempotency')
    .values({ actor, key, route, request_hash: hash, status: result.status, body: JSON.stringify(result.body) })
    .onConflict((oc) => oc.columns(['actor', 'key']).doNothing())
    .execute();
  return reply.code(result.status).send(result.body);
}
