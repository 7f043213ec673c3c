import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { approveBatch, rejectBatch } from '../payments/batches.js';
import { PaymentError } from '../payments/errors.js';
import { handOverAgain } from '../payments/files.js';
import { releaseBatch } from '../payments/release.js';

/**
 * `ontzorg batches …`: the back office's batch work from a terminal. Who acts is given with
 * --as (the CLI has no login; in production these steps go through the API with a token).
 */
export interface BatchCommand {
  readonly action: string | undefined;
  readonly batchId: string | undefined;
  readonly as: string | undefined;
  readonly reason: string | undefined;
  readonly outbox: string;
  readonly status: string | undefined;
  /** The file's sequence for hand-over-again (default 1). */
  readonly file?: string | undefined;
}

export async function runBatchCommand(db: Kysely<Database>, command: BatchCommand, print: (line: string) => void): Promise<number> {
  if (command.action === 'list' || command.action === undefined) {
    let query = db.selectFrom('payment_batch as b').leftJoin('payment_file as f', (j) => j.onRef('f.batch_id', '=', 'b.id').on('f.sequence', '=', 1)).select(['b.id', 'b.gemeente_id', 'b.execution_date', 'b.status', 'b.payments', 'b.total_cents', 'b.instant', 'b.approvals_needed', 'f.sha256']).orderBy('b.id');
    if (command.status) query = query.where('b.status', '=', command.status as 'approved');
    const rows = await query.execute();
    if (rows.length === 0) print('no payment batches');
    for (const r of rows) {
      print(`batch ${r.id}  ${r.gemeente_id}  ${r.execution_date}${r.instant ? ' (instant)' : ''}  ${r.status.padEnd(17)}  ${String(r.payments).padStart(6)} payments  € ${Money.fromCents(r.total_cents).toString().padStart(12)}  approvals needed ${r.approvals_needed}  sha256 ${r.sha256 ?? '—'}`);
    }
    return 0;
  }
  if (!command.batchId || !/^\d+$/.test(command.batchId)) {
    print(`batches ${command.action} needs a batch id`);
    return 2;
  }
  if (!command.as) {
    print(`batches ${command.action} needs --as <user id>: who approves, rejects or releases is recorded`);
    return 2;
  }
  const batchId = BigInt(command.batchId);
  try {
    switch (command.action) {
      case 'approve': {
        const batch = await inTransaction(db, (trx) => approveBatch(trx, batchId, command.as!));
        print(batch.status === 'approved' ? `batch ${batchId} approved` : `batch ${batchId}: approval recorded; it needs ${batch.approvals_needed} approvals from different approvers`);
        return 0;
      }
      case 'reject': {
        if (!command.reason) {
          print('batches reject needs --reason "…"');
          return 2;
        }
        await inTransaction(db, (trx) => rejectBatch(trx, batchId, command.as!, command.reason!));
        print(`batch ${batchId} rejected; its payments are cancelled and their money stays reserved`);
        return 0;
      }
      case 'release': {
        const files = await releaseBatch(db, batchId, { releasedBy: command.as, now: new Date(), outboxDir: command.outbox });
        for (const f of files) print(`released ${f.fileName}: ${f.payments} payments, € ${f.total}, sha256 ${f.sha256} → ${command.outbox}${f.handedOverAt ? ` (handed over ${f.handedOverAt.toISOString()})` : ''}`);
        return 0;
      }
      case 'hand-over-again': {
        const sequence = Number(command.file ?? '1');
        if (!Number.isInteger(sequence) || sequence < 1 || !command.reason) {
          print('batches hand-over-again needs --file <n> (default 1) and --reason "…": only after the bank confirmed it did not receive the file, or its payments go out twice');
          return 2;
        }
        const file = await handOverAgain(db, batchId, sequence, { actor: command.as, reason: command.reason }, command.outbox);
        print(`handed over again ${file.fileName}: ${file.payments} payments, € ${file.total}, sha256 ${file.sha256} → ${command.outbox}`);
        return 0;
      }
      default:
        print(`unknown batches action "${command.action}" (list, approve, reject, release, hand-over-again)`);
        return 2;
    }
  } catch (error) {
    if (!(error instanceof PaymentError)) throw error;
    print(`refused (${error.code}): ${error.message}`);
    return 1;
  }
}
