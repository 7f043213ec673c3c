import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectPGlite, type DatabaseHandle } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt, type SimulatedEntry } from '../../src/demo/bank-statement.js';
import { ingestBankFile, receiveBankFile, sha256 } from '../../src/ingest/files.js';
import { describeOnEachDatabase, migrateTo } from '../support/db.js';
import { Money } from '../../src/money/money.js';
import { DORDRECHT_BENEFITS, aRegion, available, journalSize, statementFile, type Region } from './region.js';

const MIB = 1 << 20;

/**
 * A statement of `n` receipts whose names and remittances carry two- and three-byte characters (UTF-8). With `cutAt`,
 * the first remittance is padded so that the byte at that offset falls inside a character.
 */
function bigStatement(id: string, n: number, caseNumber: string, cutAt?: number): { bytes: Uint8Array; total: string } {
  const make = (padding: number) => {
    const entries: SimulatedEntry[] = [];
    for (let i = 0; i < n; i++) {
      const remittance = `uitkering € ${i} dossier ${caseNumber}${i === 0 ? ' '.padEnd(padding + 1, 'x') : ''}`;
      entries.push({ amount: '1.00', creditDebit: 'CRDT', bookingDate: '2026-12-02', accountServicerReference: `${id}-${i}`, details: [{ counterpartyName: 'Gemeente Dordrecht — Zoë Çelik', counterpartyIban: DORDRECHT_BENEFITS, unstructured: remittance }] });
    }
    return new TextEncoder().encode(writeCamt(statementFile(id, entries)));
  };
  let bytes = make(0);
  if (cutAt !== undefined) {
    let shift = 0;
    while ((bytes[cutAt - shift]! & 0xc0) !== 0x80) shift += 1;
    bytes = make(shift);
  }
  return { bytes, total: `${n}.00` };
}

const partsOf = async (db: Kysely<Database>, fileId: bigint) =>
  db.selectFrom('bank_file_part').select(['part', (eb) => eb.fn<number>('octet_length', ['bytes']).as('size')]).where('file_id', '=', fileId).orderBy('part').execute();

describeOnEachDatabase('a bank file is stored in parts of 1 MiB and read back whole', (handle) => {
  let region: Region;
  beforeAll(async () => {
    region = await aRegion(handle().db);
  });

  it('stores a 2.6 MB statement as three parts and books every entry of it, characters across the part borders included', async () => {
    const { db } = handle();
    const { bytes, total } = bigStatement('S-PARTS', 5_000, 'BIJ-77002', MIB);
    expect(bytes.length).toBeGreaterThan(2 * MIB);
    // The first part border cuts a character in two (the file is read back whole, never decoded part by part).
    expect(bytes[MIB]! & 0xc0).toBe(0x80);
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'parts.xml', receivedBy: 'op' }));
    const parts = await partsOf(db, received.fileId);
    expect(parts.map((p) => [p.part, Number(p.size)])).toEqual([
      [0, MIB],
      [1, MIB],
      [2, bytes.length - 2 * MIB],
    ]);
    const before = await available(db, region.dawit);
    const result = await ingestBankFile(db, received.fileId);
    expect(result).toMatchObject({ status: 'ingested', summary: { newEntries: 5_000, toClients: 5_000, credited: total } });
    expect(await available(db, region.dawit)).toBe(Money.parse(before).plus(Money.parse(total)).toString());
  }, 60_000);

  it('refuses a stored file whose bytes no longer hash to what was received, books nothing, and takes the bank\'s file again', async () => {
    const { db } = handle();
    const { bytes } = bigStatement('S-TAMPERED', 2_500, 'BIJ-77002');
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'tampered.xml', receivedBy: 'op' }));
    // One amount changed inside the second part: still well-formed XML, a different file.
    const second = bytes.slice(MIB, 2 * MIB);
    const at = Buffer.from(second).indexOf('<Amt Ccy="EUR">1.00</Amt>') + '<Amt Ccy="EUR">'.length;
    expect(at).toBeGreaterThanOrEqual(0);
    second[at] = '9'.charCodeAt(0);
    await sql`UPDATE bank_file_part SET bytes = ${second} WHERE file_id = ${received.fileId} AND part = 1`.execute(db);
    const journal = await journalSize(db);
    const result = await ingestBankFile(db, received.fileId);
    expect(result).toMatchObject({ status: 'refused', error: { code: 'stored_file_damaged' } });
    expect(result.error!.message).toContain(`is not the file received (${bytes.length} bytes, SHA-256 ${sha256(bytes)})`);
    expect(await journalSize(db)).toBe(journal);
    // The bank's file uploaded again is a new upload (a refused one does not answer for its bytes) and books in full.
    const again = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'tampered-again.xml', receivedBy: 'op' }));
    expect(again).toMatchObject({ alreadyReceived: false });
    expect(await ingestBankFile(db, again.fileId)).toMatchObject({ status: 'ingested', summary: { newEntries: 2_500 } });
    expect(await journalSize(db)).toBe(journal + 2_500);
  }, 60_000);

  it('refuses a stored part that holds a NUL byte it did not hold when received, and books nothing', async () => {
    const { db } = handle();
    const { bytes } = bigStatement('S-NUL-LATER', 2_500, 'BIJ-77002');
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'nul-later.xml', receivedBy: 'op' }));
    expect((await db.selectFrom('bank_file_part').select('has_nul').where('file_id', '=', received.fileId).execute()).map((p) => p.has_nul)).toEqual([false, false]);
    const second = bytes.slice(MIB, 2 * MIB);
    second[10] = 0;
    await sql`UPDATE bank_file_part SET bytes = ${second} WHERE file_id = ${received.fileId} AND part = 1`.execute(db);
    const journal = await journalSize(db);
    const result = await ingestBankFile(db, received.fileId);
    expect(result).toMatchObject({ status: 'refused', error: { code: 'stored_file_damaged' } });
    expect(result.error!.message).toContain('a NUL byte where none was stored');
    expect(await journalSize(db)).toBe(journal);
  }, 60_000);

  it('stores an empty upload with no parts, and the reader refuses it', async () => {
    const { db } = handle();
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes: new Uint8Array(0), fileName: 'empty.xml', receivedBy: 'op' }));
    expect(await partsOf(db, received.fileId)).toEqual([]);
    expect(await ingestBankFile(db, received.fileId)).toMatchObject({ status: 'refused', error: { code: 'file_refused' } });
  });
});

describe('migration 0027: files stored whole move into parts byte for byte, and back [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await connectPGlite();
  });
  afterAll(async () => handle?.close());

  it('keeps every stored file, empty, small and over two parts, and its hash', async () => {
    const { db } = handle;
    const before = await migrateTo(handle.db, '0026_payment_batch_assembling');
    expect(before.error).toBeUndefined();
    const files = [new Uint8Array(0), new TextEncoder().encode('<Document/>'), bigStatement('S-OLD', 5_000, 'BIJ-1').bytes];
    const ids: bigint[] = [];
    for (const [n, bytes] of files.entries()) {
      const { rows } = await sql<{ id: bigint }>`
        INSERT INTO bank_file (sha256, file_name, byte_size, content, status, received_by)
        VALUES (${sha256(bytes)}, ${`old-${n}.xml`}, ${bytes.length}, ${bytes}, 'received', 'op') RETURNING id`.execute(db);
      ids.push(BigInt(rows[0]!.id));
    }
    expect(await migrateToLatest(db)).toContain('0027_bank_file_parts');
    const whole = async (id: bigint) => {
      const { rows } = await sql<{ bytes: Uint8Array | null }>`SELECT string_agg(bytes, ''::bytea ORDER BY part) AS bytes FROM bank_file_part WHERE file_id = ${id}`.execute(db);
      return rows[0]?.bytes ?? new Uint8Array(0);
    };
    for (const [n, id] of ids.entries()) expect(sha256(await whole(id))).toBe(sha256(files[n]!));
    expect((await partsOf(db, ids[2]!)).length).toBe(Math.ceil(files[2]!.length / MIB));

    const down = await migrateTo(handle.db, '0026_payment_batch_assembling');
    expect(down.error).toBeUndefined();
    for (const [n, id] of ids.entries()) {
      const { rows } = await sql<{ content: Uint8Array }>`SELECT content FROM bank_file WHERE id = ${id}`.execute(db);
      expect(sha256(rows[0]!.content)).toBe(sha256(files[n]!));
    }
    expect(await migrateToLatest(db)).toContain('0027_bank_file_parts');
  }, 120_000);
});

describe('migration 0032: each stored part records whether it holds a NUL byte [pglite]', () => {
  let handle: DatabaseHandle;
  beforeAll(async () => {
    handle = await connectPGlite();
  });
  afterAll(async () => handle?.close());

  it('looks at the parts stored before it once, and a file read back after it is the file received', async () => {
    const { db } = handle;
    expect((await migrateTo(db, '0031_iban_checks_without_bounds')).error).toBeUndefined();
    const plain = bigStatement('S-BEFORE-0032', 2_500, 'BIJ-1').bytes;
    const withNul = plain.slice();
    withNul[MIB + 3] = 0;
    const ids: bigint[] = [];
    for (const [n, bytes] of [plain, withNul].entries()) {
      const { rows } = await sql<{ id: bigint }>`
        INSERT INTO bank_file (sha256, file_name, byte_size, status, received_by)
        VALUES (${sha256(bytes)}, ${`before-${n}.xml`}, ${bytes.length}, 'received', 'op') RETURNING id`.execute(db);
      const id = BigInt(rows[0]!.id);
      ids.push(id);
      for (let part = 0; part * MIB < bytes.length; part++) {
        await sql`INSERT INTO bank_file_part (file_id, part, bytes) VALUES (${id}, ${part}, ${bytes.subarray(part * MIB, (part + 1) * MIB)})`.execute(db);
      }
    }
    expect(await migrateToLatest(db)).toContain('0032_bank_file_part_nul');
    const flags = async (id: bigint) => (await db.selectFrom('bank_file_part').select('has_nul').where('file_id', '=', id).orderBy('part').execute()).map((p) => p.has_nul);
    expect(await flags(ids[0]!)).toEqual([false, false]);
    expect(await flags(ids[1]!)).toEqual([false, true]);
    // The file without a NUL is read back whole (as text) and booked; the other one is read back as it is stored
    // (as bytea) and refused by the reader, not as damaged.
    await aRegion(db);
    expect(await ingestBankFile(db, ids[0]!)).toMatchObject({ status: 'ingested', summary: { newEntries: 2_500 } });
    expect(await ingestBankFile(db, ids[1]!)).toMatchObject({ status: 'refused', error: { code: 'file_refused' } });
    expect((await migrateTo(db, '0031_iban_checks_without_bounds')).error).toBeUndefined();
    expect(await migrateToLatest(db)).toContain('0032_bank_file_part_nul');
  }, 120_000);
});
