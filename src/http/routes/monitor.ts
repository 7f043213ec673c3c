import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { AuthError, may, type Action, type Principal } from '../../auth/principal.js';
import { gemeentenOf } from '../../auth/scope.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { ClientError } from '../../clients/errors.js';
import { gemeenteMonitor, renderMonitorCsv, renderMonitorPage, type GemeenteMonitor } from '../../monitor/index.js';
import { authorize, principalOf } from '../auth.js';
import { bearer, errorResponses, type RouteContext } from './common.js';
import { amsterdamToday } from '../../schedule/index.js';

/**
 * The monitor per gemeente (issue 8): JSON and CSV under /api/monitor, and a page with charts at /monitor.
 * For the back office and auditors (`monitor:read`), for their own gemeenten; another gemeente answers
 * `gemeente_not_found` (404), as one that does not exist. Only aggregate figures: nothing about one
 * client is shown, so reading it is not audited.
 *
 * A browser cannot send a bearer header when it opens a page, so `POST /monitor/session` (with the
 * bearer header, from a script or a portal) sets the same token as an HttpOnly, SameSite=Strict cookie
 * for /monitor only, as /admin/session does for the queue dashboard. The page accepts that cookie or
 * the bearer header; the API only the header.
 */

const COOKIE = 'ontzorg_monitor';
export const MONITOR_PAGE_PATH = '/monitor';

const monitorQuery = {
  type: 'object',
  additionalProperties: false,
  required: ['gemeente', 'from', 'to'],
  properties: {
    gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' },
    // Checked by the monitor itself, so a wrong month answers `invalid_monitor_period` with the reason.
    from: { type: 'string', maxLength: 20, description: 'the first month, YYYY-MM' },
    to: { type: 'string', maxLength: 20, description: 'the last month, YYYY-MM (at most 36 months after `from`)' },
    format: { type: 'string', enum: ['json', 'csv'], description: 'csv: the same as `Accept: text/csv`' },
  },
} as const;

const pageQuery = { type: 'object', additionalProperties: false, required: ['gemeente', 'from', 'to'], properties: { gemeente: monitorQuery.properties.gemeente, from: monitorQuery.properties.from, to: monitorQuery.properties.to } } as const;

const count = { type: 'integer' } as const;
const amount = { type: 'string', pattern: '^-?[0-9]+\\.[0-9]{2}$' } as const;
const days = { type: ['string', 'null'], description: 'days, one decimal' } as const;
const monthSchema = {
  type: 'object',
  properties: {
    month: { type: 'string' },
    clientMonths: count,
    newClients: count,
    endedClients: count,
    maatwerk: { type: 'object', properties: { fullOptOut: count, partial: count, handOverPlan: count, revoked: count } },
    noodvoorzieningen: { type: 'object', properties: { count, amount, advances: count, gifts: count, recovered: amount } },
    rent: { type: 'object', properties: { due: count, onTime: count, onTimePercent: { type: ['string', 'null'] } } },
    returns: { type: 'object', properties: { count, amount } },
    arrears: { type: 'object', properties: { clients: count } },
    suspense: {
      type: 'object',
      properties: { assigned: count, averageWaitDays: days, maxWaitDays: { type: ['integer', 'null'] }, openAtMonthEnd: { type: ['integer', 'null'] }, openAverageAgeDays: days, openMaxAgeDays: { type: ['integer', 'null'] } },
    },
  },
} as const;
const monitorSchema = {
  type: 'object',
  properties: {
    gemeente: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } },
    from: { type: 'string' },
    to: { type: 'string' },
    asOf: { type: 'string' },
    months: { type: 'array', items: monthSchema },
  },
} as const;

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^Bearer\s+\S+$/i.test(header)) return header.replace(/^Bearer\s+/i, '');
  const cookie = request.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(COOKIE.length + 1)) : undefined;
}

/** Like `authorize`, but also reads the page's cookie; the action is kept on the hook for the route table. */
function authorizePage(verify: TokenVerifier, action: Action): onRequestAsyncHookHandler & { readonly action: Action } {
  const hook = async (request: FastifyRequest, _reply: FastifyReply) => {
    const token = tokenOf(request);
    if (!token) throw new AuthError('unauthenticated', 'the monitor needs a token: a bearer header, or the cookie POST /monitor/session sets');
    const principal = await verify(token);
    if (!may(principal, action)) throw new AuthError('forbidden', `your role (${principal.role}) may not do this`);
    request.principal = principal;
  };
  return Object.assign(hook, { action });
}

export function monitorRoutes({ app, db, verify, now }: RouteContext & { now: () => Date }): void {
  const read = async (principal: Principal, query: { gemeente: string; from: string; to: string }): Promise<GemeenteMonitor> => {
    if (!gemeentenOf(principal).includes(query.gemeente)) throw new ClientError('gemeente_not_found', `gemeente ${query.gemeente} is not one of your gemeenten`);
    return gemeenteMonitor(db, { gemeenteId: query.gemeente, from: query.from, to: query.to, asOf: amsterdamDay(now()) });
  };

  app.get(
    '/api/monitor',
    {
      onRequest: authorize(verify, 'monitor:read'),
      schema: {
        tags: ['monitor'],
        summary: 'The monitor of a gemeente per month: client-months (the Q of P*Q), new and ended clients, maatwerk, noodvoorzieningen, rent on time, returns, arrears, suspense',
        description: 'JSON by default; CSV (semicolons, UTF-8 with BOM) with `Accept: text/csv` or `format=csv`. Definitions: src/monitor/monitor.ts and README.md.',
        security: bearer,
        querystring: monitorQuery,
        response: { 200: monitorSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const query = request.query as { gemeente: string; from: string; to: string; format?: 'json' | 'csv' };
      const monitor = await read(principalOf(request), query);
      const csv = query.format === 'csv' || (query.format === undefined && /\btext\/csv\b/.test(request.headers.accept ?? ''));
      if (!csv) return monitor;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="monitor-${monitor.gemeente.id}-${monitor.from}-${monitor.to}.csv"`)
        .serializer((payload: string) => payload)
        .send(renderMonitorCsv(monitor));
    },
  );

  app.get(
    MONITOR_PAGE_PATH,
    {
      onRequest: authorizePage(verify, 'monitor:read'),
      schema: { tags: ['monitor'], summary: 'The monitor as a page with charts and the numbers in a table (HTML, no script)', security: bearer, querystring: pageQuery },
    },
    async (request, reply) => {
      const query = request.query as { gemeente: string; from: string; to: string };
      const monitor = await read(principalOf(request), query);
      return reply.type('text/html; charset=utf-8').header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:").send(renderMonitorPage(monitor));
    },
  );

  app.post(
    `${MONITOR_PAGE_PATH}/session`,
    {
      onRequest: authorize(verify, 'monitor:read'),
      schema: { tags: ['monitor'], summary: 'Open the monitor page in a browser: send your bearer token, get it back as a cookie for /monitor', security: bearer, response: { 200: { type: 'object', properties: { page: { type: 'string' } } }, ...errorResponses } },
    },
    async (request, reply) => {
      const token = tokenOf(request)!;
      return reply
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; Path=${MONITOR_PAGE_PATH}; HttpOnly; SameSite=Strict; Max-Age=28800${request.protocol === 'https' ? '; Secure' : ''}`)
        .send({ page: MONITOR_PAGE_PATH });
    },
  );
}

const amsterdamDay = amsterdamToday;
