import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { CamtError, readCamt, type CamtReadOptions } from '../camt/index.js';
import { CHARACTER_NOT_IN_REPERTOIRE, sqlState } from '../db/errors.js';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import { paymentsReturnedBy, undoSettlements } from '../payments/reconcile.js';
import { applyPlan, firstCause, lockIngestion, startWriting, type StartedWrite } from './apply.js';
import { IngestError } from './errors.js';
import { impliedSightingsOf, planIngest, sightingsOf, stateKey, withCopyFlags, type PlanOptions, type PlanSummary, type PlannedAlert } from './plan.js';
import { realCount, type Sighting } from './identity.js';
import { refuseUndoOfSentBack } from './suspense.js';
import type { FileStatus } from './rows.js';
import { amsterdamToday } from '../schedule/index.js';

export interface ReceivedFile {
  readonly fileId: bigint;
  readonly sha256: string;
  /** True when these exact bytes were uploaded before (and not undone): the earlier upload is answered. */
  readonly alreadyReceived: boolean;
  readonly status: FileStatus;
}

export interface IngestResult {
  readonly fileId: string;
  readonly status: FileStatus;
  readonly messageName: string | null;
  readonly summary: PlanSummary | null;
  readonly alerts: readonly Pick<PlannedAlert, 'code' | 'severity' | 'message'>[];
  readonly error: { code: string; message: string } | null;
}

export interface IngestOptions extends PlanOptions {
  readonly read?: CamtReadOptions;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Stores an uploaded file as received (the worker reads it from here). The same bytes again,
 * while the first upload is not undone, answer the first upload: a file is known by its content.
 */
export async function receiveBankFile(trx: Trx, upload: { bytes: Uint8Array; fileName: string; receivedBy: string }): Promise<ReceivedFile> {
  const hash = sha256(upload.bytes);
  const inserted = await trx
    .insertInto('bank_file')
    .values({ sha256: hash, file_name: upload.fileName.slice(0, 255) || 'upload.xml', byte_size: BigInt(upload.bytes.length), status: 'received', received_by: upload.receivedBy })
    .onConflict((oc) => oc.column('sha256').where('status', 'in', ['received', 'ingested']).doNothing())
    .returning(['id', 'status'])
    .executeTakeFirst();
  if (inserted) {
    await storeContent(trx, inserted.id, upload.bytes);
    return { fileId: inserted.id, sha256: hash, alreadyReceived: false, status: inserted.status };
  }
  const existing = await trx
    .selectFrom('bank_file')
    .select(['id', 'status'])
    .where('sha256', '=', hash)
    .where('status', 'in', ['received', 'ingested'])
    .executeTakeFirstOrThrow();
  return { fileId: existing.id, sha256: hash, alreadyReceived: true, status: existing.status };
}

/** What ingesting these bytes would do now. Reads only; nothing is written. */
export async function previewBankFile(db: Kysely<Database> | Trx, bytes: Uint8Array, options: IngestOptions = {}): Promise<{ summary: PlanSummary; alerts: PlannedAlert[]; alreadyReceived: boolean }> {
  const document = readOrRefuse(bytes, options);
  const plan = await planIngest(db, document, options);
  const known = await db.selectFrom('bank_file').select('id').where('sha256', '=', sha256(bytes)).where('status', 'in', ['received', 'ingested']).executeTakeFirst();
  return { summary: plan.summary, alerts: [...plan.alerts], alreadyReceived: known !== undefined };
}

function readOrRefuse(bytes: Uint8Array, options: IngestOptions) {
  try {
    return readCamt(bytes, options.read);
  } catch (error) {
    if (error instanceof CamtError) throw new IngestError('file_refused', error.message, { camtCode: error.code, ...error.location });
    throw error;
  }
}

/**
 * Ingests a received file: reads it, plans under the ingestion lock, and books it, all in one
 * database transaction. Running it again (a retried job, a second worker) answers the stored
 * result. A file that cannot be read or names an account that is not ours is marked refused
 * with the reason, and nothing of it is booked.
 */
export async function ingestBankFile(db: Kysely<Database>, fileId: bigint, options: IngestOptions = {}): Promise<IngestResult> {
  try {
    await ingestUnderLock(db, fileId, options);
  } catch (error) {
    // The file cannot be read (or its stored copy is damaged), names an account that is not ours, or the ledger did
    // not take a booking: everything of it was rolled back; it is refused with the reason (left `received`, the sweep
    // would resubmit it for ever and nobody would see why).
    if (!(error instanceof IngestError) || error.code === 'file_not_found') throw error;
    await inTransaction(db, (trx) =>
      trx
        .updateTable('bank_file')
        .set({ status: 'refused', error: JSON.stringify({ code: error.code, message: error.message, ...error.details }) })
        .where('id', '=', fileId)
        .where('status', '=', 'received')
        .execute(),
    );
  }
  return bankFileResult(db, fileId);
}

/** Bytes per stored part of a file (migration 0027): 1 MiB parts come out of PostgreSQL 2–3× faster than one value. */
const PART_BYTES = 1 << 20;

/**
 * The file's bytes as parts, in one statement (a file is at most the reader's limit, 100 MB: 100 parts), each
 * with whether it holds a NUL byte (migration 0032: how `contentOf` reads it back).
 */
async function storeContent(trx: Trx, fileId: bigint, bytes: Uint8Array): Promise<void> {
  const parts: { file_id: bigint; part: number; bytes: Uint8Array; has_nul: boolean }[] = [];
  for (let offset = 0; offset < bytes.length; offset += PART_BYTES) {
    const part = Buffer.from(bytes.buffer, bytes.byteOffset + offset, Math.min(PART_BYTES, bytes.length - offset));
    parts.push({ file_id: fileId, part: parts.length, bytes: part, has_nul: part.indexOf(0) >= 0 });
  }
  if (parts.length > 0) await trx.insertInto('bank_file_part').values(parts).execute();
}

/**
 * A stored file's bytes, put together from its parts and checked against the size and SHA-256 it was received with:
 * a file is known by its hash, so nothing else is ever read as that file. Each part comes as LATIN1 text (one
 * character per byte, turned back into the same bytes), which node decodes in about half the time of bytea's hex form
 * (46.7 MB: 0.2 s against 0.3–0.5 s); a part with a NUL byte, which text cannot hold and XML never contains, comes as
 * bytea and the reader refuses the file. Which parts hold one was recorded when they were stored: asking the server
 * made it decompress each part twice.
 */
async function contentOf(trx: Trx, file: { id: bigint; byte_size: bigint; sha256: string }): Promise<Uint8Array> {
  const damaged = (size: string) =>
    new IngestError('stored_file_damaged', `the stored copy of bank file ${file.id} (${size}) is not the file received (${file.byte_size} bytes, SHA-256 ${file.sha256}): it was not read; upload the bank's file again`);
  const rows = await sql<{ latin1: string | null; bytes: Uint8Array | null }>`
    SELECT CASE WHEN NOT has_nul THEN convert_from(bytes, 'LATIN1') END AS latin1, CASE WHEN has_nul THEN bytes END AS bytes
      FROM bank_file_part WHERE file_id = ${file.id}
     ORDER BY part`
    .execute(trx)
    .then(
      (result) => result.rows,
      (error: unknown) => {
        // A NUL byte in a part stored without one: the stored bytes changed since they were received.
        if (sqlState(error) === CHARACTER_NOT_IN_REPERTOIRE) throw damaged('a NUL byte where none was stored');
        throw error;
      },
    );
  const bytes = Buffer.concat(rows.map((p) => (p.latin1 !== null ? Buffer.from(p.latin1, 'latin1') : p.bytes!)));
  if (BigInt(bytes.length) !== file.byte_size || sha256(bytes) !== file.sha256) throw damaged(`${bytes.length} bytes`);
  return bytes;
}

async function ingestUnderLock(db: Kysely<Database>, fileId: bigint, options: IngestOptions): Promise<void> {
  await inTransaction(db, async (trx) => {
    await lockIngestion(trx);
    const file = await trx.selectFrom('bank_file').select(['id', 'status', 'byte_size', 'sha256']).where('id', '=', fileId).executeTakeFirst();
    if (!file) throw new IngestError('file_not_found', `there is no bank file ${fileId}`);
    if (file.status !== 'received') return;
    const document = readOrRefuse(await contentOf(trx, file), options);
    // Statements, sightings and entries are written while the items are matched (see `startWriting`).
    const writing: { started?: StartedWrite } = {};
    let plan;
    try {
      plan = await planIngest(trx, document, options, async (identified) => {
        writing.started = await startWriting(trx, fileId, identified);
      });
    } catch (error) {
      // Nothing queued may run after the rollback; a queued statement that failed is the cause (the plan's read
      // after it failed only because the transaction was aborted).
      throw writing.started ? await firstCause(writing.started.rows, error) : error;
    }
    if (!writing.started) throw new Error('the plan was made without identifying the entries');
    const alerts = await applyPlan(trx, fileId, plan, writing.started);
    const result = { summary: plan.summary, alerts: alerts.map(({ code, severity, message }) => ({ code, severity, message })) };
    await trx
      .updateTable('bank_file')
      .set({ status: 'ingested', message_name: document.messageName, message_id: document.messageId, result: JSON.stringify(result), ingested_at: new Date() })
      .where('id', '=', fileId)
      .execute();
  });
}

export async function bankFileResult(db: Kysely<Database> | Trx, fileId: bigint): Promise<IngestResult> {
  const row = await db.selectFrom('bank_file').select(['id', 'status', 'message_name', 'result', 'error']).where('id', '=', fileId).executeTakeFirst();
  if (!row) throw new IngestError('file_not_found', `there is no bank file ${fileId}`);
  const result = (row.result ?? null) as { summary: PlanSummary; alerts: IngestResult['alerts'] } | null;
  return {
    fileId: row.id.toString(),
    status: row.status,
    messageName: row.message_name,
    summary: result?.summary ?? null,
    alerts: result?.alerts ?? [],
    error: (row.error ?? null) as IngestResult['error'],
  };
}

/**
 * Undoes an ingested file by reversal: every booking it made (and any assignment out of
 * suspense made since) is reversed, its entries are released, and the same file can be
 * ingested again. The payments its debits settled are released again (in transit until a debit settles them).
 * Refused as a whole when a client's money from it is already reserved or paid, a receipt of it was sent back to
 * its payer, it returned one of our payments, or another ingested file still reports an entry it booked.
 */
export async function undoBankFile(db: Kysely<Database>, fileId: bigint, by: { user: string; reason: string }): Promise<IngestResult> {
  await inTransaction(db, async (trx) => {
    await lockIngestion(trx);
    const file = await trx.selectFrom('bank_file').select(['status']).where('id', '=', fileId).forUpdate().executeTakeFirst();
    if (!file) throw new IngestError('file_not_found', `there is no bank file ${fileId}`);
    if (file.status !== 'ingested') throw new IngestError('undo_not_allowed', `bank file ${fileId} is ${file.status}; only an ingested file can be undone`);
    await refuseUndoOfSentBack(trx, fileId);
    await refuseUndoOfEntriesStillReported(trx, fileId);
    const items = await trx
      .selectFrom('bank_entry_item as i')
      .innerJoin('bank_entry as e', 'e.id', 'i.entry_id')
      .leftJoin('suspense_assignment as a', (join) => join.onRef('a.item_id', '=', 'i.id').on('a.undone_at', 'is', null))
      .select(['i.id', 'i.ledger_key', 'a.ledger_key as assignment_key', 'i.booking_date'])
      .where('e.file_id', '=', fileId)
      .where('e.undone_at', 'is', null)
      .orderBy('i.id', 'desc')
      .execute();
    await refuseUndoOfReturns(trx, fileId, items.map((i) => i.ledger_key));
    const today = amsterdamToday(new Date());
    const reversal = (key: string): LedgerRequest => ({ type: 'reversal', idempotencyKey: `undo/${key}`, reversesKey: key, bookingDate: today, description: `undo of bank file ${fileId}: ${by.reason}`.slice(0, 500) });
    const requests = [...items.flatMap((i) => (i.assignment_key ? [reversal(i.assignment_key)] : [])), ...items.map((i) => reversal(i.ledger_key))];
    for (let i = 0; i < requests.length; i += 5_000) {
      const results = await bookBatch(trx, requests.slice(i, i + 5_000));
      const failed = results.find((r) => r.outcome !== 'booked');
      if (failed) {
        const why = failed.outcome === 'refused' ? failed.message : failed.outcome === 'rejected' ? failed.error.message : '';
        throw new IngestError('undo_refused', `bank file ${fileId} cannot be undone: reversing ${failed.idempotencyKey} is not possible (${why})`);
      }
    }
    // What its debits settled is in transit again, so that the same debit ingested again settles it again.
    await undoSettlements(trx, items.map((i) => ({ id: i.id, ledgerKey: i.ledger_key })), { user: by.user, why: `undo of bank file ${fileId}: ${by.reason}` });
    const undoneAt = new Date();
    await trx.updateTable('suspense_assignment').set({ undone_at: undoneAt }).where('undone_at', 'is', null).where('item_id', 'in', (q) => q.selectFrom('bank_entry_item as i').innerJoin('bank_entry as e', 'e.id', 'i.entry_id').select('i.id').where('e.file_id', '=', fileId)).execute();
    await trx.updateTable('bank_entry').set({ undone_at: undoneAt }).where('file_id', '=', fileId).where('undone_at', 'is', null).execute();
    await trx.updateTable('bank_file').set({ status: 'undone', undone_at: undoneAt, undone_by: by.user, undo_reason: by.reason }).where('id', '=', fileId).execute();
  });
  return bankFileResult(db, fileId);
}

/**
 * A return gave the money back to the client (or suspense) and, for an obligation, reserved it again for a retry
 * that may already be on its way: taking it back by an undo could pay the same bill twice, so it is refused and a
 * person corrects it by hand (why: a return changes more than bookings, and is not undone blindly).
 */
async function refuseUndoOfReturns(trx: Trx, fileId: bigint, itemLedgerKeys: readonly string[]): Promise<void> {
  const returned = await paymentsReturnedBy(trx, itemLedgerKeys);
  if (returned.length === 0) return;
  const named = returned.slice(0, 5).map((p) => p.endToEndId ?? `instruction ${p.id}`).join(', ');
  throw new IngestError(
    'undo_has_returns',
    `bank file ${fileId} cannot be undone: it returned ${returned.length} of our payment(s) (${named}${returned.length > 5 ? ', …' : ''}), and undoing a return could pay the same bill twice. ` +
      'If the file should not have been ingested, leave it in place and report it to the application administrator, who corrects the payments and bookings by hand.',
    { payments: returned.map((p) => p.id.toString()) },
  );
}

/**
 * An entry is booked once, by the file that first reported it; a later report of it (the day's camt.053 after a
 * camt.054) books nothing. Undoing the first file would take back money the bank did book and the later file
 * still proves, and nothing would book it again: so the undo is refused, naming the files that still report it
 * (undo those first, then this one, then ingest them again; or leave this file in place). Counted with the
 * counting rule over the sightings of the other ingested files, against the entries that stay booked.
 */
async function refuseUndoOfEntriesStillReported(trx: Trx, fileId: bigint): Promise<void> {
  // (iban, fingerprint) pairs, so that both look-ups use the (iban, fingerprint …) indexes: one query each, in bulk.
  const created = (alias: string) => sql<boolean>`(${sql.ref(`${alias}.iban`)}, ${sql.ref(`${alias}.fingerprint`)}) IN (SELECT iban, fingerprint FROM bank_entry WHERE file_id = ${fileId} AND undone_at IS NULL)`;
  const others = await sightingsOf(trx).where('s.file_id', '<>', fileId).where(created('s')).execute();
  const staying = await trx
    .selectFrom('bank_entry as e')
    .select(['e.iban', 'e.fingerprint', 'e.file_id', 'e.statement_row', 'e.acct_svcr_ref', 'e.sighting_implied', 'e.undone_at'])
    .where('e.file_id', '<>', fileId)
    .where('e.undone_at', 'is', null)
    .where(created('e'))
    .execute();
  const implied = await impliedSightingsOf(trx, staying);
  if (others.length === 0 && implied.size === 0) return;
  const byFingerprint = new Map<string, { sightings: Sighting[]; files: Set<bigint> }>();
  const groupOf = (key: string) => {
    let group = byFingerprint.get(key);
    if (!group) byFingerprint.set(key, (group = { sightings: [], files: new Set() }));
    return group;
  };
  const flagged = await withCopyFlags(trx, others);
  others.forEach((row, i) => {
    const group = groupOf(stateKey(row.iban, row.fingerprint));
    group.sightings.push(flagged[i]!);
    group.files.add(row.file_id);
  });
  for (const [key, sightings] of implied) groupOf(key).sightings.push(...sightings);
  const stays = new Map<string, number>();
  for (const e of staying) {
    const key = stateKey(e.iban, e.fingerprint);
    stays.set(key, (stays.get(key) ?? 0) + 1);
    // An entry standing for its report's sighting is of a file that still reports it.
    if (e.sighting_implied) groupOf(key).files.add(e.file_id);
  }
  const still = new Set<bigint>();
  let entries = 0;
  for (const [key, group] of byFingerprint) {
    const lost = realCount(group.sightings) - (stays.get(key) ?? 0);
    if (lost <= 0) continue;
    entries += lost;
    for (const f of group.files) still.add(f);
  }
  if (entries === 0) return;
  const files = await trx.selectFrom('bank_file').select(['id', 'file_name']).where('id', 'in', [...still]).orderBy('id').execute();
  const named = files.slice(0, 5).map((f) => `${f.id} (${f.file_name})`).join(', ');
  throw new IngestError(
    'undo_still_reported',
    `bank file ${fileId} cannot be undone: ${entries} entr${entries === 1 ? 'y' : 'ies'} it booked ${entries === 1 ? 'is' : 'are'} also reported by bank file ${named}${files.length > 5 ? ', …' : ''}, which is still ingested; ` +
      'undoing this one would take back money the bank did book. Undo those files first (then this one, and ingest them again), or leave this file in place.',
    { files: files.map((f) => f.id.toString()), entries },
  );
}
