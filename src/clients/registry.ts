import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { addClientIdentifier } from '../ingest/setup.js';
import { Money } from '../money/money.js';
import { isValidIban, makeRfReference, normaliseIban } from '../references/index.js';
import { assertLeefgeldRhythm, DEFAULT_LEEFGELD_RHYTHM, isIsoDate, type IsoDate, type LeefgeldRhythm } from '../schedule/index.js';
import { assessEpcText } from '../sepa/index.js';
import { bsnLookupHash, decryptBsn, encryptBsn, parseBsn, type Bsn } from './bsn.js';
import { requireBsnKeys, type BsnKeys } from './bsn-keys.js';
import { ensureClient } from './clients.js';
import { ClientError } from './errors.js';
import { assertBijstandChangeFitsPeriod, recordBijstandEnd } from './ontzorg-periods.js';
import type { ClientTable, HouseholdType, IncomeClassText } from './rows.js';

/**
 * The client's record: who they are (name, the BRP's Latin spelling for payments, BSN), where
 * leefgeld goes, the facts art. 56a lid 1 asks for, the toeslagen consent (rule 6) and the leefgeld
 * rhythm. Registering also records the identifiers ingestion finds the client's money by.
 */

export const HOUSEHOLD_TYPES: readonly HouseholdType[] = ['single', 'single_parent', 'couple', 'couple_with_children'];
const INCOME_CLASSES: readonly IncomeClassText[] = ['bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other'];

export interface ExpectedIncome {
  readonly classification: IncomeClassText;
  readonly monthly: Money;
}

export interface ClientDetails {
  readonly name: string;
  /** The name as the BRP writes it in Latin letters; what goes to the bank. Defaults to `name`. */
  readonly latinName?: string | null;
  /** As people write it; validated by the 11-check, stored encrypted, never logged. */
  readonly bsn?: string | null;
  /** The client's own account for leefgeld; null while they have none yet (leefgeld then waits, signalled). */
  readonly ownIban?: string | null;
  readonly householdType: HouseholdType;
  /** The first day of the right to bijstand (may lie up to three months in the past). */
  readonly bijstandStart: IsoDate;
  readonly bijstandEnd?: IsoDate | null;
  /** The two facts of art. 56a lid 1 (rule 1). */
  readonly inburgeringsplichtigWi2021: boolean;
  readonly fixedTermAsylumPermit: boolean;
  /** Rule 6: the reference of the client's recorded consent to use toeslagen for their costs; null: no consent. */
  readonly toeslagenConsentReference?: string | null;
  readonly leefgeldRhythm?: LeefgeldRhythm;
  /** The consultant's amount per payment, for gemeenten whose leefgeld rule is `fixed`. */
  readonly leefgeldFixed?: Money | null;
  /** What arrives each month, for the leefgeld rule "income minus obligations". */
  readonly expectedIncome?: readonly ExpectedIncome[];
  /** The benefit administration's case numbers (dossiernummers) found in bijstand remittances. */
  readonly caseNumbers?: readonly string[];
  /** Dienst Toeslagen's reference for this client, if known. */
  readonly toeslagenReference?: string | null;
}

export interface RegisterClient extends ClientDetails {
  readonly gemeenteId: string;
  /** The reference used for matching (and in the RF reference derived from it), at most 35 characters. */
  readonly reference: string;
}

export interface ClientRecord {
  readonly id: bigint;
  readonly gemeenteId: string;
  readonly reference: string;
  readonly name: string;
  readonly latinName: string;
  /** `*********` when a BSN is stored; the digits only through `revealBsn` (which prints `******782`). */
  readonly bsnMasked: string | null;
  readonly ownIban: string | null;
  readonly householdType: HouseholdType;
  readonly bijstandStart: IsoDate;
  readonly bijstandEnd: IsoDate | null;
  readonly inburgeringsplichtigWi2021: boolean;
  readonly fixedTermAsylumPermit: boolean;
  readonly toeslagenConsent: boolean;
  readonly toeslagenConsentReference: string | null;
  readonly leefgeldRhythm: LeefgeldRhythm;
  readonly leefgeldFixed: Money | null;
  readonly ontzorgenEndedOn: IsoDate | null;
}

type ClientRow = Selectable<ClientTable>;

function invalid(field: string, message: string): ClientError {
  return new ClientError('invalid_client', `${field}: ${message}`, { field });
}

function checkName(field: string, text: string | null | undefined, max: number): string {
  if (typeof text !== 'string' || text.trim() === '' || text.trim().length > max) throw invalid(field, `must be a text of 1 to ${max} characters`);
  return text.trim();
}

function checkedDetails(details: ClientDetails) {
  const name = checkName('name', details.name, 200);
  const latinName = checkName('latinName', details.latinName ?? name, 70);
  const latin = assessEpcText(latinName, 70);
  if (!latin.usable) {
    throw invalid('latinName', latin.problem === 'empty' ? 'has nothing readable in the bank character set' : `has letters without a Latin spelling (${latin.lost.join('')}); record the name as the BRP writes it in Latin letters`);
  }
  let ownIban: string | null = null;
  if (details.ownIban) {
    ownIban = normaliseIban(details.ownIban);
    if (!isValidIban(ownIban)) throw invalid('ownIban', 'is not a valid IBAN');
  }
  if (!HOUSEHOLD_TYPES.includes(details.householdType)) throw invalid('householdType', `must be one of ${HOUSEHOLD_TYPES.join(', ')}`);
  if (!isIsoDate(details.bijstandStart ?? '')) throw invalid('bijstandStart', 'must be a date written as YYYY-MM-DD');
  if (details.bijstandEnd !== undefined && details.bijstandEnd !== null) {
    if (!isIsoDate(details.bijstandEnd)) throw invalid('bijstandEnd', 'must be a date written as YYYY-MM-DD');
    if (details.bijstandEnd < details.bijstandStart) throw invalid('bijstandEnd', 'cannot lie before the first day of bijstand');
  }
  if (typeof details.inburgeringsplichtigWi2021 !== 'boolean' || typeof details.fixedTermAsylumPermit !== 'boolean') {
    throw invalid('inburgeringsplichtigWi2021', 'both facts of art. 56a lid 1 must be recorded as true or false');
  }
  const consent = details.toeslagenConsentReference?.trim() || null;
  const rhythm = details.leefgeldRhythm ?? DEFAULT_LEEFGELD_RHYTHM;
  try {
    assertLeefgeldRhythm(rhythm);
  } catch (error) {
    throw invalid('leefgeldRhythm', (error as Error).message);
  }
  if (details.leefgeldFixed && details.leefgeldFixed.isNegative()) throw invalid('leefgeldFixed', 'cannot be negative');
  for (const income of details.expectedIncome ?? []) {
    if (!INCOME_CLASSES.includes(income.classification)) throw invalid('expectedIncome', `unknown income class "${String(income.classification)}"`);
    if (income.monthly.isNegative()) throw invalid('expectedIncome', 'a monthly amount cannot be negative');
  }
  return { name, latinName, ownIban, consent, rhythm };
}

/**
 * Registers a client, or brings an existing client's record up to date (same reference, same
 * gemeente): the BSN is validated, encrypted with the client's id as context and findable through
 * its keyed hash; the identifiers ingestion matches on are recorded (reference, its RF reference,
 * BSN hash, case numbers, toeslagen reference). Replaying the same registration changes nothing.
 */
export async function registerClient(trx: Trx, client: RegisterClient, keys?: BsnKeys | null): Promise<ClientRecord> {
  if (typeof client.reference !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9 ./-]{0,34}$/.test(client.reference)) {
    throw invalid('reference', 'must be 1 to 35 letters, digits, spaces, dots, slashes or hyphens, starting with a letter or digit');
  }
  checkedDetails(client);
  let row: ClientRow;
  try {
    row = await ensureClient(trx, { gemeenteId: client.gemeenteId, reference: client.reference });
  } catch (error) {
    if (error instanceof Error && /already belongs to gemeente/.test(error.message)) {
      throw new ClientError('client_conflict', `client reference "${client.reference}" belongs to a client of another gemeente`);
    }
    throw error;
  }
  return applyDetails(trx, row, client, keys);
}

/** Changes a registered client's record; the fields not given keep their value. */
export async function updateClient(trx: Trx, clientId: bigint, changes: Partial<ClientDetails>, keys?: BsnKeys | null): Promise<ClientRecord> {
  const row = await lockClient(trx, clientId);
  const current = row.registered_at ? rowToClientRecord(row) : null;
  if (!current) throw new ClientError('client_not_found', `client ${clientId} has no registered record yet; register it first`);
  const income = changes.expectedIncome ?? (await expectedIncomeOf(trx, clientId));
  const merged: ClientDetails = {
    name: current.name,
    latinName: current.latinName,
    ownIban: current.ownIban,
    householdType: current.householdType,
    bijstandStart: current.bijstandStart,
    bijstandEnd: current.bijstandEnd,
    inburgeringsplichtigWi2021: current.inburgeringsplichtigWi2021,
    fixedTermAsylumPermit: current.fixedTermAsylumPermit,
    toeslagenConsentReference: current.toeslagenConsentReference,
    leefgeldRhythm: current.leefgeldRhythm,
    leefgeldFixed: current.leefgeldFixed,
    ...changes,
    expectedIncome: income,
  };
  checkedDetails(merged);
  return applyDetails(trx, row, merged, keys);
}

async function applyDetails(trx: Trx, row: ClientRow, details: ClientDetails, keys: BsnKeys | null | undefined): Promise<ClientRecord> {
  const { name, latinName, ownIban, consent, rhythm } = checkedDetails(details);
  // Rule 2 (art. 56a lid 2): the statutory period follows the bijstand dates recorded here (a re-registration too).
  const before = row.registered_at ? { bijstandStart: row.bijstand_start, bijstandEnd: row.bijstand_end } : null;
  const after = { bijstandStart: details.bijstandStart, bijstandEnd: details.bijstandEnd ?? null };
  if (before) await assertBijstandChangeFitsPeriod(trx, row.id, before, after);
  let bsnColumns: { bsn_encrypted: string; bsn_hash: string } | null = null;
  if (details.bsn) {
    const bsn = parseBsn(details.bsn);
    const usable = requireBsnKeys(keys);
    const hash = bsnLookupHash(bsn, usable.lookup);
    const owner = await trx.selectFrom('client').select(['id']).where('bsn_hash', '=', hash).executeTakeFirst();
    if (owner && owner.id !== row.id) throw new ClientError('client_conflict', 'this BSN is already registered for another client');
    // The same BSN again keeps its ciphertext: a replay does not rewrite the row.
    bsnColumns = row.bsn_hash === hash && row.bsn_encrypted ? { bsn_encrypted: row.bsn_encrypted, bsn_hash: hash } : { bsn_encrypted: encryptBsn(bsn, usable.encryption, row.id.toString()), bsn_hash: hash };
  }
  const values = {
    name,
    latin_name: latinName,
    own_iban: ownIban,
    household_type: details.householdType,
    bijstand_start: details.bijstandStart,
    bijstand_end: details.bijstandEnd ?? null,
    inburgeringsplichtig_wi2021: details.inburgeringsplichtigWi2021,
    fixed_term_asylum_permit: details.fixedTermAsylumPermit,
    toeslagen_consent: consent !== null,
    toeslagen_consent_reference: consent,
    leefgeld_rhythm: JSON.stringify(rhythm),
    leefgeld_fixed_cents: details.leefgeldFixed?.cents ?? null,
    ...(bsnColumns ?? {}),
  };
  const updated = await trx
    .updateTable('client')
    .set({ ...values, registered_at: row.registered_at ?? sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('id', '=', row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (details.expectedIncome) {
    await trx.deleteFrom('client_income').where('client_id', '=', row.id).execute();
    const incomes = details.expectedIncome.filter((income) => income.monthly.isPositive());
    if (incomes.length > 0) {
      await trx.insertInto('client_income').values(incomes.map((income) => ({ client_id: row.id, classification: income.classification, monthly_cents: income.monthly.cents }))).execute();
    }
  }
  await recordIdentifiers(trx, updated, details);
  if (before && after.bijstandEnd !== null && after.bijstandEnd !== before.bijstandEnd) {
    // Ends the 56a period with bijstand when that is sooner, in this transaction (nothing withheld past it).
    await recordBijstandEnd(trx, row.id, after.bijstandEnd);
  }
  return rowToClientRecord(updated);
}

async function recordIdentifiers(trx: Trx, row: ClientRow, details: ClientDetails): Promise<void> {
  const add = (kind: Parameters<typeof addClientIdentifier>[1]['kind'], value: string) => addClientIdentifier(trx, { clientId: row.id, gemeenteId: row.gemeente_id, kind, value });
  await add('client_reference', row.reference);
  const rfBody = row.reference.replace(/[^A-Za-z0-9]/g, '');
  if (rfBody.length >= 1 && rfBody.length <= 21) await add('rf_reference', makeRfReference(rfBody));
  if (row.bsn_hash) await add('bsn_hash', row.bsn_hash);
  for (const caseNumber of details.caseNumbers ?? []) if (caseNumber.trim()) await add('case_number', caseNumber);
  if (details.toeslagenReference?.trim()) await add('toeslagen_reference', details.toeslagenReference);
}

/** What a client record is made of: the row without the encrypted BSN and the row's own timestamps, which a read for the record need not fetch. */
export type ClientRecordRow = Omit<ClientRow, 'bsn_encrypted' | 'created_at' | 'updated_at'>;

/** The columns of a `ClientRecordRow`, for a select that reads records in bulk. */
export const CLIENT_RECORD_COLUMNS = [
  'id', 'gemeente_id', 'reference', 'name', 'latin_name', 'bsn_hash', 'own_iban', 'household_type', 'bijstand_start', 'bijstand_end',
  'inburgeringsplichtig_wi2021', 'fixed_term_asylum_permit', 'toeslagen_consent', 'toeslagen_consent_reference', 'leefgeld_rhythm',
  'leefgeld_fixed_cents', 'ontzorgen_ended_on', 'registered_at',
] as const satisfies readonly (keyof ClientRecordRow)[];

export function rowToClientRecord(row: ClientRecordRow): ClientRecord {
  if (!row.registered_at || row.name === null || row.household_type === null || row.bijstand_start === null) {
    throw new ClientError('client_not_found', `client ${row.id} has no registered record yet`);
  }
  return {
    id: row.id,
    gemeenteId: row.gemeente_id,
    reference: row.reference,
    name: row.name,
    latinName: row.latin_name ?? row.name,
    // Masked entirely: showing the last digits needs decryption, which only `revealBsn` does (rule 13).
    bsnMasked: row.bsn_hash ? '*********' : null,
    ownIban: row.own_iban,
    householdType: row.household_type,
    bijstandStart: row.bijstand_start,
    bijstandEnd: row.bijstand_end,
    inburgeringsplichtigWi2021: row.inburgeringsplichtig_wi2021,
    fixedTermAsylumPermit: row.fixed_term_asylum_permit,
    toeslagenConsent: row.toeslagen_consent,
    toeslagenConsentReference: row.toeslagen_consent_reference,
    leefgeldRhythm: row.leefgeld_rhythm as LeefgeldRhythm,
    leefgeldFixed: row.leefgeld_fixed_cents === null ? null : Money.fromCents(row.leefgeld_fixed_cents),
    ontzorgenEndedOn: row.ontzorgen_ended_on,
  };
}

/** Locks one client's row: the writes to its record, periods and obligations queue behind each other. */
export async function lockClient(trx: Trx, clientId: bigint): Promise<ClientRow> {
  const row = await trx.selectFrom('client').selectAll().where('id', '=', clientId).forUpdate().executeTakeFirst();
  if (!row) throw new ClientError('client_not_found', `there is no client ${clientId}`);
  return row;
}

export async function getClientRecord(db: Kysely<Database> | Trx, clientId: bigint): Promise<ClientRecord> {
  const row = await db.selectFrom('client').select(CLIENT_RECORD_COLUMNS).where('id', '=', clientId).executeTakeFirst();
  if (!row) throw new ClientError('client_not_found', `there is no client ${clientId}`);
  return rowToClientRecord(row);
}

/** The BSN, decrypted, for an authorised screen or letter (rule 13): a `Bsn` that prints itself masked. */
export async function revealBsn(db: Kysely<Database> | Trx, clientId: bigint, keys: BsnKeys | null | undefined): Promise<Bsn | null> {
  const row = await db.selectFrom('client').select(['id', 'bsn_encrypted']).where('id', '=', clientId).executeTakeFirst();
  if (!row) throw new ClientError('client_not_found', `there is no client ${clientId}`);
  if (!row.bsn_encrypted) return null;
  return decryptBsn(row.bsn_encrypted, requireBsnKeys(keys).encryption, row.id.toString());
}

/** Finds a client by BSN through its keyed hash; the BSN is never stored or compared in the clear. */
export async function findClientByBsn(db: Kysely<Database> | Trx, bsnText: string, keys: BsnKeys | null | undefined): Promise<ClientRecord | null> {
  const hash = bsnLookupHash(parseBsn(bsnText), requireBsnKeys(keys).lookup);
  const row = await db.selectFrom('client').select(CLIENT_RECORD_COLUMNS).where('bsn_hash', '=', hash).executeTakeFirst();
  return row ? rowToClientRecord(row) : null;
}

export async function expectedIncomeOf(db: Kysely<Database> | Trx, clientId: bigint): Promise<ExpectedIncome[]> {
  const rows = await db.selectFrom('client_income').select(['classification', 'monthly_cents']).where('client_id', '=', clientId).execute();
  return rows.map((r) => ({ classification: r.classification, monthly: Money.fromCents(r.monthly_cents) }));
}
