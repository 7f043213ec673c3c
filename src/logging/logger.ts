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

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    base: { service: 'ontzorg' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
