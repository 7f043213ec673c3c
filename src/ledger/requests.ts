import { hash } from 'node:crypto';
import { MAX_CENTS, Money } from '../money/money.js';
import { isValidBookingDate } from './dates.js';
import { LedgerError } from './errors.js';

export type AccountId = bigint;

export interface PostingRequest {
  readonly account: AccountId;
  readonly side: 'debit' | 'credit';
  readonly amount: Money;
}

interface RequestBase {
  /** Identifies the event this booking comes from (bank entry, instruction, request); kept forever. */
  readonly idempotencyKey: string;
  /** The day the booking belongs to (YYYY-MM-DD), as opposed to the moment it was written. */
  readonly bookingDate: string;
  readonly description: string;
}

/** Money moves now, between any number of accounts. */
export interface TransferRequest extends RequestBase {
  readonly type: 'transfer';
  readonly postings: readonly PostingRequest[];
}

/** The common transfer: one amount from one account to another. */
export function transferBetween(transfer: RequestBase & { readonly debit: AccountId; readonly credit: AccountId; readonly amount: Money }): TransferRequest {
  const { debit, credit, amount } = transfer;
  return {
    type: 'transfer',
    idempotencyKey: transfer.idempotencyKey,
    bookingDate: transfer.bookingDate,
    description: transfer.description,
    postings: [
      { account: debit, side: 'debit', amount },
      { account: credit, side: 'credit', amount },
    ],
  };
}

/** A reservation: money set aside on `debit` for `credit`; counts against `debit` at once. */
export interface PendingRequest extends RequestBase {
  readonly type: 'pending';
  readonly debit: AccountId;
  readonly credit: AccountId;
  readonly amount: Money;
}

/** Pays out a reservation, fully or (with `amount`) in part; the rest is released. */
export interface PostPendingRequest extends RequestBase {
  readonly type: 'post_pending';
  readonly pendingKey: string;
  readonly amount?: Money;
}

/** Releases a reservation in full. */
export interface VoidPendingRequest extends RequestBase {
  readonly type: 'void_pending';
  readonly pendingKey: string;
}

/** Undoes a transfer or a posted reservation with the opposite postings; the original stays. */
export interface ReversalRequest extends RequestBase {
  readonly type: 'reversal';
  readonly reversesKey: string;
}

export type LedgerRequest = TransferRequest | PendingRequest | PostPendingRequest | VoidPendingRequest | ReversalRequest;

const MAX_POSTINGS = 100;

function invalid(field: string, message: string): LedgerError {
  return new LedgerError('invalid_request', `${field}: ${message}`, { field });
}

function checkAmount(field: string, amount: unknown): asserts amount is Money {
  if (!(amount instanceof Money)) throw invalid(field, 'must be an amount (Money), not a number or text');
  if (!amount.isPositive()) throw invalid(field, `must be more than 0.00, got ${amount.toString()}`);
  if (amount.cents > MAX_CENTS) throw invalid(field, `${amount.toString()} is above the maximum of ${Money.fromCents(MAX_CENTS).toString()}`);
}

function checkAccount(field: string, account: unknown): void {
  if (typeof account !== 'bigint' || account <= 0n) throw invalid(field, 'must be an account id');
}

function checkKey(field: string, key: unknown): void {
  if (typeof key !== 'string' || key.length < 1 || key.length > 200) throw invalid(field, 'must be a text of 1 to 200 characters');
}

/** Checks a request's shape; throws `invalid_request` naming the field. */
export function validateRequest(request: LedgerRequest): void {
  checkKey('idempotencyKey', request.idempotencyKey);
  if (typeof request.bookingDate !== 'string' || !isValidBookingDate(request.bookingDate)) {
    throw invalid('bookingDate', `"${String(request.bookingDate)}" is not a date between 2000-01-01 and 2099-12-31 written as YYYY-MM-DD`);
  }
  if (typeof request.description !== 'string' || request.description.trim().length < 1 || request.description.length > 500) {
    throw invalid('description', 'must be a text of 1 to 500 characters');
  }
  switch (request.type) {
    case 'transfer': {
      if (!Array.isArray(request.postings) || request.postings.length < 2 || request.postings.length > MAX_POSTINGS) {
        throw invalid('postings', `a transfer needs 2 to ${MAX_POSTINGS} postings`);
      }
      let balance = 0n;
      const sides = new Map<AccountId, string>();
      request.postings.forEach((posting, i) => {
        checkAccount(`postings[${i}].account`, posting.account);
        checkAmount(`postings[${i}].amount`, posting.amount);
        if (posting.side !== 'debit' && posting.side !== 'credit') throw invalid(`postings[${i}].side`, 'must be "debit" or "credit"');
        const seen = sides.get(posting.account);
        if (seen !== undefined && seen !== posting.side) {
          throw invalid(`postings[${i}].account`, 'an account cannot be debited and credited in the same transfer');
        }
        sides.set(posting.account, posting.side);
        balance += posting.side === 'debit' ? posting.amount.cents : -posting.amount.cents;
      });
      if (balance !== 0n) {
        throw invalid('postings', `debits and credits differ by ${Money.fromCents(balance < 0n ? -balance : balance).toString()}; a transfer must balance`);
      }
      return;
    }
    case 'pending':
      checkAccount('debit', request.debit);
      checkAccount('credit', request.credit);
      if (request.debit === request.credit) throw invalid('credit', 'must differ from the debited account');
      checkAmount('amount', request.amount);
      return;
    case 'post_pending':
      checkKey('pendingKey', request.pendingKey);
      if (request.amount !== undefined) checkAmount('amount', request.amount);
      return;
    case 'void_pending':
      checkKey('pendingKey', request.pendingKey);
      return;
    case 'reversal':
      checkKey('reversesKey', request.reversesKey);
      return;
    default:
      throw invalid('type', `unknown booking type "${String((request as { type: unknown }).type)}"`);
  }
}

/** The request as stored with its booking: plain JSON, amounts and ids as strings, fixed key order. */
export type CanonicalRequest = Record<string, unknown>;

export function canonicalRequest(request: LedgerRequest): CanonicalRequest {
  // Written out per type, in the stored key order (type, bookingDate, description, then the type's own), not spread
  // from a shared base: V8 builds a spread-then-extended object property by property (about 5 µs a request, 0.4 µs so).
  const { type, bookingDate, description } = request;
  switch (request.type) {
    case 'transfer':
      return { type, bookingDate, description, postings: request.postings.map((p) => ({ account: p.account.toString(), side: p.side, amount: p.amount.toString() })) };
    case 'pending':
      return { type, bookingDate, description, debit: request.debit.toString(), credit: request.credit.toString(), amount: request.amount.toString() };
    case 'post_pending':
      return { type, bookingDate, description, pendingKey: request.pendingKey, amount: request.amount?.toString() ?? 'full' };
    case 'void_pending':
      return { type, bookingDate, description, pendingKey: request.pendingKey };
    case 'reversal':
      return { type, bookingDate, description, reversesKey: request.reversesKey };
  }
}

/**
 * SHA-256 of the canonical request's JSON text. The one-shot `hash` gives the same digest as a Hash object at 2–3×
 * the speed for texts this short (200,000 of them: about 100 ms against 250–350 ms), and every booking makes one.
 */
export function contentHash(canonicalJson: string): string {
  return hash('sha256', canonicalJson, 'hex');
}

/** Names every field that differs between a stored request and a new one, for the conflict message. */
export function differences(stored: CanonicalRequest, incoming: CanonicalRequest, prefix = ''): string[] {
  const out: string[] = [];
  const keys = new Set([...Object.keys(stored), ...Object.keys(incoming)]);
  for (const key of keys) {
    const a = stored[key];
    const b = incoming[key];
    const name = prefix ? `${prefix}.${key}` : key;
    if (Array.isArray(a) && Array.isArray(b)) {
      if (a.length !== b.length) out.push(`${name}: ${a.length} entries before, ${b.length} now`);
      else a.forEach((item, i) => out.push(...differences(item as CanonicalRequest, b[i] as CanonicalRequest, `${name}[${i}]`)));
    } else if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
      out.push(...differences(a as CanonicalRequest, b as CanonicalRequest, name));
    } else if (a !== b) {
      out.push(`${name}: ${JSON.stringify(a) ?? 'absent'} before, ${JSON.stringify(b) ?? 'absent'} now`);
    }
  }
  return out;
}
