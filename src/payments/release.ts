import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction, type Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { buildAndValidatePain001Files, type CreditTransfer } from '../sepa/index.js';
import { lockBatch } from './batches.js';
import { PaymentError } from './errors.js';

/** The steps of a release, named so a test can stop the process between any two of them. */
export const RELEASE_STEPS = ['locked', 'built', 'validated', 'posted', 'recorded', 'committed', 'outbox'] as const;
export type ReleaseStep = (typeof RELEASE_STEPS)[number];

export interface ReleaseOptions {
  readonly releasedBy: string;
  /** The moment of release: becomes the files' CreDtTm (Amsterdam wall time) and the day the rules check against. */
  readonly now: Date;
  /** Folder the bank-upload software picks files up from; written after commit. */
  readonly outboxDir?: string;
  /** Called after each step; tests kill the process here. */
  readonly onStep?: (step: ReleaseStep) => void;
}

export interface ReleasedFile {
  readonly fileName: string;
  readonly messageId: string;
  readonly sha256: string;
  readonly payments: number;
  readonly total: string;
  readonly content: Uint8Array;
}

function amsterdam(now: Date): { date: string; dateTime: string } {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(now)
      .map((x) => [x.type, x.value]),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, dateTime: `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}` };
}

export function fileNameOf(messageId: string): string {
  return `${messageId}.xml`;
}

/**
 * Releases an approved batch: builds its pain.001 file(s), validates them against the XSD and the
 * business rules, moves each payment's reservation to payments in transit, and records the files,
 * all in one database transaction; then writes the files to the outbox. A payment can be in only
 * one released file, ever (a primary key says so). Releasing a released batch answers the files
 * it has, byte for byte, and (re)writes any missing from the outbox: a crash anywhere loses and
 * doubles nothing.
 */
export async function releaseBatch(db: Kysely<Database>, batchId: bigint, options: ReleaseOptions): Promise<ReleasedFile[]> {
  const step = options.onStep ?? (() => undefined);
  await inTransaction(db, async (trx) => {
    const batch = await lockBatch(trx, batchId);
    step('locked');
    if (batch.status === 'released') return;
    if (batch.status !== 'approved') throw new PaymentError('batch_not_approved', `payment batch ${batchId} is ${batch.status.replace('_', ' ')}; only an approved batch can be released`);
    const account = await trx.selectFrom('payment_account').selectAll().where('iban', '=', batch.debtor_iban).executeTakeFirstOrThrow();
    const instructions = await trx.selectFrom('payment_instruction').selectAll().where('batch_id', '=', batchId).where('status', '=', 'batched').orderBy('id').execute();
    const { date: today, dateTime } = amsterdam(options.now);
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
      { version: account.pain_version, today },
    );
    step('built');
    const invalid = files.flatMap((f) => f.validation.errors);
    if (invalid.length > 0) {
      const first = invalid.slice(0, 5).map((e) => `${e.endToEndId ? `payment ${e.endToEndId}: ` : ''}${e.message}`);
      throw new PaymentError('file_not_valid', `payment batch ${batchId} cannot be released: ${first.join('; ')}${invalid.length > 5 ? ` (and ${invalid.length - 5} more)` : ''}`, { errors: invalid.length });
    }
    step('validated');
    const posts: LedgerRequest[] = instructions.map((i) => ({
      type: 'post_pending',
      idempotencyKey: `release/${i.id.toString()}`,
      pendingKey: i.reservation_key,
      amount: Money.fromCents(i.amount_cents),
      bookingDate: today,
      description: `${i.kind} ${i.period} released to the bank in batch ${batchId}`,
    }));
    for (let n = 0; n < posts.length; n += 5_000) {
      const results = await bookBatch(trx, posts.slice(n, n + 5_000));
      const failed = results.find((r) => r.outcome !== 'booked');
      if (failed) throw new Error(`release of batch ${batchId}: ${failed.idempotencyKey} not booked (${failed.outcome === 'rejected' ? failed.error.message : failed.outcome === 'refused' ? failed.message : ''})`);
    }
    step('posted');
    await recordRelease(trx, batchId, instructions.map((i) => i.id), files, account.pain_version, dateTime, options.releasedBy);
    step('recorded');
  });
  step('committed');
  const files = await releasedFiles(db, batchId);
  if (options.outboxDir) writeOutbox(options.outboxDir, files);
  step('outbox');
  return files;
}

async function recordRelease(
  trx: Trx,
  batchId: bigint,
  instructionIds: readonly bigint[],
  files: ReturnType<typeof buildAndValidatePain001Files>,
  version: string,
  creationTime: string,
  releasedBy: string,
): Promise<void> {
  const ids = instructionIds.map(String);
  for (let n = 0; n < ids.length; n += 10_000) {
    await sql`INSERT INTO payment_release (instruction_id, batch_id) SELECT unnest(${ids.slice(n, n + 10_000)}::bigint[]), ${batchId.toString()}::bigint`.execute(trx);
  }
  for (const [index, file] of files.entries()) {
    const row = await trx
      .insertInto('payment_file')
      .values({ batch_id: batchId, sequence: index + 1, message_id: file.messageId, pain_version: version, creation_time: creationTime, sha256: file.sha256, content: file.bytes, payments: file.numberOfTransactions, total_cents: file.controlSum.cents })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('payment_block')
      .values(file.paymentInfos.map((p) => ({ payment_info_id: p.paymentInfoId, file_id: row.id, batch_id: batchId, execution_date: p.executionDate, payments: p.numberOfTransactions, total_cents: p.controlSum.cents })))
      .execute();
  }
  await sql`UPDATE payment_instruction SET status = 'released' WHERE id = ANY(${ids}::bigint[])`.execute(trx);
  await trx.updateTable('payment_batch').set({ status: 'released', released_by: releasedBy, released_at: new Date() }).where('id', '=', batchId).execute();
  await trx.insertInto('payment_event').values({ batch_id: batchId, kind: 'released', actor: releasedBy, details: JSON.stringify({ files: files.map((f) => ({ messageId: f.messageId, sha256: f.sha256 })) }) }).execute();
}

/** The files of a released batch, exactly as released (for download and the outbox). */
export async function releasedFiles(db: Kysely<Database> | Trx, batchId: bigint): Promise<ReleasedFile[]> {
  const rows = await db.selectFrom('payment_file').selectAll().where('batch_id', '=', batchId).orderBy('sequence').execute();
  return rows.map((r) => ({ fileName: fileNameOf(r.message_id), messageId: r.message_id, sha256: r.sha256, payments: r.payments, total: Money.fromCents(r.total_cents).toString(), content: r.content }));
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
