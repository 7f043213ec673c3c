import { Buffer } from 'node:buffer';

/**
 * Writing a file straight into bytes: one buffer for the whole file, and each
 * payment's markup written into it as one string (one UTF-8 encode per payment).
 * Measured and not kept: the markup pre-encoded once and the values copied in
 * byte by byte (about 40 % slower: a `TypedArray#set` or a JS byte loop per piece
 * costs more than V8 flattening and encoding one string), and several payments
 * joined into one string before encoding (about 25 % slower: deep string trees).
 */

/**
 * The file grows in one buffer; pages past the end are reserved but never
 * touched, so they cost address space, not memory.
 */
export class ByteWriter {
  private buffer: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  /** Text as it is: values in it are escaped by the caller. */
  write(text: string): void {
    this.reserve(text.length * 3);
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.length + bytes, Math.ceil(this.buffer.length * 1.5)));
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

const XML_SPECIAL = /[&<>"]/;

/** `& < > "` as references: values go into text and into double-quoted attributes. */
export function escapeXml(text: string): string {
  if (!XML_SPECIAL.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
