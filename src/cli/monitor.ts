import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Kysely } from 'kysely';
import { ClientError } from '../clients/errors.js';
import type { Database } from '../db/schema.js';
import { gemeenteMonitor, MonitorError, renderMonitorCsv, renderMonitorPage, type GemeenteMonitor } from '../monitor/index.js';

export interface MonitorCommand {
  readonly gemeente: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly format: string | undefined;
  readonly out: string | undefined;
}

const FORMATS = ['text', 'json', 'csv', 'html'] as const;
type Format = (typeof FORMATS)[number];

/**
 * `ontzorg monitor --gemeente GM0505 --from 2026-01 --to 2026-12 [--format text|json|csv|html] [--out file]`:
 * the monitor of one gemeente. Without `--out` it prints (text: a table for the terminal); with it, it
 * writes the file and prints where. Exit 0 done, 1 refused (unknown gemeente, bad period), 2 wrong usage.
 */
export async function runMonitorCli(db: Kysely<Database>, args: MonitorCommand, print: (line: string) => void, asOf?: string): Promise<number> {
  if (!args.gemeente || !/^GM[0-9]{4}$/.test(args.gemeente) || !args.from || !args.to) {
    print('monitor needs --gemeente GMxxxx, --from YYYY-MM and --to YYYY-MM; optionally --format text|json|csv|html and --out FILE');
    return 2;
  }
  const format = (args.format ?? 'text') as Format;
  if (!FORMATS.includes(format)) {
    print(`--format "${args.format}": one of ${FORMATS.join(', ')}`);
    return 2;
  }
  let monitor: GemeenteMonitor;
  try {
    monitor = await gemeenteMonitor(db, { gemeenteId: args.gemeente, from: args.from, to: args.to, ...(asOf ? { asOf } : {}) });
  } catch (error) {
    if (!(error instanceof MonitorError) && !(error instanceof ClientError)) throw error;
    print(`REFUSED (${error.code}): ${error.message}`);
    return 1;
  }
  const text = format === 'json' ? `${JSON.stringify(monitor, null, 2)}\n` : format === 'csv' ? renderMonitorCsv(monitor) : format === 'html' ? renderMonitorPage(monitor) : textTable(monitor);
  if (args.out) {
    const path = resolve(args.out);
    writeFileSync(path, text);
    print(`monitor ${monitor.gemeente.id} ${monitor.from}…${monitor.to} written to ${path}`);
  } else {
    print(text.replace(/\r?\n$/, ''));
  }
  return 0;
}

const COLUMNS: readonly [string, (m: GemeenteMonitor['months'][number]) => string | number | null][] = [
  ['month', (m) => m.month],
  ['clients', (m) => m.clientMonths],
  ['new', (m) => m.newClients],
  ['ended', (m) => m.endedClients],
  ['maatwerk', (m) => m.maatwerk.fullOptOut + m.maatwerk.partial + m.maatwerk.handOverPlan],
  ['revoked', (m) => m.maatwerk.revoked],
  ['nood', (m) => m.noodvoorzieningen.count],
  ['nood €', (m) => m.noodvoorzieningen.amount],
  ['repaid €', (m) => m.noodvoorzieningen.recovered],
  ['rent due', (m) => m.rent.due],
  ['on time %', (m) => m.rent.onTimePercent],
  ['returns', (m) => m.returns.count],
  ['returns €', (m) => m.returns.amount],
  ['arrears', (m) => m.arrears.clients],
  ['susp. assigned', (m) => m.suspense.assigned],
  ['wait avg', (m) => m.suspense.averageWaitDays],
  ['open (all)', (m) => m.suspense.openAtMonthEnd],
];

function textTable(monitor: GemeenteMonitor): string {
  const rows = [COLUMNS.map(([h]) => h), ...monitor.months.map((m) => COLUMNS.map(([, f]) => { const v = f(m); return v === null ? '-' : String(v); }))];
  const widths = COLUMNS.map((_, n) => Math.max(...rows.map((r) => r[n]!.length)));
  const lines = rows.map((r) => r.map((cell, n) => (n === 0 ? cell.padEnd(widths[n]!) : cell.padStart(widths[n]!))).join('  '));
  return [`monitor ${monitor.gemeente.name} (${monitor.gemeente.id}) ${monitor.from}…${monitor.to}, as of ${monitor.asOf}`, ...lines].join('\n');
}
