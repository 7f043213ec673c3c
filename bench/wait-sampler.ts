/**
 * What a database's PostgreSQL backends were doing during a load, sampled every few milliseconds on a
 * connection of its own, beside the machine's run queue: for reading, after the load, what happened in
 * the windows where requests stalled (backends on the CPU, waiting for a lock or I/O, or not running at
 * all while more processes wanted a core than there were).
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';

const one = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export interface WaitSample {
  /** Epoch milliseconds. */
  readonly at: number;
  /** How late this sample was against its schedule (the sampler's own stall). */
  readonly lateMs: number;
  /** Runnable processes on the machine (`procs_running` of /proc/stat), the sampler included. */
  readonly running: number;
  /** The database's backends in state active, and what each waited on (`CPU` when on none). */
  readonly waits: readonly string[];
}

function runQueue(): number {
  const match = /procs_running (\d+)/.exec(readFileSync('/proc/stat', 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * Samples the backends of the database `url` names, from a connection to the `postgres` database: the sampler's own
 * queries then count in none of the bench database's figures (its backends' CPU is what the bench reports).
 */
export async function startWaitSampler(url: string, everyMs = 10): Promise<{ stop(): Promise<WaitSample[]> }> {
  const admin = new URL(url);
  const database = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  const samples: WaitSample[] = [];
  let running = true;
  const loop = (async () => {
    let due = Date.now();
    while (running) {
      const at = Date.now();
      const queue = runQueue();
      const { rows } = await client.query<{ wait: string }>(
        `SELECT coalesce(wait_event_type || ':' || wait_event, 'CPU') AS wait FROM pg_stat_activity WHERE datname = $1 AND state = 'active'`,
        [database],
      );
      samples.push({ at, lateMs: Math.max(0, at - due), running: queue, waits: rows.map((r) => r.wait) });
      due = Math.max(due + everyMs, Date.now());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - Date.now())));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      await client.end();
      return samples;
    },
  };
}

/** One line about the samples between two moments (epoch ms). */
export function describeWaits(samples: readonly WaitSample[], from: number, to: number): string {
  const inside = samples.filter((s) => s.at >= from && s.at < to);
  if (inside.length === 0) return 'no samples';
  const counts = new Map<string, number>();
  for (const s of inside) for (const w of s.waits) counts.set(w, (counts.get(w) ?? 0) + 1);
  const active = inside.map((s) => s.waits.length);
  const queue = inside.map((s) => s.running);
  const avg = (xs: readonly number[]) => one.format(xs.reduce((a, b) => a + b, 0) / xs.length);
  const waits = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([w, n]) => `${w} ${n}`).join(', ');
  return `${inside.length} samples, sampler late ≤ ${Math.max(...inside.map((s) => s.lateMs))} ms, run queue avg ${avg(queue)} max ${Math.max(...queue)}, active backends avg ${avg(active)} max ${Math.max(...active)}; waits: ${waits || 'none'}`;
}
