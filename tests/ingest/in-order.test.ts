import { describe, expect, it } from 'vitest';
import { InOrder } from '../../src/ingest/in-order.js';

/** A statement the test answers by hand: what was prepared and sent, in order. */
function harness() {
  const log: string[] = [];
  const answers = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const piece = (name: string, options: { failPrepare?: boolean } = {}) => () => {
    log.push(`prepare ${name}`);
    if (options.failPrepare) throw new Error(`cannot prepare ${name}`);
    return () => {
      log.push(`send ${name}`);
      return new Promise<void>((resolve, reject) => answers.set(name, { resolve, reject }));
    };
  };
  const turn = () => new Promise(setImmediate);
  return { log, answers, piece, turn };
}

describe('statements queued in order on a file transaction', () => {
  it('sends one at a time, in order, and prepares the next while the one before runs', async () => {
    const { log, answers, piece, turn } = harness();
    const rows = new InOrder();
    rows.add(piece('a'));
    rows.add(piece('b'));
    rows.add(piece('c'));
    await turn();
    await turn();
    // b is ready before a has answered; c waits until b is sent.
    expect(log).toEqual(['prepare a', 'send a', 'prepare b']);
    answers.get('a')!.resolve();
    await turn();
    await turn();
    expect(log).toEqual(['prepare a', 'send a', 'prepare b', 'send b', 'prepare c']);
    answers.get('b')!.resolve();
    await turn();
    answers.get('c')!.resolve();
    await rows.settle();
    expect(log).toEqual(['prepare a', 'send a', 'prepare b', 'send b', 'prepare c', 'send c']);
  });

  it('after a failed statement prepares and sends nothing more, and settles with that failure', async () => {
    const { log, answers, piece, turn } = harness();
    const rows = new InOrder();
    rows.add(piece('a'));
    await turn();
    answers.get('a')!.reject(new Error('a failed'));
    await turn();
    rows.add(piece('b'));
    await expect(rows.settle()).rejects.toThrow('a failed');
    expect(log).toEqual(['prepare a', 'send a']);
    expect(rows.failed).not.toBeNull();
  });

  it('reports a piece that cannot be prepared at its turn, after the ones before it were sent, and sends none after it', async () => {
    const { log, answers, piece, turn } = harness();
    const rows = new InOrder();
    rows.add(piece('a'));
    rows.add(piece('b', { failPrepare: true }));
    rows.add(piece('c'));
    await turn();
    await turn();
    // Prepared ahead, failed: nothing is thrown outside the queue, and a is still sent and answered.
    expect(rows.failed).toBeNull();
    answers.get('a')!.resolve();
    await expect(rows.settle()).rejects.toThrow('cannot prepare b');
    expect(log).toEqual(['prepare a', 'send a', 'prepare b']);
  });
});
