import type { FastifyRequest } from 'fastify';
import { auditMany } from '../../auth/audit.js';
import { gemeentenOf } from '../../auth/scope.js';
import { ClientError } from '../../clients/errors.js';
import { inTransaction } from '../../db/transaction.js';
import { SIGNAL_KINDS } from '../../statements/index.js';
import {
  checkedWebhookUrl,
  listDeliveries,
  redeliverNotice,
  removeWebhook,
  setWebhook,
  webhookOf,
  type Delivery,
  type NoticeStatus,
  type WebhookConfig,
  type WebhookSettings,
} from '../../webhooks/index.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, page, pageQuery, type RouteContext } from './common.js';

/**
 * An organisation's webhook for caseworker signals (issue 7): set, read and remove it, list its
 * deliveries, redeliver one. Administrators only, and only for a webhook whose gemeenten are all
 * theirs (another answers 404, as if it did not exist). The secret is taken, never answered: the
 * answer says only that one is set. Every change is audited once per gemeente the webhook covers,
 * with the host it sends to but never the secret or the full URL.
 */
export interface WebhookRoutes extends RouteContext {
  readonly settings: WebhookSettings;
}

const orgParam = { type: 'object', properties: { org: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['org'] } as const;
const noticeParam = { type: 'object', properties: { org: { type: 'string', minLength: 1, maxLength: 100 }, id: { type: 'string', pattern: '^[0-9]{1,18}$' } }, required: ['org', 'id'] } as const;
const NOTICE_STATUSES = ['pending', 'delivered', 'failed', 'cancelled'] as const;
const dateTime = { type: 'string', format: 'date-time' } as const;

const webhookSchema = {
  type: 'object',
  properties: {
    organisation: { type: 'string' },
    url: { type: 'string' },
    active: { type: 'boolean' },
    kinds: { type: 'array', items: { type: 'string', enum: SIGNAL_KINDS } },
    gemeenten: { type: 'array', items: { type: 'string' } },
    secretSet: { type: 'boolean', description: 'whether a signing secret is set; the secret itself is never answered' },
    secretChangedAt: dateTime,
    createdAt: dateTime,
    createdBy: { type: 'string' },
    updatedAt: dateTime,
    updatedBy: { type: 'string' },
  },
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    eventId: { type: 'string' },
    signalKind: { type: 'string' },
    clientId: { type: 'string' },
    gemeente: { type: 'string' },
    aroseOn: { type: 'string', format: 'date' },
    recordedAt: dateTime,
    status: { type: 'string', enum: NOTICE_STATUSES },
    round: { type: 'integer' },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    deliveredAt: { type: ['string', 'null'], format: 'date-time' },
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
    lastStatusCode: { type: ['integer', 'null'] },
    lastError: { type: ['string', 'null'] },
    log: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          round: { type: 'integer' },
          attempt: { type: 'integer' },
          startedAt: dateTime,
          durationMs: { type: 'integer' },
          statusCode: { type: ['integer', 'null'] },
          outcome: { type: 'string', enum: ['delivered', 'retry', 'failed'] },
          error: { type: ['string', 'null'] },
          responseExcerpt: { type: ['string', 'null'], description: 'at most 200 characters of the receiver\'s answer' },
        },
      },
    },
  },
} as const;

function webhookView(webhook: WebhookConfig) {
  return {
    organisation: webhook.organisation,
    url: webhook.url,
    active: webhook.active,
    kinds: webhook.kinds,
    gemeenten: webhook.gemeenten,
    secretSet: webhook.secretSet,
    secretChangedAt: webhook.secretChangedAt.toISOString(),
    createdAt: webhook.createdAt.toISOString(),
    createdBy: webhook.createdBy,
    updatedAt: webhook.updatedAt.toISOString(),
    updatedBy: webhook.updatedBy,
  };
}

function deliveryView(d: Delivery) {
  return {
    id: d.id.toString(),
    eventId: d.eventId,
    signalKind: d.signalKind,
    clientId: d.clientId.toString(),
    gemeente: d.gemeenteId,
    aroseOn: d.aroseOn,
    recordedAt: d.recordedAt.toISOString(),
    status: d.status,
    round: d.round,
    attempts: d.attempts,
    nextAttemptAt: d.nextAttemptAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    finishedAt: d.finishedAt?.toISOString() ?? null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    log: d.log.map((a) => ({ ...a, startedAt: a.startedAt.toISOString() })),
  };
}

/** The host only: a receiver's URL can hold its own token in the path or query. */
function hostOf(url: string): string {
  return new URL(url).host;
}

interface WebhookBody {
  url: string;
  secret?: string;
  active?: boolean;
  kinds?: string[];
  gemeenten: string[];
}

export function webhookRoutes({ app, db, verify, settings }: WebhookRoutes): void {
  const orgOf = (request: FastifyRequest) => (request.params as { org: string }).org;
  const audited = (request: FastifyRequest, gemeenten: readonly string[], action: string, subject: string, details: Record<string, unknown>, clientId?: bigint) =>
    gemeenten.map((gemeenteId) => ({ action, subject, gemeenteId, requestId: request.id, details, ...(clientId !== undefined ? { clientId } : {}) }));

  app.get(
    '/api/organisations/:org/webhook',
    {
      onRequest: authorize(verify, 'webhooks:manage'),
      schema: {
        tags: ['webhooks'],
        summary: 'An organisation\'s webhook for caseworker signals: where notices go, which kinds and gemeenten, whether it is on (never the secret)',
        security: bearer,
        params: orgParam,
        response: { 200: webhookSchema, ...errorResponses },
      },
    },
    async (request) => webhookView(await webhookOf(db, orgOf(request), gemeentenOf(principalOf(request)))),
  );

  app.put(
    '/api/organisations/:org/webhook',
    {
      onRequest: authorize(verify, 'webhooks:manage'),
      schema: {
        tags: ['webhooks'],
        summary: 'Set an organisation\'s webhook: an https URL on the internet, the signing secret (needed for a new webhook; left out, it stays), on or off, which signal kinds (default all), which gemeenten\' clients',
        description:
          'Each notice says only that a signal of a kind arose for a client (its internal id) in a gemeente, with links into this API; no name, BSN, IBAN or amount. Requests are signed (HMAC-SHA256 over "<timestamp>.<body>", see the README). The URL must be https:// and resolve only to public addresses. Switched off, notices wait and are sent once it is on again. 201 when created. Audited per gemeente.',
        security: bearer,
        params: orgParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['url', 'gemeenten'],
          properties: {
            url: { type: 'string', minLength: 8, maxLength: 2000 },
            secret: { type: 'string', minLength: 32, maxLength: 200, pattern: '^[\\x21-\\x7e]+$', description: '32–200 printable characters without spaces; write-only' },
            active: { type: 'boolean', default: true },
            kinds: { type: 'array', items: { type: 'string', enum: SIGNAL_KINDS }, minItems: 1, uniqueItems: true },
            gemeenten: { type: 'array', items: { type: 'string', pattern: '^GM[0-9]{4}$' }, minItems: 1, maxItems: 100, uniqueItems: true },
          },
        },
        response: { 200: webhookSchema, 201: webhookSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const organisation = orgOf(request);
        const body = request.body as WebhookBody;
        const mine = gemeentenOf(principal);
        const foreign = body.gemeenten.find((g) => !mine.includes(g));
        if (foreign !== undefined) throw new ClientError('gemeente_not_found', `gemeente ${foreign} is not one of your gemeenten`);
        // Resolving the host takes a network round trip: before the transaction, not inside it.
        const url = await checkedWebhookUrl(body.url, settings);
        const change = await inTransaction(db, async (trx) => {
          const done = await setWebhook(trx, organisation, { url, gemeenten: body.gemeenten, ...(body.secret !== undefined ? { secret: body.secret } : {}), ...(body.active !== undefined ? { active: body.active } : {}), ...(body.kinds ? { kinds: body.kinds } : {}) }, { by: principal.userId, scope: mine, settings });
          const covered = [...new Set([...(done.before?.gemeenten ?? []), ...done.webhook.gemeenten])].sort();
          const details = {
            host: hostOf(done.webhook.url),
            urlChanged: done.before !== null && done.before.url !== done.webhook.url,
            active: done.webhook.active,
            kinds: done.webhook.kinds,
            gemeenten: done.webhook.gemeenten,
            secretChanged: done.secretChanged,
          };
          await auditMany(trx, principal, audited(request, covered, done.before ? 'webhook.change' : 'webhook.create', `organisation/${organisation}/webhook`, details));
          return done;
        });
        return { status: change.before ? 200 : 201, body: webhookView(change.webhook) };
      }),
  );

  app.delete(
    '/api/organisations/:org/webhook',
    {
      onRequest: authorize(verify, 'webhooks:manage'),
      schema: {
        tags: ['webhooks'],
        summary: 'Remove an organisation\'s webhook: its secret is forgotten, nothing more is sent, waiting notices are cancelled (to pause instead, PUT it with "active": false)',
        description: 'The deliveries stay recorded. Setting a webhook again later sends the signals current then. Audited per gemeente.',
        security: bearer,
        params: orgParam,
        response: { 200: { type: 'object', properties: { organisation: { type: 'string' }, removed: { type: 'boolean' }, cancelled: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const organisation = orgOf(request);
        const { cancelled } = await inTransaction(db, async (trx) => {
          const removed = await removeWebhook(trx, organisation, { by: principal.userId, scope: gemeentenOf(principal) });
          await auditMany(trx, principal, audited(request, removed.webhook.gemeenten, 'webhook.remove', `organisation/${organisation}/webhook`, { host: hostOf(removed.webhook.url), cancelled: removed.cancelled }));
          return removed;
        });
        return { status: 200, body: { organisation, removed: true, cancelled } };
      }),
  );

  app.get(
    '/api/organisations/:org/webhook/deliveries',
    {
      onRequest: authorize(verify, 'webhooks:manage'),
      schema: {
        tags: ['webhooks'],
        summary: 'The webhook\'s deliveries, newest first: each signal notice with its status and every attempt (status code, duration, a short excerpt of the answer)',
        description: 'Failed ones (a 4xx answer, or every attempt used up) can be redelivered.',
        security: bearer,
        params: orgParam,
        querystring: { type: 'object', additionalProperties: false, properties: { status: { type: 'string', enum: NOTICE_STATUSES }, ...pageQuery } },
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: deliverySchema }, next: { type: ['string', 'null'] } } }, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query as { status?: NoticeStatus; limit: number; after?: string };
      const webhook = await webhookOf(db, orgOf(request), gemeentenOf(principalOf(request)));
      const items = await listDeliveries(db, webhook.id, { limit: q.limit, ...(q.status ? { status: q.status } : {}), ...(q.after ? { after: BigInt(q.after) } : {}) });
      return page(items.map(deliveryView), q.limit);
    },
  );

  app.post(
    '/api/organisations/:org/webhook/deliveries/:id/redeliver',
    {
      onRequest: authorize(verify, 'webhooks:manage'),
      schema: {
        tags: ['webhooks'],
        summary: 'Send a delivery again, as a new round of attempts with the same event id (a failed one once the receiver is fixed, or one the receiver lost)',
        description: 'A delivery still pending is left as it is: asking twice starts one round. Audited.',
        security: bearer,
        params: noticeParam,
        response: { 202: deliverySchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const noticeId = BigInt((request.params as { id: string }).id);
        const delivery = await inTransaction(db, async (trx) => {
          const webhook = await webhookOf(trx, orgOf(request), gemeentenOf(principal));
          const { delivery, started } = await redeliverNotice(trx, webhook.id, noticeId);
          if (started) {
            await auditMany(trx, principal, audited(request, [delivery.gemeenteId], 'webhook.redeliver', `webhook-notice/${noticeId}`, { round: delivery.round, signalKind: delivery.signalKind }, delivery.clientId));
          }
          return delivery;
        });
        return { status: 202, body: deliveryView(delivery) };
      }),
  );
}
