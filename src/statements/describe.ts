import type { ObligationType } from '../clients/obligation-rules.js';
import type { LineRow, OpenInstructionRow } from './facts.js';
import { INCOME_TYPES, type IncomeType, type LineEvent, type PaymentFacts, type PaymentKind } from './model.js';

/**
 * What a ledger movement was, in facts: read from the bank item, the suspense assignment or the
 * payment instruction behind it, never from the ledger's technical description. Pure.
 */

function incomeType(text: string | null): IncomeType {
  return text !== null && (INCOME_TYPES as readonly string[]).includes(text) ? (text as IncomeType) : 'other';
}

interface InstructionFacts {
  readonly kind: string | null;
  readonly key: string | null;
  readonly period: string | null;
  readonly creditorName: string | null;
  readonly obligationType: ObligationType | null;
  readonly payeeName: string | null;
  readonly passOnIncomeType: string | null;
}

/**
 * The daily batch books pass-ons and the closing payment as instructions of kind `leefgeld` (money
 * to the client's own account); their keys (`pass-on/…`, `closing/…`, src/allocation/plan.ts) tell
 * them apart.
 */
export function paymentFacts(instruction: InstructionFacts): PaymentFacts {
  const key = instruction.key ?? '';
  let kind: PaymentKind;
  switch (instruction.kind) {
    case 'obligation':
      kind = 'obligation';
      break;
    case 'noodvoorziening':
      kind = 'noodvoorziening';
      break;
    case 'refund':
      kind = 'refund';
      break;
    default:
      kind = key.startsWith('pass-on/') ? 'pass_on' : key.startsWith('closing/') ? 'closing' : 'leefgeld';
  }
  const toClient = kind === 'leefgeld' || kind === 'pass_on' || kind === 'closing';
  return {
    kind,
    obligationType: kind === 'obligation' ? (instruction.obligationType ?? 'other') : null,
    period: instruction.period ?? '',
    payee: toClient ? null : (instruction.payeeName ?? instruction.creditorName),
    incomeType: kind === 'pass_on' ? (instruction.passOnIncomeType === null ? null : incomeType(instruction.passOnIncomeType)) : null,
  };
}

export function instructionFactsOfLine(row: LineRow): InstructionFacts {
  return {
    kind: row.instruction_kind,
    key: row.instruction_key,
    period: row.instruction_period,
    creditorName: row.creditor_name,
    obligationType: row.obligation_type,
    payeeName: row.payee_name,
    passOnIncomeType: row.pass_on_income_type,
  };
}

export function instructionFactsOf(row: OpenInstructionRow): InstructionFacts {
  return {
    kind: row.kind,
    key: row.idempotency_key,
    period: row.period,
    creditorName: row.creditor_name,
    obligationType: row.obligation_type,
    payeeName: row.payee_name,
    passOnIncomeType: row.pass_on_income_type,
  };
}

/** The event of what a line (or the booking it reverses) was, before the reversal is considered. */
function originalEvent(row: LineRow, direction: 'in' | 'out'): LineEvent {
  if (row.destination === 'return' && row.instruction_id !== null) {
    return { kind: 'payment_returned', payment: paymentFacts(instructionFactsOfLine(row)), reasonCode: row.item_return_reason ?? row.instruction_return_reason };
  }
  if (row.destination === 'client') return { kind: 'income', incomeType: incomeType(row.item_income_type), payer: row.item_income_type === 'other' ? row.counterparty_name : null };
  if (row.assigned_income_type !== null) return { kind: 'income', incomeType: incomeType(row.assigned_income_type), payer: null };
  if (row.instruction_id !== null) return { kind: 'payment', payment: paymentFacts(instructionFactsOfLine(row)) };
  if (row.counter_purpose === 'advances_receivable') return direction === 'in' ? { kind: 'advance' } : { kind: 'advance_recovery' };
  return { kind: 'other', direction };
}

export function lineEvent(row: LineRow): LineEvent {
  const direction = row.side === 'C' ? 'in' : 'out';
  if (!row.reversal) return originalEvent(row, direction);
  // A reversal moves the other way than what it reverses.
  const original = originalEvent(row, direction === 'in' ? 'out' : 'in');
  if (original.kind === 'payment') return { kind: 'payment_undone', payment: original.payment };
  return { kind: 'correction', of: original };
}
