import { audit } from '../../auth/audit.js';
import { inTransaction } from '../../db/transaction.js';
import { bankFileResult, previewBankFile, receiveBankFile, undoBankFile } from '../../ingest/files.js';
import type { PlanOptions } from '../../ingest/plan.js';
import { authorize, principalOf } from '../auth.js';
import { idempotent } from '../idempotency.js';
import { bearer, errorResponses, idParam, page, pageQuery, type RouteContext } from './common.js';

const MAX_UPLOAD = 100 * 1024 * 1024;

const summary = {
  type: 'object',
  additionalProperties: true,
  properties: {
    statements: { type: 'integer' }, entriesInFile: { type: 'integer' }, bookEntries: { type: 'integer' }, notBooked: { type: 'integer' },
    newEntries: { type: 'integer' }, alreadyKnown: { type: 'integer' }, exceptions: { type: 'integer' }, toClients: { type: 'integer' },
    toSuspense: { type: 'integer' }, settlements: { type: 'integer' }, returns: { type: 'integer' }, credited: { type: 'string' }, debited: { type: 'string' },
  },
} as const;
const alert = { type: 'object', properties: { code: { type: 'string' }, severity: { type: 'string', enum: ['error', 'warning'] }, message: { type: 'string' } } } as const;
const fileResult = {
  type: 'object',
  properties: {
    fileId: { type: 'string' }, status: { type: 'string', enum: ['received', 'ingested', 'refused', 'undone'] }, messageName: { type: ['string', 'null'] },
    summary: { anyOf: [summary, { type: 'null' }] }, alerts: { type: 'array', items: alert },
    error: { anyOf: [{ type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, additionalProperties: true }, { type: 'null' }] },
  },
} as const;

export interface BankFileRoutes extends RouteContext {
  /** Hands a received file to the `ingest` queue (or runs it inline in the embedded mode). */
  readonly submitIngest: (fileId: bigint) => Promise<void>;
  readonly planOptions?: PlanOptions;
}

export function bankFileRoutes({ app, db, verify, submitIngest, planOptions }: BankFileRoutes): void {
  for (const type of ['application/xml', 'text/xml', 'application/octet-stream']) {
    if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: MAX_UPLOAD }, (_req, body, done) => done(null, body));
  }

  app.post(
    '/api/bank-files',
    {
      bodyLimit: MAX_UPLOAD,
      onRequest: authorize(verify, 'bank_files:upload'),
      schema: {
        tags: ['bank files'],
        summary: 'Upload a bank statement (camt.053 / camt.054); it is ingested in the background',
        description: 'Send the file as the request body (application/xml). Answers 202 with the file id; GET the id for status, counts and alerts. The same bytes again answer the first upload.',
        security: bearer,
        querystring: { type: 'object', properties: { fileName: { type: 'string', maxLength: 255 } } },
        response: { 202: { type: 'object', properties: { fileId: { type: 'string' }, sha256: { type: 'string' }, status: { type: 'string' }, alreadyReceived: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const bytes = request.body as Buffer;
        const { fileName } = request.query as { fileName?: string };
        const received = await inTransaction(db, async (trx) => {
          const r = await receiveBankFile(trx, { bytes, fileName: fileName ?? 'upload.xml', receivedBy: principal.userId });
          await audit(trx, principal, { action: 'bank_file.upload', subject: `bank_file/${r.fileId}`, requestId: request.id, details: { bytes: bytes.length, alreadyReceived: r.alreadyReceived } });
          return r;
        });
        // Also when the same bytes come again and still wait: a first hand-over that failed (the queue
        // unreachable, the process stopped) must not leave the file unbooked for ever. Ingestion is
        // idempotent and the queue's job id is the file's, so a second hand-over books nothing twice.
        if (received.status === 'received') await submitIngest(received.fileId);
        return { status: 202, body: { fileId: received.fileId.toString(), sha256: received.sha256, status: received.status, alreadyReceived: received.alreadyReceived } };
      }),
  );

  app.post(
    '/api/bank-files/preview',
    {
      bodyLimit: MAX_UPLOAD,
      onRequest: authorize(verify, 'bank_files:upload'),
      schema: {
        tags: ['bank files'],
        summary: 'What uploading this file would do (new, already known, to suspense, warnings); nothing is written',
        security: bearer,
        response: { 200: { type: 'object', properties: { summary, alerts: { type: 'array', items: alert }, alreadyReceived: { type: 'boolean' } } }, ...errorResponses },
      },
    },
    async (request) => previewBankFile(db, request.body as Buffer, planOptions),
  );

  app.get(
    '/api/bank-files',
    {
      onRequest: authorize(verify, 'bank_files:read'),
      schema: {
        tags: ['bank files'],
        summary: 'Uploaded bank files, newest first',
        security: bearer,
        querystring: { type: 'object', properties: { status: { type: 'string', enum: ['received', 'ingested', 'refused', 'undone'] }, ...pageQuery } },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, fileName: { type: 'string' }, status: { type: 'string' }, receivedAt: { type: 'string' }, receivedBy: { type: 'string' }, sha256: { type: 'string' }, bytes: { type: 'string' } } } },
              next: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { status, limit, after } = request.query as { status?: 'ingested'; limit: number; after?: string };
      let query = db.selectFrom('bank_file').select(['id', 'file_name', 'status', 'received_at', 'received_by', 'sha256', 'byte_size']).orderBy('id', 'desc').limit(limit);
      if (status) query = query.where('status', '=', status);
      if (after) query = query.where('id', '<', BigInt(after));
      const rows = await query.execute();
      return page(
        rows.map((r) => ({ id: r.id.toString(), fileName: r.file_name, status: r.status, receivedAt: r.received_at.toISOString(), receivedBy: r.received_by, sha256: r.sha256, bytes: r.byte_size.toString() })),
        limit,
      );
    },
  );

  app.get(
    '/api/bank-files/:id',
    { onRequest: authorize(verify, 'bank_files:read'), schema: { tags: ['bank files'], summary: 'Status, counts and alerts of an uploaded file', security: bearer, params: idParam, response: { 200: fileResult, ...errorResponses } } },
    async (request) => bankFileResult(db, BigInt((request.params as { id: string }).id)),
  );

  app.post(
    '/api/bank-files/:id/undo',
    {
      onRequest: authorize(verify, 'bank_files:undo'),
      schema: {
        tags: ['bank files'],
        summary: 'Undo an ingested file by reversal; it can be ingested again afterwards',
        security: bearer,
        params: idParam,
        body: { type: 'object', properties: { reason: { type: 'string', minLength: 3, maxLength: 500 } }, required: ['reason'], additionalProperties: false },
        response: { 200: fileResult, ...errorResponses },
      },
    },
    async (request, reply) =>
      idempotent(db, request, reply, async () => {
        const principal = principalOf(request);
        const id = BigInt((request.params as { id: string }).id);
        const { reason } = request.body as { reason: string };
        const result = await undoBankFile(db, id, { user: principal.userId, reason });
        await audit(db, principal, { action: 'bank_file.undo', subject: `bank_file/${id}`, requestId: request.id, details: { reason } });
        return { status: 200, body: result };
      }),
  );
}
