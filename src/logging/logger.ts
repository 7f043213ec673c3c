import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Personal data never reaches a log: names, BSN, IBANs, addresses and free text
 * about clients are censored wherever they appear in a logged object (up to
 * three levels deep), and request bodies and authorisation headers are not logged.
 */
const PERSONAL_FIELDS = [
  'name', 'names', 'firstName', 'lastName', 'fullName', 'bsn', 'iban', 'ibans', 'clientIban', 'debtorIban', 'creditorIban',
  'debtorName', 'creditorName', 'address', 'email', 'phone', 'birthDate', 'dateOfBirth', 'remittance', 'remittanceInformation',
  'authorization', 'cookie', 'body',
];

export const REDACTED_PATHS = PERSONAL_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`, `req.headers.${field}`]);

/**
 * Errors are logged with their fields, and some of those quote the data. PostgreSQL's: `detail` carries the refused row ("Failing row contains
 * (…, J. de Verhuurder, NL69INGB…)") or the conflicting key, `where` and `internalQuery` the values a
 * function worked on. The code, constraint, table and column say what went wrong without them.
 */
const DATA_QUOTING_ERROR_FIELDS = ['detail', 'where', 'internalQuery'] as const;

function errorWithoutData(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown as Record<string, unknown>;
  if (serialized === null || typeof serialized !== 'object') return serialized;
  for (const field of DATA_QUOTING_ERROR_FIELDS) if (field in serialized) serialized[field] = '[redacted]';
  // Drivers hang the failed query on their error: the SQL says where, its parameters are the data.
  if ('params' in serialized) serialized.params = '[redacted]';
  const query = serialized.query as { sql?: unknown; params?: unknown } | undefined;
  if (query && typeof query === 'object') serialized.query = { sql: query.sql, params: '[redacted]' };
  // A data exception (SQLSTATE class 22) quotes the value it refused in its message, and so in the stack:
  // 'invalid input syntax for type integer: "J. de Verhuurder"'.
  if (typeof serialized.code === 'string' && /^22[0-9A-Z]{3}$/.test(serialized.code)) {
    for (const field of ['message', 'stack'] as const) {
      if (typeof serialized[field] === 'string') serialized[field] = (serialized[field] as string).replace(/"[^"\n]*"/g, '"[redacted]"');
    }
  }
  return serialized;
}

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    base: { service: 'ontzorg' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: errorWithoutData, error: errorWithoutData },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
