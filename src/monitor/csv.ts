import type { GemeenteMonitor } from './monitor.js';

/**
 * The monitor for the back office as CSV, one row per month under a header row. The same choices as the
 * statement CSV (src/statements/render-csv.ts), for the same spreadsheet programs: semicolons, amounts
 * and percentages as plain decimals with a point, CRLF, UTF-8 with a byte-order mark. An empty field
 * means "nothing to measure" (no rent due, no suspense item), never zero.
 */
export const MONITOR_CSV_HEADER = [
  'gemeente',
  'month',
  'client_months',
  'new_clients',
  'ended_clients',
  'maatwerk_full_opt_out',
  'maatwerk_partial',
  'maatwerk_hand_over_plan',
  'maatwerk_revoked',
  'noodvoorzieningen',
  'noodvoorzieningen_amount',
  'noodvoorzieningen_advances',
  'noodvoorzieningen_gifts',
  'noodvoorzieningen_recovered',
  'rent_due',
  'rent_on_time',
  'rent_on_time_percent',
  'returns',
  'returns_amount',
  'clients_in_arrears',
  'suspense_assigned',
  'suspense_average_wait_days',
  'suspense_max_wait_days',
  'suspense_open_at_month_end',
  'suspense_open_average_age_days',
  'suspense_open_max_age_days',
] as const;

const cell = (value: string | number | null): string => (value === null ? '' : String(value));

export function renderMonitorCsv(monitor: GemeenteMonitor): string {
  const rows = [MONITOR_CSV_HEADER.join(';')];
  for (const m of monitor.months) {
    rows.push(
      [
        monitor.gemeente.id,
        m.month,
        m.clientMonths,
        m.newClients,
        m.endedClients,
        m.maatwerk.fullOptOut,
        m.maatwerk.partial,
        m.maatwerk.handOverPlan,
        m.maatwerk.revoked,
        m.noodvoorzieningen.count,
        m.noodvoorzieningen.amount,
        m.noodvoorzieningen.advances,
        m.noodvoorzieningen.gifts,
        m.noodvoorzieningen.recovered,
        m.rent.due,
        m.rent.onTime,
        m.rent.onTimePercent,
        m.returns.count,
        m.returns.amount,
        m.arrears.clients,
        m.suspense.assigned,
        m.suspense.averageWaitDays,
        m.suspense.maxWaitDays,
        m.suspense.openAtMonthEnd,
        m.suspense.openAverageAgeDays,
        m.suspense.openMaxAgeDays,
      ]
        .map(cell)
        .join(';'),
    );
  }
  return `\ufeff${rows.join('\r\n')}\r\n`;
}
