import { sql } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import { textArray } from '../db/array-parameters.js';
import { allocateIds, insertColumns } from '../db/bulk-insert.js';
import type { Trx } from '../db/transaction.js';
import { bookBatch, type LedgerRequest } from '../ledger/index.js';
import type { Money } from '../money/money.js';
import { isValidCreditorReference, isValidIban, normaliseIban, type ReferenceIssuer } from '../references/index.js';
import { assessEpcText } from '../sepa/index.js';
import type { Assembly } from './assembly.js';
import { PaymentError } from './errors.js';
import type { InstructionKind, InstructionStatus } from './rows.js';

export interface InstructionDraft {
  /** What identifies this payment: the daily batch uses client + obligation or leefgeld + period (+ attempt). */
  readonly idempotencyKey: string;
  /** Null only for a refund sent back from suspense, which brings its own reservation (from the suspense account). */
  readonly clientId: bigint | null;
  readonly gemeenteId: string;
  readonly kind: InstructionKind;
  readonly obligationId?: bigint | null;
  /** The period paid for, as the batch names it (`2027-01`, `2027-W02`, …). */
  readonly period: string;
  readonly dueDate: string;
  readonly executionDate: string;
  readonly amount: Money;
  readonly debtorIban: string;
  /** `name` as people see it; `latinName` is what goes to the bank (the BRP spelling for a client). */
  readonly creditor: { readonly name: string; readonly latinName?: string; readonly iban: string };
  readonly remittance?: string | null;
  readonly reference?: { readonly issuer: ReferenceIssuer; readonly reference: string } | null;
  readonly urgent?: boolean;
  /** The reservation (pending transfer available → in transit) allocation made; absent: reserve now. */
  readonly reservationKey?: string;
  /** Why it may not go out yet (rule 4: no valid machtiging); the money stays reserved. */
  readonly holdReason?: string | null;
  readonly attempt?: number;
  readonly retryOf?: bigint | null;
}

export type InstructionOutcome =
  | { readonly key: string; readonly outcome: 'created' | 'existing'; readonly instructionId: bigint; readonly status: InstructionStatus }
  | { readonly key: string; readonly outcome: 'refused'; readonly reason: string };

function invalid(draft: InstructionDraft, field: string, message: string): PaymentError {
  return new PaymentError('invalid_instruction', `payment ${draft.idempotencyKey}: ${field} ${message}`, { field });
}

type EpcAssessment = ReturnType<typeof assessEpcText>;

/**
 * Refuses, at entry, what would make the bank reject the file later. Made per call: each IBAN and text is checked once
 * however many drafts carry it (a costs day pays a handful of payees for every client of a chunk).
 */
function draftChecker(): (draft: InstructionDraft) => { creditorIban: string; latin: string } {
  const ibans = new Map<string, boolean>();
  const texts = new Map<string, EpcAssessment>();
  const validIban = (iban: string): boolean => {
    let valid = ibans.get(iban);
    if (valid === undefined) ibans.set(iban, (valid = isValidIban(iban)));
    return valid;
  };
  const epc = (text: string, max: number): EpcAssessment => {
    const key = `${max}|${text}`;
    let assessment = texts.get(key);
    if (assessment === undefined) texts.set(key, (assessment = assessEpcText(text, max)));
    return assessment;
  };
  return (draft) => {
    if (draft.clientId === null && (draft.kind !== 'refund' || !draft.reservationKey)) throw invalid(draft, 'client', 'is needed: only a refund from suspense, reserved beforehand, is paid without one');
    const creditorIban = normaliseIban(draft.creditor.iban);
    if (!validIban(creditorIban)) throw invalid(draft, 'creditor IBAN', `"${draft.creditor.iban}" is not a valid IBAN`);
    if (!draft.amount.isPositive()) throw invalid(draft, 'amount', `must be more than 0.00, got ${draft.amount.toString()}`);
    const latin = draft.creditor.latinName ?? draft.creditor.name;
    const name = epc(latin, 70);
    if (!name.usable) {
      throw invalid(draft, 'creditor name', name.problem === 'empty' ? 'has nothing readable in the bank character set' : `has letters without a Latin spelling (${name.lost.join('')}); record the name as the BRP writes it in Latin letters`);
    }
    if (draft.remittance && !epc(draft.remittance, 140).usable) throw invalid(draft, 'remittance', 'cannot be written in the bank character set');
    if (draft.reference && !isValidCreditorReference(draft.reference.issuer, draft.reference.reference)) {
      throw invalid(draft, 'creditor reference', `"${draft.reference.reference}" is not a valid ${draft.reference.issuer === 'CUR' ? 'betalingskenmerk' : 'RF reference'}`);
    }
    return { creditorIban, latin };
  };
}

/**
 * Creates payment instructions, each exactly once by its key: a second call with the same key
 * answers the existing instruction. A draft without a reservation reserves its amount now
 * (client's free money → in transit); when the money is not there it is refused, and nothing
 * of it is written. All in the caller's transaction, in bulk: a few round trips per call.
 *
 * `assembly`: the daily batch's batches being assembled. A regular payment that is not held, from their account on
 * one of their dates, is written into its batch (`batched`) instead of waiting for grouping to move it there.
 * `availableAccounts`: clients' available-money accounts the caller has read already (the others are read here).
 */
export async function createPaymentInstructions(
  trx: Trx,
  drafts: readonly InstructionDraft[],
  options: { assembly?: Assembly; availableAccounts?: ReadonlyMap<bigint, bigint> } = {},
): Promise<InstructionOutcome[]> {
  const outcomes = new Map<string, InstructionOutcome>();
  if (drafts.length === 0) return [];
  const check = draftChecker();
  const checked = drafts.map((draft) => {
    const { creditorIban, latin } = check(draft);
    return { draft, creditorIban, latin };
  });
  // One index probe per key, whatever the planner's costs (OFFSET 0 keeps it from turning this into a join): given
  // thousands of keys as `idempotency_key = ANY(…)`, PostgreSQL 15 at its default costs read every instruction ever
  // made, once per chunk.
  const { rows: existing } = await sql<{ id: bigint; idempotency_key: string; status: InstructionStatus }>`
    SELECT p.id, p.idempotency_key, p.status
      FROM unnest(${textArray(drafts.map((d) => d.idempotencyKey))}::text[]) AS k (key)
     CROSS JOIN LATERAL (SELECT id, idempotency_key, status FROM payment_instruction WHERE idempotency_key = k.key OFFSET 0) AS p
  `.execute(trx);
  for (const row of existing) outcomes.set(row.idempotency_key, { key: row.idempotency_key, outcome: 'existing', instructionId: row.id, status: row.status });

  const fresh = checked.filter((c) => !outcomes.has(c.draft.idempotencyKey));
  const debtors = await trx.selectFrom('payment_account').select(['iban', 'in_transit_account_id']).execute();
  const inTransit = new Map(debtors.map((d) => [d.iban, d.in_transit_account_id]));
  for (const c of fresh) if (!inTransit.has(c.draft.debtorIban)) throw new PaymentError('unknown_payment_account', `${c.draft.debtorIban} is not set up to pay from`);

  const toReserve = fresh.filter((c) => !c.draft.reservationKey);
  // The checker refused a draft without a client unless it brings its reservation, so every draft here has one.
  const known = options.availableAccounts;
  // Only what the caller did not bring is read (nothing, and no query, when it brought them all).
  const read = await availableAccounts(trx, toReserve.map((c) => c.draft.clientId!).filter((clientId) => !known?.has(clientId)));
  const accountOf = (clientId: bigint): bigint => known?.get(clientId) ?? read.get(clientId)!;
  const reservations: LedgerRequest[] = toReserve.map(({ draft }) => ({
    type: 'pending',
    idempotencyKey: `reserve/${draft.idempotencyKey}`,
    bookingDate: draft.executionDate,
    description: `${draft.kind} ${draft.period} reserved for payment`,
    debit: accountOf(draft.clientId!),
    credit: inTransit.get(draft.debtorIban)!,
    amount: draft.amount,
  }));
  const results = await bookBatch(trx, reservations);
  const refused = new Set<string>();
  results.forEach((result, i) => {
    const key = toReserve[i]!.draft.idempotencyKey;
    if (result.outcome === 'booked') return;
    refused.add(key);
    outcomes.set(key, { key, outcome: 'refused', reason: result.outcome === 'refused' ? result.message : result.error.message });
  });

  const insert = fresh.filter((c) => !refused.has(c.draft.idempotencyKey));
  // Ids first, so the EndToEndId (derived from our own id: unique, stable, in the EPC identifier set) is
  // written with the row and the events name their instruction without reading anything back.
  const ids = await allocateIds(trx, 'payment_instruction', insert.length);
  const assembly = options.assembly;
  const batchOf = (draft: InstructionDraft): bigint | null =>
    assembly && !draft.holdReason && !draft.urgent && draft.debtorIban === assembly.debtorIban ? (assembly.batchByDate.get(draft.executionDate) ?? null) : null;
  // Where each row goes, decided once per row: its batch (or none) and so its status.
  const batchIds = insert.map((c) => batchOf(c.draft));
  const statuses = insert.map((c, n): InstructionStatus => (c.draft.holdReason ? 'held' : batchIds[n] === null ? 'created' : 'batched'));
  for (let i = 0; i < insert.length; i += 5_000) {
    const part = insert.slice(i, i + 5_000);
    const partIds = ids.slice(i, i + 5_000);
    const partStatuses = statuses.slice(i, i + 5_000);
    const column = <T,>(value: (c: (typeof part)[number]) => T): T[] => part.map(value);
    await insertColumns(
      trx,
      'payment_instruction',
      {
        id: { type: 'bigint', values: partIds },
        idempotency_key: { type: 'text', values: column((c) => c.draft.idempotencyKey) },
        client_id: { type: 'bigint', values: column((c) => c.draft.clientId) },
        gemeente_id: { type: 'text', values: column((c) => c.draft.gemeenteId) },
        kind: { type: 'text', values: column((c) => c.draft.kind) },
        obligation_id: { type: 'bigint', values: column((c) => c.draft.obligationId ?? null) },
        period: { type: 'text', values: column((c) => c.draft.period) },
        attempt: { type: 'integer', values: column((c) => c.draft.attempt ?? 1) },
        retry_of: { type: 'bigint', values: column((c) => c.draft.retryOf ?? null) },
        due_date: { type: 'date', values: column((c) => c.draft.dueDate) },
        execution_date: { type: 'date', values: column((c) => c.draft.executionDate) },
        amount_cents: { type: 'bigint', values: column((c) => c.draft.amount.cents) },
        debtor_iban: { type: 'text', values: column((c) => c.draft.debtorIban) },
        creditor_name: { type: 'text', values: column((c) => c.draft.creditor.name.slice(0, 140)) },
        creditor_name_latin: { type: 'text', values: column((c) => c.latin.slice(0, 140)) },
        creditor_iban: { type: 'text', values: column((c) => c.creditorIban) },
        remittance: { type: 'text', values: column((c) => c.draft.remittance ?? null) },
        reference_issuer: { type: 'text', values: column((c) => c.draft.reference?.issuer ?? null) },
        reference: { type: 'text', values: column((c) => c.draft.reference?.reference ?? null) },
        urgent: { type: 'boolean', values: column((c) => c.draft.urgent ?? false) },
        reservation_key: { type: 'text', values: column((c) => c.draft.reservationKey ?? `reserve/${c.draft.idempotencyKey}`) },
        end_to_end_id: { type: 'text', values: partIds.map(endToEndIdOf) },
        status: { type: 'text', values: partStatuses },
        hold_reason: { type: 'text', values: column((c) => c.draft.holdReason ?? null) },
        batch_id: { type: 'bigint', values: batchIds.slice(i, i + 5_000) },
      },
      { overridingIdentity: true },
    );
    await insertColumns(trx, 'payment_event', {
      instruction_id: { type: 'bigint', values: partIds },
      kind: { type: 'text', values: partStatuses.map((status) => (status === 'held' ? 'created_held' : 'created')) },
      actor: { type: 'text', values: column(() => 'system') },
      details: { type: 'jsonb', values: column(() => '{}') },
    });
    part.forEach((c, n) => outcomes.set(c.draft.idempotencyKey, { key: c.draft.idempotencyKey, outcome: 'created', instructionId: partIds[n]!, status: partStatuses[n]! }));
  }
  return drafts.map((d) => outcomes.get(d.idempotencyKey)!);
}

/** The EndToEndId the bank carries back on its statement and status reports: our id, zero-padded. */
export function endToEndIdOf(id: bigint): string {
  return `OZ-${id.toString().padStart(12, '0')}`;
}

/**
 * Lets a held instruction go (its machtiging is in place now), or holds a created one. A hold lifted after
 * the execution date passed gives `executionDate` (the first business day it can go): a file may not ask the
 * bank for a day gone by.
 */
export async function setHold(trx: Trx, instructionId: bigint, holdReason: string | null, actor: string, options: { executionDate?: string } = {}): Promise<void> {
  const row = await trx.selectFrom('payment_instruction').select(['status', 'execution_date']).where('id', '=', instructionId).forUpdate().executeTakeFirst();
  if (!row) throw new PaymentError('instruction_not_found', `there is no payment instruction ${instructionId}`);
  if (row.status !== 'created' && row.status !== 'held') return;
  const moved = !holdReason && options.executionDate !== undefined && options.executionDate > row.execution_date ? options.executionDate : null;
  await trx
    .updateTable('payment_instruction')
    .set({ status: holdReason ? 'held' : 'created', hold_reason: holdReason, ...(moved ? { execution_date: moved } : {}) })
    .where('id', '=', instructionId)
    .execute();
  const details = moved ? { reason: holdReason, executionDate: { from: row.execution_date, to: moved } } : { reason: holdReason };
  await trx.insertInto('payment_event').values({ instruction_id: instructionId, kind: holdReason ? 'held' : 'hold_lifted', actor, details: JSON.stringify(details) }).execute();
}
