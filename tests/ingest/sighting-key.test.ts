import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { describeOnEachDatabase, migrateTo, refusal } from '../support/db.js';
import { aRegion, bijstand, ingest, journalSize, statementFile } from './region.js';

/** 0033: one index on a sighting, by what it is looked up with, and the rule it kept (one sighting per report). */
describeOnEachDatabase('migration 0033: a sighting is keyed by account and fingerprint first', (handle) => {
  beforeAll(async () => {
    await aRegion(handle().db);
  });

  const sightings = () =>
    handle()
      .db.selectFrom('bank_entry_sighting')
      .select(['file_id', 'report_key', 'report_kind', 'iban', 'fingerprint', 'seen'])
      .orderBy('file_id')
      .orderBy('report_key')
      .orderBy('fingerprint')
      .execute();

  it('has one index, led by account and fingerprint, and refuses a second sighting of a report in one file', async () => {
    const { db } = handle();
    const { rows } = await sql<{ name: string; definition: string }>`
      SELECT indexname AS name, indexdef AS definition FROM pg_indexes WHERE tablename = 'bank_entry_sighting'`.execute(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.name).toBe('bank_entry_sighting_pkey');
    expect(rows[0]!.definition).toContain('(iban, fingerprint, file_id, report_key)');

    const file = statementFile('S-KEY', [bijstand('5.00', 'BIJ-77002', 'K-1'), bijstand('5.00', 'BIJ-77002', 'K-2')]);
    await ingest(db, file);
    // Its entries stand for the new statement's sightings (0034); the statement re-sent is stored as sightings.
    expect(await sightings()).toEqual([]);
    await ingest(db, { ...file, messageId: 'RESENT-KEY' });
    const [first] = await sightings();
    expect(first).toBeDefined();
    const again = refusal(db.insertInto('bank_entry_sighting').values({ ...first!, seen: 2 }).execute());
    expect(await again).toMatchObject({ state: '23505', constraint: 'bank_entry_sighting_pkey' });
  });

  it('counts as before: the same statement again books nothing, and two identical payments stay two', async () => {
    const { db } = handle();
    const twins = statementFile('S-TWINS', [bijstand('7.00', 'BIJ-77002', 'T-1'), bijstand('7.00', 'BIJ-77002', 'T-2')]);
    const before = await journalSize(db);
    expect(await ingest(db, twins)).toMatchObject({ status: 'ingested', summary: { newEntries: 2 } });
    // The same statement re-sent by the bank (another message): every entry already known.
    expect(await ingest(db, { ...twins, messageId: 'RESENT-TWINS' })).toMatchObject({ status: 'ingested', summary: { newEntries: 0, alreadyKnown: 2 } });
    expect(await journalSize(db)).toBe(before + 2);
  });

  it('migrating back to 0032 and forward again keeps every sighting', async () => {
    const { db } = handle();
    // Back to 0033 first: the sightings that entries stood for are rows again.
    expect((await migrateTo(db, '0033_sighting_key_by_fingerprint')).error).toBeUndefined();
    const kept = await sightings();
    expect(kept.length).toBeGreaterThan(0);
    expect((await migrateTo(db, '0032_bank_file_part_nul')).error).toBeUndefined();
    const { rows } = await sql<{ name: string }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'bank_entry_sighting' ORDER BY 1`.execute(db);
    expect(rows.map((r) => r.name)).toEqual(['bank_entry_sighting_fingerprint_idx', 'bank_entry_sighting_pkey']);
    expect(await sightings()).toEqual(kept);
    expect(await migrateToLatest(db)).toContain('0033_sighting_key_by_fingerprint');
    expect(await sightings()).toEqual(kept);
  });
});
