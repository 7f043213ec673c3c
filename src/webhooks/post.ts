import http from 'node:http';
import https from 'node:https';
import { AddressNotPublic, guardedLookup, isPublicAddress, literalAddress, type WebhookSettings } from './address.js';

/** What came back: the status, and at most a short excerpt of the body (nothing more is kept). */
export interface PostAnswer {
  readonly statusCode: number;
  readonly excerpt: string;
}

export const EXCERPT_CHARACTERS = 200;
const EXCERPT_BYTES = 800;

/** The answer's text as one line of printable characters: control characters and broken bytes become spaces. */
function printable(text: string): string {
  return [...text].map((c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' || c === '\ufffd' ? ' ' : c)).join('').trim();
}

/** No answer: why, in words safe to store (never the URL, which may hold the receiver's own token). */
export class PostFailed extends Error {
  constructor(
    readonly reason: 'timeout' | 'network' | 'address_not_public',
    message: string,
  ) {
    super(message);
    this.name = 'PostFailed';
  }
}

/**
 * One POST of a notice, over https (http only to loopback with ONTZORG_WEBHOOK_ALLOW_LOCAL): the
 * address connected to is checked (SSRF), redirects are not followed, the whole exchange has
 * `timeoutMs`, TLS certificates are verified, and no connection is kept for another request.
 */
export function postNotice(url: URL, body: string, headers: Readonly<Record<string, string>>, options: { timeoutMs: number; settings: WebhookSettings }): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const literal = literalAddress(url);
    if (literal !== null && !options.settings.allowLocal && !isPublicAddress(literal)) {
      reject(new PostFailed('address_not_public', `the webhook address ${literal} is not a public internet address`));
      return;
    }
    const client = url.protocol === 'https:' ? https : http;
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const request = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': Buffer.byteLength(body, 'utf8').toString() },
      lookup: guardedLookup(options.settings),
      agent: false,
    });
    const timer = setTimeout(() => {
      finish(() => reject(new PostFailed('timeout', `no answer within ${options.timeoutMs / 1000} s`)));
      request.destroy();
    }, options.timeoutMs);
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const answer = () => {
        const text = printable(Buffer.concat(chunks).toString('utf8'));
        finish(() => resolve({ statusCode: response.statusCode ?? 0, excerpt: text.slice(0, EXCERPT_CHARACTERS) }));
        response.destroy();
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= EXCERPT_BYTES) answer();
      });
      response.on('end', answer);
      response.on('error', answer);
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error instanceof AddressNotPublic) finish(() => reject(new PostFailed('address_not_public', error.message)));
      else finish(() => reject(new PostFailed('network', `no connection: ${error.code ?? error.name}`)));
    });
    request.end(body);
  });
}
