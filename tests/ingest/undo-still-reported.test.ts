import { afterEach, describe, expect, it } from 'vitest';
import { IngestError } from '../../src/ingest/errors.js';
import { undoBankFile } from '../../src/ingest/files.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { MANAGED, aRegion, available, bijstand, ingest, posted, statementFile } from './region.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

describe.skipIf(postgresSkipReason() !== '')('undoing one of two reports of the same entry', () => {
  it('keeps a receipt booked when its camt.054 is undone but the ingested day statement still reports it', async () => {
    const handle = await freshPostgres();
    closers.push(() => handle.close());
    const { db } = handle;
    const region = await aRegion(db);
    const entry = bijstand('1334.23', 'BIJ-77002', 'ABN-REF-3', '2026-12-03');
    const statement = statementFile('STMT-2026-12-03', [entry], { electronicSequence: 1, opening: { amount: '1000.00', date: '2026-11-30' }, closing: { amount: '2334.23', date: '2026-12-03' } });
    const n = await ingest(db, statementFile('NTF-BIJ-3', [entry], {}, 'camt.054'), 'ntf-3.xml');
    expect(n.summary).toMatchObject({ newEntries: 1 });
    const s = await ingest(db, statement, 'stmt-3.xml');
    expect(s.summary).toMatchObject({ newEntries: 0, alreadyKnown: 1 });
    expect(s.status).toBe('ingested');

    // The operator undoes the notification (e.g. loaded by mistake). The day statement that reports the
    // same booking stays ingested: the bank did book the money, so the client must keep it.
    const fileRow = await db.selectFrom('bank_file').select('id').where('file_name', '=', 'ntf-3.xml').executeTakeFirstOrThrow();
    const stmtRow = await db.selectFrom('bank_file').select('id').where('file_name', '=', 'stmt-3.xml').executeTakeFirstOrThrow();
    const undone = await undoBankFile(db, fileRow.id, { user: 'operator', reason: 'notification loaded by mistake' }).catch((e: unknown) => e);

    const stmtStatus = await db.selectFrom('bank_file').select('status').where('file_name', '=', 'stmt-3.xml').executeTakeFirstOrThrow();
    expect(stmtStatus.status).toBe('ingested');
    // Refused, naming the file that still reports the entry; nothing changed.
    expect(undone).toBeInstanceOf(IngestError);
    expect((undone as IngestError).code).toBe('undo_still_reported');
    expect((undone as IngestError).message).toContain(`${stmtRow.id} (stmt-3.xml)`);
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('2334.23');

    // The way the message gives: undo the statement, then the notification, then ingest the statement again.
    await undoBankFile(db, stmtRow.id, { user: 'operator', reason: 'to undo the notification under it' });
    await undoBankFile(db, fileRow.id, { user: 'operator', reason: 'notification loaded by mistake' });
    expect(await available(db, region.dawit)).toBe('0.00');
    const again = await ingest(db, statement, 'stmt-3-again.xml');
    expect(again.summary).toMatchObject({ newEntries: 1 });
    expect(await available(db, region.dawit)).toBe('1334.23');
    expect(await posted(db, `bank/${MANAGED}`)).toBe('2334.23');
  });
});
