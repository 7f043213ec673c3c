export interface GroupCommitOptions {
  /** Most items in one commit. */
  readonly maxBatch?: number;
  /**
   * How long an item may wait for company before its commit starts, in milliseconds. With 0 an
   * item goes at once when a commit slot is free; whoever arrives while the slots are busy waits
   * for the next one and shares it, so gathering never adds more than one commit's time.
   */
  readonly maxWaitMs?: number;
  /** Commits in flight at once; 1 on the embedded database, which has one connection anyway. */
  readonly concurrency?: number;
}

interface Waiting<Item, Result> {
  readonly item: Item;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: items from many concurrent callers are gathered into shared
 * database commits, so throughput is set by commits per second, not by one
 * round trip and one WAL flush per item. `commit` writes a group in one
 * transaction and answers each item in order. When a shared commit fails, its
 * items are tried one by one, so one bad item never takes the others down
 * with it; each caller gets its own answer or its own error.
 */
export class GroupCommit<Item, Result> {
  private readonly queue: Waiting<Item, Result>[] = [];
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;
  private readonly concurrency: number;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly idle = new Set<() => void>();
  private closed = false;

  constructor(
    /** Names the writer in the error a late caller gets after `close`. */
    private readonly name: string,
    private readonly commit: (items: readonly Item[]) => Promise<readonly Result[]>,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 1_000;
    this.maxWaitMs = options.maxWaitMs ?? 2;
    this.concurrency = options.concurrency ?? 2;
  }

  submit(item: Item): Promise<Result> {
    if (this.closed) return Promise.reject(new Error(`the ${this.name} is closed`));
    return new Promise<Result>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
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
    if (this.queue.length >= this.maxBatch || (this.maxWaitMs === 0 && this.inFlight < this.concurrency)) this.startFlush();
    else if (this.maxWaitMs > 0) this.timer ??= setTimeout(() => this.startFlush(), this.maxWaitMs);
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

  private async flush(batch: readonly Waiting<Item, Result>[]): Promise<void> {
    try {
      const results = await this.commit(batch.map((w) => w.item));
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
