import { audit } from '../../auth/audit.js';
import type { Principal } from '../../auth/principal.js';
import { assignCaseworker, canSeeClient, endCaseworkerAssignment, gemeentenOf } from '../../auth/scope.js';
import type { BsnKeys } from '../../clients/bsn-keys.js';
import { ClientError } from '../../clients/errors.js';
import { recordMachtiging, revokeMachtiging, type Machtiging } from '../../clients/machtigingen.js';
import { OBLIGATION_TYPES, type ObligationType } from '../../clients/obligation-rules.js';
import { addObligation, addVersion, endObligation, type ClientObligation } from '../../clients/obligations.js';
import { endOntzorgen, endPeriodEarly, recordFollowUpPeriod, startStatutoryPeriod, type StoredPeriod } from '../../clients/ontzorg-periods.js';
import type { FollowUpBasis, LegalBasis } from '../../clients/periods.js';
import { HOUSEHOLD_TYPES, registerClient, updateClient, type ClientDetails, type ClientRecord, type ExpectedIncome } from '../../clients/registry.js';
import { firstOpenDueDate } from '../../allocation/run.js';
import { inTransaction, type Trx } from '../../db/transaction.js';
import { Money } from '../../money/money.js';
import { WEEKDAYS, type LeefgeldRhythm } from '../../schedule/index.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, type RouteContext } from './common.js';

/**
 * The back office keeps a client's record: registration and changes, the legal basis of ontzorgen
 * (periods), the fixed costs paid for them (obligations and their versions), the client's signed
 * machtigingen, and which caseworker guides them. Every change is audited (who, when, what — never
 * the personal data itself) and accepts an Idempotency-Key. A client outside your gemeenten answers
 * 404, as one that does not exist.
 */

export interface ClientAdminRoutes extends RouteContext {
  /** The BSN keys; without them a BSN can be neither stored nor looked up (`bsn_keys_missing`). */
  readonly bsnKeys?: BsnKeys | null;
}

const money = { type: 'string', pattern: '^[0-9]{1,9}\\.[0-9]{2}$', description: 'euros with exactly two decimals, e.g. "720.00"' } as const;
const date = { type: 'string', format: 'date' } as const;
const nullableDate = { type: ['string', 'null'], format: 'date' } as const;
const clientIdParam = idParam;
const subParam = (name: string) =>
  ({ type: 'object', properties: { id: idParam.properties.id, [name]: { type: 'string', pattern: '^[0-9]{1,18}$' } }, required: ['id', name] }) as const;

const rhythmSchema = {
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['kind', 'weekday'], properties: { kind: { const: 'weekly' }, weekday: { type: 'string', enum: [...WEEKDAYS] } } },
    { type: 'object', additionalProperties: false, required: ['kind', 'firstDate'], properties: { kind: { const: 'biweekly' }, firstDate: date } },
    { type: 'object', additionalProperties: false, required: ['kind', 'day'], properties: { kind: { const: 'monthly' }, day: { type: 'integer', minimum: 1, maximum: 31 } } },
  ],
} as const;

const INCOME_CLASSES = ['bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other'] as const;

const detailProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200, description: 'as the client writes it (any script)' },
  latinName: { type: ['string', 'null'], maxLength: 200, description: 'as the BRP writes it in Latin letters; what goes to the bank' },
  bsn: { type: ['string', 'null'], maxLength: 20, description: 'checked with the 11-check, stored encrypted, never shown again' },
  ownIban: { type: ['string', 'null'], maxLength: 42 },
  householdType: { type: 'string', enum: [...HOUSEHOLD_TYPES] },
  bijstandStart: date,
  bijstandEnd: nullableDate,
  inburgeringsplichtigWi2021: { type: 'boolean' },
  fixedTermAsylumPermit: { type: 'boolean' },
  toeslagenConsentReference: { type: ['string', 'null'], maxLength: 100, description: 'the reference of the signed consent (rule 6); null: no consent' },
  leefgeldRhythm: rhythmSchema,
  leefgeldFixed: { ...money, type: ['string', 'null'] },
  expectedIncome: {
    type: 'array',
    maxItems: 10,
    items: { type: 'object', additionalProperties: false, required: ['classification', 'monthly'], properties: { classification: { type: 'string', enum: INCOME_CLASSES }, monthly: money } },
  },
  caseNumbers: { type: 'array', maxItems: 10, items: { type: 'string', minLength: 1, maxLength: 35 } },
  toeslagenReference: { type: ['string', 'null'], maxLength: 35 },
} as const;

const recordSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    gemeente: { type: 'string' },
    reference: { type: 'string' },
    registered: { type: 'boolean' },
  },
} as const;

const periodSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, basis: { type: 'string' }, firstDay: date, lastDay: nullableDate, reviewDate: nullableDate, decisionReference: { type: ['string', 'null'] } },
} as const;

const obligationSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    payee: { type: 'string' },
    frequency: { type: 'string' },
    validUntil: nullableDate,
    versions: { type: 'array', items: { type: 'object', properties: { version: { type: 'integer' }, effectiveFrom: date, amount: { type: 'string' }, dueDay: { type: 'integer' }, basis: { type: 'string' } } } },
  },
} as const;

const machtigingSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    documentReference: { type: 'string' },
    signedOn: date,
    validUntil: nullableDate,
    revokedOn: nullableDate,
    payees: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, iban: { type: 'string', description: 'masked but for the last four characters' } } } },
  },
} as const;

const maskIban = (iban: string): string => `${'*'.repeat(Math.max(0, iban.length - 4))}${iban.slice(-4)}`;

function recordView(record: ClientRecord) {
  return { id: record.id.toString(), gemeente: record.gemeenteId, reference: record.reference, registered: true };
}
function periodView(period: StoredPeriod) {
  return { id: period.id.toString(), basis: period.basis, firstDay: period.firstDay, lastDay: period.lastDay, reviewDate: period.reviewDate, decisionReference: period.decisionReference };
}
function obligationView(obligation: ClientObligation) {
  return {
    id: obligation.id,
    type: obligation.type,
    payee: obligation.payee.name,
    frequency: obligation.frequency,
    validUntil: obligation.validUntil,
    versions: obligation.versions.map((v) => ({ version: v.version, effectiveFrom: v.effectiveFrom, amount: v.amount.toString(), dueDay: v.dueDay, basis: v.basis })),
  };
}
function machtigingView(machtiging: Machtiging) {
  return {
    id: machtiging.id.toString(),
    documentReference: machtiging.documentReference,
    signedOn: machtiging.signedOn,
    validUntil: machtiging.validUntil,
    revokedOn: machtiging.revokedOn,
    payees: machtiging.payees.map((p) => ({ name: p.name, iban: maskIban(p.iban) })),
  };
}

type DetailsBody = {
  name?: string;
  latinName?: string | null;
  bsn?: string | null;
  ownIban?: string | null;
  householdType?: ClientDetails['householdType'];
  bijstandStart?: string;
  bijstandEnd?: string | null;
  inburgeringsplichtigWi2021?: boolean;
  fixedTermAsylumPermit?: boolean;
  toeslagenConsentReference?: string | null;
  leefgeldRhythm?: LeefgeldRhythm;
  leefgeldFixed?: string | null;
  expectedIncome?: { classification: ExpectedIncome['classification']; monthly: string }[];
  caseNumbers?: string[];
  toeslagenReference?: string | null;
};

/** The body's fields as the registry takes them: amounts as Money, absent fields left out. */
function details(body: DetailsBody): Partial<ClientDetails> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (value === undefined) continue;
    if (key === 'leefgeldFixed') out[key] = value === null ? null : Money.parse(value as string);
    else if (key === 'expectedIncome') out[key] = (value as NonNullable<DetailsBody['expectedIncome']>).map((i) => ({ classification: i.classification, monthly: Money.parse(i.monthly) }));
    else out[key] = value;
  }
  return out as Partial<ClientDetails>;
}

/** The client's gemeente when the principal may work on them; 404 otherwise, as for a client that does not exist. */
async function scoped(trx: Trx, principal: Principal, clientId: bigint): Promise<string> {
  const scope = await canSeeClient(trx, principal, clientId);
  if (!scope) throw new ClientError('client_not_found', `there is no client ${clientId} in your gemeenten`);
  return scope.gemeenteId;
}

export function clientAdminRoutes({ app, db, verify, bsnKeys }: ClientAdminRoutes): void {
  const write = authorize(verify, 'clients:write');
  const keys = bsnKeys ?? null;

  /** One audited change to one client, in one transaction, answering 200 or 201 with `body`. */
  const change = <T>(request: Parameters<typeof principalOf>[0], clientId: bigint, action: string, work: (trx: Trx, gemeenteId: string) => Promise<{ subject: string; body: T; details?: Record<string, unknown> }>, status = 200) =>
    inTransaction(db, async (trx) => {
      const principal = principalOf(request);
      const gemeenteId = await scoped(trx, principal, clientId);
      const result = await work(trx, gemeenteId);
      await audit(trx, principal, { action, subject: result.subject, gemeenteId, clientId, requestId: request.id, ...(result.details ? { details: result.details } : {}) });
      return { status, body: result.body };
    });

  app.post(
    '/api/clients',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'Register a client (or bring a registration with the same reference up to date)',
        description: 'The BSN is checked (11-check), stored encrypted and never shown again. Registering the same client again changes nothing.',
        security: bearer,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['gemeente', 'reference', 'name', 'householdType', 'bijstandStart', 'inburgeringsplichtigWi2021', 'fixedTermAsylumPermit'],
          properties: { gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' }, reference: { type: 'string', minLength: 1, maxLength: 35 }, ...detailProperties },
        },
        response: { 201: recordSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const { gemeente, reference, ...rest } = request.body as DetailsBody & { gemeente: string; reference: string };
        if (!gemeentenOf(principal).includes(gemeente)) throw new ClientError('gemeente_not_found', `gemeente ${gemeente} is not one of your gemeenten`);
        const record = await inTransaction(db, async (trx) => {
          const registered = await registerClient(trx, { ...(details(rest) as ClientDetails), gemeenteId: gemeente, reference }, keys);
          await audit(trx, principal, { action: 'client.register', subject: `client/${registered.id}`, gemeenteId: gemeente, clientId: registered.id, requestId: request.id });
          return registered;
        });
        return { status: 201, body: recordView(record) };
      }),
  );

  app.patch(
    '/api/clients/:id',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'Change a client\'s record; fields left out keep their value',
        description: 'The audit log records which fields changed, never their values.',
        security: bearer,
        params: clientIdParam,
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties: detailProperties },
        response: { 200: recordSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const clientId = BigInt((request.params as { id: string }).id);
        const body = request.body as DetailsBody;
        return change(request, clientId, 'client.update', async (trx) => ({
          subject: `client/${clientId}`,
          body: recordView(await updateClient(trx, clientId, details(body), keys)),
          details: { fields: Object.keys(body).sort() },
        }));
      }),
  );

  app.post(
    '/api/clients/:id/periods',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'Record the legal basis of ontzorgen: the statutory art. 56a period, or a follow-up period (art. 57, voluntary, budgetbeheer)',
        description: 'Rule 1: an art. 56a period only for a client recorded as inburgeringsplichtig (Wi2021) with a fixed-term asylum permit; it runs six months from the first day of bijstand. Rule 2: a follow-up needs its decision reference and a review date.',
        security: bearer,
        params: clientIdParam,
        body: {
          oneOf: [
            { type: 'object', additionalProperties: false, required: ['basis'], properties: { basis: { const: 'art56a' } } },
            {
              type: 'object',
              additionalProperties: false,
              required: ['basis', 'firstDay', 'reviewDate', 'decisionReference'],
              properties: { basis: { type: 'string', enum: ['art57', 'voluntary', 'budgetbeheer'] }, firstDay: date, lastDay: nullableDate, reviewDate: date, decisionReference: { type: 'string', minLength: 1, maxLength: 100 } },
            },
          ],
        },
        response: { 201: periodSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const clientId = BigInt((request.params as { id: string }).id);
        const body = request.body as { basis: LegalBasis; firstDay?: string; lastDay?: string | null; reviewDate?: string; decisionReference?: string };
        return change(
          request,
          clientId,
          'period.record',
          async (trx) => {
            const period =
              body.basis === 'art56a'
                ? await startStatutoryPeriod(trx, clientId)
                : await recordFollowUpPeriod(trx, clientId, { basis: body.basis as FollowUpBasis, firstDay: body.firstDay!, lastDay: body.lastDay ?? null, reviewDate: body.reviewDate!, decisionReference: body.decisionReference! });
            return { subject: `ontzorg_period/${period.id}`, body: periodView(period), details: { basis: period.basis } };
          },
          201,
        );
      }),
  );

  app.post(
    '/api/clients/:id/periods/:periodId/end',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'End a period early (consent revoked, bijstand ended): recorded next to the decision, never an edit',
        security: bearer,
        params: subParam('periodId'),
        body: { type: 'object', additionalProperties: false, required: ['lastDay', 'reason'], properties: { lastDay: date, reason: { type: 'string', minLength: 3, maxLength: 500 } } },
        response: { 200: periodSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const params = request.params as { id: string; periodId: string };
        const clientId = BigInt(params.id);
        const periodId = BigInt(params.periodId);
        const body = request.body as { lastDay: string; reason: string };
        return change(request, clientId, 'period.end', async (trx) => {
          const owner = await trx.selectFrom('ontzorg_period').select('client_id').where('id', '=', periodId).executeTakeFirst();
          if (!owner || owner.client_id !== clientId) throw new ClientError('period_not_found', `client ${clientId} has no ontzorg period ${periodId}`);
          return { subject: `ontzorg_period/${periodId}`, body: periodView(await endPeriodEarly(trx, periodId, body.lastDay, body.reason)) };
        });
      }),
  );

  app.post(
    '/api/clients/:id/end-ontzorgen',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'End ontzorgen for a client (rule 12): what is due up to the last day is paid, the rest goes to the client, running obligations are handed back',
        security: bearer,
        params: clientIdParam,
        body: { type: 'object', additionalProperties: false, required: ['lastDay', 'reason'], properties: { lastDay: date, reason: { type: 'string', minLength: 3, maxLength: 500 } } },
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, ontzorgenEndsOn: date } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const clientId = BigInt((request.params as { id: string }).id);
        const body = request.body as { lastDay: string; reason: string };
        return change(request, clientId, 'client.end_ontzorgen', async (trx) => {
          await endOntzorgen(trx, clientId, body.lastDay, body.reason);
          return { subject: `client/${clientId}`, body: { id: clientId.toString(), ontzorgenEndsOn: body.lastDay } };
        });
      }),
  );

  const payeeSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'iban'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 140 },
      iban: { type: 'string', minLength: 15, maxLength: 42 },
      reference: { type: ['object', 'null'], additionalProperties: false, required: ['kind', 'value'], properties: { kind: { type: 'string', enum: ['unstructured', 'CUR', 'ISO'] }, value: { type: 'string', minLength: 1, maxLength: 100 } } },
    },
  } as const;

  app.post(
    '/api/clients/:id/obligations',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'Record a fixed cost paid for the client (rent, gas, electricity, water, basic premium, …) with its first version',
        description: 'Rule 3: under art. 56a only rent, gas, electricity, water and the basic health premium; other costs need an art. 57, voluntary or budgetbeheer basis in force.',
        security: bearer,
        params: clientIdParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type', 'payee', 'effectiveFrom', 'amount', 'dueDay', 'basis'],
          properties: {
            type: { type: 'string', enum: [...OBLIGATION_TYPES] },
            frequency: { type: 'string', enum: ['monthly', 'quarterly'] },
            payee: payeeSchema,
            description: { type: ['string', 'null'], minLength: 1, maxLength: 140, description: 'what the payment is for, as the remittance shows it (1–140 characters)' },
            effectiveFrom: date,
            amount: money,
            dueDay: { type: 'integer', minimum: 1, maximum: 31 },
            basis: { type: 'string', enum: ['art56a', 'art57', 'voluntary', 'budgetbeheer'] },
          },
        },
        response: { 201: obligationSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const clientId = BigInt((request.params as { id: string }).id);
        const body = request.body as {
          type: ObligationType;
          frequency?: 'monthly' | 'quarterly';
          payee: { name: string; iban: string; reference?: { kind: 'unstructured' | 'CUR' | 'ISO'; value: string } | null };
          description?: string | null;
          effectiveFrom: string;
          amount: string;
          dueDay: number;
          basis: LegalBasis;
        };
        const principal = principalOf(request);
        return change(
          request,
          clientId,
          'obligation.add',
          async (trx) => {
            const obligation = await addObligation(trx, clientId, {
              type: body.type,
              ...(body.frequency ? { frequency: body.frequency } : {}),
              payee: { name: body.payee.name, iban: body.payee.iban, reference: body.payee.reference ?? null },
              description: body.description ?? null,
              firstVersion: { effectiveFrom: body.effectiveFrom, amount: Money.parse(body.amount), dueDay: body.dueDay, basis: body.basis },
              recordedBy: principal.userId,
            });
            return { subject: `obligation/${obligation.id}`, body: obligationView(obligation), details: { type: body.type, basis: body.basis } };
          },
          201,
        );
      }),
  );

  app.post(
    '/api/clients/:id/obligations/:obligationId/versions',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'A change in a fixed cost (a new energy advance, next year\'s premium, a rent on a new basis) from its effective date; history is never edited',
        description: 'A change may not reach behind the first due date not yet reserved or paid (history_is_not_rewritten).',
        security: bearer,
        params: subParam('obligationId'),
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['effectiveFrom', 'amount'],
          properties: { effectiveFrom: date, amount: money, dueDay: { type: 'integer', minimum: 1, maximum: 31 }, basis: { type: 'string', enum: ['art56a', 'art57', 'voluntary', 'budgetbeheer'] } },
        },
        response: { 200: obligationSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const params = request.params as { id: string; obligationId: string };
        const clientId = BigInt(params.id);
        const obligationId = BigInt(params.obligationId);
        const body = request.body as { effectiveFrom: string; amount: string; dueDay?: number; basis?: LegalBasis };
        const principal = principalOf(request);
        return change(request, clientId, 'obligation.version', async (trx) => {
          await ownObligation(trx, clientId, obligationId);
          const notBefore = await firstOpenDueDate(trx, obligationId);
          const obligation = await addVersion(
            trx,
            obligationId,
            { effectiveFrom: body.effectiveFrom, amount: Money.parse(body.amount), ...(body.dueDay ? { dueDay: body.dueDay } : {}), ...(body.basis ? { basis: body.basis } : {}), recordedBy: principal.userId },
            notBefore ? { notBefore } : {},
          );
          return { subject: `obligation/${obligationId}`, body: obligationView(obligation) };
        });
      }),
  );

  app.post(
    '/api/clients/:id/obligations/:obligationId/end',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'End a fixed cost (contract ended, handed back to the client): nothing falls due after its last day',
        security: bearer,
        params: subParam('obligationId'),
        body: { type: 'object', additionalProperties: false, required: ['lastDay'], properties: { lastDay: date } },
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, validUntil: date } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const params = request.params as { id: string; obligationId: string };
        const clientId = BigInt(params.id);
        const obligationId = BigInt(params.obligationId);
        const { lastDay } = request.body as { lastDay: string };
        return change(request, clientId, 'obligation.end', async (trx) => {
          await ownObligation(trx, clientId, obligationId);
          await endObligation(trx, obligationId, lastDay);
          return { subject: `obligation/${obligationId}`, body: { id: obligationId.toString(), validUntil: lastDay } };
        });
      }),
  );

  app.post(
    '/api/clients/:id/machtigingen',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'Record the client\'s signed machtiging for the payees it names (rule 4: no payment to a third party without one)',
        security: bearer,
        params: clientIdParam,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['documentReference', 'signedOn', 'payees'],
          properties: {
            documentReference: { type: 'string', minLength: 1, maxLength: 100 },
            signedOn: date,
            validUntil: nullableDate,
            payees: { type: 'array', minItems: 1, maxItems: 20, items: { type: 'object', additionalProperties: false, required: ['name', 'iban'], properties: { name: { type: 'string', minLength: 1, maxLength: 140 }, iban: { type: 'string', minLength: 15, maxLength: 42 } } } },
          },
        },
        response: { 201: machtigingSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const clientId = BigInt((request.params as { id: string }).id);
        const body = request.body as { documentReference: string; signedOn: string; validUntil?: string | null; payees: { name: string; iban: string }[] };
        return change(
          request,
          clientId,
          'machtiging.record',
          async (trx) => {
            const machtiging = await recordMachtiging(trx, clientId, body);
            return { subject: `machtiging/${machtiging.id}`, body: machtigingView(machtiging), details: { payees: body.payees.length } };
          },
          201,
        );
      }),
  );

  app.post(
    '/api/clients/:id/machtigingen/:machtigingId/revoke',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'The client revokes a machtiging: payments to its payees stop from that day, their money stays reserved, the back office is signalled',
        security: bearer,
        params: subParam('machtigingId'),
        body: { type: 'object', additionalProperties: false, required: ['revokedOn', 'reason'], properties: { revokedOn: date, reason: { type: 'string', minLength: 3, maxLength: 500 } } },
        response: { 200: machtigingSchema, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const params = request.params as { id: string; machtigingId: string };
        const clientId = BigInt(params.id);
        const machtigingId = BigInt(params.machtigingId);
        const body = request.body as { revokedOn: string; reason: string };
        return change(request, clientId, 'machtiging.revoke', async (trx) => {
          const row = await trx.selectFrom('machtiging').select(['client_id', 'document_reference']).where('id', '=', machtigingId).executeTakeFirst();
          if (!row || row.client_id !== clientId) throw new ClientError('machtiging_not_found', `client ${clientId} has no machtiging ${machtigingId}`);
          return { subject: `machtiging/${machtigingId}`, body: machtigingView(await revokeMachtiging(trx, clientId, row.document_reference, body)) };
        });
      }),
  );

  app.post(
    '/api/clients/:id/caseworkers',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'Assign the client to a caseworker or a team of a guiding organisation (Vluchtelingenwerk): they may then read the client\'s statement',
        security: bearer,
        params: clientIdParam,
        body: assignmentBody,
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, organisation: { type: 'string' } } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const clientId = BigInt((request.params as { id: string }).id);
        const body = request.body as { organisation: string; caseworker?: string; team?: string };
        return change(request, clientId, 'client.assign_caseworker', async (trx) => {
          await assignCaseworker(trx, { clientId, organisation: body.organisation, ...(body.caseworker ? { caseworkerId: body.caseworker } : {}), ...(body.team ? { team: body.team } : {}) });
          return { subject: `client/${clientId}`, body: { id: clientId.toString(), organisation: body.organisation } };
        });
      }),
  );

  app.post(
    '/api/clients/:id/caseworkers/end',
    {
      onRequest: write,
      schema: {
        tags: ['client records'],
        summary: 'End a caseworker\'s or team\'s assignment to the client (the guidance stopped): from now on they cannot read the client\'s statement, and their organisation gets no more of the client\'s signals',
        security: bearer,
        params: clientIdParam,
        body: assignmentBody,
        response: { 200: { type: 'object', properties: { id: { type: 'string' }, organisation: { type: 'string' }, ended: { type: 'integer' } } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const clientId = BigInt((request.params as { id: string }).id);
        const body = request.body as { organisation: string; caseworker?: string; team?: string };
        return change(request, clientId, 'client.end_caseworker', async (trx) => {
          const ended = await endCaseworkerAssignment(trx, { clientId, organisation: body.organisation, ...(body.caseworker ? { caseworkerId: body.caseworker } : {}), ...(body.team ? { team: body.team } : {}) });
          if (ended === 0) throw new ClientError('assignment_not_found', `client ${clientId} has no open assignment to ${body.caseworker ? `caseworker ${body.caseworker}` : `team ${body.team ?? ''}`} of ${body.organisation}`);
          return { subject: `client/${clientId}`, body: { id: clientId.toString(), organisation: body.organisation, ended } };
        });
      }),
  );
}

/** Who a client is assigned to: a caseworker or a team of a guiding organisation. */
const assignmentBody = {
  type: 'object',
  additionalProperties: false,
  required: ['organisation'],
  anyOf: [{ required: ['caseworker'] }, { required: ['team'] }],
  properties: { organisation: { type: 'string', minLength: 2, maxLength: 200 }, caseworker: { type: 'string', minLength: 1, maxLength: 200 }, team: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

async function ownObligation(trx: Trx, clientId: bigint, obligationId: bigint): Promise<void> {
  const row = await trx.selectFrom('obligation').select('client_id').where('id', '=', obligationId).executeTakeFirst();
  if (!row || row.client_id !== clientId) throw new ClientError('obligation_not_found', `client ${clientId} has no obligation ${obligationId}`);
}

