import { audit } from '../../auth/audit.js';
import { PaymentError } from '../../payments/errors.js';
import { applyStatusReport } from '../../payments/status-reports.js';
import { amsterdamToday } from '../../schedule/index.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, type RouteContext } from './common.js';

const MAX_UPLOAD = 100 * 1024 * 1024;

const alert = { type: 'object', properties: { code: { type: 'string' }, severity: { type: 'string', enum: ['error', 'warning'] }, message: { type: 'string' } } } as const;
const result = {
  type: 'object',
  properties: {
    reportId: { type: 'string' }, messageId: { type: 'string' }, messageName: { type: 'string' }, originalMessageId: { type: 'string' }, batchId: { type: 'string' },
    groupStatus: { type: ['string', 'null'] }, replayed: { type: 'boolean' }, batchRejected: { type: 'boolean' },
    counts: { type: 'object', properties: { accepted: { type: 'integer' }, pending: { type: 'integer' }, rejected: { type: 'integer' }, alreadyRejected: { type: 'integer' }, conflicts: { type: 'integer' } } },
    rejected: { type: 'array', items: { type: 'object', properties: { instructionId: { type: 'string' }, endToEndId: { type: 'string' }, amount: { type: 'string' }, reason: { type: 'string' } } } },
    alerts: { type: 'array', items: alert },
  },
} as const;

/** The bank's pain.002 status reports on our payment files: applied at once (they are small), read back with what they did. */
export function statusReportRoutes({ app, db, verify }: RouteContext): void {
  for (const type of ['application/xml', 'text/xml', 'application/octet-stream']) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD }, (_req, body, done) => done(null, body));
  }

  app.post(
    '/api/status-reports',
    {
      bodyLimit: MAX_UPLOAD,
      onRequest: authorize(verify, 'status_reports:upload'),
      schema: {
        tags: ['payments'],
        summary: 'Apply the bank\'s status report (pain.002.001.03 / .10) on one of our payment files',
        description:
          'Send the file as the request body (application/xml). A rejection gives the refused payments\' money back to their reservations so they can be issued again under new ids; an acceptance is recorded only. The same report again answers its first result (`replayed: true`).',
        security: bearer,
        response: { 200: result, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const bytes = request.body as Buffer;
        // Only a report on a file of the caller's own gemeenten moves money back (another's answers as unknown).
        const applied = await applyStatusReport(db, bytes, { receivedBy: principal.userId, bookingDate: amsterdamToday(new Date()), gemeenten: principal.gemeenten });
        const gemeenteId = (await db.selectFrom('payment_batch').select('gemeente_id').where('id', '=', BigInt(applied.batchId)).executeTakeFirst())?.gemeente_id ?? null;
        await audit(db, principal, { action: 'status_report.upload', subject: `payment_status_report/${applied.reportId}`, gemeenteId, requestId: request.id, details: { bytes: bytes.length, replayed: applied.replayed, rejected: applied.counts.rejected } });
        return { status: 200, body: applied };
      }),
  );

  app.get(
    '/api/status-reports/:id',
    { onRequest: authorize(verify, 'status_reports:read'), schema: { tags: ['payments'], summary: 'A received status report and what it did', security: bearer, params: idParam, response: { 200: result, ...errorResponses } } },
    async (request) => {
      const id = BigInt((request.params as { id: string }).id);
      const row = await db
        .selectFrom('payment_status_report as r')
        .innerJoin('payment_file as f', 'f.message_id', 'r.original_message_id')
        .innerJoin('payment_batch as b', 'b.id', 'f.batch_id')
        .select(['r.result', 'b.gemeente_id'])
        .where('r.id', '=', id)
        .executeTakeFirst();
      // Another gemeente's report answers as one that does not exist.
      if (!row || !principalOf(request).gemeenten.includes(row.gemeente_id)) throw new PaymentError('status_report_not_found', `there is no status report ${id}`);
      return row.result;
    },
  );
}
