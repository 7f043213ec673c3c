import { sql, type Kysely } from 'kysely';
import type { ObligationType } from '../clients/obligation-rules.js';
import { rowsToObligation, type ClientObligation } from '../clients/obligations.js';
import { rowToPeriod, type StoredPeriod } from '../clients/ontzorg-periods.js';
import type { LegalBasisText, ReferenceKind } from '../clients/rows.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import type { AdvanceTerms } from '../noodvoorziening/reads.js';
import type { StoredDecision } from '../maatwerk/read.js';
import type { IsoDate } from '../schedule/index.js';

/**
 * The statement's read. A statement is a read-only projection over the ledger, the payment
 * instructions, the bank items, the allocation's reservations and the client's obligations and
 * periods. One call of the database function `statement_facts` (migrations/0007_statements.ts)
 * answers all of it as one json: one round trip, one snapshot (a STABLE function), plans kept per
 * connection. This file names every field it takes from that answer and turns amounts and ids
 * (sent as text) into bigint; no amount is ever a JSON number.
 */

export interface HeaderRow {
  id: bigint;
  reference: string;
  name: string | null;
  gemeente_id: string;
  gemeente_name: string;
  ontzorgen_ended_on: string | null;
  account_id: bigint | null;
  credits_posted: bigint | null;
  debits_posted: bigint | null;
  debits_pending: bigint | null;
  /** Net (credits − debits) of the posted postings booked after the period: closing = counters − this. */
  after_net: bigint;
  advance_accounts: bigint;
  advance_lent: bigint | null;
  advance_repaid: bigint | null;
}

export interface LineRow {
  booking_date: string;
  side: 'D' | 'C';
  amount_cents: bigint;
  transaction_id: bigint;
  reversal: boolean;
  destination: 'client' | 'suspense' | 'settlement' | 'return' | null;
  item_income_type: string | null;
  counterparty_name: string | null;
  item_return_reason: string | null;
  assigned_income_type: string | null;
  instruction_id: bigint | null;
  instruction_kind: string | null;
  instruction_period: string | null;
  instruction_key: string | null;
  creditor_name: string | null;
  instruction_return_reason: string | null;
  obligation_type: ObligationType | null;
  payee_name: string | null;
  pass_on_income_type: string | null;
  counter_purpose: string | null;
}

export interface PendingRow {
  transaction_id: bigint;
  key: string;
  booking_date: string;
  amount_cents: bigint;
  ar_obligation_id: bigint | null;
  ar_period: string | null;
  ar_due_date: string | null;
  ar_obligation_type: ObligationType | null;
  ar_payee_name: string | null;
}

export interface OpenInstructionRow {
  id: bigint;
  idempotency_key: string;
  kind: string;
  period: string;
  status: string;
  due_date: string;
  amount_cents: bigint;
  reservation_key: string;
  creditor_name: string;
  obligation_type: ObligationType | null;
  payee_name: string | null;
  pass_on_income_type: string | null;
}

export interface StatementFacts {
  readonly header: HeaderRow;
  readonly lines: readonly LineRow[];
  /** Open now. */
  readonly pending: readonly PendingRow[];
  readonly instructions: readonly OpenInstructionRow[];
  /** `obligationId|YYYY-MM` already reserved or instructed in the months asked for. */
  readonly handled: ReadonlySet<string>;
  readonly obligations: readonly ClientObligation[];
  readonly periods: readonly StoredPeriod[];
  /** Rule 11: the grant behind an advance (date, instalment, hand-over), from the noodvoorziening records. */
  readonly advanceTerms?: AdvanceTerms | null;
  /** Maatwerk decisions and revocations (rule 10); absent: none read. */
  readonly maatwerk?: readonly StoredDecision[];
  /** Whether the client has any maatwerk decision: read with the facts, so the decisions are read only for those who do. */
  readonly hasMaatwerk?: boolean;
}

type Json = Record<string, unknown>;

const big = (value: unknown): bigint => BigInt(value as string);
const bigOrNull = (value: unknown): bigint | null => (value === null || value === undefined ? null : BigInt(value as string));
const text = (value: unknown): string | null => (value === null || value === undefined ? null : (value as string));

function header(j: Json): HeaderRow {
  return {
    id: big(j.id),
    reference: j.reference as string,
    name: text(j.name),
    gemeente_id: j.gemeente_id as string,
    gemeente_name: j.gemeente_name as string,
    ontzorgen_ended_on: text(j.ontzorgen_ended_on),
    account_id: bigOrNull(j.account_id),
    credits_posted: bigOrNull(j.credits_posted),
    debits_posted: bigOrNull(j.debits_posted),
    debits_pending: bigOrNull(j.debits_pending),
    after_net: bigOrNull(j.after_net) ?? 0n,
    advance_accounts: big(j.advance_accounts),
    advance_lent: bigOrNull(j.advance_lent),
    advance_repaid: bigOrNull(j.advance_repaid),
  };
}

function line(j: Json): LineRow {
  return {
    booking_date: j.booking_date as string,
    side: j.side as 'D' | 'C',
    amount_cents: big(j.amount_cents),
    transaction_id: big(j.transaction_id),
    reversal: j.reversal === true,
    destination: text(j.destination) as LineRow['destination'],
    item_income_type: text(j.item_income_type),
    counterparty_name: text(j.counterparty_name),
    item_return_reason: text(j.item_return_reason),
    assigned_income_type: text(j.assigned_income_type),
    instruction_id: bigOrNull(j.instruction_id),
    instruction_kind: text(j.instruction_kind),
    instruction_period: text(j.instruction_period),
    instruction_key: text(j.instruction_key),
    creditor_name: text(j.creditor_name),
    instruction_return_reason: text(j.instruction_return_reason),
    obligation_type: text(j.obligation_type) as ObligationType | null,
    payee_name: text(j.payee_name),
    pass_on_income_type: text(j.pass_on_income_type),
    counter_purpose: text(j.counter_purpose),
  };
}

function pending(j: Json): PendingRow {
  return {
    transaction_id: big(j.transaction_id),
    key: j.key as string,
    booking_date: j.booking_date as string,
    amount_cents: big(j.amount_cents),
    ar_obligation_id: bigOrNull(j.ar_obligation_id),
    ar_period: text(j.ar_period),
    ar_due_date: text(j.ar_due_date),
    ar_obligation_type: text(j.ar_obligation_type) as ObligationType | null,
    ar_payee_name: text(j.ar_payee_name),
  };
}

function instruction(j: Json): OpenInstructionRow {
  return {
    id: big(j.id),
    idempotency_key: j.idempotency_key as string,
    kind: j.kind as string,
    period: j.period as string,
    status: j.status as string,
    due_date: j.due_date as string,
    amount_cents: big(j.amount_cents),
    reservation_key: j.reservation_key as string,
    creditor_name: j.creditor_name as string,
    obligation_type: text(j.obligation_type) as ObligationType | null,
    payee_name: text(j.payee_name),
    pass_on_income_type: text(j.pass_on_income_type),
  };
}

function obligation(j: Json): ClientObligation {
  const versions = ((j.versions as Json[] | null) ?? []).map((v) => ({
    obligation_id: big(j.id),
    version: v.version as number,
    effective_from: v.effective_from as string,
    amount_cents: big(v.amount_cents),
    due_day: v.due_day as number,
    basis: v.basis as LegalBasisText,
  }));
  return rowsToObligation(
    {
      id: big(j.id),
      client_id: big(j.client_id),
      gemeente_id: j.gemeente_id as string,
      type: j.type as ObligationType,
      frequency: j.frequency as 'monthly' | 'quarterly',
      payee_name: j.payee_name as string,
      payee_iban: j.payee_iban as string,
      payee_reference: text(j.payee_reference),
      reference_kind: j.reference_kind as ReferenceKind,
      description: text(j.description),
      valid_until: text(j.valid_until),
    },
    versions,
  );
}

function period(j: Json): StoredPeriod {
  return rowToPeriod({
    id: big(j.id),
    client_id: big(j.client_id),
    basis: j.basis as LegalBasisText,
    first_day: j.first_day as string,
    last_day: text(j.last_day),
    review_date: text(j.review_date),
    decision_reference: text(j.decision_reference),
    ended_early_on: text(j.ended_early_on),
    ended_reason: text(j.ended_reason),
  });
}

/** Everything one statement needs, in one snapshot; null when there is no such client. */
export async function readFacts(db: Kysely<Database> | Trx, clientId: bigint, from: IsoDate, to: IsoDate, months: readonly string[]): Promise<StatementFacts | null> {
  // The maatwerk question rides along in the same statement (same snapshot): most clients have no decision, and asking
  // separately cost every statement a second round trip.
  const { rows } = await sql<{ facts: Json | null; has_maatwerk: boolean }>`
    SELECT statement_facts(${clientId.toString()}::bigint, ${from}::date, ${to}::date, ${[...months]}::text[]) AS facts,
           EXISTS (SELECT 1 FROM maatwerk_decision d WHERE d.client_id = ${clientId.toString()}::bigint) AS has_maatwerk
  `.execute(db);
  const facts = rows[0]?.facts;
  if (!facts) return null;
  return {
    hasMaatwerk: rows[0]!.has_maatwerk,
    header: header(facts.header as Json),
    lines: (facts.lines as Json[]).map(line),
    pending: (facts.pending as Json[]).map(pending),
    instructions: (facts.instructions as Json[]).map(instruction),
    handled: new Set(facts.handled as string[]),
    obligations: (facts.obligations as Json[]).map(obligation),
    periods: (facts.periods as Json[]).map(period),
  };
}
