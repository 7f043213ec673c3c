import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

/** A running profile of this process; `stop` writes it to its file (open it in Chrome's DevTools). */
export interface ProfileToFile {
  stop(): Promise<void>;
}

/** A CPU profile written to `file` when stopped; nothing when `file` is unset. */
export async function cpuProfileTo(file: string | undefined): Promise<ProfileToFile | undefined> {
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Sampled allocations (including what garbage collection freed since) written to `file` when stopped. */
export async function heapProfileTo(file: string | undefined): Promise<ProfileToFile | undefined> {
  if (!file) return undefined;
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', { samplingInterval: 65_536, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  return {
    async stop() {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
