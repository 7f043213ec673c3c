import type { Kysely } from 'kysely';
import { availableAccountCode } from '../../src/clients/accounts.js';
import { ensureClient, ensureGemeente } from '../../src/clients/clients.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { writeCamt, type SimulatedEntry, type SimulatedFile } from '../../src/demo/bank-statement.js';
import { bankFileResult, ingestBankFile, receiveBankFile, type IngestResult } from '../../src/ingest/files.js';
import { addClientIdentifier, registerBankAccount, registerKnownPayer } from '../../src/ingest/setup.js';
import { findAccountByCode, getBalance } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { makeRfReference } from '../../src/references/index.js';

/** A small region for ingestion tests: one management account, two gemeenten, known payers, three clients. */
export const MANAGED = 'NL91ABNA0417164300';
export const DORDRECHT_BENEFITS = 'NL20INGB0001234567';
export const TOESLAGEN = 'NL86INGB0002445588';
export const SOMEONE = 'NL02RABO0123456789';

export interface Region {
  readonly amira: bigint;
  readonly dawit: bigint;
  readonly sara: bigint;
  readonly amiraRf: string;
}

export async function aRegion(db: Kysely<Database>, opening = '1000.00'): Promise<Region> {
  return inTransaction(db, async (trx) => {
    await ensureGemeente(trx, { id: 'GM0505', name: 'Dordrecht' });
    await ensureGemeente(trx, { id: 'GM0642', name: 'Zwijndrecht' });
    await registerBankAccount(trx, { iban: MANAGED, name: 'SDD beheerrekening', openingBalance: { amount: Money.parse(opening), date: '2026-11-30' } });
    await registerKnownPayer(trx, { gemeenteId: 'GM0505', iban: DORDRECHT_BENEFITS, name: 'Gemeente Dordrecht uitkeringen', kind: 'bijstand' });
    for (const g of ['GM0505', 'GM0642']) await registerKnownPayer(trx, { gemeenteId: g, iban: TOESLAGEN, name: 'Belastingdienst Toeslagen', kind: 'toeslagen' });
    const amira = await ensureClient(trx, { gemeenteId: 'GM0505', reference: 'DR-0001' });
    const dawit = await ensureClient(trx, { gemeenteId: 'GM0505', reference: 'DR-0002' });
    const sara = await ensureClient(trx, { gemeenteId: 'GM0642', reference: 'ZW-0001' });
    const amiraRf = makeRfReference('DR0001');
    await addClientIdentifier(trx, { clientId: amira.id, gemeenteId: 'GM0505', kind: 'rf_reference', value: amiraRf });
    await addClientIdentifier(trx, { clientId: amira.id, gemeenteId: 'GM0505', kind: 'client_reference', value: 'DR-0001' });
    await addClientIdentifier(trx, { clientId: dawit.id, gemeenteId: 'GM0505', kind: 'case_number', value: 'BIJ-77002' });
    await addClientIdentifier(trx, { clientId: dawit.id, gemeenteId: 'GM0505', kind: 'toeslagen_reference', value: 'TS-8800-2' });
    await addClientIdentifier(trx, { clientId: sara.id, gemeenteId: 'GM0642', kind: 'toeslagen_reference', value: 'TS-9900-1' });
    return { amira: amira.id, dawit: dawit.id, sara: sara.id, amiraRf };
  });
}

let files = 0;
/** Uploads and ingests a simulated file; answers its result. */
export async function ingest(db: Kysely<Database>, file: SimulatedFile | string, name = `file-${++files}.xml`): Promise<IngestResult> {
  const bytes = new TextEncoder().encode(typeof file === 'string' ? file : writeCamt(file));
  const received = await inTransaction(db, (trx) => receiveBankFile(trx, { bytes, fileName: name, receivedBy: 'test-operator' }));
  if (received.alreadyReceived) return bankFileResult(db, received.fileId);
  return ingestBankFile(db, received.fileId);
}

export function statementFile(id: string, entries: readonly SimulatedEntry[], extra: Partial<SimulatedFile['statements'][number]> = {}, kind: 'camt.053' | 'camt.054' = 'camt.053'): SimulatedFile {
  return { kind, messageId: `MSG-${id}`, createdAt: '2026-12-01T06:00:00', statements: [{ id, iban: MANAGED, entries, ...extra }] };
}

export async function available(db: Kysely<Database>, clientId: bigint): Promise<string> {
  const account = await findAccountByCode(db, availableAccountCode(clientId));
  return account ? (await getBalance(db, account.id)).available.toString() : '0.00';
}

export async function posted(db: Kysely<Database>, code: string): Promise<string> {
  const account = await findAccountByCode(db, code);
  return account ? (await getBalance(db, account.id)).posted.toString() : '0.00';
}

export async function journalSize(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('ledger_transaction').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A bijstand credit from Dordrecht's benefit account for the client with the given case number. */
export const bijstand = (amount: string, caseNumber: string, ref: string, date = '2026-12-01'): SimulatedEntry => ({
  amount, creditDebit: 'CRDT', bookingDate: date, accountServicerReference: ref,
  bankCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'ESCT' },
  details: [{ endToEndId: `UITK-${caseNumber}-${date}`, counterpartyName: 'Gemeente Dordrecht', counterpartyIban: DORDRECHT_BENEFITS, unstructured: `Uitkering december 2026 dossier ${caseNumber}` }],
});
