import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { bookBatch, type LedgerResult } from './book.js';
import type { LedgerRequest } from './requests.js';

export interface LedgerWriterOptions {
  /** Most requests in one commit. */
  readonly maxBatch?: number;
  /** How long a request may wait for company before its commit starts, in milliseconds. */
  readonly maxWaitMs?: number;
  /** Commits in flight at once; 1 on the embedded database, which has one connection anyway. */
  readonly concurrency?: number;
}

interface Waiting {
  readonly request: LedgerRequest;
  readonly resolve: (result: LedgerResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: single bookings from many concurrent callers are gathered into
 * shared database transactions, so throughput is set by commits per second,
 * not by one round trip per booking. Each caller still gets its own result,
 * exactly as `bookBatch` would give it. When a shared commit fails for a
 * reason a retry cannot fix, its requests are tried one by one, so one bad
 * request never takes the others down with it.
 */
export class LedgerWriter {
  private readonly queue: Waiting[] = [];
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly concurrency: number;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly idle = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly db: Kysely<Database>,
    options: LedgerWriterOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1_000;
    this.maxWaitMs = options.maxWaitMs ?? 2;
    this.concurrency = options.concurrency ?? 2;
  }

  submit(request: LedgerRequest): Promise<LedgerResult> {
    if (this.closed) return Promise.reject(new Error('the ledger writer is closed'));
    return new Promise<LedgerResult>((resolve, reject) => {
      this.queue.push({ request, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything submitted so far is committed or answered. */
  async drain(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private schedule(): void {
    if (this.queue.length >= this.maxBatch) this.startFlush();
    else this.timer ??= setTimeout(() => this.startFlush(), this.maxWaitMs);
  }

  private startFlush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    while (this.queue.length > 0 && this.inFlight < this.concurrency) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight++;
      void this.flush(batch).finally(() => {
        this.inFlight--;
        // Whoever arrived during that commit has waited long enough: go at once.
        if (this.queue.length > 0) this.startFlush();
        else if (this.inFlight === 0) {
          for (const done of this.idle) done();
          this.idle.clear();
        }
      });
    }
  }

  private async flush(batch: readonly Waiting[]): Promise<void> {
    try {
      const results = await inTransaction(this.db, (trx) =>
        bookBatch(
          trx,
          batch.map((w) => w.request),
        ),
      );
      batch.forEach((waiting, i) => waiting.resolve(results[i]!));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const waiting of batch) await this.flush([waiting]);
    }
  }
}
