import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { audit } from '../../auth/audit.js';
import { AuthError, may, type Principal } from '../../auth/principal.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import type { Database } from '../../db/schema.js';
import { toProblem } from '../problem.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'ontzorg_session';
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Jobs are made by the service from its own records, after its checks (a release job after four-eyes approval,
 * a batch for a gemeente's run date). Adding a job, editing a job's data or a scheduler's template by hand would
 * go round those checks, and obliterating a queue destroys the failed jobs that are the evidence: refused.
 */
const REFUSED = [/\/api\/queues\/:queueName\/add$/, /\/:jobId\/update-data$/, /\/job-schedulers\/:schedulerId$/, /\/obliterate$/];

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^Bearer\s+\S+$/i.test(header)) return header.replace(/^Bearer\s+/i, '');
  const cookie = request.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(COOKIE.length + 1)) : undefined;
}

/**
 * What a state-changing request of the dashboard does, for the audit log: the action (the last word of
 * Bull Board's route: retry, clean, pause, empty, obliterate, remove, …), the queue (or all queues) and the
 * job, status or scheduler it names. Never the body: adding a job or changing its data carries job data.
 */
export function queueActionOf(route: string, params: Record<string, string | undefined>): { action: string; subject: string; details: Record<string, string> } {
  const api = route.slice(QUEUE_DASHBOARD_PATH.length);
  const words = api.split('/').filter((w) => w !== '' && !w.startsWith(':'));
  const verb = words.at(-1) ?? 'request';
  const queue = params['queueName'] ?? 'all';
  const details: Record<string, string> = { route: api, queue };
  if (params['jobId'] !== undefined) details['job'] = params['jobId'];
  if (params['queueStatus'] !== undefined) details['status'] = params['queueStatus'];
  if (params['schedulerId'] !== undefined) details['scheduler'] = params['schedulerId'];
  const subject = params['jobId'] !== undefined ? `queue/${queue}/job/${params['jobId']}` : `queue/${queue}`;
  return { action: `queues.${params['jobId'] !== undefined ? 'job.' : ''}${verb}`, subject, details };
}

/**
 * The BullMQ queues in Bull Board, for administrators only: waiting, active, failed jobs with their
 * errors, retry from the page. The queues hold every gemeente's work (a job is not scoped to one), so
 * no gemeente-bound role may pause, empty, retry or remove them; and every request that changes a
 * queue or a job is written to the audit log (who, when, what, which queue), before it runs, so a
 * change the log could not record does not happen. A browser cannot send a bearer header to a page, so
 * `POST /admin/session` with a token sets it as an HttpOnly, SameSite=Strict cookie for /admin.
 */
export async function queueDashboard(app: FastifyInstance, verify: TokenVerifier, queues: readonly Queue[], db: Kysely<Database>): Promise<void> {
  app.post(
    '/admin/session',
    { schema: { tags: ['queues'], summary: 'Open the queue dashboard in a browser (administrators): send your token, get a cookie for /admin', body: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 10, maxLength: 4096 } } } } },
    async (request, reply) => {
      const { token } = request.body as { token: string };
      const principal = await verify(token);
      if (!may(principal, 'queues:manage')) throw new AuthError('forbidden', `your role (${principal.role}) may not manage the queues`);
      return reply
        .header('set-cookie', `${COOKIE}=${encodeURIComponent(token)}; Path=/admin; HttpOnly; SameSite=Strict; Max-Age=28800${request.protocol === 'https' ? '; Secure' : ''}`)
        .send({ dashboard: `${QUEUE_DASHBOARD_PATH}/` });
    },
  );

  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter, options: { uiConfig: { boardTitle: 'ontzorg queues' } } });
  await app.register(
    async (scope) => {
      // Bull Board installs its own error handler in this scope, so refusals are answered here, as problem+json.
      scope.addHook('onRequest', async (request, reply) => {
        try {
          const token = tokenOf(request);
          if (!token) throw new AuthError('unauthenticated', 'the queue dashboard needs an administrator\'s token (POST /admin/session, or a bearer header)');
          const principal: Principal = await verify(token);
          if (!may(principal, 'queues:manage')) throw new AuthError('forbidden', `your role (${principal.role}) may not manage the queues`);
          const route = request.routeOptions.url;
          if (!READS.has(request.method) && route !== undefined && REFUSED.some((refused) => refused.test(route))) {
            throw new AuthError('forbidden', 'jobs are made by the service itself, after its checks: they cannot be added, edited or obliterated from the dashboard (retry, promote, clean, pause and remove can)');
          }
          if (!READS.has(request.method) && route !== undefined) {
            const what = queueActionOf(route, request.params as Record<string, string | undefined>);
            // Organisation-wide (no gemeente): the queues are the service's, so every auditor reads it.
            await audit(db, principal, { action: what.action, subject: what.subject, requestId: request.id, details: { method: request.method, ...what.details } });
          }
        } catch (error) {
          const problem = { ...toProblem(error), instance: request.id };
          if (problem.status >= 500) request.log.error({ err: error }, 'queue dashboard request refused');
          return reply.code(problem.status).type('application/problem+json').send(problem);
        }
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: QUEUE_DASHBOARD_PATH },
  );
}
