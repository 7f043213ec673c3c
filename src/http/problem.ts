import type { FastifyError, FastifyInstance } from 'fastify';
import { AuthError } from '../auth/principal.js';
import { LedgerError, LedgerRefusal } from '../ledger/errors.js';
import { IdempotencyKeyInProgress, IdempotencyKeyReused } from './idempotency.js';
import { InvalidAmount } from '../money/money.js';
import { ALLOCATION_ERRORS, AllocationFailed } from '../allocation/errors.js';
import { AllocationError } from '../allocation/types.js';
import { BsnError } from '../clients/bsn.js';
import { CLIENT_RULE_ERRORS } from '../clients/errors.js';
import { CatalogueError } from '../errors.js';
import { ObligationRefused } from '../clients/obligation-rules.js';
import { PeriodRefused } from '../clients/periods.js';

/** RFC 9457 problem details; `type` points at the catalogue of error codes in docs/errors.md. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
}

const STATUS_BY_LEDGER_CODE: Record<string, number> = {
  invalid_request: 400,
  unknown_account: 404,
  duplicate_with_different_content: 409,
  pending_not_found: 404,
  transaction_not_found: 404,
  not_a_pending_transfer: 409,
  pending_already_posted: 409,
  pending_already_voided: 409,
  amount_exceeds_pending: 422,
  not_reversible: 409,
  already_reversed: 409,
  account_conflict: 409,
};

export function toProblem(error: unknown): Problem {
  const problem = (status: number, code: string, title: string, detail: string): Problem => ({
    type: `https://ontzorg.example/errors#${code}`,
    title,
    status,
    detail,
    code,
  });
  if (error instanceof LedgerRefusal) return problem(422, error.code, 'Booking refused', error.message);
  if (error instanceof LedgerError) return problem(STATUS_BY_LEDGER_CODE[error.code] ?? 400, error.code, 'Booking not accepted', error.message);
  if (error instanceof InvalidAmount) return problem(400, error.code, 'Invalid amount', error.message);
  if (error instanceof AuthError) {
    const status = error.code === 'forbidden' ? 403 : error.code === 'auth_not_configured' ? 503 : 401;
    return problem(status, error.code, status === 403 ? 'Not allowed' : 'Sign-in needed', error.message);
  }
  if (error instanceof IdempotencyKeyReused) return problem(422, error.code, 'Idempotency-Key already used', error.message);
  if (error instanceof IdempotencyKeyInProgress) return problem(409, error.code, 'Request still being handled', error.message);
  // Every capability's catalogue (payments, bank files, clients, batch, statements, monitor, maatwerk, noodvoorziening, webhooks).
  if (error instanceof CatalogueError) return problem(error.status, error.code, error.title, error.message);
  if (error instanceof PeriodRefused || error instanceof ObligationRefused || error instanceof BsnError) {
    return problem(CLIENT_RULE_ERRORS[error.code].status, error.code, 'Refused by a rule of ontzorgen', error.message);
  }
  if (error instanceof AllocationError || error instanceof AllocationFailed) return problem(ALLOCATION_ERRORS[error.code].status, error.code, 'Allocation failed', error.message);
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return problem(400, 'validation_failed', 'Invalid request', fastifyError.message ?? 'the request is not valid');
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return problem(fastifyError.statusCode, fastifyError.code?.toLowerCase() ?? 'bad_request', 'Request not accepted', fastifyError.message ?? '');
  }
  return problem(500, 'internal_error', 'Something went wrong', 'The service could not complete the request. Nothing was changed; try again or contact the administrator with the request id.');
}

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const problem = { ...toProblem(error), instance: request.id };
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply.code(problem.status).type('application/problem+json').send(problem);
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({ type: 'https://ontzorg.example/errors#not_found', title: 'Not found', status: 404, detail: `There is nothing at ${request.method} ${request.url}.`, code: 'not_found', instance: request.id }),
  );
}
