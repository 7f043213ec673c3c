import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BsnError } from '../../src/clients/bsn.js';
import { bsnHashesIn, bsnKeyFilePath, requireBsnKeys, resolveBsnKeys, type BsnKeys } from '../../src/clients/bsn-keys.js';
import { ClientError } from '../../src/clients/errors.js';
import { findClientByBsn, getClientRecord, registerClient, revealBsn, updateClient, type RegisterClient } from '../../src/clients/registry.js';
import { inTransaction } from '../../src/db/transaction.js';
import { loadConfig } from '../../src/config.js';
import { describeOnEachDatabase } from '../support/db.js';
import { writeCamt } from '../../src/demo/bank-statement.js';
import { ingestBankFile, receiveBankFile } from '../../src/ingest/files.js';
import { DORDRECHT_BENEFITS, statementFile } from '../ingest/region.js';
import { aServiceRegion, CLIENT_IBAN, eur, GEMEENTE } from '../batch/support.js';

const KEYS: BsnKeys = requireBsnKeys(
  resolveBsnKeys({ bsnKeys: loadConfig({ ONTZORG_BSN_KEY: Buffer.alloc(32, 11).toString('base64'), ONTZORG_BSN_HASH_KEY: Buffer.alloc(32, 12).toString('base64') }).bsnKeys, databaseUrl: 'postgres://x', dataDir: '.' }),
);
const BSN = '123456782';

const amira = (overrides: Partial<RegisterClient> = {}): RegisterClient => ({
  gemeenteId: GEMEENTE,
  reference: 'DR-0101',
  name: 'أميرة حداد',
  latinName: 'Amira Haddad',
  bsn: '1234.56.782',
  ownIban: CLIENT_IBAN,
  householdType: 'single',
  bijstandStart: '2026-03-01',
  inburgeringsplichtigWi2021: true,
  fixedTermAsylumPermit: true,
  caseNumbers: ['BIJ-88001'],
  toeslagenConsentReference: 'consent 2026-02-20',
  expectedIncome: [{ classification: 'bijstand', monthly: eur('1334.23') }],
  ...overrides,
});

async function refusal(work: () => Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work();
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected a refusal');
}

describeOnEachDatabase('the client record', (handle) => {
  beforeAll(async () => aServiceRegion(handle().db));

  it('rule 13: stores the BSN encrypted with a keyed lookup hash, and shows it only masked', async () => {
    const db = handle().db;
    const record = await inTransaction(db, (trx) => registerClient(trx, amira(), KEYS));
    expect(record).toMatchObject({ name: 'أميرة حداد', latinName: 'Amira Haddad', bsnMasked: '*********', toeslagenConsent: true, ownIban: CLIENT_IBAN });
    const row = await db.selectFrom('client').select(['bsn_encrypted', 'bsn_hash']).where('id', '=', record.id).executeTakeFirstOrThrow();
    expect(row.bsn_encrypted).toMatch(/^v1\.k1\./);
    expect(row.bsn_encrypted).not.toContain(BSN);
    expect(row.bsn_hash).toMatch(/^[0-9a-f]{64}$/);
    const bsn = await revealBsn(db, record.id, KEYS);
    expect(bsn?.reveal()).toBe(BSN);
    expect(`${String(bsn)} ${JSON.stringify({ bsn })} ${inspect(bsn)}`).not.toContain(BSN);
    expect((await findClientByBsn(db, '123 456 782', KEYS))?.id).toBe(record.id);
  });

  it('records what ingestion finds the client by: reference, its RF reference, the BSN hash, case numbers', async () => {
    const db = handle().db;
    const record = await getClientRecord(db, (await db.selectFrom('client').select('id').where('reference', '=', 'DR-0101').executeTakeFirstOrThrow()).id);
    const kinds = (await db.selectFrom('client_identifier').select(['kind', 'value']).where('client_id', '=', record.id).orderBy('kind').execute()).map((r) => r.kind);
    expect(kinds).toEqual(['bsn_hash', 'case_number', 'client_reference', 'rf_reference']);
  });

  it('lets ingestion match bijstand on a BSN in the remittance through bsnHashesIn (the digits never stored)', async () => {
    const db = handle().db;
    const bytes = new TextEncoder().encode(writeCamt(statementFile(`BSN-${Date.now()}`, [
        {
          amount: '1334.23',
          creditDebit: 'CRDT',
          bookingDate: '2026-03-24',
          accountServicerReference: `BSN-REF-${Date.now()}`,
          details: [{ endToEndId: 'UITK-BSN', counterpartyName: 'Gemeente Dordrecht', counterpartyIban: DORDRECHT_BENEFITS, unstructured: `Uitkering maart 2026 BSN ${BSN}` }],
        },
    ])));
    const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: 'bsn.xml', receivedBy: 'test' }));
    const result = await ingestBankFile(db, received.fileId, { bsnHashesIn: bsnHashesIn(KEYS) });
    expect(result.summary).toMatchObject({ toClients: 1, toSuspense: 0 });
    const item = await db.selectFrom('bank_entry_item').select(['client_id', 'match_detail', 'remittance']).where('end_to_end_id', '=', 'UITK-BSN').executeTakeFirstOrThrow();
    expect(item.client_id).not.toBeNull();
    expect(JSON.stringify(item.match_detail)).not.toContain(BSN);
  });

  it('a replay changes nothing; an update keeps what it does not name', async () => {
    const db = handle().db;
    const before = await db.selectFrom('client').selectAll().where('reference', '=', 'DR-0101').executeTakeFirstOrThrow();
    await inTransaction(db, (trx) => registerClient(trx, amira(), KEYS));
    const after = await db.selectFrom('client').selectAll().where('reference', '=', 'DR-0101').executeTakeFirstOrThrow();
    expect(after.bsn_encrypted).toBe(before.bsn_encrypted);
    const updated = await inTransaction(db, (trx) => updateClient(trx, before.id, { toeslagenConsentReference: null, leefgeldRhythm: { kind: 'monthly', day: 1 } }, KEYS));
    expect(updated).toMatchObject({ toeslagenConsent: false, leefgeldRhythm: { kind: 'monthly', day: 1 }, latinName: 'Amira Haddad', bijstandStart: '2026-03-01' });
  });

  it('refuses, naming the field, never repeating a BSN', async () => {
    const db = handle().db;
    const invalidBsn = await refusal(() => inTransaction(db, (trx) => registerClient(trx, amira({ reference: 'DR-0102', bsn: '123456789' }), KEYS)));
    expect(invalidBsn.code).toBe('invalid_bsn');
    expect(invalidBsn.message).not.toContain('123456789');
    expect(await refusal(() => inTransaction(db, (trx) => registerClient(trx, amira({ reference: 'DR-0103' }), KEYS)))).toMatchObject({ code: 'client_conflict' });
    expect(await refusal(() => inTransaction(db, (trx) => registerClient(trx, amira({ reference: 'DR-0104', bsn: null, latinName: null }), KEYS)))).toMatchObject({ code: 'invalid_client', message: expect.stringContaining('latinName') });
    expect(await refusal(() => inTransaction(db, (trx) => registerClient(trx, amira({ reference: 'DR-0105', bsn: null, ownIban: 'NL00BANK0000000000' }), KEYS)))).toMatchObject({ code: 'invalid_client', message: expect.stringContaining('ownIban') });
    expect(await refusal(() => inTransaction(db, (trx) => registerClient(trx, amira({ reference: 'DR-0106', bsn: null, bijstandEnd: '2026-02-01' }), KEYS)))).toMatchObject({ code: 'invalid_client' });
  });

  it('without BSN keys on PostgreSQL a BSN is refused clearly (bsn_keys_missing); a client without a BSN is fine', async () => {
    const db = handle().db;
    const keys = resolveBsnKeys({ bsnKeys: undefined, databaseUrl: 'postgres://db/ontzorg', dataDir: './data' });
    expect(keys).toBeNull();
    const error = await refusal(() => inTransaction(db, (trx) => registerClient(trx, amira({ reference: 'DR-0110', bsn: '111111110' }), keys)));
    expect(error.code).toBe('bsn_keys_missing');
    const record = await inTransaction(db, (trx) => registerClient(trx, amira({ reference: 'DR-0111', bsn: null }), keys));
    expect(record.bsnMasked).toBeNull();
  });
});

describe('BSN keys for the embedded mode', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ontzorg-keys-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generates both keys once, next to (not inside) the data directory, readable by the owner only', () => {
    const dataDir = join(dir, 'data');
    const first = resolveBsnKeys({ bsnKeys: undefined, databaseUrl: undefined, dataDir })!;
    expect(first.source).toBe('generated');
    const path = bsnKeyFilePath(dataDir);
    expect(path).toBe(`${dataDir}.bsn-keys.json`);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = resolveBsnKeys({ bsnKeys: undefined, databaseUrl: undefined, dataDir })!;
    expect(again.source).toBe('key_file');
    expect(Buffer.from(again.encryption.key).equals(Buffer.from(first.encryption.key))).toBe(true);
    expect(Buffer.from(again.lookup).equals(Buffer.from(first.encryption.key))).toBe(false);
    expect(readFileSync(path, 'utf8')).toContain('"keyId":"embedded1"');
  });

  it('configured keys win over the key file', () => {
    const configured = loadConfig({ ONTZORG_BSN_KEY: Buffer.alloc(32, 1).toString('base64'), ONTZORG_BSN_HASH_KEY: Buffer.alloc(32, 2).toString('base64') }).bsnKeys;
    expect(resolveBsnKeys({ bsnKeys: configured, databaseUrl: undefined, dataDir: join(dir, 'data') })!.source).toBe('configured');
  });

  it('bsnHashesIn answers the keyed hash of each candidate BSN in a text, and nothing for other numbers', () => {
    const hashes = bsnHashesIn(KEYS);
    expect(hashes(`dossier 77002 BSN ${BSN}`)).toHaveLength(1);
    expect(hashes('factuur 123456789')).toEqual([]);
    expect(() => requireBsnKeys(null)).toThrow(ClientError);
    expect(new BsnError('invalid_bsn', 'x').code).toBe('invalid_bsn');
  });
});
