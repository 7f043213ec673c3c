import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import { registerProblemHandler } from './problem.js';

export interface AppDependencies {
  readonly db: Kysely<Database>;
  /** Absent in the embedded mode, where the daily jobs run inline (jobs/inline.ts). */
  readonly redis?: Redis;
  readonly logger: Logger;
}

/** The HTTP door. Routes per capability arrive with the API issue; this holds health and the error format. */
export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,64}$/.test(given) ? given : crypto.randomUUID();
    },
  });
  registerProblemHandler(app);

  app.get('/healthz', { schema: { response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } }, async () => ({ status: 'ok' }));

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
