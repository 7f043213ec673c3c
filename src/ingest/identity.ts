import { hash as digest } from 'node:crypto';
import type { CamtEntry, CamtMessageKind, CamtStatement } from '../camt/index.js';
import type { ReportKind } from './rows.js';

/**
 * When is a bank entry "the same entry again", and when is it a second real payment?
 *
 * THE RULE (bank-files.md: AcctSvcrRef is not unique, and two identical payments stay two):
 *
 * 1. An entry's **fingerprint** is what every report of that entry carries, always, unchanged:
 *    account IBAN, booking date, credit/debit, amount and currency, reversal flag. Fields a
 *    bank gives in one report and leaves out of another are **traits**, compared, never
 *    hashed: AcctSvcrRef (a camt.054 may lack it, the day's camt.053 has it), the
 *    EndToEndIds and return reason codes of the details (a batch "zonder details" in the
 *    camt.053 that the camt.054 gave with details). Two traits are *compatible* when they are
 *    equal or one side does not have it. Not NtryRef, value date, bank transaction code or
 *    texts either: reports do not always repeat those the same way.
 * 2. A **report** is one statement (camt.053) or one notification (camt.054), known by
 *    account + Id + electronic sequence (+ legal sequence). A report shows each fingerprint
 *    some number of times. Within one report, equal fingerprints are distinct real entries.
 * 3. Each report's sightings are kept for the fingerprint and, for entries with an AcctSvcrRef,
 *    per AcctSvcrRef. The count of a set of sightings = the larger of
 *      - the most times any one *statement*, or any notification marked as a copy or
 *        duplicate (CpyDplctInd COPY, DUPL, CODU), showed it (a camt.053 is complete for the
 *        days it reports, so re-sent and overlapping statements do not add up; a marked
 *        notification reports again what an earlier one did, whatever its new Id), and
 *      - the sum over distinct unmarked *notifications* of the times each showed it
 *        (notifications report separate events; a re-sent notification with the same
 *        identity counts once).
 *    How many real entries carry a fingerprint = the larger of its count and the sum over
 *    AcctSvcrRefs of their counts: entries with different references are different entries
 *    (two partial statements of one day), an entry without reference may be any of them.
 *    Stored (migration 0034): a report's sightings of a fingerprint that no report had shown before are not
 *    written; the entries they made new (all of them: one report proves what it shows) stand for them
 *    (`impliedSightings`). Only reports of fingerprints seen before are written as sightings.
 * 4. Entries are numbered per fingerprint: occurrence 1, 2, … The database holds one row per
 *    (account, fingerprint, occurrence); an upload adds the occurrences its reports raise
 *    the count to, and nothing else. Which of a report's equal-fingerprint entries become
 *    the new ones (`chooseNew`): first each is paired with a known entry it can be (same
 *    signature — counterparty, texts, EndToEndIds, NtryRef, value date, bank code — and traits; else the
 *    same AcctSvcrRef; else the same EndToEndIds; else any compatible one); the unpaired go
 *    first, then file order. An unpaired entry with the EndToEndIds of a known entry but another
 *    AcctSvcrRef is that entry with a changed reference: never new. A report's entry that
 *    pairs with no known entry and is not new is not booked: it is raised as an alert
 *    (`reported_differently`).
 *
 * So: the same file twice, a re-sent or overlapping statement, a notification followed by
 * the day's statement (with or without AcctSvcrRef, with or without details), a notification
 * re-sent marked DUPL → booked once; two identical payments in one statement, or in two
 * unmarked notifications, or in two statements under different AcctSvcrRefs → booked twice.
 * Limit: a camt.053 is trusted to be complete for each booking date it shows; a bank that
 * split one day over several disjoint camt.053 statements without AcctSvcrRefs (or mixed
 * with notifications without them) would have entries of that day with the same amount and
 * direction under-counted (they would show in the balance check and as
 * `reported_differently`, not vanish silently).
 */

export function reportKind(kind: CamtMessageKind): ReportKind {
  return kind === 'camt.053' ? 'statement' : 'notification';
}

export function reportKey(kind: ReportKind, statement: CamtStatement): string {
  return [kind, statement.account.iban, statement.id, statement.electronicSequenceNumber ?? '', statement.legalSequenceNumber ?? ''].join('|');
}

/** The one-shot digest: the same SHA-256 as a Hash object, 2–3× faster for texts this short (two per entry). */
function hash(parts: readonly unknown[]): string {
  return digest('sha256', JSON.stringify(parts), 'hex').slice(0, 40);
}

function amountKey(entry: CamtEntry): string {
  return entry.amount ? `EUR:${entry.amount.cents.toString()}` : `${entry.currency}:${entry.amountText}`;
}

export function fingerprintOf(iban: string, entry: CamtEntry): string {
  return hash([iban, entry.bookingDate ?? entry.bookingDateTime ?? '', entry.creditDebit, amountKey(entry), entry.reversal]);
}

/** Rule 1: what one report may give and another leave out; compared by `compatible`, never part of the fingerprint. */
export interface Traits {
  readonly accountServicerReference: string | null;
  /** Sorted EndToEndIds of the details (NOTPROVIDED is absent), joined; '' when none. */
  readonly endToEndIds: string;
  /** Sorted return reason codes of the details, joined; '' when none. */
  readonly returnCodes: string;
}

const joined = (values: readonly (string | null | undefined)[]): string =>
  values
    .filter((v): v is string => !!v)
    .sort()
    .join('\u0000');

export function traitsOf(entry: CamtEntry): Traits {
  return {
    accountServicerReference: entry.accountServicerReference ?? null,
    endToEndIds: joined(entry.details.map((d) => d.endToEndId ?? d.returnInfo?.originalEndToEndId)),
    returnCodes: joined(entry.details.map((d) => d.returnInfo?.reasonCode ?? d.returnInfo?.reasonProprietary)),
  };
}

/** The traits of an entry already booked, from what its row and items hold. */
export function knownTraits(accountServicerReference: string | null, endToEndIds: readonly (string | null)[] | null, returnCodes: readonly (string | null)[] | null): Traits {
  // Without its items read (null), an entry's EndToEndIds and return codes count as absent: compatible with any.
  return { accountServicerReference, endToEndIds: joined(endToEndIds ?? []), returnCodes: joined(returnCodes ?? []) };
}

export function compatible(a: Traits, b: Traits): boolean {
  const ok = (x: string | null, y: string | null) => !x || !y || x === y;
  return ok(a.accountServicerReference, b.accountServicerReference) && ok(a.endToEndIds, b.endToEndIds) && ok(a.returnCodes, b.returnCodes);
}

export function signatureOf(entry: CamtEntry): string {
  return hash([
    entry.entryReference ?? '',
    entry.valueDate ?? '',
    entry.bankTransactionCode,
    entry.additionalInfo ?? '',
    entry.details.map((d) => [d.debtor.iban, d.creditor.iban, d.debtor.name, d.creditor.name, d.unstructured, d.creditorReferences.map((r) => r.reference), d.endToEndId ?? d.returnInfo?.originalEndToEndId ?? '']),
  ]);
}

/** Separates a report's key from an AcctSvcrRef in the key of a per-reference sighting (U+001F cannot occur in XML). */
const REF_MARK = '\u001f';

export function refReportKey(reportKey: string, accountServicerReference: string): string {
  return `${reportKey}${REF_MARK}${accountServicerReference}`;
}

export interface Sighting {
  readonly reportKind: ReportKind;
  readonly reportKey: string;
  /** null: how often the report showed the fingerprint in all; else how often with this AcctSvcrRef. */
  readonly ref: string | null;
  readonly seen: number;
  /** The report was marked CpyDplctInd (COPY, DUPL, CODU): it reports again what another report did. */
  readonly copy: boolean;
  /** Which upload (file id) recorded it; the per-reference sightings of one report in one upload belong together. */
  readonly source?: string;
}

/**
 * A stored sighting: the per-reference ones carry their AcctSvcrRef in the report key. A report stores its
 * total (ref null) only when some of its entries have no AcctSvcrRef; otherwise the total is the sum of its
 * per-reference sightings.
 */
export function sightingFrom(row: { file_id: bigint; report_kind: ReportKind; report_key: string; seen: number; copy: boolean }): Sighting {
  const at = row.report_key.indexOf(REF_MARK);
  const source = row.file_id.toString();
  const reportKey = at < 0 ? row.report_key : row.report_key.slice(0, at);
  const ref = at < 0 ? null : row.report_key.slice(at + 1);
  return { reportKind: row.report_kind, seen: row.seen, copy: row.copy, source, reportKey, ref };
}

/**
 * Rule 3's sightings of one report's entries with one fingerprint, given their AcctSvcrRefs: one per reference, and
 * the report's total only when some entries have none (else the total is the sum of the per-reference ones).
 */
export function reportSightings(report: Omit<Sighting, 'ref' | 'seen'>, refs: readonly (string | null)[]): Sighting[] {
  const perRef = new Map<string, number>();
  let withRef = 0;
  for (const ref of refs) {
    if (!ref) continue;
    withRef += 1;
    perRef.set(ref, (perRef.get(ref) ?? 0) + 1);
  }
  const sightings: Sighting[] = withRef < refs.length ? [{ ...report, ref: null, seen: refs.length }] : [];
  for (const [ref, seen] of perRef) sightings.push({ ...report, ref, seen });
  return sightings;
}

/** An entry stored with `sighting_implied`: with its report, it stands for that report's sighting of its fingerprint. */
export interface ImpliedBy {
  readonly fileId: bigint;
  /** The report's row in the file (a file may hold one report twice; each is its own sighting). */
  readonly statementRow: bigint;
  readonly reportKind: ReportKind;
  readonly reportKey: string;
  readonly copy: boolean;
  readonly accountServicerReference: string | null;
}

/** The sightings that entries of one fingerprint stand for: `reportSightings` of each report's entries. */
export function impliedSightings(entries: readonly ImpliedBy[]): Sighting[] {
  const reports = new Map<bigint, { report: ImpliedBy; refs: (string | null)[] }>();
  for (const e of entries) {
    const r = reports.get(e.statementRow);
    if (r) r.refs.push(e.accountServicerReference);
    else reports.set(e.statementRow, { report: e, refs: [e.accountServicerReference] });
  }
  return [...reports.values()].flatMap(({ report, refs }) =>
    reportSightings({ reportKind: report.reportKind, reportKey: report.reportKey, copy: report.copy, source: report.fileId.toString() }, refs),
  );
}

function countOf(sightings: Iterable<Omit<Sighting, 'ref'>>): number {
  let reportedAgainMax = 0;
  const perNotification = new Map<string, number>();
  for (const s of sightings) {
    if (s.reportKind === 'statement' || s.copy) reportedAgainMax = Math.max(reportedAgainMax, s.seen);
    else perNotification.set(s.reportKey, Math.max(perNotification.get(s.reportKey) ?? 0, s.seen));
  }
  let notificationSum = 0;
  for (const seen of perNotification.values()) notificationSum += seen;
  return Math.max(reportedAgainMax, notificationSum);
}

/** Rule 3: the number of real entries a set of sightings of one fingerprint proves. */
export function realCount(sightings: readonly Sighting[]): number {
  // One sighting proves what it saw (the rule below gives the same, with a map and two lists for it): the case of
  // nearly every entry of a new statement.
  if (sightings.length === 1) return sightings[0]!.seen;
  const reports = new Map<string, { sighting: Sighting; whole: number | null; refs: Map<string, number> }>();
  for (const s of sightings) {
    const key = `${s.source ?? ''}${REF_MARK}${s.reportKey}`;
    let r = reports.get(key);
    if (!r) reports.set(key, (r = { sighting: s, whole: null, refs: new Map() }));
    if (s.ref === null) r.whole = Math.max(r.whole ?? 0, s.seen);
    else r.refs.set(s.ref, Math.max(r.refs.get(s.ref) ?? 0, s.seen));
  }
  const whole: Omit<Sighting, 'ref'>[] = [];
  const byRef = new Map<string, Omit<Sighting, 'ref'>[]>();
  for (const { sighting, whole: total, refs } of reports.values()) {
    let sum = 0;
    for (const [ref, seen] of refs) {
      sum += seen;
      const list = byRef.get(ref);
      const one = { ...sighting, seen };
      if (list) list.push(one);
      else byRef.set(ref, [one]);
    }
    whole.push({ ...sighting, seen: total ?? sum });
  }
  let distinctByRef = 0;
  for (const list of byRef.values()) distinctByRef += countOf(list);
  return Math.max(countOf(whole), distinctByRef);
}

export interface KnownEntry {
  readonly signature: string;
  readonly traits: Traits;
}

/** Above this many pairs to try, the last pass pairs by order without comparing traits (bulk files stay linear). */
const PAIRING_BUDGET = 1_000_000;

/**
 * Rule 4: of a report's entries with one fingerprint, which `count` become new (`chosen`), and
 * which are not new although no known entry can be them (`contradicting`: to be raised). Entries
 * that pair with a known entry are taken last, so the already-booked one is not booked again
 * under another occurrence number.
 */
export function chooseNew<T extends KnownEntry>(candidates: readonly T[], known: readonly KnownEntry[], count: number): { chosen: T[]; contradicting: T[] } {
  const n = Math.max(0, count);
  if (known.length === 0) return { chosen: candidates.slice(0, n), contradicting: candidates.slice(n) };
  const paired = new Array<boolean>(candidates.length).fill(false);
  const used = new Array<boolean>(known.length).fill(false);
  const pass = (keyOf: (e: KnownEntry) => string | null, check: boolean) => {
    const byKey = new Map<string, number[]>();
    known.forEach((k, j) => {
      const key = used[j] ? null : keyOf(k);
      if (key === null) return;
      const list = byKey.get(key);
      if (list) list.push(j);
      else byKey.set(key, [j]);
    });
    candidates.forEach((c, i) => {
      if (paired[i]) return;
      const key = keyOf(c);
      const list = key === null ? undefined : byKey.get(key);
      if (!list) return;
      const at = list.findIndex((j) => !used[j] && (!check || compatible(c.traits, known[j]!.traits)));
      if (at < 0) return;
      used[list[at]!] = true;
      paired[i] = true;
      list.splice(at, 1);
    });
  };
  const t = (e: KnownEntry) => e.traits;
  pass((e) => `${e.signature}|${t(e).accountServicerReference ?? ''}`, true);
  // A report of known entries again (the common case: re-sent, overlapping) pairs in the first pass.
  if (paired.every(Boolean)) return { chosen: candidates.slice(0, n), contradicting: [] };
  pass((e) => t(e).accountServicerReference, true);
  pass((e) => t(e).endToEndIds || null, true);
  const left = candidates.filter((_, i) => !paired[i]).length * used.filter((u) => !u).length;
  pass(() => '', left <= PAIRING_BUDGET);

  // Unpaired, but with the EndToEndIds of a known entry that has another AcctSvcrRef: the same entry with a changed
  // reference, never booked a second time (raised instead).
  const knownRefsByE2e = new Map<string, Set<string>>();
  for (const k of known) {
    if (!k.traits.endToEndIds || !k.traits.accountServicerReference) continue;
    const refs = knownRefsByE2e.get(k.traits.endToEndIds) ?? new Set<string>();
    refs.add(k.traits.accountServicerReference);
    knownRefsByE2e.set(k.traits.endToEndIds, refs);
  }
  const changed = (c: T) => {
    const refs = c.traits.endToEndIds && c.traits.accountServicerReference ? knownRefsByE2e.get(c.traits.endToEndIds) : undefined;
    return refs !== undefined && !refs.has(c.traits.accountServicerReference!);
  };
  const unpaired = candidates.filter((c, i) => !paired[i] && !changed(c));
  const rest = candidates.filter((_, i) => paired[i]);
  const chosen = [...unpaired, ...rest].slice(0, n);
  const taken = new Set(chosen);
  return { chosen, contradicting: candidates.filter((c, i) => !paired[i] && !taken.has(c)) };
}
