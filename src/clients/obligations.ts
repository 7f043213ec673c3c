import { sql, type Kysely, type Selectable } from 'kysely';
import type { Database } from '../db/schema.js';
import { numberArray } from '../db/array-parameters.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { isValidCreditorReference, isValidIban, normaliseIban } from '../references/index.js';
import { addMonths, assertIsoDate, firstDayOf, lastDayOf, yearMonthOf, type IsoDate } from '../schedule/index.js';
import { assessEpcText } from '../sepa/index.js';
import { ClientError } from './errors.js';
import {
  addObligationVersion,
  checkObligationBasis,
  dueInstances,
  isStatutory56aType,
  OBLIGATION_LABELS,
  OBLIGATION_TYPES,
  ObligationRefused,
  type Obligation,
  type ObligationType,
  type ObligationVersion,
} from './obligation-rules.js';
import { periodsOf, periodsUntil } from './ontzorg-periods.js';
import { BASIS_LABELS, type LegalBasis, type OntzorgPeriod } from './periods.js';
import { lockClient, rowToClientRecord } from './registry.js';
import type { ObligationTable, ObligationVersionTable, ReferenceKind } from './rows.js';

/** Obligations (vaste lasten) in the database: rule 3 when recorded, versions never edited. */

export interface Payee {
  readonly name: string;
  readonly iban: string;
  /** The payee's reference for this client: a contract or customer number (printed in the remittance) or a structured betalingskenmerk / RF reference. */
  readonly reference?: { readonly kind: ReferenceKind; readonly value: string } | null;
}

/** An obligation as allocation and the batch use it: the pure `Obligation` plus whom it is paid to. */
export interface ClientObligation extends Obligation {
  readonly clientId: bigint;
  readonly gemeenteId: string;
  readonly payee: Payee;
  readonly description: string | null;
}

export interface NewObligation {
  readonly type: ObligationType;
  readonly frequency?: 'monthly' | 'quarterly';
  readonly payee: Payee;
  readonly description?: string | null;
  readonly firstVersion: { readonly effectiveFrom: IsoDate; readonly amount: Money; readonly dueDay: number; readonly basis: LegalBasis };
  readonly recordedBy: string;
}

function refuse(message: string): ObligationRefused {
  return new ObligationRefused('invalid_obligation', message);
}

function checkedPayee(payee: Payee): { name: string; iban: string; reference: string | null; kind: ReferenceKind } {
  const name = typeof payee.name === 'string' ? payee.name.trim() : '';
  if (name.length < 1 || name.length > 140) throw refuse('the payee name must be a text of 1 to 140 characters');
  if (!assessEpcText(name, 70).usable) throw refuse('the payee name cannot be written in the bank character set');
  const iban = normaliseIban(payee.iban ?? '');
  if (!isValidIban(iban)) throw refuse(`the payee IBAN "${payee.iban}" is not a valid IBAN`);
  const kind = payee.reference?.kind ?? 'unstructured';
  const reference = payee.reference?.value.trim() || null;
  if (kind !== 'unstructured' && (reference === null || !isValidCreditorReference(kind, reference))) {
    throw refuse(`"${reference ?? ''}" is not a valid ${kind === 'CUR' ? 'betalingskenmerk' : 'RF reference'}`);
  }
  if (kind === 'unstructured' && reference !== null && (reference.length > 100 || !assessEpcText(reference, 100).usable)) {
    throw refuse('the payee reference must be at most 100 characters in the bank character set');
  }
  return { name, iban, reference, kind };
}

/**
 * Rule 3 when an obligation or a version is recorded: a type outside the statutory list never rests on
 * 56a, and is refused under a 56a-only period, citing the rule; the basis must have a period in force on
 * the effective date or later (a rent recorded before the art. 57 decision starts is allowed for then).
 */
function assertBasis(type: ObligationType, basis: LegalBasis, periods: readonly OntzorgPeriod[], effectiveFrom: IsoDate): void {
  const check = checkObligationBasis({ type, basis }, periods, effectiveFrom);
  if (check.allowed) return;
  if (check.code === 'basis_not_in_force' && !(basis === 'art56a' && !isStatutory56aType(type))) {
    const later = periods.some((period) => period.basis === basis && (period.lastDay === null || period.lastDay >= effectiveFrom));
    if (later) return;
  }
  throw new ObligationRefused(check.code, check.message);
}

/** A payment that did not go out (its batch rejected before release, refused by the bank, returned) pays nothing. */
const NOT_PAID = ['cancelled', 'bank_rejected', 'returned'] as const;

/**
 * A home has one rent, one gas, one electricity and one water supplier: a second of these starting while the first
 * runs replaces it. Premiums and the rest may be several at once (one per person, per policy).
 */
const ONE_PER_HOME: ReadonlySet<ObligationType> = new Set(['rent', 'gas', 'electricity', 'water']);

/** The obligation periods with a payment instructed and not stopped (created, held, batched, released, settled). */
async function instructedPeriods(trx: Trx, where: { obligationId: bigint } | { clientId: bigint; type: ObligationType; fromPeriod: string }) {
  let query = trx
    .selectFrom('payment_instruction as i')
    .innerJoin('obligation as o', 'o.id', 'i.obligation_id')
    .select(['i.obligation_id', 'i.period', 'i.due_date', 'i.amount_cents', 'o.type', 'o.payee_name', 'o.payee_reference', 'o.valid_until'])
    .where('i.kind', '=', 'obligation')
    .where('i.status', 'not in', [...NOT_PAID]);
  query = 'obligationId' in where ? query.where('i.obligation_id', '=', where.obligationId) : query.where('o.client_id', '=', where.clientId).where('o.type', '=', where.type).where('i.period', '>=', where.fromPeriod);
  return query.orderBy('i.due_date').orderBy('i.obligation_id').execute();
}

/**
 * A new obligation must not start in a period that the obligation it replaces (same type: ended, or still running
 * where there can be only one) has already instructed: the old instruction is not withdrawn, so the period would be
 * paid twice (the same May rent to the old IBAN and to the new one).
 */
async function assertFirstPeriodNotInstructed(trx: Trx, clientId: bigint, input: NewObligation, payeeReference: string | null, frequency: 'monthly' | 'quarterly'): Promise<void> {
  const first = input.firstVersion;
  const probe: Obligation = { id: 'new', type: input.type, frequency, validUntil: null, versions: [{ version: 1, ...first }] };
  const due = dueInstances(probe, first.effectiveFrom, lastDayOf(addMonths(yearMonthOf(first.effectiveFrom), 3)))[0];
  if (!due) return;
  const instructed = await instructedPeriods(trx, { clientId, type: input.type, fromPeriod: due.periodKey });
  const clash = instructed.find((p) => p.valid_until !== null || ONE_PER_HOME.has(input.type) || (payeeReference !== null && p.payee_reference === payeeReference));
  if (!clash) return;
  const label = OBLIGATION_LABELS[input.type];
  const after = addMonths(clash.period, 1);
  throw new ObligationRefused(
    'period_already_instructed',
    `${label[0]!.toUpperCase()}${label.slice(1)} for ${clash.period} is already on its way to ${clash.payee_name} (obligation ${String(clash.obligation_id)}, due ${clash.due_date}, ${Money.fromCents(clash.amount_cents).toString()}). ` +
      `A new ${label} from ${first.effectiveFrom} would pay ${clash.period} a second time. Record the new one from ${firstDayOf(after)} (and end the old one on ${lastDayOf(clash.period)}), ` +
      `or first stop the payment for ${clash.period}: while it is not released, reject its batch.`,
  );
}

/**
 * Records an obligation with its first version. The same obligation recorded again (same type, payee
 * and reference, still running, same first version) answers the stored one; a different first
 * version is refused: a change is a new version.
 */
export async function addObligation(trx: Trx, clientId: bigint, input: NewObligation): Promise<ClientObligation> {
  const client = rowToClientRecord(await lockClient(trx, clientId));
  if (!OBLIGATION_TYPES.includes(input.type)) throw refuse(`unknown obligation type "${String(input.type)}"`);
  const frequency = input.frequency ?? 'monthly';
  if (frequency !== 'monthly' && frequency !== 'quarterly') throw refuse('the frequency is monthly or quarterly');
  const payee = checkedPayee(input.payee);
  const first = input.firstVersion;
  checkVersion(first);
  const periods = periodsUntil((await periodsOf(trx, [clientId])).get(clientId) ?? [], client.ontzorgenEndedOn);
  assertBasis(input.type, first.basis, periods, first.effectiveFrom);
  const existing = await trx
    .selectFrom('obligation')
    .select(['id'])
    .where('client_id', '=', clientId)
    .where('type', '=', input.type)
    .where('payee_iban', '=', payee.iban)
    .where(sql<boolean>`payee_reference IS NOT DISTINCT FROM ${payee.reference}`)
    .where('valid_until', 'is', null)
    .executeTakeFirst();
  if (existing) {
    const stored = (await obligationsById(trx, [existing.id]))[0]!;
    const v1 = stored.versions.find((version) => version.version === 1)!;
    if (v1.effectiveFrom === first.effectiveFrom && v1.amount.equals(first.amount) && v1.dueDay === first.dueDay && v1.basis === first.basis) return stored;
    throw refuse(`${OBLIGATION_LABELS[input.type]} to ${payee.name} is already recorded (obligation ${existing.id}); record a change as a new version`);
  }
  await assertFirstPeriodNotInstructed(trx, clientId, input, payee.reference, frequency);
  const row = await trx
    .insertInto('obligation')
    .values({
      client_id: clientId,
      gemeente_id: client.gemeenteId,
      type: input.type,
      frequency,
      payee_name: payee.name,
      payee_iban: payee.iban,
      payee_reference: payee.reference,
      reference_kind: payee.kind,
      description: input.description?.trim() || null,
    })
    .returning(['id'])
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('obligation_version')
    .values({ obligation_id: row.id, version: 1, effective_from: first.effectiveFrom, amount_cents: first.amount.cents, due_day: first.dueDay, basis: first.basis, recorded_by: input.recordedBy })
    .execute();
  return (await obligationsById(trx, [row.id]))[0]!;
}

function checkVersion(version: { effectiveFrom: IsoDate; amount: Money; dueDay: number; basis: LegalBasis }): void {
  assertIsoDate(version.effectiveFrom, 'effective date');
  if (!(version.amount instanceof Money) || !version.amount.isPositive()) throw refuse('an obligation amount must be more than 0.00');
  if (!Number.isInteger(version.dueDay) || version.dueDay < 1 || version.dueDay > 31) throw refuse(`due day ${version.dueDay} is not between 1 and 31`);
  if (!(version.basis in BASIS_LABELS)) throw refuse(`unknown legal basis "${String(version.basis)}"`);
}

/**
 * A change (a new energy advance, the premium of a new year, the rent after a move to the art. 57
 * basis) as a new version from its effective date; history is never edited. `notBefore` is the first
 * due date not yet reserved or paid (allocation's `firstOpenDueDate`): a change may not reach behind it.
 */
export async function addVersion(
  trx: Trx,
  obligationId: bigint,
  change: { effectiveFrom: IsoDate; amount: Money; dueDay?: number; basis?: LegalBasis; recordedBy: string },
  options: { notBefore?: IsoDate } = {},
): Promise<ClientObligation> {
  const head = await trx.selectFrom('obligation').select(['id', 'client_id']).where('id', '=', obligationId).executeTakeFirst();
  if (!head) throw new ClientError('obligation_not_found', `there is no obligation ${obligationId}`);
  const client = rowToClientRecord(await lockClient(trx, head.client_id));
  const obligation = (await obligationsById(trx, [obligationId]))[0]!;
  const latest = [...obligation.versions].sort((a, b) => b.version - a.version)[0]!;
  const full = { effectiveFrom: change.effectiveFrom, amount: change.amount, dueDay: change.dueDay ?? latest.dueDay, basis: change.basis ?? latest.basis };
  checkVersion(full);
  // The same change sent again (a retry without an Idempotency-Key) answers the version it made.
  if (latest.effectiveFrom === full.effectiveFrom && latest.amount.equals(full.amount) && latest.dueDay === full.dueDay && latest.basis === full.basis) return obligation;
  const periods = periodsUntil((await periodsOf(trx, [head.client_id])).get(head.client_id) ?? [], client.ontzorgenEndedOn);
  assertBasis(obligation.type, full.basis, periods, full.effectiveFrom);
  const next = addObligationVersion(obligation, full, options.notBefore === undefined ? {} : { notBefore: options.notBefore });
  const added = next.versions[next.versions.length - 1]!;
  await trx
    .insertInto('obligation_version')
    .values({ obligation_id: obligationId, version: added.version, effective_from: added.effectiveFrom, amount_cents: added.amount.cents, due_day: added.dueDay, basis: added.basis, recorded_by: change.recordedBy })
    .execute();
  return (await obligationsById(trx, [obligationId]))[0]!;
}

/**
 * The obligation ends (contract ended, handed back to the client, rule 12): nothing falls due after `lastDay`. Not
 * before a period whose payment is already instructed: that payment is not withdrawn by the end, so a successor for
 * the same period would pay it twice.
 */
export async function endObligation(trx: Trx, obligationId: bigint, lastDay: IsoDate): Promise<void> {
  assertIsoDate(lastDay, 'last day');
  const row = await trx.selectFrom('obligation').select(['valid_until', 'type', 'payee_name']).where('id', '=', obligationId).forUpdate().executeTakeFirst();
  if (!row) throw new ClientError('obligation_not_found', `there is no obligation ${obligationId}`);
  if (row.valid_until !== null && row.valid_until <= lastDay) return;
  const later = (await instructedPeriods(trx, { obligationId })).filter((p) => p.due_date > lastDay);
  if (later.length > 0) {
    const last = later[later.length - 1]!;
    const label = OBLIGATION_LABELS[row.type];
    throw new ObligationRefused(
      'end_before_instructed_period',
      `${label[0]!.toUpperCase()}${label.slice(1)} to ${row.payee_name} cannot end on ${lastDay}: the payment for ${later.map((p) => p.period).join(', ')} (due ${later[0]!.due_date}) is already instructed. ` +
        `End it on ${lastDayOf(last.period)} or later and start a new one from ${firstDayOf(addMonths(last.period, 1))}, or first stop that payment: while it is not released, reject its batch.`,
    );
  }
  await trx.updateTable('obligation').set({ valid_until: lastDay }).where('id', '=', obligationId).execute();
}

type ObligationRow = Omit<Selectable<ObligationTable>, 'created_at'>;
type VersionRow = Omit<Selectable<ObligationVersionTable>, 'created_at' | 'recorded_by'>;
// Only what the rules read: allocation loads every obligation of every client each day.
const OBLIGATION_COLUMNS = ['id', 'client_id', 'gemeente_id', 'type', 'frequency', 'payee_name', 'payee_iban', 'payee_reference', 'reference_kind', 'description', 'valid_until'] as const;
const VERSION_COLUMNS = ['obligation_id', 'version', 'effective_from', 'amount_cents', 'due_day', 'basis'] as const;

export function rowsToObligation(row: ObligationRow, versions: readonly VersionRow[]): ClientObligation {
  return {
    id: row.id.toString(),
    clientId: row.client_id,
    gemeenteId: row.gemeente_id,
    type: row.type,
    frequency: row.frequency,
    validUntil: row.valid_until,
    versions: versions.map(
      (v): ObligationVersion => ({ version: v.version, effectiveFrom: v.effective_from, amount: Money.fromCents(v.amount_cents), dueDay: v.due_day, basis: v.basis }),
    ),
    payee: { name: row.payee_name, iban: row.payee_iban, reference: row.payee_reference === null ? null : { kind: row.reference_kind, value: row.payee_reference } },
    description: row.description,
  };
}

async function assemble(db: Kysely<Database> | Trx, rows: ObligationRow[]): Promise<ClientObligation[]> {
  if (rows.length === 0) return [];
  const versions = await db
    .selectFrom('obligation_version')
    .select(VERSION_COLUMNS)
    .where('obligation_id', '=', sql<bigint>`ANY(${numberArray(rows.map((r) => r.id))}::bigint[])`)
    .orderBy('obligation_id')
    .orderBy('version')
    .execute();
  const byObligation = new Map<bigint, VersionRow[]>();
  for (const v of versions) {
    const list = byObligation.get(v.obligation_id);
    if (list) list.push(v);
    else byObligation.set(v.obligation_id, [v]);
  }
  return rows.map((row) => rowsToObligation(row, byObligation.get(row.id) ?? []));
}

export async function obligationsById(db: Kysely<Database> | Trx, ids: readonly bigint[]): Promise<ClientObligation[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('obligation').select(OBLIGATION_COLUMNS).where('id', '=', sql<bigint>`ANY(${numberArray(ids)}::bigint[])`).orderBy('id').execute();
  return assemble(db, rows);
}

/** Every obligation of these clients, with their versions: two queries whatever the number. */
export async function obligationsOf(db: Kysely<Database> | Trx, clientIds: readonly bigint[]): Promise<Map<bigint, ClientObligation[]>> {
  const result = new Map<bigint, ClientObligation[]>();
  if (clientIds.length === 0) return result;
  const rows = await db.selectFrom('obligation').select(OBLIGATION_COLUMNS).where('client_id', '=', sql<bigint>`ANY(${numberArray(clientIds)}::bigint[])`).orderBy('id').execute();
  for (const obligation of await assemble(db, rows)) {
    const list = result.get(obligation.clientId);
    if (list) list.push(obligation);
    else result.set(obligation.clientId, [obligation]);
  }
  return result;
}


