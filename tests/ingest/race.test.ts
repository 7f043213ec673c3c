import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt } from '../../src/demo/bank-statement.js';
import { ingestBankFile, receiveBankFile } from '../../src/ingest/files.js';
import { freshPostgres } from '../support/db.js';
import { aRegion, available, bijstand, statementFile, type Region } from './region.js';

describe.skipIf(inject('pgUnavailable') !== '')('two uploads of the same entries at once [postgres]', () => {
  let handle: DatabaseHandle;
  let region: Region;
  beforeAll(async () => {
    handle = await freshPostgres();
    region = await aRegion(handle.db);
  });
  afterAll(async () => {
    await handle.close();
  });

  it('books each entry once when a statement and its re-sent copy are ingested concurrently, twice over', async () => {
    const entries = [bijstand('1334.23', 'BIJ-77002', 'R-1'), bijstand('100.00', 'BIJ-77002', 'R-2')];
    const files = await Promise.all(
      ['RACE-A', 'RACE-B', 'RACE-C'].map(async (msg, i) => {
        const bytes = new TextEncoder().encode(writeCamt({ ...statementFile('RACE', entries, { electronicSequence: 1, ...(i > 0 ? { copyDuplicate: 'DUPL' as const } : {}) }), messageId: msg }));
        return inTransaction(handle.db, (trx) => receiveBankFile(trx, { bytes, fileName: `${msg}.xml`, receivedBy: 'op' }));
      }),
    );
    const results = await Promise.all([...files, ...files].map((f) => ingestBankFile(handle.db, f.fileId)));
    expect(results.every((r) => r.status === 'ingested')).toBe(true);
    const newOnes = new Map(results.map((r) => [r.fileId, r.summary!.newEntries]));
    expect([...newOnes.values()].reduce((a, b) => a + b, 0)).toBe(2);
    expect(await available(handle.db, region.dawit)).toBe('1434.23');
  });
});
