import type { LedgerRequest } from '../ledger/index.js';
import { Money } from '../money/money.js';
import { recoverFromLeefgeld, settleFromBalance, type OpenAdvance } from '../noodvoorziening/recovery.js';
import type { ClientAdvances, RepaymentRow } from '../noodvoorziening/repayments.js';
import type { IsoDate } from '../schedule/index.js';

/**
 * One client's open emergency advances during one run (rules 11 and 12), pure: the instalment taken from each
 * leefgeld payment (a transfer from the client's free money to the advances-receivable account, so the leefgeld
 * instruction is lower by it and the client's balance never goes below zero), and at the end of ontzorgen the
 * gemeente's policy: settle from what is left, or hand the claim over. Collects the bookings and the repayment
 * rows for `run.ts` to write with the rest of the chunk.
 */
export class AdvanceRecovery {
  readonly bookings: LedgerRequest[] = [];
  readonly repayments: RepaymentRow[] = [];
  readonly handOver: bigint[] = [];
  private open: OpenAdvance[];

  constructor(
    private readonly state: ClientAdvances | null | undefined,
    private readonly clientId: bigint,
    private readonly availableAccountId: bigint,
    private readonly asOf: IsoDate,
  ) {
    this.open = [...(state?.advances ?? [])];
  }

  /**
   * Rule 11: the leefgeld that goes to the client after this payment's instalment. At least a cent stays: the
   * payment is still made, so its date counts as paid and a rerun never deducts for it again.
   */
  fromLeefgeld(date: IsoDate, leefgeld: Money): Money {
    if (!this.state || this.open.length === 0 || !leefgeld.isPositive()) return leefgeld;
    const keep = this.state.minimumLeefgeldKept.cents > 0n ? this.state.minimumLeefgeldKept : Money.fromCents(1n);
    const recovery = recoverFromLeefgeld(this.open, leefgeld, keep);
    if (!recovery.total.isPositive()) return leefgeld;
    const key = `advance-recovery/${this.clientId.toString()}/${date}`;
    this.book(key, recovery.total, `instalment on the emergency advance from leefgeld of ${date} (rule 11)`);
    for (const d of recovery.deductions) this.repayments.push({ grantId: d.grantId, ledgerKey: key, clientId: this.clientId, kind: 'instalment', amount: d.amount, bookedOn: this.asOf, leefgeldDate: date });
    this.open = recovery.after.filter((a) => a.outstanding.isPositive());
    return leefgeld.minus(recovery.total);
  }

  /**
   * Rule 12, once ontzorgen has ended: `settle_from_balance` repays from the closing amount (null: no closing
   * payment this run, nothing settled) and answers what is still paid to the client; `hand_over_as_claim` leaves
   * the claim open, handed to the gemeente. What stays owed is shown on the statement either way.
   */
  atEnd(closing: Money | null, signal: (kind: 'advance_settled' | 'advance_handed_over', message: string, details: Record<string, string>) => void): Money | null {
    if (!this.state || this.open.length === 0) return closing;
    const outstanding = Money.sum(this.open.map((a) => a.outstanding));
    if (this.state.openAdvanceAtEnd === 'hand_over_as_claim') {
      this.handOver.push(...this.open.map((a) => a.grantId));
      signal('advance_handed_over', `ontzorgen ended with ${outstanding.toString()} of the emergency advance still open: handed over to the gemeente as a claim`, { outstanding: outstanding.toString() });
      this.open = [];
      return closing;
    }
    if (closing === null || !closing.isPositive()) return closing;
    const settlement = settleFromBalance(this.open, closing);
    if (!settlement.total.isPositive()) return closing;
    // The outstanding amount in the key: a later settlement on the same day (late money) is another booking.
    const key = `advance-settlement/${this.clientId.toString()}/${this.asOf}/${outstanding.cents.toString()}`;
    this.book(key, settlement.total, 'emergency advance settled from the balance at the end of ontzorgen (rule 12)');
    for (const d of settlement.deductions) this.repayments.push({ grantId: d.grantId, ledgerKey: key, clientId: this.clientId, kind: 'settlement', amount: d.amount, bookedOn: this.asOf });
    const left = outstanding.minus(settlement.total);
    signal('advance_settled', `ontzorgen ended: ${settlement.total.toString()} of the emergency advance was settled from the balance; ${left.toString()} is still owed`, { settled: settlement.total.toString(), outstanding: left.toString() });
    return closing.minus(settlement.total);
  }

  private book(key: string, amount: Money, description: string): void {
    this.bookings.push({
      type: 'transfer',
      idempotencyKey: key,
      bookingDate: this.asOf,
      description,
      postings: [
        { account: this.availableAccountId, side: 'debit', amount },
        { account: this.state!.accountId, side: 'credit', amount },
      ],
    });
  }
}
