import { createHash } from 'node:crypto';

/**
 * How fast this machine is right now, on a fixed piece of work: the VM this bench runs on gets
 * faster and slower by up to 2.5× from one hour to the next (the same statement query took 0.68 ms
 * of backend CPU in one run and 1.69 ms in another, on the same data). Printed with every run so
 * two runs can be compared; lower is faster.
 */
export function machineSpeed(): { sha256Ms: number; loopMs: number } {
  const data = Buffer.alloc(64 * 2 ** 20, 7);
  let t = performance.now();
  createHash('sha256').update(data).digest();
  const sha256Ms = performance.now() - t;
  t = performance.now();
  let x = 0;
  for (let i = 0; i < 200_000_000; i++) x = (x * 31 + i) | 0;
  const loopMs = performance.now() - t;
  // Keeps the loop from being optimised away.
  if (x === 42) process.stdout.write('');
  return { sha256Ms, loopMs };
}

export function describeMachineSpeed(): string {
  const { sha256Ms, loopMs } = machineSpeed();
  return `machine speed now (lower is faster): SHA-256 of 64 MiB ${Math.round(sha256Ms)} ms, a 200-million-step integer loop ${Math.round(loopMs)} ms`;
}
