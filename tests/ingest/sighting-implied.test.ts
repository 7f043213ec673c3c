import { sql } from 'kysely';
import { beforeAll, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { SimulatedEntry } from '../../src/demo/bank-statement.js';
import { IngestError } from '../../src/ingest/errors.js';
import { undoBankFile } from '../../src/ingest/files.js';
import { describeOnEachDatabase, migrateTo } from '../support/db.js';
import { aRegion, bijstand, ingest, journalSize, statementFile } from './region.js';

/**
 * 0034: a report's sightings of a fingerprint no report had shown are not stored; the entries it made new stand for
 * them. The counting rule must read them as before, in ingestion and in the undo guard, and `down` must give them
 * back as the rows ingestion used to write.
 */
describeOnEachDatabase('migration 0034: new entries stand for their own sightings', (handle) => {
  beforeAll(async () => {
    await aRegion(handle().db);
  });

  const sightingsOf = (fileId: string) =>
    handle()
      .db.selectFrom('bank_entry_sighting')
      .select(['report_key', 'report_kind', 'iban', 'fingerprint', 'seen'])
      .where('file_id', '=', BigInt(fileId))
      .orderBy('report_key')
      .orderBy('fingerprint')
      .execute();
  const impliedOf = async (fileId: string) =>
    (await handle().db.selectFrom('bank_entry').select('sighting_implied').where('file_id', '=', BigInt(fileId)).orderBy('id').execute()).map((e) => e.sighting_implied);

  // Two identical payments under two references, one payment without any, and one of another amount.
  const noRef = (entry: SimulatedEntry): SimulatedEntry => ({ ...entry, accountServicerReference: undefined });
  const day = statementFile('S-IMPLIED', [bijstand('11.00', 'BIJ-77002', 'I-1'), bijstand('11.00', 'BIJ-77002', 'I-2'), noRef(bijstand('11.00', 'BIJ-77002', 'x')), bijstand('12.00', 'BIJ-77002', 'I-3')]);

  it('stores no sightings for a new statement, books its twins twice, and stores the statement re-sent as sightings', async () => {
    const { db } = handle();
    const before = await journalSize(db);
    const first = await ingest(db, day);
    expect(first).toMatchObject({ status: 'ingested', summary: { newEntries: 4, alreadyKnown: 0 } });
    expect(await sightingsOf(first.fileId)).toEqual([]);
    expect(await impliedOf(first.fileId)).toEqual([true, true, true, true]);

    const again = await ingest(db, { ...day, messageId: 'MSG-S-IMPLIED-RESENT' });
    expect(again).toMatchObject({ status: 'ingested', summary: { newEntries: 0, alreadyKnown: 4 } });
    // Three sightings of the 11.00 fingerprint (per reference, and the total, as one entry has no reference), one of 12.00.
    const stored = await sightingsOf(again.fileId);
    expect(stored.map((s) => s.seen).sort()).toEqual([1, 1, 1, 3]);
    expect(await journalSize(db)).toBe(before + 4);
  });

  it('stores the sightings of a statement whose entries a notification reported first; its other entries stand for theirs', async () => {
    const { db } = handle();
    const known = bijstand('21.00', 'BIJ-77002', 'N-1', '2026-12-02');
    const notification = await ingest(db, statementFile('N-IMPLIED', [known], {}, 'camt.054'));
    expect(await impliedOf(notification.fileId)).toEqual([true]);
    const statement = await ingest(db, statementFile('S-IMPLIED-2', [known, bijstand('22.00', 'BIJ-77002', 'N-2', '2026-12-02')]));
    expect(statement.summary).toMatchObject({ newEntries: 1, alreadyKnown: 1 });
    expect(await impliedOf(statement.fileId)).toEqual([true]);
    const stored = await sightingsOf(statement.fileId);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ report_kind: 'statement', seen: 1 });
    expect(stored[0]!.report_key).toContain('N-1');
  });

  it('refuses to undo a statement when two notifications, one standing for its own sighting, still prove its entry', async () => {
    const { db } = handle();
    const payment = noRef(bijstand('31.00', 'BIJ-77002', 'x', '2026-12-03'));
    // N1 books the first; the statement shows it twice and books a second; N2 proves a second one too (1 + 1).
    const n1 = await ingest(db, statementFile('N1-UNDO', [payment], {}, 'camt.054'));
    const statement = await ingest(db, statementFile('S-UNDO', [payment, payment]));
    const n2 = await ingest(db, statementFile('N2-UNDO', [payment], {}, 'camt.054'));
    expect([n1.summary?.newEntries, statement.summary?.newEntries, n2.summary?.newEntries]).toEqual([1, 1, 0]);
    expect(await impliedOf(n1.fileId)).toEqual([true]);
    const journal = await journalSize(db);

    // Undone, the statement would leave one entry booked where the two notifications prove two.
    const undone = await undoBankFile(db, BigInt(statement.fileId), { user: 'operator', reason: 'test' }).catch((e: unknown) => e);
    expect(undone).toBeInstanceOf(IngestError);
    expect((undone as IngestError).code).toBe('undo_still_reported');
    expect((undone as IngestError).message).toContain(`${n1.fileId} (`);
    expect((undone as IngestError).message).toContain(`${n2.fileId} (`);
    expect(await journalSize(db)).toBe(journal);
    expect((await db.selectFrom('bank_file').select('status').where('id', '=', BigInt(statement.fileId)).executeTakeFirstOrThrow()).status).toBe('ingested');
  });

  it('gives the sightings back as rows when migrated down, equal to those the engine stores for a re-sent statement', async () => {
    const { db } = handle();
    // The first two files of this database: the day statement and the same statement re-sent.
    const [first, resent] = await db.selectFrom('bank_file').select('id').orderBy('id').limit(2).execute();
    const asStored = await sightingsOf(resent!.id.toString());

    expect((await migrateTo(db, '0033_sighting_key_by_fingerprint')).error).toBeUndefined();
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'bank_entry' AND column_name = 'sighting_implied'`.execute(db);
    expect(rows[0]!.n).toBe(0);
    // The first statement's sightings as rows: what its re-sent copy stored (same report, same counts).
    expect(await sightingsOf(first!.id.toString())).toEqual(asStored);

    expect(await migrateToLatest(db)).toContain('0034_sighting_implied_by_entries');
    const journal = await journalSize(db);
    const third = await ingest(db, { ...day, messageId: 'MSG-S-IMPLIED-THIRD' });
    expect(third.summary).toMatchObject({ newEntries: 0, alreadyKnown: 4 });
    expect(await journalSize(db)).toBe(journal);
  });
});
