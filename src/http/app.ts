import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { ReadAudits } from '../auth/audit.js';
import { AuthError, type Action } from '../auth/principal.js';
import type { TokenVerifier } from '../auth/tokens.js';
import { ingestBankFile } from '../ingest/files.js';
import type { PlanOptions } from '../ingest/plan.js';
import { registerProblemHandler } from './problem.js';
import { auditRoutes } from './routes/audit.js';
import { bankFileRoutes } from './routes/bank-files.js';
import { batchRoutes } from './routes/batches.js';
import { clientAdminRoutes } from './routes/client-admin.js';
import { clientRoutes } from './routes/clients.js';
import { gemeenteRoutes } from './routes/gemeenten.js';
import { monitorRoutes } from './routes/monitor.js';
import { noodvoorzieningRoutes } from './routes/noodvoorziening.js';
import { paymentRoutes } from './routes/payments.js';
import { statementRoutes } from './routes/statements.js';
import { maatwerkRoutes } from './routes/maatwerk.js';
import { statusReportRoutes } from './routes/status-reports.js';
import { queueDashboard } from './routes/queues.js';
import { suspenseRoutes } from './routes/suspense.js';
import { webhookRoutes } from './routes/webhooks.js';
import { STRICT_WEBHOOKS, type WebhookSettings } from '../webhooks/index.js';
import type { Queue } from 'bullmq';
import type { BsnKeys } from '../clients/bsn-keys.js';

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
  /** Hands an approved batch's release to the `release` queue; without it the release runs in the request. */
  readonly submitRelease?: (batchId: bigint, releasedBy: string) => Promise<void>;
  /** The BullMQ queues shown in the dashboard at /admin/queues (only with Redis). */
  readonly queues?: readonly Queue[];
  /** The BSN keys for registering clients (null: a BSN can be neither stored nor looked up). */
  readonly bsnKeys?: BsnKeys | null;
  /** The clock for "today" in statements and signals (tests set it). */
  readonly now?: () => Date;
  /** Where organisation webhooks may point (ONTZORG_WEBHOOK_ALLOW_LOCAL); default strict: https to public addresses only. */
  readonly webhooks?: WebhookSettings;
}

/** A route and the right it needs (null: open, such as /healthz, or guarded in its own way). */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly action: Action | null;
}

const tables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route of an app built by `buildApp`, with the right it needs: what the role tests walk through. */
export function routeTable(app: FastifyInstance): readonly RouteEntry[] {
  return tables.get(app) ?? [];
}

const notConfigured: TokenVerifier = () => Promise.reject(new AuthError('auth_not_configured', 'sign-in is not configured on this server (AUTH_JWKS_URL or AUTH_JWT_SECRET)'));

/** The HTTP door: health, the API per capability (authorised per route), OpenAPI at /docs, problem+json errors. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // A field the route does not know is refused with its name, not dropped: a misspelt setting
    // silently ignored is worse for a back office than an error.
    ajv: { customOptions: { removeAdditional: false } },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
    },
  });
  registerProblemHandler(app);
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (options) => {
    const hooks = [options.onRequest ?? []].flat() as unknown[];
    const guard = hooks.find((hook): hook is { action: Action } => typeof hook === 'function' && 'action' in hook);
    for (const method of [options.method].flat()) if (method !== 'HEAD') routes.push({ method, url: options.url, action: guard?.action ?? null });
  });
  tables.set(app, routes);
  await app.register(swagger, {
    openapi: {
      info: { title: 'ontzorg API', version: '1', description: 'Payment engine for financieel ontzorgen (art. 56a Participatiewet). Errors are application/problem+json; codes in docs/errors.md. Writes accept an Idempotency-Key header.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const readAudit = new ReadAudits(deps.db);
  // Every read audited so far is committed before the database goes.
  app.addHook('onClose', () => readAudit.close());
  const context = { app, db: deps.db, verify: deps.verify ?? notConfigured, readAudit };
  const ingestLater = deps.submitIngest ?? (async (fileId: bigint) => void (await ingestBankFile(deps.db, fileId, deps.planOptions ?? {})));
  bankFileRoutes({ ...context, submitIngest: ingestLater, ...(deps.planOptions ? { planOptions: deps.planOptions } : {}) });
  suspenseRoutes({ ...context, now: deps.now ?? (() => new Date()) });
  batchRoutes({ ...context, outboxDir: deps.outboxDir ?? './out/outbox', ...(deps.submitRelease ? { submitRelease: deps.submitRelease } : {}) });
  statusReportRoutes(context);
  paymentRoutes(context);
  auditRoutes(context);
  const now = deps.now ?? (() => new Date());
  clientRoutes({ ...context, now });
  clientAdminRoutes({ ...context, bsnKeys: deps.bsnKeys ?? null });
  gemeenteRoutes({ ...context, now: deps.now ?? (() => new Date()) });
  statementRoutes({ ...context, now });
  monitorRoutes({ ...context, now });
  noodvoorzieningRoutes({ ...context, now });
  maatwerkRoutes({ ...context, now });
  webhookRoutes({ ...context, settings: deps.webhooks ?? STRICT_WEBHOOKS });
  if (deps.queues && deps.queues.length > 0) await queueDashboard(app, context.verify, deps.queues, deps.db);

  app.get('/healthz', { schema: { tags: ['health'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = {};
    // Open to anyone (load balancers, orchestrators): the cause goes to the log, never the driver's text, which
    // can name the database user, host or port.
    try {
      await sql`SELECT 1`.execute(deps.db);
      checks.database = 'ok';
    } catch (error) {
      deps.logger.error({ err: error }, 'readiness: the database is not reachable');
      checks.database = 'unavailable';
    }
    if (deps.redis) {
      try {
        await deps.redis.ping();
        checks.redis = 'ok';
      } catch (error) {
        deps.logger.error({ err: error }, 'readiness: Redis is not reachable');
        checks.redis = 'unavailable';
      }
    } else {
      checks.redis = 'not configured (jobs run inline)';
    }
    const ready = Object.values(checks).every((c) => !c.startsWith('unavailable'));
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  return app;
}
