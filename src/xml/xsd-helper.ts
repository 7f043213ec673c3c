import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { XmlProblem } from './schemas.js';

/**
 * A second thread for XSD validation, so that the pieces of a big file
 * (`validateXmlInPieces`) are validated two at a time. libxml2-wasm has no
 * streaming validator and one wasm instance runs on one thread; a worker has
 * its own instance (the compiled wasm code itself is shared by V8).
 *
 * The calling API stays synchronous: the caller hands a piece over (its bytes
 * are moved, not copied), validates the next piece itself meanwhile, and picks
 * up the helper's answers from a message port without returning to the event
 * loop (`receiveMessageOnPort`, and `Atomics.wait` on a shared counter when it
 * has nothing else to do). One helper per process, started on first use and
 * never keeping the process alive.
 */

export interface PieceAnswer {
  id: number;
  /** The helper could not validate at all (not: the piece is invalid); the caller validates the piece itself. */
  failed: boolean;
  valid: boolean;
  errors: XmlProblem[];
  /** The piece's buffer, given back. */
  bytes: ArrayBuffer;
}

export interface PieceJob {
  id: number;
  schemaPath: string;
  forceUtf8: boolean;
}

/**
 * The helper's own code (CommonJS, evaluated in the worker): libxml2-wasm, one
 * compiled schema per path, and the same parse-and-validate as `validateBytes`
 * in xsd.ts (a document that is not well-formed is invalid, never thrown).
 */
const HELPER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { readFileSync } = require('node:fs');
const { port, answered, libxml2, parseOptions, maxErrors } = workerData;
const signal = new Int32Array(answered);
const library = import(libxml2);
const validators = new Map();
function problems(lib, error) {
  if (error instanceof lib.XmlLibError && error.details.length > 0) {
    return error.details.slice(0, maxErrors).map((d) => ({ message: d.message.trim(), line: d.line }));
  }
  return [{ message: error instanceof Error ? error.message.trim() : String(error), line: 0 }];
}
function validatorFor(lib, path) {
  let validator = validators.get(path);
  if (validator) return validator;
  const xsd = lib.XmlDocument.fromBuffer(readFileSync(path), { url: path });
  try {
    validator = lib.XsdValidator.fromDoc(xsd);
    validators.set(path, validator);
    return validator;
  } finally {
    xsd.dispose();
  }
}
function validate(lib, job) {
  const validator = validatorFor(lib, job.schemaPath);
  let doc;
  try {
    const options = job.forceUtf8 ? { encoding: 'UTF-8', option: parseOptions } : { option: parseOptions };
    doc = lib.XmlDocument.fromBuffer(new Uint8Array(job.bytes, 0, job.length), options);
  } catch (error) {
    return { valid: false, errors: problems(lib, error) };
  }
  try {
    validator.validate(doc);
    return { valid: true, errors: [] };
  } catch (error) {
    return { valid: false, errors: problems(lib, error) };
  } finally {
    doc.dispose();
  }
}
parentPort.on('message', async (job) => {
  let answer;
  try {
    answer = validate(await library, job);
  } catch {
    // Not an answer about the piece (libxml2 did not load, the schema did not compile): the caller validates it.
    answer = { failed: true, valid: false, errors: [] };
  }
  // The piece's buffer goes back with the answer, to be filled again: no megabyte per piece piles up here.
  port.postMessage({ id: job.id, failed: answer.failed === true, valid: answer.valid, errors: answer.errors, bytes: job.bytes }, [job.bytes]);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

/** Piece buffers kept for reuse: as many as can be out at once. */
const MAX_SPARE = 6;

/** No answer for this long while pieces are out: the helper is given up and its pieces validated here. */
const STALL_MS = 30_000;

export class XsdHelper {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly answered: Int32Array;
  private received = 0;
  /** Piece buffers given back, to be filled again. */
  private readonly spare: ArrayBuffer[] = [];

  constructor(settings: { parseOptions: number; maxErrors: number }) {
    const { port1, port2 } = new MessageChannel();
    const shared = new SharedArrayBuffer(4);
    const libxml2 = pathToFileURL(createRequire(import.meta.url).resolve('libxml2-wasm')).href;
    this.worker = new Worker(HELPER_SOURCE, {
      eval: true,
      workerData: { port: port2, answered: shared, libxml2, ...settings },
      transferList: [port2],
    });
    this.worker.unref();
    port1.unref();
    this.port = port1;
    this.answered = new Int32Array(shared);
  }

  /**
   * Hands a piece over: its parts are copied into a buffer of the helper's own (moved to the
   * helper, given back with the answer and used again), so the caller may change its bytes at once.
   */
  send(job: PieceJob, parts: readonly Uint8Array[]): void {
    let length = 0;
    for (const part of parts) length += part.length;
    const index = this.spare.findIndex((buffer) => buffer.byteLength >= length);
    const buffer = index === -1 ? new ArrayBuffer(Math.ceil(length * 1.25)) : (this.spare.splice(index, 1)[0] as ArrayBuffer);
    const bytes = new Uint8Array(buffer);
    let at = 0;
    for (const part of parts) {
      bytes.set(part, at);
      at += part.length;
    }
    this.worker.postMessage({ ...job, bytes: buffer, length }, [buffer]);
  }

  /** Answers that have arrived, without waiting. */
  take(): PieceAnswer[] {
    const answers: PieceAnswer[] = [];
    for (let message = receiveMessageOnPort(this.port); message !== undefined; message = receiveMessageOnPort(this.port)) {
      const answer = message.message as PieceAnswer;
      answers.push(answer);
      if (this.spare.length < MAX_SPARE) this.spare.push(answer.bytes);
      this.received += 1;
      answeredByHelpers += 1;
    }
    return answers;
  }

  /** Blocks until an answer has arrived; false when none came for `STALL_MS`. */
  wait(): boolean {
    return Atomics.wait(this.answered, 0, this.received, STALL_MS) !== 'timed-out';
  }

  stop(): void {
    void this.worker.terminate();
    this.port.close();
  }
}

let helper: XsdHelper | null | undefined;
let answeredByHelpers = 0;

/** How many pieces a helper thread has validated in this process (tests: is the second thread at work?). */
export function piecesValidatedByHelper(): number {
  return answeredByHelpers;
}

/** The process's helper, started on first use; null when no worker can be started (then all pieces are validated here). */
export function xsdHelper(settings: { parseOptions: number; maxErrors: number }): XsdHelper | null {
  if (helper !== undefined) return helper;
  try {
    helper = new XsdHelper(settings);
  } catch {
    helper = null;
  }
  return helper;
}

/** After a stall: stop the helper for good, the process goes on with one thread. */
export function giveUpHelper(): void {
  helper?.stop();
  helper = null;
}
