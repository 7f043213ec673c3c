/**
 * CPU time, because wall time lies on a shared machine: this process (which is
 * also the whole database on PGlite) from process.cpuUsage(), and the PostgreSQL
 * backends serving the bench database from /proc/<pid>/stat (same machine only;
 * elsewhere the server part reads as unknown). WAL writer, checkpointer and the
 * disk are not counted.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { ADMIN_URL } from './db.js';

export const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU ticks (user + system) of a process on this machine, or undefined when it is gone. */
export function backendTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // after "pid (comm) ": state is field 3, utime 14, stime 15 → indexes 11 and 12 here
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** The database's backends, and the cluster's WAL and checkpoint counters at this moment. */
async function backends(database: string): Promise<{ pids: number[]; wal: WalCounters | undefined }> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    const { rows: wal } = await client.query<{ bytes: string; fpi: string; checkpoints: string }>(
      'SELECT w.wal_bytes::text AS bytes, w.wal_fpi::text AS fpi, (b.checkpoints_timed + b.checkpoints_req)::text AS checkpoints FROM pg_stat_wal w, pg_stat_bgwriter b',
    );
    const counters = wal[0] ? { bytes: Number(wal[0].bytes), fullPages: Number(wal[0].fpi), checkpoints: Number(wal[0].checkpoints) } : undefined;
    return { pids: rows.map((r) => r.pid), wal: counters };
  } finally {
    await client.end();
  }
}

/**
 * WAL written by the whole cluster and checkpoints begun. A page's first change after a checkpoint writes the whole
 * page to the WAL, so the same work costs the backends up to twice the CPU when a checkpoint falls inside a run: that,
 * more than the code, is what moves two runs minutes apart.
 */
export interface WalCounters {
  readonly bytes: number;
  readonly fullPages: number;
  readonly checkpoints: number;
}

export interface CpuMark {
  readonly node: NodeJS.CpuUsage;
  readonly server: Map<number, number>;
  readonly wal?: WalCounters | undefined;
}

export interface CpuSpent {
  readonly nodeMs: number;
  /** NaN when the server is not on this machine. */
  readonly serverMs: number;
  /** What the cluster wrote to its WAL meanwhile (PostgreSQL only). */
  readonly wal?: WalCounters | undefined;
}

export async function cpuMark(database: string | undefined): Promise<CpuMark> {
  const server = new Map<number, number>();
  let wal: WalCounters | undefined;
  if (database) {
    const now = await backends(database);
    wal = now.wal;
    for (const pid of now.pids) {
      const ticks = backendTicks(pid);
      if (ticks !== undefined) server.set(pid, ticks);
    }
  }
  return { node: process.cpuUsage(), server, wal };
}

export async function cpuSince(mark: CpuMark, database: string | undefined): Promise<CpuSpent> {
  const node = process.cpuUsage(mark.node);
  const nodeMs = (node.user + node.system) / 1000;
  if (!database) return { nodeMs, serverMs: 0 };
  let ticks = 0;
  let seen = false;
  const after = await backends(database);
  for (const pid of after.pids) {
    const now = backendTicks(pid);
    if (now === undefined) continue;
    seen = true;
    ticks += now - (mark.server.get(pid) ?? 0);
  }
  const wal =
    mark.wal && after.wal
      ? { bytes: after.wal.bytes - mark.wal.bytes, fullPages: after.wal.fullPages - mark.wal.fullPages, checkpoints: after.wal.checkpoints - mark.wal.checkpoints }
      : undefined;
  return { nodeMs, serverMs: seen ? ticks * TICK_MS : Number.NaN, wal };
}

export function databaseName(url: string | undefined): string | undefined {
  return url ? decodeURIComponent(new URL(url).pathname.slice(1)) : undefined;
}
