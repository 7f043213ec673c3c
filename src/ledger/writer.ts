import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { GroupCommit, type GroupCommitOptions } from '../db/group-commit.js';
import { inTransaction } from '../db/transaction.js';
import { bookBatch, type LedgerResult } from './book.js';
import type { LedgerRequest } from './requests.js';

export type LedgerWriterOptions = GroupCommitOptions;

/**
 * Single bookings from many concurrent callers, gathered into shared database
 * transactions (group commit). Each caller still gets its own result, exactly
 * as `bookBatch` would give it; a request that fails a shared commit for a
 * reason a retry cannot fix is tried alone, so it never takes the others down.
 */
export class LedgerWriter {
  private readonly group: GroupCommit<LedgerRequest, LedgerResult>;

  constructor(db: Kysely<Database>, options: LedgerWriterOptions = {}) {
    this.group = new GroupCommit('ledger writer', (requests) => inTransaction(db, (trx) => bookBatch(trx, requests)), options);
  }

  submit(request: LedgerRequest): Promise<LedgerResult> {
    return this.group.submit(request);
  }

  /** Resolves when everything submitted so far is committed or answered. */
  drain(): Promise<void> {
    return this.group.drain();
  }

  close(): Promise<void> {
    return this.group.close();
  }
}
