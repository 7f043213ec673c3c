/**
 * Where a booking's time goes, measured from outside src/: kysely's query log
 * gives each statement's duration (round trip, server work, result parsing);
 * the statements are sorted into the phases of `bookBatch`, and the rest of the
 * wall time is JavaScript (validation, hashing, planning, building the SQL).
 */
import type { LogEvent } from 'kysely';

export const PHASES = [
  'begin',
  'read journal',
  'lock accounts',
  'allocate ids',
  'insert transactions and postings',
  'update balances',
  'commit (WAL flush)',
  'other sql',
] as const;
export type Phase = (typeof PHASES)[number];

export function classify(text: string): Phase {
  const s = text.trimStart().slice(0, 400).toLowerCase();
  if (text.trimEnd().toLowerCase().endsWith('for update')) return 'lock accounts';
  if (s === 'begin' || s.startsWith('start transaction')) return 'begin';
  if (s === 'commit') return 'commit (WAL flush)';
  if (s.includes('for update')) return 'lock accounts';
  if (s.includes('nextval')) return 'allocate ids';
  if (/^with written as \(\s*insert into "?ledger_transaction"? /.test(s)) return 'insert transactions and postings';
  if (s.startsWith('update account')) return 'update balances';
  if (s.startsWith('select') && /\bledger_(transaction|posting)\b/.test(s)) return 'read journal';
  return 'other sql';
}

export class PhaseProfile {
  readonly ms = new Map<Phase, number>();
  readonly count = new Map<Phase, number>();
  enabled = false;

  readonly log = (event: LogEvent): void => {
    if (!this.enabled) return;
    const phase = classify(event.query.sql);
    this.ms.set(phase, (this.ms.get(phase) ?? 0) + event.queryDurationMillis);
    this.count.set(phase, (this.count.get(phase) ?? 0) + 1);
  };

  sqlMs(): number {
    let total = 0;
    for (const v of this.ms.values()) total += v;
    return total;
  }
}
