import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../src/db/transaction.js';
import {
  checkedWebhookUrl,
  deliverNotice,
  openWebhookSecret,
  recordSignalNotices,
  sealStoredWebhookSecrets,
  sealWebhookSecret,
  setWebhook,
  STRICT_WEBHOOKS,
  webhookSecretKeyFrom,
  WebhookError,
} from '../../src/webhooks/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { AS_OF, LOCAL, SECRET, aSignalScene, startReceiver, type Receiver } from './support.js';

const key = webhookSecretKeyFrom({ id: 'k1', key: Buffer.alloc(32, 1) });
const codeOf = (run: () => unknown): string => {
  try {
    run();
    return 'opened';
  } catch (error) {
    return error instanceof WebhookError ? `${error.code}: ${error.message}` : String(error);
  }
};

describe('a webhook signing secret at rest', () => {
  it('opens only for its own organisation, under its own key, unaltered', () => {
    const sealed = sealWebhookSecret(key, 'VWN', SECRET);
    expect(sealed).not.toContain(SECRET.slice(6, 20));
    expect(openWebhookSecret(key, 'VWN', sealed)).toBe(SECRET);
    // Copied onto another organisation's row: refused.
    expect(codeOf(() => openWebhookSecret(key, 'Humanitas', sealed))).toMatch(/^webhook_secret_unreadable: .*another organisation/);
    // Another data key with the same id (a key replaced without a new id), and a rotated key id.
    expect(codeOf(() => openWebhookSecret(webhookSecretKeyFrom({ id: 'k1', key: Buffer.alloc(32, 2) }), 'VWN', sealed))).toMatch(/^webhook_secret_unreadable/);
    expect(codeOf(() => openWebhookSecret(webhookSecretKeyFrom({ id: 'k2', key: Buffer.alloc(32, 1) }), 'VWN', sealed))).toMatch(/sealed with data key "k1"; this service has "k2"/);
    expect(codeOf(() => openWebhookSecret(undefined, 'VWN', sealed))).toMatch(/no data key/);
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'AB' : 'AA');
    expect(codeOf(() => openWebhookSecret(key, 'VWN', flipped))).toMatch(/^webhook_secret_unreadable/);
  });

  it('derives a key of its own from the data key: never the data key itself', () => {
    const data = Buffer.alloc(32, 1);
    expect(Buffer.from(key.key).equals(data)).toBe(false);
    expect(Buffer.from(webhookSecretKeyFrom({ id: 'k1', key: data }).key).equals(Buffer.from(key.key))).toBe(true);
  });
});

describeOnEachDatabase('webhook secrets in the database', (handle) => {
  let receiver: Receiver;
  beforeAll(async () => {
    await aSignalScene(handle().db, 'seal');
    receiver = await startReceiver();
  });
  afterAll(async () => receiver?.close());

  it('keeps no secret in clear, and signs every notice with the secret as given', async () => {
    const { db } = handle();
    const url = await checkedWebhookUrl(receiver.url, LOCAL);
    await inTransaction(db, (trx) => setWebhook(trx, 'VWN', { url, secret: SECRET, gemeenten: ['GM0505'] }, { by: 'admin-1', scope: ['GM0505'], settings: LOCAL }));
    const row = await db.selectFrom('organisation_webhook').selectAll().where('organisation', '=', 'VWN').where('deleted_at', 'is', null).executeTakeFirstOrThrow();
    expect(row.secret).toBeNull();
    expect(row.secret_sealed).toMatch(/^v1\./);
    expect(Object.values(row).map(String).join(' ')).not.toContain(SECRET);
    await recordSignalNotices(db, 'GM0505', AS_OF);
    const notice = await db.selectFrom('webhook_notice').select('id').where('webhook_id', '=', row.id).executeTakeFirstOrThrow();
    // The receiver checks the signature with SECRET and answers 401 when it does not match.
    expect(await deliverNotice(db, notice.id, { settings: LOCAL })).toMatchObject({ kind: 'delivered', statusCode: 200 });
  });

  it('refuses to take a secret without the data key, and changes nothing', async () => {
    const { db } = handle();
    const url = await checkedWebhookUrl(receiver.url, LOCAL);
    const attempt = inTransaction(db, (trx) => setWebhook(trx, 'Humanitas', { url, secret: SECRET, gemeenten: ['GM0505'] }, { by: 'admin-1', scope: ['GM0505'], settings: { allowLocal: true } }));
    const refusal = await attempt.then(() => null, (error: unknown) => error);
    expect(refusal).toBeInstanceOf(WebhookError);
    expect([(refusal as WebhookError).code, (refusal as WebhookError).status]).toEqual(['webhook_key_missing', 503]);
    expect(await db.selectFrom('organisation_webhook').select('id').where('organisation', '=', 'Humanitas').execute()).toEqual([]);
  });

  it('still signs with a secret stored in clear before 0015, and seals it at start-up', async () => {
    const { db } = handle();
    const legacy = 'legacy-secret-0123456789abcdef0123456789';
    const { id } = await db
      .insertInto('organisation_webhook')
      .values({ organisation: 'Legacy', url: receiver.url, secret: legacy, secret_sealed: null, active: true, kinds: ['period_ending'], gemeenten: ['GM0505'], created_by: 'admin-1', updated_by: 'admin-1' })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await db.selectFrom('organisation_webhook').select('secret').where('id', '=', id).executeTakeFirstOrThrow()).secret).toBe(legacy);
    expect(await sealStoredWebhookSecrets(db, LOCAL.secretKey!)).toBe(1);
    expect(await sealStoredWebhookSecrets(db, LOCAL.secretKey!)).toBe(0);
    const row = await db.selectFrom('organisation_webhook').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.secret).toBeNull();
    expect(openWebhookSecret(LOCAL.secretKey, 'Legacy', row.secret_sealed!)).toBe(legacy);
  });

  it('holds a live webhook to exactly one secret and a removed one to none, in the database itself', async () => {
    const { db } = handle();
    const insert = (values: { secret: string | null; secret_sealed: string | null; deleted: boolean }) =>
      sql`INSERT INTO organisation_webhook (organisation, url, secret, secret_sealed, kinds, gemeenten, created_by, updated_by, deleted_at, deleted_by)
          VALUES ('Check', 'https://93.184.215.14/x', ${values.secret}, ${values.secret_sealed}, ARRAY['period_ending'], ARRAY['GM0505'], 'a', 'a',
                  ${values.deleted ? sql`now()` : sql`NULL`}, ${values.deleted ? 'a' : null})`.execute(db);
    const sealed = sealWebhookSecret(key, 'Check', SECRET);
    await expect(insert({ secret: null, secret_sealed: null, deleted: false })).rejects.toThrow(/organisation_webhook_secret_while_live/);
    await expect(insert({ secret: SECRET, secret_sealed: sealed, deleted: false })).rejects.toThrow(/organisation_webhook_secret_while_live/);
    await expect(insert({ secret: null, secret_sealed: sealed, deleted: true })).rejects.toThrow(/organisation_webhook_secret_while_live/);
    await expect(insert({ secret: null, secret_sealed: 'not-an-envelope', deleted: false })).rejects.toThrow(/check constraint/);
    await insert({ secret: null, secret_sealed: sealed, deleted: false });
    expect(STRICT_WEBHOOKS.secretKey).toBeUndefined();
  });
});
