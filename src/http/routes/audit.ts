import { authorize, principalOf } from '../auth.js';
import { bearer, errorResponses, page, pageQuery, type RouteContext } from './common.js';

export function auditRoutes({ app, db, verify }: RouteContext): void {
  app.get(
    '/api/audit',
    {
      onRequest: authorize(verify, 'audit:read'),
      schema: {
        tags: ['audit'],
        summary: 'The audit log of your gemeenten (and organisation-wide entries), newest first',
        security: bearer,
        querystring: { type: 'object', properties: { client: { type: 'string', pattern: '^[0-9]{1,18}$' }, actor: { type: 'string' }, from: { type: 'string', format: 'date-time' }, ...pageQuery } },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, at: { type: 'string' }, actor: { type: 'string' }, role: { type: 'string' }, action: { type: 'string' }, subject: { type: ['string', 'null'] }, gemeenteId: { type: ['string', 'null'] }, clientId: { type: ['string', 'null'] }, requestId: { type: ['string', 'null'] }, details: { type: 'object', additionalProperties: true } } } },
              next: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as { client?: string; actor?: string; from?: string; limit: number; after?: string };
      let query = db
        .selectFrom('audit_log')
        .selectAll()
        .where((eb) => eb.or([eb('gemeente_id', 'is', null), ...(principal.gemeenten.length > 0 ? [eb('gemeente_id', 'in', principal.gemeenten)] : [])]))
        .orderBy('id', 'desc')
        .limit(q.limit);
      if (q.client) query = query.where('client_id', '=', BigInt(q.client));
      if (q.actor) query = query.where('actor', '=', q.actor);
      if (q.from) query = query.where('at', '>=', new Date(q.from));
      if (q.after) query = query.where('id', '<', BigInt(q.after));
      const rows = await query.execute();
      return page(
        rows.map((r) => ({ id: r.id.toString(), at: r.at.toISOString(), actor: r.actor, role: r.role, action: r.action, subject: r.subject, gemeenteId: r.gemeente_id, clientId: r.client_id?.toString() ?? null, requestId: r.request_id, details: r.details as Record<string, unknown> })),
        q.limit,
      );
    },
  );
}
