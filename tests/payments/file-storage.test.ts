import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { migrateToLatest } from '../../src/db/migrate.js';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { releasedFiles } from '../../src/payments/files.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { sha256Hex as sha256, validatePain001 } from '../../src/sepa/index.js';
import { describeOnEachDatabase, migrateTo, refusal } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, statementFile, type Region } from '../ingest/region.js';

/**
 * A pain.001 is stored deflated (migration 0030) and handed out exactly as it was built and approved: the bytes the
 * outbox, the download and the release check get are the file whose SHA-256 the approvers saw, or nothing at all.
 */
describeOnEachDatabase('payment files are stored deflated and handed out as built', (handle) => {
  let region: Region;
  let outbox: string;

  async function aBatch(tag: string, payments: number): Promise<bigint> {
    const db = handle().db;
    const drafts = Array.from({ length: payments }, (_, n) => ({
      idempotencyKey: `file-storage/${tag}/${n}`, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld' as const, period: `2027-01-05/${tag}/${n}`,
      dueDate: '2027-01-05', executionDate: '2027-01-05', amount: Money.parse('1.00'), debtorIban: MANAGED,
      creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: `Leefgeld ${tag} ${n}`,
    }));
    await inTransaction(db, (trx) => createPaymentInstructions(trx, drafts));
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: '2027-01-05', now: new Date('2027-01-04T09:00:00Z') }));
    return batch!.id;
  }

  beforeAll(async () => {
    outbox = mkdtempSync(join(tmpdir(), 'ontzorg-file-storage-'));
    const db = handle().db;
    region = await aRegion(db, '0.00');
    await inTransaction(db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD' }));
    await ingest(db, statementFile('FILE-STORAGE-1', [bijstand('10000.00', 'BIJ-77002', 'FILE-STORAGE-REF', '2027-01-04')]));
  }, 120_000);
  afterAll(() => rmSync(outbox, { recursive: true, force: true }));

  it('stores a file deflated, and gives back the very bytes built, which the release and the outbox use', async () => {
    const db = handle().db;
    const batchId = await aBatch('a', 300);
    const stored = await db.selectFrom('payment_file').select(['sha256', 'content', 'content_deflated']).where('batch_id', '=', batchId).executeTakeFirstOrThrow();
    expect(stored.content).toBeNull();
    const [file] = await releasedFiles(db, batchId);
    expect(sha256(file!.content)).toBe(stored.sha256);
    // 300 payments of XML: most of it repeats, so the stored form is a fraction of the file.
    expect(stored.content_deflated!.byteLength).toBeLessThan(file!.content.byteLength / 5);
    expect(validatePain001(file!.content, '09', { today: '2027-01-04' }).errors).toEqual([]);

    await inTransaction(db, (trx) => approveBatch(trx, batchId, 'approver-1'));
    const answered = await releaseBatch(db, batchId, { releasedBy: 'approver-2', now: new Date('2027-01-04T10:00:00Z'), outboxDir: outbox });
    const written = readdirSync(outbox).filter((f) => f.endsWith('.xml'));
    expect(written).toEqual([file!.fileName]);
    expect(sha256(readFileSync(join(outbox, written[0]!)))).toBe(stored.sha256);
    // The release answers the files it handed over (not read and inflated a second time), the same as a later read.
    const later = await releasedFiles(db, batchId);
    expect(answered.map((f) => [f.messageId, sha256(f.content), f.handedOverAt?.toISOString()])).toEqual(later.map((f) => [f.messageId, sha256(f.content), f.handedOverAt?.toISOString()]));
    expect(answered[0]!.handedOverAt).not.toBeNull();
  });

  it('reads a file stored before deflating as it is', async () => {
    const db = handle().db;
    const batchId = await aBatch('b', 5);
    const [built] = await releasedFiles(db, batchId);
    await sql`UPDATE payment_file SET content = ${Buffer.from(built!.content)}, content_deflated = NULL WHERE batch_id = ${batchId.toString()}::bigint`.execute(db);
    const [again] = await releasedFiles(db, batchId);
    expect(Buffer.from(again!.content).equals(Buffer.from(built!.content))).toBe(true);
  });

  it('hands out nothing of a stored file that does not match its SHA-256', async () => {
    const db = handle().db;
    const batchId = await aBatch('c', 5);
    const [built] = await releasedFiles(db, batchId);
    const altered = Buffer.from(built!.content).toString('utf8').replace('Leefgeld c 0', 'Leefgeld c 9');
    await sql`UPDATE payment_file SET content_deflated = ${deflateRawSync(Buffer.from(altered))} WHERE batch_id = ${batchId.toString()}::bigint`.execute(db);
    await expect(releasedFiles(db, batchId)).rejects.toThrow(`a stored payment file does not match its SHA-256 ${built!.sha256}: it is not handed out`);
  });

  it('refuses a file row with both forms or with neither', async () => {
    const db = handle().db;
    const batchId = await aBatch('d', 5);
    for (const set of [sql`content = ${Buffer.from('x')}`, sql`content_deflated = NULL`]) {
      const refused = await refusal(sql`UPDATE payment_file SET ${set} WHERE batch_id = ${batchId.toString()}::bigint`.execute(db));
      expect(refused.constraint).toBe('payment_file_one_content');
    }
  });

  it('migrating back to 0029 inflates every file into its one column, and forward again keeps it', async () => {
    const db = handle().db;
    const batchId = await aBatch('e', 20);
    const [built] = await releasedFiles(db, batchId);
    const down = await migrateTo(db, '0029_payment_event_batch_index');
    expect(down.error).toBeUndefined();
    const { rows } = await sql<{ content: Uint8Array }>`SELECT content FROM payment_file WHERE batch_id = ${batchId.toString()}::bigint`.execute(db);
    expect(sha256(rows[0]!.content)).toBe(built!.sha256);
    expect(await migrateToLatest(db)).toContain('0030_payment_file_deflated');
    const [after] = await releasedFiles(db, batchId);
    expect(after!.sha256).toBe(built!.sha256);
    expect(sha256(after!.content)).toBe(built!.sha256);
  });
});
