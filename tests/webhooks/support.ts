import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import { assignCaseworker } from '../../src/auth/scope.js';
import { requireBsnKeys, resolveBsnKeys } from '../../src/clients/bsn-keys.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { recordFloorDecision } from '../../src/clients/floor-decisions.js';
import { startStatutoryPeriod } from '../../src/clients/ontzorg-periods.js';
import { registerClient } from '../../src/clients/registry.js';
import { loadConfig } from '../../src/config.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { Money } from '../../src/money/money.js';
import { checkedWebhookUrl, setWebhook, verifyNoticeSignature, WEBHOOK_HEADERS, webhookSecretKeyFrom, type SignatureCheck, type WebhookSettings } from '../../src/webhooks/index.js';

/** "Today" of these tests: Amira's six months of art. 56a end on 30 November, five days later. */
export const AS_OF = '2026-11-25';
export const SECRET = 'whsec-7f3a9c1e5b2d4f6a8c0e2b4d6f8a0c2e';
const KEYS = requireBsnKeys(resolveBsnKeys({ bsnKeys: loadConfig({ ONTZORG_BSN_KEY: Buffer.alloc(32, 21).toString('base64'), ONTZORG_BSN_HASH_KEY: Buffer.alloc(32, 22).toString('base64') }).bsnKeys, databaseUrl: 'postgres://x', dataDir: '.' }));
/** ONTZORG_WEBHOOK_ALLOW_LOCAL on, and the key secrets are sealed with (from the tests' data key). */
export const LOCAL: WebhookSettings = { allowLocal: true, secretKey: webhookSecretKeyFrom(KEYS.encryption) };

/** What the tests look for in every body sent: none of it may be there (rule 13). */
export const PERSONAL = { name: 'Amira Haddad', latinName: 'Amira Haddad', bsn: '123456782', iban: 'NL22SNSB0912345678', reference: 'WH-AMIRA-1' } as const;

export interface Scene {
  /** Dordrecht, guided by VWN's caseworker-1; her art. 56a period ends on 30 November (signal `period_ending`). */
  readonly amira: bigint;
  /** Dordrecht, guided by Humanitas: never a notice for VWN. */
  readonly hiba: bigint;
  /** Dordrecht, without a caseworker. */
  readonly dawit: bigint;
  /** Zwijndrecht, guided by VWN's team there. */
  readonly sara: bigint;
}

/** Four clients whose periods all end on 30 November 2026, each guided differently (or not at all). */
export async function aSignalScene(db: Kysely<Database>, tag: string): Promise<Scene> {
  return inTransaction(db, async (trx) => {
    await ensureGemeente(trx, { id: 'GM0505', name: 'Dordrecht' });
    await ensureGemeente(trx, { id: 'GM0642', name: 'Zwijndrecht' });
    const register = async (gemeenteId: string, reference: string, name: string, extra: { bsn?: string; ownIban?: string } = {}) => {
      const client = await registerClient(trx, { gemeenteId, reference, name, householdType: 'single', bijstandStart: '2026-06-01', inburgeringsplichtigWi2021: true, fixedTermAsylumPermit: true, ...extra }, KEYS);
      await startStatutoryPeriod(trx, client.id);
      return client.id;
    };
    const amira = await register('GM0505', `${PERSONAL.reference}-${tag}`, PERSONAL.name, { bsn: PERSONAL.bsn, ownIban: PERSONAL.iban });
    const hiba = await register('GM0505', `WH-HIBA-${tag}`, 'Hiba Saleh');
    const dawit = await register('GM0505', `WH-DAWIT-${tag}`, 'Dawit Tesfaye');
    const sara = await register('GM0642', `WH-SARA-${tag}`, 'Sara Ghebremedhin');
    await assignCaseworker(trx, { clientId: amira, organisation: 'VWN', caseworkerId: 'caseworker-1' });
    await assignCaseworker(trx, { clientId: hiba, organisation: 'Humanitas', caseworkerId: 'h-1' });
    await assignCaseworker(trx, { clientId: sara, organisation: 'VWN', team: 'zwijndrecht' });
    return { amira, hiba, dawit, sara };
  });
}

/** A new signal for a client: a leefgeld-floor decision (`maatwerk_decision`). */
export async function aMaatwerkDecision(db: Kysely<Database>, clientId: bigint, reference: string): Promise<void> {
  await inTransaction(db, (trx) =>
    recordFloorDecision(trx, clientId, { reference, floor: Money.parse('100.00'), effectiveFrom: '2026-11-30', effectiveUntil: null, reason: 'advance recovery agreed with the client', decidedBy: 'consulent-7' }),
  );
}

/** VWN's webhook for Dordrecht, pointing at `url` (a local receiver). */
export async function aWebhook(db: Kysely<Database>, url: string, overrides: { organisation?: string; active?: boolean; kinds?: string[]; gemeenten?: string[] } = {}): Promise<bigint> {
  const checked = await checkedWebhookUrl(url, LOCAL);
  const { webhook } = await inTransaction(db, (trx) =>
    setWebhook(
      trx,
      overrides.organisation ?? 'VWN',
      { url: checked, secret: SECRET, gemeenten: overrides.gemeenten ?? ['GM0505'], ...(overrides.active !== undefined ? { active: overrides.active } : {}), ...(overrides.kinds ? { kinds: overrides.kinds } : {}) },
      { by: 'admin-1', scope: ['GM0505', 'GM0642'], settings: LOCAL },
    ),
  );
  return webhook.id;
}

export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly json: Record<string, unknown>;
  readonly signature: SignatureCheck;
}

export interface Receiver {
  readonly url: string;
  readonly received: Received[];
  /** The answers to give, in order; after them 200. A number is the status; `slow` answers after two seconds. */
  script(answers: (number | 'slow')[]): void;
  /** The requests for one event id. */
  forEvent(eventId: string): Received[];
  close(): Promise<void>;
}

/**
 * A real receiver on 127.0.0.1 and a random port, doing what the README tells an organisation to do:
 * verify the signature over "<timestamp>.<body>" and refuse a stale timestamp (401 then).
 */
export async function startReceiver(secret = SECRET): Promise<Receiver> {
  const received: Received[] = [];
  let answers: (number | 'slow')[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => (typeof request.headers[name] === 'string' ? (request.headers[name] as string) : undefined);
      const signature = verifyNoticeSignature({ secret, body, timestamp: header(WEBHOOK_HEADERS.timestamp), signature: header(WEBHOOK_HEADERS.signature), now: new Date() });
      received.push({ headers: request.headers, body, json: JSON.parse(body) as Record<string, unknown>, signature });
      const answer = answers.shift() ?? 200;
      const status = signature.ok ? answer : 401;
      const send = () => response.writeHead(status === 'slow' ? 200 : status, { 'content-type': 'text/plain' }).end(status === 200 || status === 'slow' ? 'ok' : `refused with ${String(status)}: ${'x'.repeat(500)}`);
      if (status === 'slow') setTimeout(send, 2_000).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ontzorg/signals`,
    received,
    script: (next) => {
      answers = [...next];
    },
    forEvent: (eventId) => received.filter((r) => r.headers[WEBHOOK_HEADERS.eventId] === eventId),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
