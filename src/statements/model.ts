import type { ObligationType } from '../clients/obligation-rules.js';
import type { Money } from '../money/money.js';
import type { IsoDate } from '../schedule/index.js';
import type { MaatwerkOnStatement } from '../maatwerk/read.js';

/**
 * A client's statement as facts, in no language: what happened to the money (lines), what is set
 * aside and for what, what will be paid next, and an open emergency advance. The renderers
 * (`render-*.ts`) turn it into words with one message file per language.
 */

export type IncomeType = 'bijstand' | 'zorgtoeslag' | 'huurtoeslag' | 'kindgebonden_budget' | 'kinderbijslag' | 'other';
export const INCOME_TYPES: readonly IncomeType[] = ['bijstand', 'zorgtoeslag', 'huurtoeslag', 'kindgebonden_budget', 'kinderbijslag', 'other'];

/** What a payment was for, from the payment instruction (never from the ledger's technical description). */
export type PaymentKind = 'obligation' | 'leefgeld' | 'pass_on' | 'closing' | 'noodvoorziening' | 'refund';

export interface PaymentFacts {
  readonly kind: PaymentKind;
  /** For `obligation`. */
  readonly obligationType: ObligationType | null;
  /** `YYYY-MM` for an obligation; the leefgeld day (`YYYY-MM-DD`) or week (`YYYY-Www`) for leefgeld. */
  readonly period: string;
  /** Whom it went to: the landlord, the insurer; null when it went to the client. */
  readonly payee: string | null;
  /** For `pass_on`: which income was passed on. */
  readonly incomeType: IncomeType | null;
}

export type LineEvent =
  | { readonly kind: 'income'; readonly incomeType: IncomeType; readonly payer: string | null }
  | { readonly kind: 'payment'; readonly payment: PaymentFacts }
  | { readonly kind: 'payment_returned'; readonly payment: PaymentFacts; readonly reasonCode: string | null }
  /** A payment the bank refused as a whole batch: it never left, the money is back. */
  | { readonly kind: 'payment_undone'; readonly payment: PaymentFacts }
  | { readonly kind: 'advance' }
  | { readonly kind: 'advance_recovery' }
  /** A booking taken back (a bank file undone, a suspense assignment undone). */
  | { readonly kind: 'correction'; readonly of: LineEvent }
  | { readonly kind: 'other'; readonly direction: 'in' | 'out' };

export interface StatementLine {
  readonly date: IsoDate;
  /** Signed: positive is money in, negative money out. */
  readonly amount: Money;
  /** The balance after this line. */
  readonly balance: Money;
  readonly event: LineEvent;
  /** The ledger transaction, for the back office to trace a line. */
  readonly transactionId: bigint;
}

export interface StatementMonth {
  /** `YYYY-MM`. */
  readonly month: string;
  readonly from: IsoDate;
  readonly to: IsoDate;
  readonly opening: Money;
  readonly closing: Money;
  readonly moneyIn: Money;
  readonly moneyOut: Money;
  readonly lines: readonly StatementLine[];
}

export interface ReservedItem {
  readonly since: IsoDate;
  readonly amount: Money;
  /** Null: the ledger holds money reserved for something this statement cannot name. */
  readonly purpose: PaymentFacts | null;
}

export type UpcomingStatus =
  /** A payment instruction exists and will be sent. */
  | 'planned'
  /** Held: no valid machtiging for the payee yet (rule 4); the money stays reserved. */
  | 'held'
  /** The money is reserved; the payment is made a few business days before it is due. */
  | 'reserved'
  /** Returned by the bank or not sent; it is sent again once the details are fixed. */
  | 'waiting'
  /** Due soon, not yet reserved: paid when the money is there. */
  | 'expected';

export interface UpcomingPayment {
  /** The day it is due (obligations) or paid (leefgeld); null when not known yet. */
  readonly date: IsoDate | null;
  readonly amount: Money;
  readonly payment: PaymentFacts;
  readonly status: UpcomingStatus;
}

export interface AdvanceSummary {
  /** Everything advanced so far. */
  readonly lent: Money;
  readonly repaid: Money;
  /** What the client still owes. */
  readonly open: Money;
  /** Recovered (from leefgeld) within the statement's period. */
  readonly recoveredInPeriod: Money;
  /** The day the first advance was granted (null: not known from the noodvoorziening records). */
  readonly grantedOn: IsoDate | null;
  /** What each leefgeld payment repays now; zero when nothing is recovered any more. */
  readonly instalment: Money | null;
  /** Ontzorgen ended with the advance open and the gemeente took the rest over as a claim (rule 12). */
  readonly handedOverOn: IsoDate | null;
}

export interface Statement {
  readonly client: { readonly id: bigint; readonly reference: string; readonly name: string | null; readonly gemeenteId: string; readonly gemeenteName: string };
  readonly from: IsoDate;
  readonly to: IsoDate;
  /** The day "now" means for `reserved`, `free` and `nextPayments`. */
  readonly asOf: IsoDate;
  readonly opening: Money;
  readonly closing: Money;
  readonly moneyIn: Money;
  readonly moneyOut: Money;
  readonly months: readonly StatementMonth[];
  /** Set aside now, by purpose; the total is the ledger's pending debits on the client's free-money account. */
  readonly reserved: { readonly total: Money; readonly items: readonly ReservedItem[] };
  /** Held for the client now (all posted money) and, of it, free now (not reserved). */
  readonly heldNow: Money;
  readonly freeNow: Money;
  readonly nextPayments: readonly UpcomingPayment[];
  /** Null when the client never had an emergency advance (or the noodvoorziening module is not there yet). */
  readonly advance: AdvanceSummary | null;
  /** The maatwerk decision in force now (else the next one decided), with its hand-over plan; null: none. */
  readonly maatwerk?: MaatwerkOnStatement | null;
}
