/** Sends one prepared statement; made by the `prepare` given to `InOrder.add`. */
export type Send = () => Promise<unknown>;

interface Queued {
  readonly prepare: () => Send;
  prepared?: { readonly send: Send } | { readonly error: unknown };
}

/**
 * Statements of one file that run on the server while node prepares the next ones, on the file's own transaction.
 * Node and PostgreSQL otherwise take turns: node builds a part's rows while the server idles, then the server writes
 * them while node idles. Queued work runs in the order it was queued, one piece at a time (rows of a part after its
 * entries: items name their entry); other statements of the transaction (the ledger's) may run in between.
 *
 * Each piece comes in two steps: `prepare` (synchronous, no database: builds the rows and encodes the parameters)
 * and the `Send` it returns. As soon as one piece is sent, the next one queued is prepared, so that it is ready
 * when the connection is free again: preparing it only after the one before had answered left the server waiting
 * for node for each part.
 *
 * Nothing queued may outlive the transaction: a statement sent after the rollback would run outside it, on a
 * connection back in the pool, and book half a file. So whoever queues here must `settle()` before the transaction
 * ends, also (above all) when it fails; `settle` waits for everything queued and then throws the first failure.
 * Preparing ahead sends nothing, and after a failure nothing more is prepared or sent.
 */
export class InOrder {
  private tail: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  /** Queued pieces not yet started, in order. */
  private readonly waiting: Queued[] = [];

  /** Queues a piece after everything queued before; returns at once. */
  add(prepare: () => Send): void {
    const piece: Queued = { prepare };
    this.waiting.push(piece);
    this.tail = this.tail.then(async () => {
      this.waiting.shift();
      if (this.failure) return;
      try {
        const prepared = this.prepared(piece);
        if ('error' in prepared) throw prepared.error;
        const sent = prepared.send();
        const next = this.waiting[0];
        // After the current turn, so that the statement just sent reaches the connection first.
        if (next) setImmediate(() => this.failure ?? this.prepared(next));
        await sent;
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

  /** A piece prepared once, whoever asks first; a failure to prepare is kept for its turn. */
  private prepared(piece: Queued): NonNullable<Queued['prepared']> {
    if (!piece.prepared) {
      try {
        piece.prepared = { send: piece.prepare() };
      } catch (error) {
        piece.prepared = { error };
      }
    }
    return piece.prepared;
  }
}
