import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { numberArray } from '../db/array-parameters.js';
import type { Trx } from '../db/transaction.js';
import { isValidIban, normaliseIban } from '../references/index.js';
import { assertIsoDate, isIsoDate, type IsoDate } from '../schedule/index.js';
import { ClientError } from './errors.js';
import { lockClient, rowToClientRecord } from './registry.js';

/**
 * Machtigingen: the client's signed authorisation naming the payees the service pays in their name.
 * Rule 4: a payment to a third party goes out only while a valid machtiging covers that payee; a
 * revoked or missing one stops it (the money stays reserved) and signals the back office.
 */

export interface Machtiging {
  readonly id: bigint;
  readonly clientId: bigint;
  readonly documentReference: string;
  readonly signedOn: IsoDate;
  readonly validUntil: IsoDate | null;
  readonly revokedOn: IsoDate | null;
  readonly revokedReason: string | null;
  readonly payees: readonly { readonly iban: string; readonly name: string }[];
}

function invalid(message: string): ClientError {
  return new ClientError('invalid_machtiging', message);
}

/** Records a signed machtiging; the same document again answers the stored one (its payees added to). */
export async function recordMachtiging(
  trx: Trx,
  clientId: bigint,
  input: { documentReference: string; signedOn: IsoDate; validUntil?: IsoDate | null; payees: readonly { iban: string; name: string }[] },
): Promise<Machtiging> {
  const client = rowToClientRecord(await lockClient(trx, clientId));
  const reference = input.documentReference?.trim() ?? '';
  if (reference.length < 1 || reference.length > 100) throw invalid('a machtiging needs the reference of the signed document (1–100 characters)');
  if (!isIsoDate(input.signedOn ?? '')) throw invalid('the signing date must be a date written as YYYY-MM-DD');
  if (input.validUntil && (!isIsoDate(input.validUntil) || input.validUntil < input.signedOn)) throw invalid('the end date must be a date on or after the signing date');
  if (!Array.isArray(input.payees) || input.payees.length === 0) throw invalid('a machtiging names at least one payee');
  const payees = input.payees.map((payee) => {
    const iban = normaliseIban(payee.iban ?? '');
    if (!isValidIban(iban)) throw invalid(`payee IBAN "${payee.iban}" is not a valid IBAN`);
    const name = payee.name?.trim() ?? '';
    if (name.length < 1 || name.length > 140) throw invalid('every payee needs a name of 1 to 140 characters');
    return { iban, name };
  });
  await trx
    .insertInto('machtiging')
    .values({ client_id: clientId, gemeente_id: client.gemeenteId, document_reference: reference, signed_on: input.signedOn, valid_until: input.validUntil ?? null })
    .onConflict((oc) => oc.columns(['client_id', 'document_reference']).doNothing())
    .execute();
  const row = await trx.selectFrom('machtiging').select(['id', 'signed_on']).where('client_id', '=', clientId).where('document_reference', '=', reference).executeTakeFirstOrThrow();
  if (row.signed_on !== input.signedOn) throw invalid(`machtiging ${reference} is already recorded as signed on ${row.signed_on}`);
  await trx
    .insertInto('machtiging_payee')
    .values(payees.map((payee) => ({ machtiging_id: row.id, payee_iban: payee.iban, payee_name: payee.name })))
    .onConflict((oc) => oc.columns(['machtiging_id', 'payee_iban']).doNothing())
    .execute();
  return (await machtigingenOf(trx, [clientId])).get(clientId)!.find((m) => m.id === row.id)!;
}

/** The client revokes a machtiging (rule 4: payments to its payees stop from that day; refusing to cooperate is the bijstand's business). */
export async function revokeMachtiging(trx: Trx, clientId: bigint, documentReference: string, revocation: { revokedOn: IsoDate; reason: string }): Promise<Machtiging> {
  assertIsoDate(revocation.revokedOn, 'revocation date');
  await lockClient(trx, clientId);
  const row = await trx.selectFrom('machtiging').selectAll().where('client_id', '=', clientId).where('document_reference', '=', documentReference).forUpdate().executeTakeFirst();
  if (!row) throw new ClientError('machtiging_not_found', `client ${clientId} has no machtiging ${documentReference}`);
  if (row.revoked_on !== null) {
    if (row.revoked_on === revocation.revokedOn) return (await machtigingenOf(trx, [clientId])).get(clientId)!.find((m) => m.id === row.id)!;
    throw new ClientError('machtiging_already_revoked', `machtiging ${documentReference} was already revoked on ${row.revoked_on}`);
  }
  if (revocation.revokedOn < row.signed_on) throw invalid('a machtiging cannot be revoked before it was signed');
  await trx.updateTable('machtiging').set({ revoked_on: revocation.revokedOn, revoked_reason: revocation.reason.trim() || 'revoked by the client' }).where('id', '=', row.id).execute();
  return (await machtigingenOf(trx, [clientId])).get(clientId)!.find((m) => m.id === row.id)!;
}

export async function machtigingenOf(db: Kysely<Database> | Trx, clientIds: readonly bigint[]): Promise<Map<bigint, Machtiging[]>> {
  const result = new Map<bigint, Machtiging[]>();
  if (clientIds.length === 0) return result;
  const rows = await db
    .selectFrom('machtiging as m')
    .leftJoin('machtiging_payee as p', 'p.machtiging_id', 'm.id')
    .select(['m.id', 'm.client_id', 'm.document_reference', 'm.signed_on', 'm.valid_until', 'm.revoked_on', 'm.revoked_reason', 'p.payee_iban', 'p.payee_name'])
    .where('m.client_id', '=', sql<bigint>`ANY(${numberArray(clientIds)}::bigint[])`)
    .orderBy('m.id')
    .execute();
  const byId = new Map<bigint, Machtiging & { payees: { iban: string; name: string }[] }>();
  for (const row of rows) {
    let m = byId.get(row.id);
    if (!m) {
      m = { id: row.id, clientId: row.client_id, documentReference: row.document_reference, signedOn: row.signed_on, validUntil: row.valid_until, revokedOn: row.revoked_on, revokedReason: row.revoked_reason, payees: [] };
      byId.set(row.id, m);
      result.set(row.client_id, [...(result.get(row.client_id) ?? []), m]);
    }
    if (row.payee_iban !== null && row.payee_name !== null) m.payees.push({ iban: row.payee_iban, name: row.payee_name });
  }
  return result;
}

/** Whether a machtiging is valid on `date`: signed by then, not ended, not revoked (a revocation counts from its day). */
export function isValidOn(machtiging: Machtiging, date: IsoDate): boolean {
  return machtiging.signedOn <= date && (machtiging.validUntil === null || date <= machtiging.validUntil) && (machtiging.revokedOn === null || date < machtiging.revokedOn);
}

/**
 * Rule 4: why a payment to `payeeIban` may not go out on `date`, in words for the back office, or null
 * when a valid machtiging covers the payee.
 */
export function holdReasonFor(machtigingen: readonly Machtiging[], payeeIban: string, date: IsoDate): string | null {
  const iban = normaliseIban(payeeIban);
  const naming = machtigingen.filter((m) => m.payees.some((payee) => payee.iban === iban));
  if (naming.some((m) => isValidOn(m, date))) return null;
  const revoked = naming.find((m) => m.revokedOn !== null && m.revokedOn <= date);
  if (revoked) return `rule 4: machtiging ${revoked.documentReference} covering this payee was revoked on ${revoked.revokedOn}; the money stays reserved`;
  const expired = naming.find((m) => m.validUntil !== null && m.validUntil < date);
  if (expired) return `rule 4: machtiging ${expired.documentReference} covering this payee ended on ${expired.validUntil}; the money stays reserved`;
  const future = naming.find((m) => m.signedOn > date);
  if (future) return `rule 4: machtiging ${future.documentReference} covering this payee is valid only from ${future.signedOn}; the money stays reserved`;
  return 'rule 4: no machtiging of the client covers this payee; the money stays reserved';
}

/**
 * Rule 4 for many payments at once (the daily run's review of holds, a release): their clients'
 * machtigingen read in one go, and for each payment the reason it may not go out on its date, or null.
 */
export async function holdReasonsFor<P extends { readonly client_id: bigint | null; readonly creditor_iban: string }>(
  db: Kysely<Database> | Trx,
  payments: readonly P[],
  dateOf: (payment: P) => IsoDate,
): Promise<(string | null)[]> {
  const clientIds = [...new Set(payments.flatMap((p) => (p.client_id === null ? [] : [p.client_id])))];
  if (clientIds.length === 0) return payments.map(() => null);
  const machtigingen = await machtigingenOf(db, clientIds);
  return payments.map((p) => (p.client_id === null ? null : holdReasonFor(machtigingen.get(p.client_id) ?? [], p.creditor_iban, dateOf(p))));
}
