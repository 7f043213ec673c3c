import { audit } from '../../auth/audit.js';
import { gemeentenOf } from '../../auth/scope.js';
import { BatchError } from '../../batch/errors.js';
import { batchReport } from '../../batch/run.js';
import { batchRunDays, MAX_RUN_DAYS } from '../../batch/runs.js';
import { addDays } from '../../schedule/index.js';
import { amsterdamToday } from '../../statements/period.js';
import { ClientError } from '../../clients/errors.js';
import { POLICY_PRIORITY_GROUPS, rowToPolicy, setGemeentePolicy, type GemeentePolicy, type PolicySettings } from '../../clients/policy.js';
import { inTransaction } from '../../db/transaction.js';
import { Money } from '../../money/money.js';
import { rowToNoodvoorzieningPolicy, setNoodvoorzieningPolicy, type NoodvoorzieningPolicy } from '../../noodvoorziening/policy.js';
import { BIJSTAND_PAYDAY_RULES } from '../../schedule/index.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, type RouteContext } from './common.js';

/**
 * The gemeenten you work for and their policy settings (the order of reservation, the leefgeld
 * rule and floor, paydays, lead times, the debtor account), and the daily batch's report per
 * gemeente and date. Settings are changed by administrators only; every change is audited.
 */

const gemeenteParam = { type: 'object', properties: { id: { type: 'string', pattern: '^GM[0-9]{4}$' } }, required: ['id'] } as const;

const policyProperties = {
  priority: { type: 'array', items: { type: 'string', enum: [...POLICY_PRIORITY_GROUPS] }, minItems: 5, maxItems: 5, description: 'rule 5: the order of reservation, each group once' },
  leefgeldRule: { type: 'string', enum: ['fixed', 'income_minus_obligations'] },
  leefgeldFloor: { type: 'string', pattern: '^[0-9]{1,6}\\.[0-9]{2}$', description: 'rule 8: the least leefgeld per payment reservations may leave' },
  partialPayment: { type: 'boolean' },
  leadBusinessDays: { type: 'integer', minimum: 1, maximum: 10 },
  bijstandPayday: { type: 'string', enum: [...BIJSTAND_PAYDAY_RULES] },
  paydayAdjust: { type: 'string', enum: ['following', 'preceding'] },
  bookingDelayBusinessDays: { type: 'integer', minimum: 0, maximum: 5 },
  batchTime: { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' },
  lookAheadBusinessDays: { type: 'integer', minimum: 0, maximum: 10 },
  debtorIban: { type: 'string', minLength: 15, maxLength: 42 },
  suspenseAgeDays: { type: 'integer', minimum: 0, maximum: 365 },
} as const;

const policySchema = { type: ['object', 'null'], properties: policyProperties } as const;

const euros = { type: 'string', pattern: '^[0-9]{1,6}\\.[0-9]{2}$' } as const;
const noodProperties = {
  giftsAllowed: { type: 'boolean', description: 'may a noodvoorziening be a gift, or only an advance paid back' },
  maxPerGrant: { ...euros, description: 'the most one grant may be' },
  maxPerPeriod: { ...euros, description: 'the most one client may receive within periodMonths (refused grants do not count)' },
  periodMonths: { type: 'integer', minimum: 1, maximum: 36 },
  fourEyesAbove: { ...euros, description: 'a grant above this needs a second person\'s approval' },
  minimumLeefgeldKept: { ...euros, description: 'rule 11: what a client keeps of each leefgeld payment while an advance is recovered' },
  defaultInstalment: { ...euros, description: 'the instalment per leefgeld payment when a grant names none' },
  openAdvanceAtEnd: { type: 'string', enum: ['settle_from_balance', 'hand_over_as_claim'], description: 'rule 12: an advance still open when ontzorgen ends' },
} as const;
const noodSchema = { type: ['object', 'null'], properties: noodProperties } as const;

function noodView(policy: NoodvoorzieningPolicy) {
  return {
    giftsAllowed: policy.giftsAllowed,
    maxPerGrant: policy.maxPerGrant.toString(),
    maxPerPeriod: policy.maxPerPeriod.toString(),
    periodMonths: policy.periodMonths,
    fourEyesAbove: policy.fourEyesAbove.toString(),
    minimumLeefgeldKept: policy.minimumLeefgeldKept.toString(),
    defaultInstalment: policy.defaultInstalment.toString(),
    openAdvanceAtEnd: policy.openAdvanceAtEnd,
  };
}

function policyView(policy: GemeentePolicy) {
  const { gemeenteId: _id, leefgeldFloor, ...rest } = policy;
  return { ...rest, leefgeldFloor: leefgeldFloor.toString() };
}

export function gemeenteRoutes({ app, db, verify, now }: RouteContext & { readonly now: () => Date }): void {
  app.get(
    '/api/gemeenten',
    {
      onRequest: authorize(verify, 'gemeenten:read'),
      schema: {
        tags: ['gemeenten'],
        summary: 'The gemeenten you work for, with their policy settings (null while none is set: the daily batch does not run for them)',
        security: bearer,
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, clients: { type: 'integer' }, policy: policySchema, noodvoorziening: noodSchema } } } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const mine = gemeentenOf(principalOf(request));
      if (mine.length === 0) return { items: [] };
      const [gemeenten, policies, noods, counts] = await Promise.all([
        db.selectFrom('gemeente').select(['id', 'name']).where('id', 'in', mine).orderBy('id').execute(),
        db.selectFrom('gemeente_policy').selectAll().where('gemeente_id', 'in', mine).execute(),
        db.selectFrom('noodvoorziening_policy').selectAll().where('gemeente_id', 'in', mine).execute(),
        db.selectFrom('client').select(['gemeente_id', db.fn.countAll<string>().as('n')]).where('gemeente_id', 'in', mine).groupBy('gemeente_id').execute(),
      ]);
      const policyOf = new Map(policies.map((row) => [row.gemeente_id, policyView(rowToPolicy(row))]));
      const noodOf = new Map(noods.map((row) => [row.gemeente_id, noodView(rowToNoodvoorzieningPolicy(row))]));
      const countOf = new Map(counts.map((row) => [row.gemeente_id, Number(row.n)]));
      return { items: gemeenten.map((g) => ({ id: g.id, name: g.name, clients: countOf.get(g.id) ?? 0, policy: policyOf.get(g.id) ?? null, noodvoorziening: noodOf.get(g.id) ?? null })) };
    },
  );

  app.put(
    '/api/gemeenten/:id/policy',
    {
      onRequest: authorize(verify, 'policy:write'),
      schema: {
        tags: ['gemeenten'],
        summary: 'Set a gemeente\'s policy: settings left out take our defaults (rent, energy, water, health insurance, other; floor 50.00; …)',
        description: 'The debtor account must be set up for payments. Audited, with the settings given.',
        security: bearer,
        params: gemeenteParam,
        body: { type: 'object', additionalProperties: false, required: ['debtorIban', 'bijstandPayday'], properties: policyProperties },
        response: { 200: { type: 'object', properties: policyProperties }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const gemeenteId = (request.params as { id: string }).id;
        if (!gemeentenOf(principal).includes(gemeenteId)) throw new ClientError('gemeente_not_found', `gemeente ${gemeenteId} is not one of your gemeenten`);
        const body = request.body as Omit<PolicySettings, 'leefgeldFloor'> & { leefgeldFloor?: string };
        const { leefgeldFloor, ...rest } = body;
        const settings: PolicySettings = { ...rest, ...(leefgeldFloor !== undefined ? { leefgeldFloor: Money.parse(leefgeldFloor) } : {}) };
        const policy = await inTransaction(db, async (trx) => {
          const known = await trx.selectFrom('gemeente').select('id').where('id', '=', gemeenteId).executeTakeFirst();
          if (!known) throw new ClientError('gemeente_not_found', `gemeente ${gemeenteId} is not one of your gemeenten`);
          const stored = await setGemeentePolicy(trx, gemeenteId, settings, principal.userId);
          await audit(trx, principal, { action: 'gemeente.policy', subject: `gemeente/${gemeenteId}`, gemeenteId, requestId: request.id, details: { settings: Object.keys(body).sort() } });
          return stored;
        });
        return { status: 200, body: policyView(policy) };
      }),
  );

  app.put(
    '/api/gemeenten/:id/noodvoorziening-policy',
    {
      onRequest: authorize(verify, 'policy:write'),
      schema: {
        tags: ['gemeenten'],
        summary: 'Set a gemeente\'s noodvoorziening policy: gift or advance, the maxima, four eyes, what a client keeps during recovery, what happens to an open advance at the end',
        description: 'Without it the gemeente cannot grant a noodvoorziening. Grants already decided keep what they were decided under. Audited.',
        security: bearer,
        params: gemeenteParam,
        body: { type: 'object', additionalProperties: false, required: Object.keys(noodProperties), properties: noodProperties },
        response: { 200: { type: 'object', properties: noodProperties }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const gemeenteId = (request.params as { id: string }).id;
        if (!gemeentenOf(principal).includes(gemeenteId)) throw new ClientError('gemeente_not_found', `gemeente ${gemeenteId} is not one of your gemeenten`);
        const body = request.body as {
          giftsAllowed: boolean;
          maxPerGrant: string;
          maxPerPeriod: string;
          periodMonths: number;
          fourEyesAbove: string;
          minimumLeefgeldKept: string;
          defaultInstalment: string;
          openAdvanceAtEnd: NoodvoorzieningPolicy['openAdvanceAtEnd'];
        };
        const policy = await inTransaction(db, async (trx) => {
          const stored = await setNoodvoorzieningPolicy(
            trx,
            gemeenteId,
            {
              giftsAllowed: body.giftsAllowed,
              maxPerGrant: Money.parse(body.maxPerGrant),
              maxPerPeriod: Money.parse(body.maxPerPeriod),
              periodMonths: body.periodMonths,
              fourEyesAbove: Money.parse(body.fourEyesAbove),
              minimumLeefgeldKept: Money.parse(body.minimumLeefgeldKept),
              defaultInstalment: Money.parse(body.defaultInstalment),
              openAdvanceAtEnd: body.openAdvanceAtEnd,
            },
            principal.userId,
          );
          await audit(trx, principal, { action: 'gemeente.noodvoorziening_policy', subject: `gemeente/${gemeenteId}`, gemeenteId, requestId: request.id, details: noodView(stored) });
          return stored;
        });
        return { status: 200, body: noodView(policy) };
      }),
  );

  app.get(
    '/api/reports/daily-batch/runs',
    {
      onRequest: authorize(verify, 'batches:read'),
      schema: {
        tags: ['reports'],
        summary: 'Did the daily batch run? Each business day of a range (default the last 14 days), newest first: completed, failed (with its error), running, or not run',
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          required: ['gemeente'],
          properties: { gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' }, from: { type: 'string', format: 'date' }, to: { type: 'string', format: 'date' } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              gemeente: { type: 'string' },
              days: {
                type: 'array',
                maxItems: MAX_RUN_DAYS,
                items: {
                  type: 'object',
                  properties: {
                    runDate: { type: 'string', format: 'date' },
                    status: { type: 'string', enum: ['completed', 'failed', 'running', 'not_run'] },
                    runs: { type: 'integer' },
                    startedAt: { type: ['string', 'null'] },
                    finishedAt: { type: ['string', 'null'] },
                    startedBy: { type: ['string', 'null'] },
                    error: { type: ['string', 'null'] },
                    summary: { type: ['object', 'null'], properties: { batches: { type: 'integer' }, latePayments: { type: 'integer' }, awaitingRetry: { type: 'integer' }, failures: { type: 'integer' } } },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { gemeente, from, to } = request.query as { gemeente: string; from?: string; to?: string };
      if (!gemeentenOf(principalOf(request)).includes(gemeente)) throw new ClientError('gemeente_not_found', `gemeente ${gemeente} is not one of your gemeenten`);
      const today = amsterdamToday(now());
      const until = to ?? today;
      return { gemeente, days: await batchRunDays(db, gemeente, { from: from ?? addDays(until, -13), to: until }, today) };
    },
  );

  app.get(
    '/api/reports/daily-batch',
    {
      onRequest: authorize(verify, 'batches:read'),
      schema: {
        tags: ['reports'],
        summary: 'The daily batch\'s report for a gemeente and date: receipts, reservations, payments, batches, shortfalls and arrears, held payments, periods ending, suspense, failures',
        security: bearer,
        querystring: { type: 'object', additionalProperties: false, required: ['gemeente', 'date'], properties: { gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' }, date: { type: 'string', format: 'date' } } },
        response: { 200: { type: 'object', additionalProperties: true }, ...errorResponses },
      },
    },
    async (request) => {
      const { gemeente, date } = request.query as { gemeente: string; date: string };
      if (!gemeentenOf(principalOf(request)).includes(gemeente)) throw new ClientError('gemeente_not_found', `gemeente ${gemeente} is not one of your gemeenten`);
      const report = await batchReport(db, gemeente, date);
      if (!report) throw new BatchError('report_not_found', `the daily batch of ${gemeente} has not run for ${date}`);
      return report;
    },
  );
}
