import { matchOwnPayment, type OwnPayments, type OwnPaymentMatch } from '../payments/reconcile.js';
import type { EntryItem } from './items.js';
import type { IdentifierKind, IncomeType, MatchRule, PayerKind } from './rows.js';

/**
 * The matching rules, in the order the issue gives them; a gemeente may switch rules off or
 * reorder them (gemeente_matching). Money goes to a client only when the rules point at
 * exactly one client with certainty (domain rule 9); otherwise it waits in suspense for a
 * person. Every decision says which rule made it and on what.
 */
export const DEFAULT_RULES: readonly MatchRule[] = ['own_payment', 'client_reference', 'known_payer'];

export interface KnownPayer {
  readonly gemeenteId: string;
  readonly iban: string;
  readonly name: string;
  readonly kind: PayerKind;
}

export interface IdentifiedClient {
  readonly clientId: bigint;
  readonly gemeenteId: string;
  readonly kind: IdentifierKind;
  readonly value: string;
}

export interface MatchContext {
  readonly rulesByGemeente: ReadonlyMap<string, readonly MatchRule[]>;
  readonly payersByIban: ReadonlyMap<string, readonly KnownPayer[]>;
  /** Clients by identifier value (already normalised: upper case, no spaces; BSNs as keyed hashes). */
  readonly clientsByValue: ReadonlyMap<string, readonly IdentifiedClient[]>;
  /** Keyed hashes of the BSNs a text may carry; none when no BSN key is configured. */
  readonly bsnHashesIn: (text: string) => readonly string[];
  /** Our released payments, by EndToEndId and by payment-information block (rule 1). */
  readonly ownPayments: OwnPayments;
}

export type MatchDecision =
  | { readonly destination: 'settlement'; readonly rule: 'own_payment'; readonly match: Extract<OwnPaymentMatch, { kind: 'settlement' }>; readonly detail: Record<string, unknown> }
  | { readonly destination: 'return'; readonly rule: 'own_payment'; readonly clientId: bigint; readonly gemeenteId: string; readonly match: Extract<OwnPaymentMatch, { kind: 'return' }>; readonly detail: Record<string, unknown> }
  | { readonly destination: 'client'; readonly rule: MatchRule; readonly clientId: bigint; readonly gemeenteId: string; readonly incomeType: IncomeType; readonly detail: Record<string, unknown> }
  | {
      readonly destination: 'suspense';
      readonly rule: MatchRule | null;
      readonly reason: SuspenseReason;
      readonly detail: Record<string, unknown>;
      /** A refund from suspense came back: booked to suspense, and the refund is recorded as returned. */
      readonly returned?: Extract<OwnPaymentMatch, { kind: 'return' }>;
    };

export type SuspenseReason =
  | 'no_match'
  | 'ambiguous'
  | 'conflicting_rules'
  | 'payer_known_client_not_found'
  | 'outgoing_not_matched'
  | 'return_not_matched'
  | 'detail_difference'
  | 'own_payment_mismatch'
  | 'refund_returned';

export const SUSPENSE_REASONS: Readonly<Record<SuspenseReason, string>> = {
  no_match: 'no client reference and not from a known payer',
  ambiguous: 'the references point at more than one client',
  conflicting_rules: 'the client reference and the payer point at different clients',
  payer_known_client_not_found: 'from a known payer, but no client carries the identifier it gave',
  outgoing_not_matched: 'a debit that is not one of our own payments',
  return_not_matched: 'a return of a payment we cannot find',
  detail_difference: 'the entry and its details differ (often bank charges)',
  own_payment_mismatch: 'about one of our payments, but it does not fit it (amount, count or status)',
  refund_returned: 'a refund we sent back to the payer came back from the bank',
};

const IDENTIFIERS_BY_PAYER: Readonly<Record<PayerKind, readonly IdentifierKind[]>> = {
  bijstand: ['case_number', 'bsn_hash'],
  toeslagen: ['toeslagen_reference', 'bsn_hash'],
  svb: ['svb_number', 'bsn_hash'],
  other: ['case_number', 'bsn_hash'],
};

/** Upper case, separators removed: how identifiers are stored and looked up. */
export function normaliseIdentifier(value: string): string {
  return value.replace(/[\s.]/g, '').toUpperCase();
}

/** The candidate identifier values an item carries: its creditor references and the words of its remittance. */
export function tokensOf(item: EntryItem): string[] {
  const tokens = new Set<string>();
  for (const ref of item.creditorReferences) tokens.add(normaliseIdentifier(ref.reference));
  const text = item.remittance ?? '';
  // RF references are often written in groups of four: "RF18 5390 0754 7034".
  for (const rf of text.toUpperCase().matchAll(/RF\d{2}(?: ?[A-Z0-9]{1,4}){1,6}/g)) tokens.add(normaliseIdentifier(rf[0]));
  for (const word of text.split(/[^A-Za-z0-9-]+/)) if (word.length >= 4) tokens.add(word.toUpperCase());
  return [...tokens];
}

function clientsFor(values: readonly string[], kinds: readonly IdentifierKind[], ctx: MatchContext, gemeenteId?: string): IdentifiedClient[] {
  const found = new Map<bigint, IdentifiedClient>();
  for (const value of values) {
    for (const hit of ctx.clientsByValue.get(value) ?? []) {
      if (kinds.includes(hit.kind) && (gemeenteId === undefined || hit.gemeenteId === gemeenteId)) found.set(hit.clientId, hit);
    }
  }
  return [...found.values()];
}

export function classify(payer: KnownPayer | undefined, remittance: string | null): IncomeType {
  const text = (remittance ?? '').toUpperCase();
  if (!payer) return 'other';
  switch (payer.kind) {
    case 'bijstand':
      return 'bijstand';
    case 'toeslagen':
      if (text.includes('ZORGTOESLAG')) return 'zorgtoeslag';
      if (text.includes('HUURTOESLAG')) return 'huurtoeslag';
      if (text.includes('KINDGEBONDEN')) return 'kindgebonden_budget';
      return 'other';
    case 'svb':
      return text.includes('KINDERBIJSLAG') || !text ? 'kinderbijslag' : 'other';
    case 'other':
      return 'other';
  }
}

interface Candidate {
  readonly rule: MatchRule;
  readonly client: IdentifiedClient;
  readonly payer?: KnownPayer;
}

/**
 * Decides where one incoming item goes. Debits, returns and differences are the payment module's; they wait in
 * suspense here. `known`: the item's `tokensOf`, when the caller made them already (to look the identifiers up).
 */
export function matchItem(item: EntryItem, ctx: MatchContext, known?: readonly string[]): MatchDecision {
  if (item.kind === 'difference') return { destination: 'suspense', rule: null, reason: 'detail_difference', detail: {} };
  // Rule 1 is always on: our own payments are reconciled whatever a gemeente's order of the other rules.
  const own = matchOwnPayment(
    { creditDebit: item.creditDebit, amountCents: item.amount.cents, endToEndId: item.endToEndId, paymentInformationId: item.paymentInformationId, batchCount: item.batchCount, returnReason: item.returnReason, originalEndToEndId: item.originalEndToEndId },
    ctx.ownPayments,
  );
  if (own?.kind === 'settlement') return { destination: 'settlement', rule: 'own_payment', match: own, detail: { by: own.by, payments: own.instructionIds.length, paymentInfoId: own.paymentInfoId } };
  if (own?.kind === 'return') {
    // A refund sent back from suspense was never a client's money: what comes back of it waits in suspense again.
    if (own.instruction.clientId === null) {
      return { destination: 'suspense', rule: 'own_payment', reason: 'refund_returned', detail: { instruction: own.instruction.id.toString(), returnReason: own.reasonCode }, returned: own };
    }
    return { destination: 'return', rule: 'own_payment', clientId: own.instruction.clientId, gemeenteId: own.instruction.gemeenteId, match: own, detail: { instruction: own.instruction.id.toString(), reason: own.reasonCode } };
  }
  if (own?.kind === 'mismatch') return { destination: 'suspense', rule: 'own_payment', reason: 'own_payment_mismatch', detail: { why: own.why } };
  if (item.kind === 'return') return { destination: 'suspense', rule: 'own_payment', reason: 'return_not_matched', detail: { originalEndToEndId: item.originalEndToEndId, returnReason: item.returnReason } };
  if (item.creditDebit === 'DBIT') return { destination: 'suspense', rule: 'own_payment', reason: 'outgoing_not_matched', detail: { endToEndId: item.endToEndId, paymentInformationId: item.paymentInformationId } };

  const tokens = known ?? tokensOf(item);
  const candidates: Candidate[] = [];

  const byReference = clientsFor(tokens, ['client_reference', 'rf_reference'], ctx);
  if (byReference.length > 1) return { destination: 'suspense', rule: 'client_reference', reason: 'ambiguous', detail: { clients: byReference.length } };
  if (byReference.length === 1) candidates.push({ rule: 'client_reference', client: byReference[0]! });

  const payers = item.counterpartyIban ? (ctx.payersByIban.get(item.counterpartyIban) ?? []) : [];
  if (payers.length > 0) {
    const values = [...tokens, ...ctx.bsnHashesIn(item.remittance ?? '')];
    const hits: Candidate[] = [];
    for (const payer of payers) {
      for (const client of clientsFor(values, IDENTIFIERS_BY_PAYER[payer.kind], ctx, payer.gemeenteId)) hits.push({ rule: 'known_payer', client, payer });
    }
    const distinct = new Set(hits.map((h) => h.client.clientId));
    if (distinct.size > 1) return { destination: 'suspense', rule: 'known_payer', reason: 'ambiguous', detail: { clients: distinct.size } };
    if (hits.length > 0) candidates.push(hits[0]!);
  }

  const chosen = pickByGemeenteOrder(candidates, ctx);
  if (chosen === 'conflict') return { destination: 'suspense', rule: null, reason: 'conflicting_rules', detail: {} };
  if (!chosen) {
    return payers.length > 0
      ? { destination: 'suspense', rule: 'known_payer', reason: 'payer_known_client_not_found', detail: { payer: payers[0]!.name } }
      : { destination: 'suspense', rule: null, reason: 'no_match', detail: {} };
  }
  const payer = chosen.payer ?? payers.find((p) => p.gemeenteId === chosen.client.gemeenteId);
  return {
    destination: 'client',
    rule: chosen.rule,
    clientId: chosen.client.clientId,
    gemeenteId: chosen.client.gemeenteId,
    incomeType: classify(payer, item.remittance),
    // The identifier kind, never its value: a BSN hash or case number does not belong in a decision log.
    detail: { identifier: chosen.client.kind, ...(payer ? { payer: payer.name, payerKind: payer.kind } : {}) },
  };
}

function pickByGemeenteOrder(candidates: readonly Candidate[], ctx: MatchContext): Candidate | 'conflict' | undefined {
  if (candidates.length === 0) return undefined;
  const clients = new Set(candidates.map((c) => c.client.clientId));
  if (clients.size > 1) return 'conflict';
  const order = ctx.rulesByGemeente.get(candidates[0]!.client.gemeenteId) ?? DEFAULT_RULES;
  for (const rule of order) {
    const hit = candidates.find((c) => c.rule === rule);
    if (hit) return hit;
  }
  return undefined;
}
