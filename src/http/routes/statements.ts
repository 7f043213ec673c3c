import type { FastifyReply, FastifyRequest } from 'fastify';
import { readIsAudited } from '../../auth/audit.js';
import { AuthError, type Principal } from '../../auth/principal.js';
import { canSeeClient } from '../../auth/scope.js';
import { ClientError } from '../../clients/errors.js';
import {
  amsterdamToday,
  chooseLanguage,
  clientStatement,
  LANGUAGE_CODES,
  listSignals,
  pageOfSignals,
  renderStatementCsv,
  renderStatementHtml,
  SIGNAL_KINDS,
  statementPeriod,
  statementView,
  type SignalKind,
} from '../../statements/index.js';
import { authorize, principalOf } from '../auth.js';
import { bearer, errorResponses, idParam, type RouteContext } from './common.js';

export interface StatementRoutes extends RouteContext {
  /** The clock: what "today" (Europe/Amsterdam) is for the default month and for "now". */
  readonly now: () => Date;
}

const money = { type: 'string', pattern: '^-?[0-9]+\\.[0-9]{2}$', description: 'euros as a decimal string, "-720.00" for money out' } as const;
const day = { type: 'string', format: 'date' } as const;

const statementSchema = {
  type: 'object',
  description: 'A client\'s statement in one language. Amounts are decimal strings; the opening balance plus every line gives the closing balance, to the cent.',
  required: ['client', 'period', 'asOf', 'language', 'dir', 'currency', 'openingBalance', 'closingBalance', 'moneyIn', 'moneyOut', 'months', 'heldNow', 'freeNow', 'reserved', 'nextPayments', 'advance'],
  properties: {
    client: {
      type: 'object',
      properties: { id: { type: 'string' }, reference: { type: 'string' }, name: { type: ['string', 'null'] }, gemeente: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } } },
    },
    period: { type: 'object', properties: { from: day, to: day } },
    asOf: { ...day, description: 'the day "now" means for heldNow, freeNow, reserved and nextPayments' },
    language: { type: 'string' },
    dir: { type: 'string', enum: ['ltr', 'rtl'] },
    currency: { type: 'string', enum: ['EUR'] },
    openingBalance: money,
    closingBalance: money,
    moneyIn: money,
    moneyOut: { ...money, description: 'money out in the period, as a positive amount' },
    months: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          month: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}$' }, label: { type: 'string' }, from: day, to: day,
          openingBalance: money, closingBalance: money, moneyIn: money, moneyOut: money,
          lines: {
            type: 'array',
            items: {
              type: 'object',
              properties: { date: day, kind: { type: 'string' }, description: { type: 'string' }, amount: money, balance: money, transactionId: { type: 'string' } },
            },
          },
        },
      },
    },
    heldNow: { ...money, description: 'all money held for the client now (reserved included)' },
    freeNow: { ...money, description: 'of it, what is not reserved' },
    reserved: {
      type: 'object',
      properties: {
        total: money,
        items: { type: 'array', items: { type: 'object', properties: { since: day, kind: { type: ['string', 'null'] }, description: { type: 'string' }, amount: money } } },
      },
    },
    nextPayments: {
      type: 'array',
      items: {
        type: 'object',
        properties: { date: { type: ['string', 'null'], format: 'date' }, kind: { type: 'string' }, description: { type: 'string' }, amount: money, status: { type: 'string', enum: ['planned', 'held', 'reserved', 'waiting', 'expected'] }, statusText: { type: 'string' } },
      },
    },
    maatwerk: {
      description: 'the maatwerk decision in force (or the next one decided) with its hand-over plan, in words; null: none',
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: {
            scope: { type: 'string', enum: ['full_opt_out', 'partial', 'hand_over_plan'] },
            status: { type: 'string', enum: ['in_force', 'scheduled'] },
            effectiveDate: day,
            reviewDate: { type: ['string', 'null'], format: 'date' },
            heading: { type: 'string' },
            summary: { type: 'string' },
            plan: {
              type: 'array',
              items: { type: 'object', properties: { obligationType: { type: 'string' }, payee: { type: 'string' }, handedOverOn: { type: ['string', 'null'], format: 'date' }, text: { type: 'string' } } },
            },
            review: { type: ['string', 'null'] },
          },
        },
      ],
    },
    advance: {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: {
            lent: money,
            repaid: money,
            open: money,
            recoveredInPeriod: money,
            explanation: { type: 'string' },
            grantedOn: { type: ['string', 'null'], format: 'date' },
            instalment: { type: ['string', 'null'], description: 'what each leefgeld payment repays now' },
            handedOverOn: { type: ['string', 'null'], format: 'date', description: 'ontzorgen ended with the advance open; the gemeente took the rest over as a claim' },
            terms: { type: 'array', items: { type: 'string' }, description: 'rule 11 in plain words: when, how much, that it is a loan, the instalment' },
          },
        },
      ],
    },
  },
} as const;

const statementQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    from: { ...day, description: 'first day (default: the first day of the month of `to`, or of this month)' },
    to: { ...day, description: 'last day (default: the last day of the month of `from`, or of this month); at most 24 months after `from`' },
    lang: { type: 'string', enum: LANGUAGE_CODES, description: 'language of the descriptions and labels; default from Accept-Language, else nl' },
    format: { type: 'string', enum: ['json', 'html', 'csv'], default: 'json', description: 'json; html (printable, one A4 per month); csv (back office: semicolon-separated, amounts as 123.45)' },
  },
} as const;

const statementResponses = {
  200: {
    description: 'The statement',
    content: {
      'application/json': { schema: statementSchema },
      'text/html': { schema: { type: 'string', description: 'printable page, one A4 per month' } },
      'text/csv': { schema: { type: 'string', description: 'one row per statement line; semicolon-separated, UTF-8 with BOM' } },
    },
  },
  ...errorResponses,
} as const;

interface StatementQuery {
  from?: string;
  to?: string;
  lang?: string;
  format: 'json' | 'html' | 'csv';
}

export function statementRoutes({ app, db, verify, now, readAudit }: StatementRoutes): void {
  async function answer(request: FastifyRequest, reply: FastifyReply, principal: Principal, clientId: bigint) {
    const q = request.query as StatementQuery;
    const today = amsterdamToday(now());
    const period = statementPeriod(q, today);
    const messages = chooseLanguage(q.lang, request.headers['accept-language']);
    // Another gemeente's or another caseworker's client answers exactly as a client that does not exist.
    const notFound = () => new ClientError('client_not_found', `there is no client ${clientId} in your gemeenten`);
    // canSeeClient's rule; for the back office and the client it is checked on the statement's own
    // gemeente, which saves a round trip on the hot path (tests/http/clients.test.ts holds every role to it).
    if (principal.role === 'caseworker' && !(await canSeeClient(db, principal, clientId))) throw notFound();
    if (principal.role === 'client' && principal.clientId !== clientId) throw notFound();
    const statement = await clientStatement(db, clientId, { ...period, asOf: today });
    if (!statement) throw notFound();
    if (principal.role !== 'caseworker' && principal.role !== 'client' && !principal.gemeenten.includes(statement.client.gemeenteId)) throw notFound();
    if (readIsAudited(principal)) {
      await readAudit.record(principal, {
        action: 'statement.read',
        subject: `client/${clientId}`,
        gemeenteId: statement.client.gemeenteId,
        clientId,
        requestId: request.id,
        details: { from: period.from, to: period.to, format: q.format, language: messages.language.code },
      });
    }
    const view = statementView(statement, messages);
    // Personal data: never cached on the way; the language follows the request.
    reply.header('cache-control', 'private, no-store').header('content-language', messages.language.code).header('vary', 'accept-language');
    if (q.format === 'html') {
      return reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
        .header('x-content-type-options', 'nosniff')
        .send(renderStatementHtml(view, messages, today));
    }
    if (q.format === 'csv') {
      const name = `statement-${statement.client.reference.replace(/[^A-Za-z0-9.-]/g, '_')}-${period.from}-${period.to}.csv`;
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}"`).send(renderStatementCsv(view));
    }
    return reply.type('application/json; charset=utf-8').send(view);
  }

  app.get(
    '/api/clients/:id/statement',
    {
      onRequest: authorize(verify, 'statements:read'),
      schema: {
        tags: ['statements'],
        summary: 'A client\'s statement for a period (default: this calendar month) as JSON, printable HTML or CSV',
        description: 'Opening balance, every movement with a plain description and the running balance, closing balance; what is set aside now and for what; the next payments; an open emergency advance. A client you may not see answers 404, as one that does not exist. Reads by caseworkers are audited.',
        security: bearer,
        params: idParam,
        querystring: statementQuery,
        response: statementResponses,
      },
    },
    async (request, reply) => answer(request, reply, principalOf(request), BigInt((request.params as { id: string }).id)),
  );

  app.get(
    '/api/me/statement',
    {
      onRequest: authorize(verify, 'statements:own'),
      schema: {
        tags: ['statements'],
        summary: 'Your own statement (the client role), as JSON, printable HTML or CSV',
        description: 'The same statement as /api/clients/{id}/statement, for the client named in the token. Every read is audited.',
        security: bearer,
        querystring: statementQuery,
        response: statementResponses,
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.clientId === null) throw new AuthError('forbidden', 'this token names no client');
      return answer(request, reply, principal, principal.clientId);
    },
  );

  app.get(
    '/api/signals',
    {
      onRequest: authorize(verify, 'signals:read'),
      schema: {
        tags: ['signals'],
        summary: 'What needs attention for your clients: arrears, returned payments, the end of the ontzorg period, emergency advances, maatwerk decisions and their reviews',
        description: 'Caseworkers see their own (and their team\'s) clients; the back office its gemeenten. Open problems are listed whatever their age; events for `sinceDays`. Newest first. Reads by caseworkers are audited per client listed.',
        security: bearer,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            kind: { type: 'string', enum: SIGNAL_KINDS },
            gemeente: { type: 'string', pattern: '^GM[0-9]{4}$' },
            sinceDays: { type: 'integer', minimum: 1, maximum: 366, default: 30, description: 'how far back payments and decisions are listed' },
            lang: { type: 'string', enum: LANGUAGE_CODES, description: 'nl (default) or en; other languages answer in English' },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            after: { type: 'string', maxLength: 400, description: 'the `next` cursor of the previous page' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    id: { type: 'string' },
                    kind: { type: 'string', enum: SIGNAL_KINDS },
                    date: day,
                    client: { type: 'object', properties: { id: { type: 'string' }, reference: { type: 'string' }, gemeenteId: { type: 'string' } } },
                    message: { type: 'string' },
                    details: { type: 'object', additionalProperties: { type: ['string', 'null'] } },
                  },
                },
              },
              next: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const q = request.query as { kind?: SignalKind; gemeente?: string; sinceDays: number; lang?: string; limit: number; after?: string };
      const chosen = chooseLanguage(q.lang, request.headers['accept-language']).language.code;
      const all = await listSignals(db, principal, {
        asOf: amsterdamToday(now()),
        sinceDays: q.sinceDays,
        language: chosen === 'nl' ? 'nl' : 'en',
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.gemeente ? { gemeente: q.gemeente } : {}),
      });
      const page = pageOfSignals(all, q.limit, q.after);
      if (readIsAudited(principal)) {
        const clients = new Map(page.items.map((s) => [s.client.id, s.client.gemeenteId]));
        const perClient = new Map<string, number>();
        for (const s of page.items) perClient.set(s.client.id, (perClient.get(s.client.id) ?? 0) + 1);
        await readAudit.record(
          principal,
          ...[...clients].map(([clientId, gemeenteId]) => ({ action: 'signals.read', subject: `client/${clientId}`, gemeenteId, clientId: BigInt(clientId), requestId: request.id, details: { signals: perClient.get(clientId) ?? 0 } })),
        );
      }
      return page;
    },
  );
}
