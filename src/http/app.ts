import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { AuthError } from '../auth/principal.js';
import type { TokenVerifier } from '../auth/tokens.js';
import { ingestBankFile } from '../ingest/files.js';
import type { PlanOptions } from '../ingest/plan.js';
import { registerProblemHandler } from './problem.js';
import { auditRoutes } from './routes/audit.js';
import { bankFileRoutes } from './routes/bank-files.js';
import { batchRoutes } from './routes/batches.js';
import { clientRoutes } from './routes/clients.js';
import { statementRoutes } from './routes/statements.js';
import { queueDashboard } from './routes/queues.js';
import { suspenseRoutes } from './routes/suspense.js';
import type { Queue } from 'bullmq';

export interface AppDependencies {
  readonly db: Kysely<Database>;
  /** Absent in the embedded mode, where the daily jobs run inline (jobs/inline.ts). */
  readonly redis?: Redis;
  readonly logger: Logger;
  /** Checks bearer tokens; without it every protected route answers `auth_not_configured`. */
  readonly verify?: TokenVerifier;
  /** Hands an uploaded bank file to ingestion (the `ingest` queue, or inline). */
  readonly submitIngest?: (fileId: bigint) => Promise<void>;
  readonly planOptions?: PlanOptions;
  /** Where released pain.001 files are written for the bank-upload software. */
  readonly outboxDir?: string;
  /** The BullMQ queues shown in the dashboard at /admin/queues (only with Redis). */
  readonly queues?: readonly Queue[];
  /** The clock for "today" in statements and signals (tests set it). */
  readonly now?: () => Date;
}

const notConfigured: TokenVerifier = () => Promise.reject(new AuthError('auth_not_configured', 'sign-in is not configured on this server (AUTH_JWKS_URL or AUTH_JWT_SECRET)'));

/** The HTTP door: health, the API per capability (authorised per route), OpenAPI at /docs, problem+json errors. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
    },
  });
  registerProblemHandler(app);
  await app.register(swagger, {
    openapi: {
      info: { title: 'ontzorg API', version: '1', description: 'Payment engine for financieel ontzorgen (art. 56a Participatiewet). Errors are application/problem+json; codes in docs/errors.md. Writes accept an Idempotency-Key header.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const context = { app, db: deps.db, verify: deps.verify ?? notConfigured };
  const ingestLater = deps.submitIngest ?? (async (fileId: bigint) => void (await ingestBankFile(deps.db, fileId, deps.planOptions ?? {})));
  bankFileRoutes({ ...context, submitIngest: ingestLater, ...(deps.planOptions ? { planOptions: deps.planOptions } : {}) });
  suspenseRoutes(context);
  batchRoutes({ ...context, outboxDir: deps.outboxDir ?? './out/outbox' });
  auditRoutes(context);
  const now = deps.now ?? (() => new Date());
  clientRoutes({ ...context, now });
  statementRoutes({ ...context, now });
  if (deps.queues && deps.queues.length > 0) await queueDashboard(app, context.verify, deps.queues);

  app.get('/healthz', { schema: { tags: ['health'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await sql`SELECT 1`.execute(deps.db);
      checks.database = 'ok';
    } catch (error) {
      checks.database = `unavailable: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (deps.redis) {
      try {
        await deps.redis.ping();
        checks.redis = 'ok';
      } catch (error) {
        checks.redis = `unavailable: ${error instanceof Error ? error.message : String(error)}`;
      }
    } else {
      checks.redis = 'not configured (jobs run inline)';
    }
    const ready = Object.values(checks).every((c) => !c.startsWith('unavailable'));
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  return app;
}
