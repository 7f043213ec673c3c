import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInlineJobs } from '../../jobs/inline.js';
import { amsterdamWallClock } from '../../src/schedule/index.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { createLogger } from '../../src/logging/logger.js';
import { freshPGlite } from '../support/db.js';

describe('daily jobs inline in the embedded mode', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPGlite();
  });
  afterAll(async () => {
    await handle.close();
  });

  it('reads the wall clock in Amsterdam, summer and winter', () => {
    expect(amsterdamWallClock(new Date('2026-11-25T04:59:30Z'))).toEqual({ date: '2026-11-25', time: '05:59', dateTime: '2026-11-25T05:59:30' });
    expect(amsterdamWallClock(new Date('2026-07-01T04:00:00Z'))).toEqual({ date: '2026-07-01', time: '06:00', dateTime: '2026-07-01T06:00:00' });
    expect(amsterdamWallClock(new Date('2026-12-31T23:30:00Z'))).toEqual({ date: '2027-01-01', time: '00:30', dateTime: '2027-01-01T00:30:00' });
  });

  it('seals and verifies the ledger once per day from 06:00, not before', async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _e, done) => (lines.push(chunk.toString()), done()) });
    const jobs = startInlineJobs({ db: handle.db, logger: createLogger({ level: 'info', destination }), timer: false });
    await jobs.tick(new Date('2026-11-25T04:30:00Z'));
    expect(lines).toHaveLength(0);
    await jobs.tick(new Date('2026-11-25T05:01:00Z'));
    await jobs.tick(new Date('2026-11-25T05:02:00Z'));
    expect(lines.filter((l) => l.includes('ledger verified'))).toHaveLength(1);
    await jobs.tick(new Date('2026-11-26T05:00:00Z'));
    expect(lines.filter((l) => l.includes('ledger verified'))).toHaveLength(2);
    expect(await handle.db.selectFrom('ledger_seal').select('id').execute()).toHaveLength(1);
    jobs.close();
  });
});
