import type { BalanceRule, LedgerErrorCode, LedgerRequest, RefusalCode } from '../../src/ledger/index.js';

/**
 * A reference model of the ledger, written from its contract and not from
 * src/ledger/book.ts (TigerBeetle's "auditor" idea): plain maps in memory that
 * predict what each request should do. Property tests run the same requests
 * through the model and the real ledger and demand that they agree.
 *
 * The contract it encodes:
 * - An account has four bigint counters: debits/credits, posted/pending.
 * - transfer: its postings are posted as given; they must balance, and an
 *   account may not appear on both sides.
 * - pending(debit A, credit B, X): A's pending debits and B's pending credits grow by X.
 * - post_pending(key, Y ≤ X, default X): releases X and posts Y (A debit, B credit).
 *   void_pending: releases X only. A reservation is resolved once.
 * - reversal: only of a booked transfer or post_pending, once; posts the
 *   target's posted postings with the sides swapped.
 * - After applying, an account whose rule breaks refuses the whole request;
 *   the refusal is remembered under the key. Rejections are not remembered.
 * - Same key, same content: the remembered outcome, replayed. Same key, other
 *   content: rejected, and not remembered.
 */

export interface Counters {
  readonly dp: bigint;
  readonly cp: bigint;
  readonly dpn: bigint;
  readonly cpn: bigint;
}

export type Prediction =
  | { readonly outcome: 'booked'; readonly replayed: boolean }
  /** Every code the contract allows: one per broken account, so a multi-account breach may name either. */
  | { readonly outcome: 'refused'; readonly codes: readonly RefusalCode[]; readonly replayed: boolean }
  | { readonly outcome: 'rejected'; readonly code: LedgerErrorCode };

type Field = keyof Counters;

/** One change to one counter; negative for a release. */
interface Effect {
  readonly account: bigint;
  readonly field: Field;
  readonly cents: bigint;
}

interface Leg {
  readonly account: bigint;
  readonly side: 'debit' | 'credit';
  readonly cents: bigint;
}

interface Reservation {
  readonly debit: bigint;
  readonly credit: bigint;
  readonly cents: bigint;
  resolution: 'posted' | 'voided' | undefined;
}

interface Remembered {
  readonly content: string;
  readonly type: LedgerRequest['type'];
  readonly outcome: 'booked' | 'refused';
  readonly codes: readonly RefusalCode[];
  /** The posted legs a reversal would swap. */
  readonly posted: readonly Leg[];
  readonly reservation: Reservation | undefined;
  reversed: boolean;
}

interface Plan {
  readonly effects: readonly Effect[];
  readonly posted: readonly Leg[];
  readonly reservation: Reservation | undefined;
  readonly resolves: { readonly reservation: Reservation; readonly as: 'posted' | 'voided' } | undefined;
  readonly reverses: Remembered | undefined;
}

class Rejection {
  constructor(readonly code: LedgerErrorCode) {}
}

const ZERO: Counters = { dp: 0n, cp: 0n, dpn: 0n, cpn: 0n };

const postedField = (side: 'debit' | 'credit'): Field => (side === 'debit' ? 'dp' : 'cp');

/** What "same content" means: every field of the request except its key, amounts in cents. */
export function contentOf(request: LedgerRequest): string {
  const base = [request.type, request.bookingDate, request.description];
  switch (request.type) {
    case 'transfer':
      return JSON.stringify([...base, request.postings.map((p) => [p.account.toString(), p.side, p.amount.cents.toString()])]);
    case 'pending':
      return JSON.stringify([...base, request.debit.toString(), request.credit.toString(), request.amount.cents.toString()]);
    case 'post_pending':
      return JSON.stringify([...base, request.pendingKey, request.amount === undefined ? null : request.amount.cents.toString()]);
    case 'void_pending':
      return JSON.stringify([...base, request.pendingKey]);
    case 'reversal':
      return JSON.stringify([...base, request.reversesKey]);
  }
}

function isMalformed(request: LedgerRequest): boolean {
  switch (request.type) {
    case 'transfer': {
      if (request.postings.length < 2) return true;
      const sides = new Map<bigint, string>();
      let debits = 0n;
      let credits = 0n;
      for (const p of request.postings) {
        if (p.amount.cents <= 0n) return true;
        if ((sides.get(p.account) ?? p.side) !== p.side) return true;
        sides.set(p.account, p.side);
        if (p.side === 'debit') debits += p.amount.cents;
        else credits += p.amount.cents;
      }
      return debits !== credits;
    }
    case 'pending':
      return request.debit === request.credit || request.amount.cents <= 0n;
    case 'post_pending':
      return request.amount !== undefined && request.amount.cents <= 0n;
    case 'void_pending':
    case 'reversal':
      return false;
  }
}

export class LedgerModel {
  private readonly accounts = new Map<bigint, { readonly rule: BalanceRule; counters: Counters }>();
  private readonly journal = new Map<string, Remembered>();
  private readonly booked: { readonly date: string; readonly effects: readonly Effect[] }[] = [];

  openAccount(id: bigint, rule: BalanceRule): void {
    this.accounts.set(id, { rule, counters: ZERO });
  }

  counters(id: bigint): Counters {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`the model has no account ${id}`);
    return account.counters;
  }

  /** How many postings the account has: one per change to one of its counters. */
  postingCount(id: bigint): bigint {
    let count = 0n;
    for (const booking of this.booked) for (const effect of booking.effects) if (effect.account === id) count += 1n;
    return count;
  }

  /** Sum of every booked change to the account with a booking date on or before `date`. */
  countersOnDate(id: bigint, date: string): Counters {
    const sums: Record<Field, bigint> = { dp: 0n, cp: 0n, dpn: 0n, cpn: 0n };
    for (const booking of this.booked) {
      if (booking.date > date) continue;
      for (const effect of booking.effects) if (effect.account === id) sums[effect.field] += effect.cents;
    }
    return sums;
  }

  /** Predicts the outcome of one request and, when it books or is refused, remembers it. */
  submit(request: LedgerRequest): Prediction {
    if (isMalformed(request)) return { outcome: 'rejected', code: 'invalid_request' };
    const content = contentOf(request);
    const prior = this.journal.get(request.idempotencyKey);
    if (prior) {
      if (prior.content !== content) return { outcome: 'rejected', code: 'duplicate_with_different_content' };
      return prior.outcome === 'booked' ? { outcome: 'booked', replayed: true } : { outcome: 'refused', codes: prior.codes, replayed: true };
    }

    let plan: Plan;
    try {
      plan = this.plan(request);
    } catch (error) {
      if (error instanceof Rejection) return { outcome: 'rejected', code: error.code };
      throw error;
    }
    if (plan.effects.some((e) => !this.accounts.has(e.account))) return { outcome: 'rejected', code: 'unknown_account' };

    const after = new Map<bigint, Record<Field, bigint>>();
    for (const effect of plan.effects) {
      const counters = after.get(effect.account) ?? { ...this.counters(effect.account) };
      counters[effect.field] += effect.cents;
      after.set(effect.account, counters);
    }
    const codes: RefusalCode[] = [];
    for (const [id, c] of after) {
      const { rule } = this.accounts.get(id)!;
      if (rule === 'debits_must_not_exceed_credits' && c.dp + c.dpn > c.cp) codes.push('insufficient_funds');
      if (rule === 'credits_must_not_exceed_debits' && c.cp + c.cpn > c.dp) codes.push('exceeds_debits');
    }

    const remember = (outcome: 'booked' | 'refused'): void => {
      this.journal.set(request.idempotencyKey, {
        content,
        type: request.type,
        outcome,
        codes,
        posted: outcome === 'booked' ? plan.posted : [],
        reservation: outcome === 'booked' ? plan.reservation : undefined,
        reversed: false,
      });
    };
    if (codes.length > 0) {
      remember('refused');
      return { outcome: 'refused', codes, replayed: false };
    }
    for (const [id, counters] of after) this.accounts.get(id)!.counters = counters;
    this.booked.push({ date: request.bookingDate, effects: plan.effects });
    if (plan.resolves) plan.resolves.reservation.resolution = plan.resolves.as;
    if (plan.reverses) plan.reverses.reversed = true;
    remember('booked');
    return { outcome: 'booked', replayed: false };
  }

  private plan(request: LedgerRequest): Plan {
    const none = { reservation: undefined, resolves: undefined, reverses: undefined };
    switch (request.type) {
      case 'transfer': {
        const legs = request.postings.map((p): Leg => ({ account: p.account, side: p.side, cents: p.amount.cents }));
        return { ...none, effects: legs.map((l) => ({ account: l.account, field: postedField(l.side), cents: l.cents })), posted: legs };
      }
      case 'pending': {
        const cents = request.amount.cents;
        return {
          ...none,
          effects: [
            { account: request.debit, field: 'dpn', cents },
            { account: request.credit, field: 'cpn', cents },
          ],
          posted: [],
          reservation: { debit: request.debit, credit: request.credit, cents, resolution: undefined },
        };
      }
      case 'post_pending':
      case 'void_pending': {
        const target = this.journal.get(request.pendingKey);
        if (!target || target.outcome !== 'booked') throw new Rejection('pending_not_found');
        const reservation = target.reservation;
        if (target.type !== 'pending' || !reservation) throw new Rejection('not_a_pending_transfer');
        if (reservation.resolution === 'posted') throw new Rejection('pending_already_posted');
        if (reservation.resolution === 'voided') throw new Rejection('pending_already_voided');
        const release: Effect[] = [
          { account: reservation.debit, field: 'dpn', cents: -reservation.cents },
          { account: reservation.credit, field: 'cpn', cents: -reservation.cents },
        ];
        if (request.type === 'void_pending') return { ...none, effects: release, posted: [], resolves: { reservation, as: 'voided' } };
        const paid = request.amount?.cents ?? reservation.cents;
        if (paid > reservation.cents) throw new Rejection('amount_exceeds_pending');
        const legs: Leg[] = [
          { account: reservation.debit, side: 'debit', cents: paid },
          { account: reservation.credit, side: 'credit', cents: paid },
        ];
        return {
          ...none,
          effects: [...release, ...legs.map((l) => ({ account: l.account, field: postedField(l.side), cents: l.cents }))],
          posted: legs,
          resolves: { reservation, as: 'posted' },
        };
      }
      case 'reversal': {
        const target = this.journal.get(request.reversesKey);
        if (!target || target.outcome !== 'booked') throw new Rejection('transaction_not_found');
        if (target.type !== 'transfer' && target.type !== 'post_pending') throw new Rejection('not_reversible');
        if (target.reversed) throw new Rejection('already_reversed');
        const legs = target.posted.map((l): Leg => ({ ...l, side: l.side === 'debit' ? 'credit' : 'debit' }));
        return {
          ...none,
          effects: legs.map((l) => ({ account: l.account, field: postedField(l.side), cents: l.cents })),
          posted: legs,
          reverses: target,
        };
      }
    }
  }
}
