import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { buildAndValidatePain001Files, type CreditTransfer } from '../sepa/index.js';
import { PaymentError } from './errors.js';

export interface ReleasedFile {
  readonly fileName: string;
  readonly messageId: string;
  readonly sha256: string;
  readonly payments: number;
  readonly total: string;
  readonly content: Uint8Array;
}

export function amsterdam(now: Date): { date: string; dateTime: string } {
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
 * Builds and validates the pain.001 file(s) of a new batch and stores them, so the approvers see
 * each file's SHA-256 before they approve and the bank's integrity hash can be compared with it.
 * The same batch always gives the same bytes: ids come from our own ids, the creation time is
 * the batch's. A file that fails the XSD or a business rule is refused here, naming the payment.
 */
export async function prepareBatchFiles(trx: Trx, batch: { readonly id: bigint; readonly debtor_iban: string; readonly instant: boolean }, now: Date, limits: { readonly maxPaymentsPerFile?: number } = {}): Promise<void> {
  const batchId = batch.id;
  const account = await trx.selectFrom('payment_account').selectAll().where('iban', '=', batch.debtor_iban).executeTakeFirstOrThrow();
  const instructions = await trx.selectFrom('payment_instruction').selectAll().where('batch_id', '=', batchId).where('status', '=', 'batched').orderBy('id').execute();
  const { date: today, dateTime } = amsterdam(now);
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
  for (const [index, file] of files.entries()) {
    const row = await trx
      .insertInto('payment_file')
      .values({ batch_id: batchId, sequence: index + 1, message_id: file.messageId, pain_version: account.pain_version, creation_time: dateTime, sha256: file.sha256, content: file.bytes, payments: file.numberOfTransactions, total_cents: file.controlSum.cents })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('payment_block')
      .values(file.paymentInfos.map((p) => ({ payment_info_id: p.paymentInfoId, file_id: row.id, batch_id: batchId, execution_date: p.executionDate, payments: p.numberOfTransactions, total_cents: p.controlSum.cents })))
      .execute();
  }
}

/** The files of a batch, exactly as built when it was made (for approval, download and the outbox). */
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
