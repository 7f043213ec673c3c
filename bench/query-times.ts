import type { LogEvent } from 'kysely';

/**
 * Wall time per kind of statement (its first words), as kysely saw it from sent to answered: what the server spends
 * per kind of statement, and what is left for node. Statements are counted only while `on`.
 */
export class QueryTimes {
  on = false;
  private readonly kinds = new Map<string, { count: number; ms: number }>();

  constructor(private readonly width = 110) {}

  /** For kysely's `log` option. */
  readonly log = (event: LogEvent): void => {
    if (!this.on || event.level !== 'query') return;
    const kind = event.query.sql.replace(/\s+/g, ' ').trim().slice(0, this.width);
    const seen = this.kinds.get(kind) ?? { count: 0, ms: 0 };
    seen.count += 1;
    seen.ms += event.queryDurationMillis;
    this.kinds.set(kind, seen);
  };

  clear(): void {
    this.kinds.clear();
  }

  get statements(): number {
    return [...this.kinds.values()].reduce((sum, k) => sum + k.count, 0);
  }

  get totalMs(): number {
    return [...this.kinds.values()].reduce((sum, k) => sum + k.ms, 0);
  }

  /** The `n` kinds that took the most time, slowest first. */
  top(n: number): { kind: string; count: number; ms: number }[] {
    return [...this.kinds.entries()]
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, n)
      .map(([kind, k]) => ({ kind, ...k }));
  }
}
