import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { ReadAudits } from '../../auth/audit.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { Database } from '../../db/schema.js';

/** What every route file gets from the app. */
export interface RouteContext {
  readonly app: FastifyInstance;
  readonly db: Kysely<Database>;
  readonly verify: TokenVerifier;
  /** Audits the reads of caseworkers and clients, gathered into shared commits. */
  readonly readAudit: ReadAudits;
}

export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details (application/problem+json); `code` is listed in docs/errors.md.',
  properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, code: { type: 'string' }, instance: { type: 'string' } },
  required: ['type', 'title', 'status', 'detail', 'code'],
} as const;

export const errorResponses = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema } as const;

export const idParam = { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]{1,18}$' } }, required: ['id'] } as const;

export const pageQuery = {
  limit: { type: 'integer', minimum: 1, maximum: 500, default: 50, description: 'at most this many items' },
  after: { type: 'string', pattern: '^[0-9]{1,18}$', description: 'the `next` cursor of the previous page' },
} as const;

export const bearer = [{ bearerAuth: [] }];

/** A page of items with the cursor of the next page (null on the last). */
export function page<T extends { id: string }>(items: T[], limit: number): { items: T[]; next: string | null } {
  return { items, next: items.length === limit ? items[items.length - 1]!.id : null };
}
