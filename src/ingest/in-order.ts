/**
 * Statements of one file that run on the server while node prepares the next ones, on the file's own transaction.
 * Node and PostgreSQL otherwise take turns: node builds a part's rows while the server idles, then the server writes
 * them while node idles. Queued work runs in the order it was queued, one piece at a time (rows of a part after its
 * entries: items name their entry); other statements of the transaction (the ledger's) may run in between.
 *
 * Nothing queued may outlive the transaction: a statement sent after the rollback would run outside it, on a
 * connection back in the pool, and book half a file. So whoever queues here must `settle()` before the transaction
 * ends, also (above all) when it fails; `settle` waits for everything queued and then throws the first failure.
 */
export class InOrder {
  private tail: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;

  /** Queues `work` after everything queued before; returns at once. After a failure nothing more runs. */
  add(work: () => Promise<unknown>): void {
    this.tail = this.tail.then(async () => {
      if (this.failure) return;
      try {
        await work();
      } catch (error) {
        this.failure ??= { error };
      }
    });
  }

  /** The first failure of queued work so far, if any (the cause when statements after it fail as well). */
  get failed(): { error: unknown } | null {
    return this.failure;
  }

  /** Waits for everything queued; throws the first failure. */
  async settle(): Promise<void> {
    await this.tail;
    if (this.failure) throw this.failure.error;
  }
}
