import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt, type SimulatedEntry } from '../../src/demo/bank-statement.js';
import { ingestBankFile, receiveBankFile } from '../../src/ingest/files.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { MANAGED, SOMEONE, aRegion, bijstand, ingest, journalSize, posted, statementFile } from './region.js';

/**
 * Ingestion writes a file's rows in parts while the ledger books the parts before (src/ingest/apply.ts): several
 * statements of one file are in flight on its transaction. A statement that fails anywhere in a large file must still
 * leave nothing of it, and nothing may run after the rollback; once the cause is gone, the file books every entry once.
 */

const ENTRIES = 12_000; // three parts of 5,000: the failure lands while earlier parts are booked and later ones queued

function large(id: string, entries = ENTRIES): string {
  const list: SimulatedEntry[] = [];
  for (let i = 0; i < entries; i++) {
    list.push(
      i % 4 === 0
        ? bijstand(`${(i % 900) + 100}.00`, 'BIJ-77002', `M-${i}`)
        : { amount: `${(i % 90) + 10}.${String(i % 100).padStart(2, '0')}`, creditDebit: 'CRDT', bookingDate: '2026-12-01', accountServicerReference: `M-${i}`, details: [{ counterpartyIban: SOMEONE, unstructured: 'gift' }] },
    );
  }
  return writeCamt(statementFile(id, list, { electronicSequence: 1 }));
}

async function upload(db: Kysely<Database>, xml: string, name: string): Promise<bigint> {
  const bytes = new TextEncoder().encode(xml);
  return (await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: name, receivedBy: 'test-operator' }))).fileId;
}

async function nothingOf(db: Kysely<Database>, fileId: bigint, journalBefore: number): Promise<void> {
  const count = async (table: 'bank_entry' | 'bank_entry_sighting' | 'bank_statement') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).where('file_id', '=', fileId).executeTakeFirstOrThrow()).n);
  expect(await count('bank_statement')).toBe(0);
  expect(await count('bank_entry_sighting')).toBe(0);
  expect(await count('bank_entry')).toBe(0);
  expect(Number((await db.selectFrom('bank_entry_item').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBe(0);
  expect(await journalSize(db)).toBe(journalBefore);
  expect(await posted(db, `bank/${MANAGED}`)).toBe('1000.00');
  expect((await db.selectFrom('bank_file').select('status').where('id', '=', fileId).executeTakeFirstOrThrow()).status).toBe('received');
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** A database of its own with the test region, closed after the test, and the journal's size before anything. */
async function aFreshRegion(): Promise<{ db: Kysely<Database>; before: number }> {
  const handle = await freshPostgres();
  closers.push(() => handle.close());
  await aRegion(handle.db);
  return { db: handle.db, before: await journalSize(handle.db) };
}

describe.skipIf(postgresSkipReason() !== '')('a statement failing in the middle of a large file [postgres]', () => {
  it.each([
    ['an entry row of the second part', 'bank_entry', `NEW.entry_index = 7000`],
    ['an item row of the last part', 'bank_entry_item', `NEW.entry_id = (SELECT max(id) FROM bank_entry)`],
    ['a ledger booking in the middle', 'ledger_transaction', `NEW.description LIKE 'bank receipt M-6001 %'`],
  ])('leaves nothing of the file when %s fails, and the file books every entry once when ingested again', async (_what, table, when) => {
    const { db, before } = await aFreshRegion();
    await sql
      .raw(
        `CREATE FUNCTION test_fail_midway() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF ${when} THEN RAISE EXCEPTION 'test: failing midway'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER test_fail_midway BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION test_fail_midway();`,
      )
      .execute(db);
    const fileId = await upload(db, large('S-MIDWAY'), 'midway.xml');

    await expect(ingestBankFile(db, fileId)).rejects.toThrow(/test: failing midway/);
    await nothingOf(db, fileId, before);
    // Nothing ran after the rollback either (a statement sent late would have run outside the transaction).
    await new Promise((resolve) => setTimeout(resolve, 200));
    await nothingOf(db, fileId, before);

    await sql.raw(`DROP TRIGGER test_fail_midway ON ${table}; DROP FUNCTION test_fail_midway();`).execute(db);
    const result = await ingestBankFile(db, fileId);
    expect(result.status).toBe('ingested');
    expect(result.summary).toMatchObject({ newEntries: ENTRIES, alreadyKnown: 0, exceptions: 0 });
    expect(await journalSize(db)).toBe(before + ENTRIES);
    const again = await ingest(db, large('S-MIDWAY').replace('MSG-S-MIDWAY', 'MSG-S-MIDWAY-AGAIN'), 'midway-again.xml');
    expect(again.summary).toMatchObject({ newEntries: 0, alreadyKnown: ENTRIES });
    expect(await journalSize(db)).toBe(before + ENTRIES);
    expect((await verifyLedger(db)).problems).toEqual([]);
  }, 240_000);

  it('leaves nothing of the file when matching fails while its statement and entries are being written', async () => {
    const { db, before } = await aFreshRegion();
    const fileId = await upload(db, large('S-MATCHING'), 'matching.xml');
    // Asked once per receipt while the plan reads (before anything is written), then again for each receipt from a
    // known payer while matching, when the statement and entry rows are on their way (a new statement's entries stand
    // for its sightings, migration 0034): it fails there.
    let calls = 0;
    const bsnHashesIn = (): string[] => {
      calls += 1;
      if (calls > ENTRIES + 1_000) throw new Error('test: matching fails');
      return [];
    };
    await expect(ingestBankFile(db, fileId, { bsnHashesIn })).rejects.toThrow(/test: matching fails/);
    expect(calls).toBe(ENTRIES + 1_001);
    await nothingOf(db, fileId, before);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await nothingOf(db, fileId, before);

    const result = await ingestBankFile(db, fileId);
    expect(result).toMatchObject({ status: 'ingested', summary: { newEntries: ENTRIES, alreadyKnown: 0 } });
    expect(await journalSize(db)).toBe(before + ENTRIES);
    expect((await verifyLedger(db)).problems).toEqual([]);
  }, 240_000);

  it('refuses a large file malformed near its end and books nothing of it', async () => {
    const { db, before } = await aFreshRegion();
    const xml = large('S-CUT', 6_000);
    // The last entry's end tag is broken: everything before it is well-formed.
    const at = xml.lastIndexOf('</Ntry>');
    const fileId = await upload(db, `${xml.slice(0, at)}</Ntri>${xml.slice(at + '</Ntry>'.length)}`, 'cut.xml');
    const result = await ingestBankFile(db, fileId);
    expect(result.status).toBe('refused');
    expect(result.error?.message).toMatch(/line \d+, column \d+/);
    expect(await journalSize(db)).toBe(before);
    expect(Number((await db.selectFrom('bank_entry').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)).toBe(0);
  }, 120_000);
});
