import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The monitor's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type MonitorErrorCode = 'invalid_monitor_period';

/** At most three years in one request: the bulk queries stay short, and a longer span is asked for in parts. */
export const MAX_MONITOR_MONTHS = 36;

export const MONITOR_ERRORS: ErrorCatalogue<MonitorErrorCode> = {
  invalid_monitor_period: {
    status: 400,
    description: `The monitor period is not usable: \`from\` and \`to\` must be months written as YYYY-MM, \`from\` on or before \`to\`, at most ${MAX_MONITOR_MONTHS} months.`,
  },
};

export class MonitorError extends CatalogueError<MonitorErrorCode> {
  readonly title = 'Monitor not available';
  protected readonly catalogue = MONITOR_ERRORS;
}
