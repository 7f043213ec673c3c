import { createHash } from 'node:crypto';
import type { CamtEntry, CamtMessageKind, CamtStatement } from '../camt/index.js';
import type { ReportKind } from './rows.js';

/**
 * When is a bank entry "the same entry again", and when is it a second real payment?
 *
 * THE RULE (bank-files.md: AcctSvcrRef is not unique, and two identical payments stay two):
 *
 * 1. An entry's **fingerprint** is what a bank repeats unchanged whenever it reports that
 *    entry: account IBAN, booking date, credit/debit, amount and currency, reversal flag,
 *    AcctSvcrRef, the EndToEndIds of its details (NOTPROVIDED counts as absent) and the
 *    return reason codes. Deliberately not NtryRef, value date, bank transaction code or
 *    texts: a camt.054 notification and the day's camt.053 do not always repeat those the
 *    same way, and a field that differs between two reports of one entry would book it twice.
 * 2. A **report** is one statement (camt.053) or one notification (camt.054), known by
 *    account + Id + electronic sequence (+ legal sequence). A report shows each fingerprint
 *    some number of times. Within one report, equal fingerprints are distinct real entries.
 * 3. How many real entries carry a fingerprint = the larger of
 *      - the most times any one *statement* showed it (a camt.053 is complete for the days
 *        it reports, so re-sent and overlapping statements do not add up), and
 *      - the sum over distinct *notifications* of the times each showed it (notifications
 *        report separate events; a re-sent notification has the same identity and counts once).
 * 4. Entries are numbered per fingerprint: occurrence 1, 2, … The database holds one row per
 *    (account, fingerprint, occurrence); an upload adds the occurrences its reports raise
 *    the count to, and nothing else. Which of a report's equal-fingerprint entries become
 *    the new ones is decided by their **signature** (counterparty, texts, NtryRef, value
 *    date, bank code): those whose signature is not yet known go first, then file order.
 *
 * So: the same file twice, a re-sent or overlapping statement, a notification followed by
 * the day's statement → booked once; two identical payments in one statement, or in two
 * notifications → booked twice. Limit: a camt.053 is trusted to be complete for each
 * booking date it shows; a bank that split one day over several disjoint camt.053
 * statements would have equal-fingerprint entries of that day under-counted (they would
 * show in the balance check as a difference, not vanish silently).
 */

export function reportKind(kind: CamtMessageKind): ReportKind {
  return kind === 'camt.053' ? 'statement' : 'notification';
}

export function reportKey(kind: ReportKind, statement: CamtStatement): string {
  return [kind, statement.account.iban, statement.id, statement.electronicSequenceNumber ?? '', statement.legalSequenceNumber ?? ''].join('|');
}

function hash(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40);
}

function amountKey(entry: CamtEntry): string {
  return entry.amount ? `EUR:${entry.amount.cents.toString()}` : `${entry.currency}:${entry.amountText}`;
}

export function fingerprintOf(iban: string, entry: CamtEntry): string {
  const endToEndIds = entry.details.map((d) => d.endToEndId ?? '').sort();
  const returnCodes = entry.details.map((d) => d.returnInfo?.reasonCode ?? d.returnInfo?.reasonProprietary ?? '').sort();
  return hash([
    iban,
    entry.bookingDate ?? entry.bookingDateTime ?? '',
    entry.creditDebit,
    amountKey(entry),
    entry.reversal,
    entry.accountServicerReference ?? '',
    endToEndIds,
    returnCodes,
  ]);
}

export function signatureOf(entry: CamtEntry): string {
  return hash([
    entry.entryReference ?? '',
    entry.valueDate ?? '',
    entry.bankTransactionCode,
    entry.additionalInfo ?? '',
    entry.details.map((d) => [d.debtor.iban, d.creditor.iban, d.debtor.name, d.creditor.name, d.unstructured, d.creditorReferences.map((r) => r.reference)]),
  ]);
}

export interface Sighting {
  readonly reportKind: ReportKind;
  readonly reportKey: string;
  readonly seen: number;
}

/** Rule 3: the number of real entries a set of sightings of one fingerprint proves. */
export function realCount(sightings: Iterable<Sighting>): number {
  let statementMax = 0;
  const perNotification = new Map<string, number>();
  for (const s of sightings) {
    if (s.reportKind === 'statement') statementMax = Math.max(statementMax, s.seen);
    else perNotification.set(s.reportKey, Math.max(perNotification.get(s.reportKey) ?? 0, s.seen));
  }
  let notificationSum = 0;
  for (const seen of perNotification.values()) notificationSum += seen;
  return Math.max(statementMax, notificationSum);
}

/**
 * Rule 4: of a report's entries with one fingerprint, which `count` become new. Entries whose
 * signature matches a known entry's are taken last, so the already-booked one is not booked
 * again under another occurrence number.
 */
export function chooseNew<T extends { readonly signature: string }>(candidates: readonly T[], knownSignatures: readonly string[], count: number): T[] {
  if (count <= 0) return [];
  const known = new Map<string, number>();
  for (const s of knownSignatures) known.set(s, (known.get(s) ?? 0) + 1);
  const unmatched: T[] = [];
  const matched: T[] = [];
  for (const candidate of candidates) {
    const left = known.get(candidate.signature) ?? 0;
    if (left > 0) {
      known.set(candidate.signature, left - 1);
      matched.push(candidate);
    } else unmatched.push(candidate);
  }
  return [...unmatched, ...matched].slice(0, count);
}
