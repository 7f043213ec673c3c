import type { CamtCreditorReference, CamtEntry, CamtTransactionDetail } from '../camt/index.js';
import { Money } from '../money/money.js';

/**
 * What gets booked from one entry. An entry with transaction details that all carry an amount is
 * booked per detail (a Toeslagen batch credit holds one detail per client), also when there is
 * only one detail but its amount is not the entry's or the entry is a batch of several; otherwise
 * as one item (a detail without amount in a batch of several: one item without that detail's
 * payer, so it cannot go to that one client). When the details do not add up (bank charges), each detail is booked and the
 * difference becomes its own item for suspense, so nothing is hidden and the bank account
 * still moves by exactly the entry amount.
 */
export interface EntryItem {
  readonly index: number;
  readonly amount: Money;
  readonly creditDebit: 'CRDT' | 'DBIT';
  readonly kind: 'payment' | 'return' | 'difference';
  readonly endToEndId: string | null;
  readonly paymentInformationId: string | null;
  readonly batchCount: string | null;
  readonly counterpartyName: string | null;
  readonly counterpartyIban: string | null;
  readonly remittance: string | null;
  readonly creditorReferences: readonly CamtCreditorReference[];
  readonly returnReason: string | null;
  readonly originalEndToEndId: string | null;
}

function signed(amount: Money, cd: 'CRDT' | 'DBIT'): Money {
  return cd === 'CRDT' ? amount : amount.negate();
}

function fromDetail(index: number, amount: Money, detail: CamtTransactionDetail | null, entry: CamtEntry): EntryItem {
  const cd = detail?.creditDebit ?? entry.creditDebit;
  const party = cd === 'CRDT' ? (detail?.debtor.iban || detail?.debtor.name ? detail.debtor : detail?.creditor) : detail?.creditor;
  const ret = detail?.returnInfo ?? null;
  const batch = entry.batches[0] ?? null;
  const remittance = [detail?.unstructured, detail?.additionalRemittanceInfo].filter((t): t is string => !!t).join(' ') || (entry.details.length === 0 ? entry.additionalInfo : null);
  return {
    index,
    amount,
    creditDebit: cd,
    kind: ret ? 'return' : 'payment',
    endToEndId: detail?.endToEndId ?? null,
    paymentInformationId: detail?.paymentInformationId ?? batch?.paymentInformationId ?? entry.keywords['PREF'] ?? null,
    batchCount: batch?.numberOfTransactions ?? entry.keywords['NRTX'] ?? null,
    counterpartyName: party?.name ?? null,
    counterpartyIban: party?.iban ?? null,
    remittance,
    creditorReferences: detail?.creditorReferences ?? [],
    returnReason: ret ? (ret.reasonCode ?? ret.reasonProprietary) : null,
    originalEndToEndId: ret?.originalEndToEndId ?? null,
  };
}

/** Splits a booked EUR entry (amount known) into items whose signed amounts add up to the entry's. */
export function itemsOf(entry: CamtEntry): EntryItem[] {
  if (!entry.amount) throw new Error('itemsOf: an entry without a euro amount is an exception, not booked');
  const details = entry.details;
  const amounts = details.length > 0 && details.every((d) => d.amount !== null && d.amount.isPositive());
  const count = entry.batches[0]?.numberOfTransactions ?? entry.keywords['NRTX'] ?? null;
  const batchOfMany = count !== null && /^\d{1,9}$/.test(count) && Number(count) > 1;
  // Per detail whenever the details say something the entry does not: several of them, one whose amount is not
  // the entry's, or one detail of a batch of several (a detail is only ever its own payment, domain rule 9).
  const perDetail = amounts && (details.length > 1 || batchOfMany || !details[0]!.amount!.equals(entry.amount));
  if (!perDetail) {
    // One detail is the whole entry only when nothing says the entry holds more payments than that one.
    const whole = details.length === 1 && !batchOfMany ? details[0]! : null;
    return [fromDetail(0, entry.amount, whole, entry)];
  }
  const items = details.map((d, i) => fromDetail(i, d.amount!, d, entry));
  const sum = Money.sum(items.map((it) => signed(it.amount, it.creditDebit)));
  const difference = signed(entry.amount, entry.creditDebit).minus(sum);
  if (!difference.isZero()) {
    items.push({
      ...fromDetail(items.length, difference.isNegative() ? difference.negate() : difference, null, entry),
      creditDebit: difference.isNegative() ? 'DBIT' : 'CRDT',
      kind: 'difference',
      remittance: `difference between the entry and its details (${difference.toString()}), often bank charges`,
    });
  }
  return items;
}
