import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRaw, inflateRawSync } from 'node:zlib';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { buildAndValidatePain001Files, sha256Hex, type CreditTransfer } from '../sepa/index.js';
import { amsterdamWallClock } from '../schedule/index.js';
import { PaymentError } from './errors.js';
import { batchStatusText } from './rows.js';

export interface ReleasedFile {
  readonly fileName: string;
  readonly messageId: string;
  readonly sha256: string;
  readonly payments: number;
  readonly total: string;
  readonly content: Uint8Array;
  /** When it was handed to the bank-upload software (written to the outbox); null: not yet. */
  readonly handedOverAt: Date | null;
}

export function fileNameOf(messageId: string): string {
  return `${messageId}.xml`;
}

const deflate = promisify(deflateRaw);

/** What a stored file row holds: its bytes deflated (since migration 0030) or, stored before it, as they are. */
export interface StoredFileContent {
  readonly sha256: string;
  readonly content: Uint8Array | null;
  readonly content_deflated: Uint8Array | null;
}

/** The columns `fileBytes` reads: select these wherever a stored file's bytes are needed. */
export const STORED_FILE_COLUMNS = ['content', 'content_deflated', 'sha256'] as const;

/**
 * A stored payment file's bytes exactly as built: inflated when stored deflated, and checked against the SHA-256 the
 * approvers saw, so a file that left the service can only be the file that was approved.
 */
export function fileBytes(row: StoredFileContent): Uint8Array {
  const bytes = row.content_deflated !== null ? inflateRawSync(row.content_deflated) : row.content;
  if (bytes === null) throw new PaymentError('file_not_valid', 'a stored payment file has no content');
  if (sha256Hex(bytes) !== row.sha256) throw new PaymentError('file_not_valid', `a stored payment file does not match its SHA-256 ${row.sha256}: it is not handed out`);
  return bytes;
}

/**
 * Builds and validates the pain.001 file(s) of a new batch and stores them, so the approvers see
 * each file's SHA-256 before they approve and the bank's integrity hash can be compared with it.
 * The same batch always gives the same bytes: ids come from our own ids, the creation time is
 * the batch's. A file that fails the XSD or a business rule is refused here, naming the payment.
 */
export async function prepareBatchFiles(trx: Trx, batch: { readonly id: bigint; readonly debtor_iban: string; readonly instant: boolean }, now: Date, limits: { readonly maxPaymentsPerFile?: number } = {}): Promise<void> {
  const batchId = batch.id;
  const account = await trx.selectFrom('payment_account').selectAll().where('iban', '=', batch.debtor_iban).executeTakeFirstOrThrow();
  const instructions = await trx
    .selectFrom('payment_instruction')
    .select(['end_to_end_id', 'execution_date', 'amount_cents', 'creditor_name_latin', 'creditor_name', 'creditor_iban', 'reference_issuer', 'reference', 'remittance'])
    .where('batch_id', '=', batchId)
    .where('status', '=', 'batched')
    .orderBy('id')
    .execute();
  const { date: today, dateTime } = amsterdamWallClock(now);
  const payments: CreditTransfer[] = instructions.map((i) => ({
    endToEndId: i.end_to_end_id!,
    executionDate: i.execution_date,
    debtor: { name: account.debtor_name, iban: account.iban },
    amount: Money.fromCents(i.amount_cents),
    creditor: { name: i.creditor_name_latin, displayName: i.creditor_name, iban: i.creditor_iban },
    ...(i.reference_issuer && i.reference
      ? { remittance: { kind: 'structured' as const, issuer: i.reference_issuer, reference: i.reference } }
      : i.remittance
        ? { remittance: { kind: 'unstructured' as const, text: i.remittance } }
        : {}),
    instant: batch.instant,
  }));
  const files = buildAndValidatePain001Files(
    { messageId: `OZB-${batchId.toString().padStart(10, '0')}`, creationDateTime: dateTime, initiatingPartyName: account.initiating_party_name, batchBooking: account.batch_booking, instant: batch.instant, payments },
    { version: account.pain_version, today, ...limits },
  );
  const invalid = files.flatMap((f) => f.validation.errors);
  if (invalid.length > 0) {
    const first = invalid.slice(0, 5).map((e) => `${e.endToEndId ? `payment ${e.endToEndId}: ` : ''}${e.message}`);
    throw new PaymentError('file_not_valid', `the payment file of batch ${batchId} is not valid: ${first.join('; ')}${invalid.length > 5 ? ` (and ${invalid.length - 5} more)` : ''}`, { errors: invalid.length });
  }
  // Deflated on libuv's threads, all files at once: 28 MB of XML are 2.4 MB to send and store (migration 0030).
  const deflated = await Promise.all(files.map((file) => deflate(file.bytes, { level: 3 })));
  for (const [index, file] of files.entries()) {
    const row = await trx
      .insertInto('payment_file')
      .values({ batch_id: batchId, sequence: index + 1, message_id: file.messageId, pain_version: account.pain_version, creation_time: dateTime, sha256: file.sha256, content_deflated: deflated[index]!, payments: file.numberOfTransactions, total_cents: file.controlSum.cents })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('payment_block')
      .values(file.paymentInfos.map((p) => ({ payment_info_id: p.paymentInfoId, file_id: row.id, batch_id: batchId, execution_date: p.executionDate, payments: p.numberOfTransactions, total_cents: p.controlSum.cents })))
      .execute();
  }
}

/**
 * The files of a batch, exactly as built when it was made (for approval, download and the outbox). `sequence`: only
 * that file (a download inflates and checks one file, not all of them). `alreadyRead`: files the caller has just been
 * given by `handOverToOutbox`, inflated and checked already: answered as they are, not inflated again.
 */
export async function releasedFiles(
  db: Kysely<Database> | Trx,
  batchId: bigint,
  options: { readonly sequence?: number; readonly alreadyRead?: readonly ReleasedFile[] } = {},
): Promise<ReleasedFile[]> {
  let query = db.selectFrom('payment_file').selectAll().where('batch_id', '=', batchId);
  if (options.sequence !== undefined) query = query.where('sequence', '=', options.sequence);
  const rows = await query.orderBy('sequence').execute();
  const read = new Map((options.alreadyRead ?? []).map((file) => [file.messageId, file]));
  return rows.map((row) => read.get(row.message_id) ?? toReleasedFile(row));
}

function toReleasedFile(r: StoredFileContent & { message_id: string; payments: number; total_cents: bigint; handed_over_at: Date | null }): ReleasedFile {
  return { fileName: fileNameOf(r.message_id), messageId: r.message_id, sha256: r.sha256, payments: r.payments, total: Money.fromCents(r.total_cents).toString(), content: fileBytes(r), handedOverAt: r.handed_over_at };
}

/**
 * Hands a released batch's files to the bank-upload software, each once ever: a file is claimed (its
 * `handed_over_at` set, committed) and then written. A file already handed over is never written again,
 * whoever asks (a second release, a retried job, the CLI run twice): the upload software takes files out of
 * the outbox, so a missing file was most likely sent, and writing it again would pay every payment in it
 * twice. A write that fails gives the claim back, so the next attempt writes it. Only a process killed
 * between the claim and the write leaves a file unwritten: visible on the batch (`handedOverAt` without the
 * bank's debit), and put back by a person (`handOverAgain`), never by a retry.
 */
export async function handOverToOutbox(db: Kysely<Database>, batchId: bigint, dir: string): Promise<ReleasedFile[]> {
  const claimed = await db
    .updateTable('payment_file')
    .set({ handed_over_at: new Date() })
    .where('batch_id', '=', batchId)
    .where('handed_over_at', 'is', null)
    .returningAll()
    .execute();
  const written = claimed.sort((a, b) => a.sequence - b.sequence).map(toReleasedFile);
  try {
    writeOutbox(dir, written);
  } catch (error) {
    await db.updateTable('payment_file').set({ handed_over_at: null }).where('id', 'in', claimed.map((c) => c.id)).execute();
    throw error;
  }
  return written;
}

/**
 * Puts a file of a released batch in the outbox once more, by a person's decision (the upload software lost
 * it, or the process stopped between claim and write): recorded with who and why, then handed over as above.
 * Only after the bank confirms it has not received the file: otherwise its payments go out twice. The reason is
 * the decision's key: asked again with the same reason (a retried command) it answers the file and writes nothing.
 */
export async function handOverAgain(db: Kysely<Database>, batchId: bigint, sequence: number, by: { actor: string; reason: string }, dir: string): Promise<ReleasedFile> {
  if (by.reason.trim().length < 5) throw new PaymentError('hand_over_reason_required', 'say why the file is handed over again (at least 5 characters): the bank must have confirmed it did not receive it');
  const file = await db.transaction().execute(async (trx) => {
    const batch = await trx.selectFrom('payment_batch').select(['status']).where('id', '=', batchId).forUpdate().executeTakeFirst();
    if (!batch) throw new PaymentError('batch_not_found', `there is no payment batch ${batchId}`);
    if (batch.status !== 'released') throw new PaymentError('batch_not_released', `payment batch ${batchId} is ${batchStatusText(batch.status)}: only a released batch's file can be handed over again`);
    const row = await trx.selectFrom('payment_file').select(['id', 'message_id']).where('batch_id', '=', batchId).where('sequence', '=', sequence).executeTakeFirst();
    if (!row) throw new PaymentError('batch_not_found', `batch ${batchId} has no file ${sequence}`);
    // The decision's reason is its key: the same request again (a retried command) hands nothing over again.
    const decided = await trx
      .selectFrom('payment_event')
      .select('id')
      .where('batch_id', '=', batchId)
      .where('kind', '=', 'handed_over_again')
      .where(sql<boolean>`details ->> 'file' = ${row.message_id} AND details ->> 'reason' = ${by.reason}`)
      .executeTakeFirst();
    if (decided) return { ...row, repeated: true };
    await trx.updateTable('payment_file').set({ handed_over_at: null }).where('id', '=', row.id).execute();
    await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'handed_over_again', actor: by.actor, details: JSON.stringify({ file: row.message_id, reason: by.reason }) }).execute();
    return { ...row, repeated: false };
  });
  const handedOver = file.repeated ? [] : await handOverToOutbox(db, batchId, dir);
  return (await releasedFiles(db, batchId, { sequence, alreadyRead: handedOver }))[0]!;
}

/** Writes files to the outbox atomically (temp file, then rename); an identical file already there is left alone. */
export function writeOutbox(dir: string, files: readonly ReleasedFile[]): void {
  mkdirSync(dir, { recursive: true });
  for (const file of files) {
    const target = join(dir, file.fileName);
    if (existsSync(target) && Buffer.compare(readFileSync(target), Buffer.from(file.content)) === 0) continue;
    const temp = `${target}.part`;
    writeFileSync(temp, file.content);
    renameSync(temp, target);
  }
}
