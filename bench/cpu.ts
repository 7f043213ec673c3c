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

async function backends(database: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

export interface CpuMark {
  readonly node: NodeJS.CpuUsage;
  readonly server: Map<number, number>;
}

export interface CpuSpent {
  readonly nodeMs: number;
  /** NaN when the server is not on this machine. */
  readonly serverMs: number;
}

export async function cpuMark(database: string | undefined): Promise<CpuMark> {
  const server = new Map<number, number>();
  if (database) {
    for (const pid of await backends(database)) {
      const ticks = backendTicks(pid);
      if (ticks !== undefined) server.set(pid, ticks);
    }
  }
  return { node: process.cpuUsage(), server };
}

export async function cpuSince(mark: CpuMark, database: string | undefined): Promise<CpuSpent> {
  const node = process.cpuUsage(mark.node);
  const nodeMs = (node.user + node.system) / 1000;
  if (!database) return { nodeMs, serverMs: 0 };
  let ticks = 0;
  let seen = false;
  for (const pid of await backends(database)) {
    const now = backendTicks(pid);
    if (now === undefined) continue;
    seen = true;
    ticks += now - (mark.server.get(pid) ?? 0);
  }
  return { nodeMs, serverMs: seen ? ticks * TICK_MS : Number.NaN };
}

export function databaseName(url: string | undefined): string | undefined {
  return url ? decodeURIComponent(new URL(url).pathname.slice(1)) : undefined;
}
