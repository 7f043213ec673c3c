import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBatchCli } from '../../src/batch/cli.js';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { freshPGlite } from '../support/db.js';
import { aClient, aServiceRegion, bankCredits, bijstandFor, singleAdultObligations } from './support.js';

describe('ontzorg batch --date [--gemeente] [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await freshPGlite();
    await aServiceRegion(handle.db);
    const client = await aClient(handle.db, { obligations: singleAdultObligations('2026-04-01') });
    await bankCredits(handle.db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
  });
  afterAll(async () => handle.close());

  it('runs every gemeente with a policy and prints the report, one line per part', async () => {
    const lines: string[] = [];
    expect(await runBatchCli(handle.db, { date: '2026-03-26', gemeente: undefined, user: 'tester' }, (line) => lines.push(line))).toBe(0);
    expect(lines[0]).toBe('GM0505 2026-03-26: 1 clients, payments executed 2026-03-26…2026-03-27');
    expect(lines.join('\n')).toContain('leefgeld: 1 (€ 62.04)');
    expect(lines.join('\n')).toContain('batches awaiting approval: 1');
    expect(lines.at(-1)).toMatch(/^ {2}1 instruction\(s\) and 1 batch\(es\) created by this run, in \d+\.\d s$/);
  });

  it('says what is wrong with the arguments (exit 2), and names a gemeente without a policy (exit 1)', async () => {
    const lines: string[] = [];
    expect(await runBatchCli(handle.db, { date: '26-03-2026', gemeente: undefined, user: 't' }, (line) => lines.push(line))).toBe(2);
    expect(await runBatchCli(handle.db, { date: '2026-03-26', gemeente: 'Dordrecht', user: 't' }, (line) => lines.push(line))).toBe(2);
    expect(await runBatchCli(handle.db, { date: '2026-03-26', gemeente: 'GM0642', user: 't' }, (line) => lines.push(line))).toBe(1);
    expect(lines.at(-1)).toContain('FAILED (gemeente_policy_missing)');
  });
});
