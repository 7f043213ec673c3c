import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AuthError, may } from '../../auth/principal.js';
import type { TokenVerifier } from '../../auth/tokens.js';
import { toProblem } from '../problem.js';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const COOKIE = 'ontzorg_session';

function tokenOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header && /^Bearer\s+\S+$/i.test(header)) return header.replace(/^Bearer\s+/i, '');
  const cookie = request.headers.cookie?.split(';').map((c) => c.trim()).find((c) => c.startsWith(`${COOKIE}=`));
  return cookie ? decodeURIComponent(cookie.slice(COOKIE.length + 1)) : undefined;
}

/**
 * The BullMQ queues in Bull Board, behind the operator role: waiting, active, failed jobs with
 * their errors, retry from the page. A browser cannot send a bearer header to a page, so
 * `POST /admin/session` with a token sets it as an HttpOnly, SameSite=Strict cookie for /admin.
 */
export async function queueDashboard(app: FastifyInstance, verify: TokenVerifier, queues: readonly Queue[]): Promise<void> {
  app.post(
    '/admin/session',
    { schema: { tags: ['queues'], summary: 'Open the queue dashboard in a browser: send your token, get a cookie for /admin', body: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 10, maxLength: 4096 } } } } },
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
          if (!token) throw new AuthError('unauthenticated', 'the queue dashboard needs an operator\'s token (POST /admin/session, or a bearer header)');
          const principal = await verify(token);
          if (!may(principal, 'queues:manage')) throw new AuthError('forbidden', `your role (${principal.role}) may not manage the queues`);
        } catch (error) {
          const problem = { ...toProblem(error), instance: request.id };
          return reply.code(problem.status).type('application/problem+json').send(problem);
        }
      });
      await scope.register(serverAdapter.registerPlugin());
    },
    { prefix: QUEUE_DASHBOARD_PATH },
  );
}
