import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseHandle } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { verifyLedger } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { RELEASE_STEPS } from '../../src/payments/release.js';
import { freshPostgres, postgresSkipReason } from '../support/db.js';
import { MANAGED, aRegion, bijstand, ingest, posted, statementFile, type Region } from '../ingest/region.js';

const CHILD = join(process.cwd(), 'dist/tests/support/release-crash-child.js');

function run(env: Record<string, string>): Promise<'killed' | 'done'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve('killed');
      else if (code === 0) resolve('done');
      else reject(new Error(`child failed (${code}): ${stderr}`));
    });
  });
}

describe.skipIf(postgresSkipReason() !== '')('a release killed between any two of its steps [postgres]', () => {
  let handle: DatabaseHandle & { url: string };
  let region: Region;
  const outbox = mkdtempSync(join(tmpdir(), 'ontzorg-outbox-'));
  beforeAll(async () => {
    if (!existsSync(CHILD) || statSync(CHILD).mtimeMs < statSync('src/payments/release.ts').mtimeMs) execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    handle = await freshPostgres();
    region = await aRegion(handle.db, '0.00');
    await inTransaction(handle.db, (trx) => registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD' }));
    await ingest(handle.db, statementFile('RC-1', [bijstand('100000.00', 'BIJ-77002', 'RC-REF', '2026-12-24')]));
  });
  afterAll(async () => {
    await handle.close();
    rmSync(outbox, { recursive: true, force: true });
  });

  it.each(RELEASE_STEPS.map((step) => [step]))('after "%s": a restart releases every payment exactly once, in one file, byte for byte', async (step) => {
    const { db } = handle;
    // One TARGET2 business day per step, so each step gets its own batch.
    const day = ['04', '05', '06', '07', '08', '11', '12'][RELEASE_STEPS.indexOf(step)]!;
    const drafts = Array.from({ length: 25 }, (_, n) => ({
      idempotencyKey: `crash/${step}/${n}`, clientId: region.dawit, gemeenteId: 'GM0505', kind: 'leefgeld' as const, period: `2027-01-${day}/${n}`,
      dueDate: `2027-01-${day}`, executionDate: `2027-01-${day}`, amount: Money.parse(`${10 + n}.00`), debtorIban: MANAGED,
      creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: `Leefgeld ${n}`,
    }));
    await inTransaction(db, (trx) => createPaymentInstructions(trx, drafts));
    const [batch] = await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: `2027-01-${day}`, now: new Date('2026-12-27T09:00:00Z') }));
    await inTransaction(db, (trx) => approveBatch(trx, batch!.id, 'approver-1'));
    const inTransitBefore = Money.parse(await posted(db, `in-transit/${MANAGED}`));
    const env = { CRASH_DATABASE_URL: handle.url, CRASH_BATCH: batch!.id.toString(), CRASH_OUTBOX: outbox };

    expect(await run({ ...env, CRASH_AT: step })).toBe('killed');
    const afterCrash = await db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', batch!.id).execute();
    // All or nothing: a release is one transaction.
    expect([0, 25]).toContain(afterCrash.length);

    expect(await run({ ...env, CRASH_AT: 'never' })).toBe('done');
    expect(await run({ ...env, CRASH_AT: 'never' })).toBe('done');
    const releases = await db.selectFrom('payment_release').select('instruction_id').where('batch_id', '=', batch!.id).execute();
    expect(releases).toHaveLength(25);
    const files = await db.selectFrom('payment_file').select(['message_id', 'sha256', 'content']).where('batch_id', '=', batch!.id).execute();
    expect(files).toHaveLength(1);
    const onDisk = readFileSync(join(outbox, `${files[0]!.message_id}.xml`));
    expect(createHash('sha256').update(onDisk).digest('hex')).toBe(files[0]!.sha256);
    expect(readdirSync(outbox).filter((f) => f.endsWith('.part'))).toEqual([]);
    const total = drafts.reduce((sum, d) => sum.plus(d.amount), Money.ZERO);
    expect(Money.parse(await posted(db, `in-transit/${MANAGED}`)).minus(inTransitBefore).toString()).toBe(total.toString());
    expect((await verifyLedger(db)).problems).toEqual([]);
  }, 120_000);
});
