import { sql, type Kysely } from 'kysely';
import type { CamtDocument, CamtEntry, CamtStatement } from '../camt/index.js';
import { numberArray, textArray } from '../db/array-parameters.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { normaliseIban } from '../references/index.js';
import { IngestError } from './errors.js';
import { chooseNew, fingerprintOf, impliedSightings, knownTraits, realCount, refReportKey, reportKey, reportKind, reportSightings, sightingFrom, signatureOf, traitsOf, type ImpliedBy, type KnownEntry, type Sighting, type Traits } from './identity.js';
import { isValidBookingDate } from '../ledger/dates.js';
import { itemsOf, type EntryItem } from './items.js';
import { matchItem, tokensOf, type IdentifiedClient, type KnownPayer, type MatchContext, type MatchDecision } from './match.js';
import { loadOwnPayments } from '../payments/reconcile.js';
import type { MatchRule, ReportKind } from './rows.js';

/**
 * What an upload would do, worked out from the file and the database without writing
 * anything: the preview shows it, and ingestion computes it again under its lock and
 * writes it. Reads are in bulk (one query per kind of fact), never one per entry.
 */
export interface IngestPlan {
  readonly messageName: string;
  readonly statements: readonly PlannedStatement[];
  /** Entries this upload adds (the others were known already). */
  readonly newEntries: readonly PlannedEntry[];
  readonly alerts: readonly PlannedAlert[];
  readonly summary: PlanSummary;
}

export interface PlannedStatement {
  readonly statement: CamtStatement;
  readonly iban: string;
  readonly reportKind: ReportKind;
  readonly reportKey: string;
  readonly bankAccountId: bigint;
  readonly suspenseAccountId: bigint;
  /**
   * Times each fingerprint appears among this statement's booked entries, and per AcctSvcrRef (`refReportKey`):
   * only fingerprints some report had shown before (the others' entries stand for them, `impliesSighting`).
   */
  readonly sightings: readonly { readonly reportKey: string; readonly fingerprint: string; readonly seen: number }[];
}

export interface PlannedEntry {
  readonly statementIndex: number;
  readonly entry: CamtEntry;
  readonly iban: string;
  readonly fingerprint: string;
  /** The entry as the plan identified it; its signature is made when its row is written. */
  readonly shown: ShownEntry;
  readonly occurrence: number;
  readonly generation: number;
  /** `exception`: a BOOK entry that cannot be booked as euros (foreign currency, over-precise, no booking date). */
  readonly outcome: 'booked' | 'exception';
  readonly exception: string | null;
  /** Its report showed its fingerprint first: the entries it made new stand for that sighting (migration 0034). */
  readonly impliesSighting: boolean;
  readonly items: readonly PlannedItem[];
}

export interface PlannedItem {
  readonly item: EntryItem;
  readonly decision: MatchDecision;
  readonly ledgerKey: string;
}

export interface PlannedAlert {
  readonly code: string;
  readonly severity: 'error' | 'warning';
  readonly message: string;
  readonly statementIndex: number | null;
  readonly details: Record<string, unknown>;
}

export interface PlanSummary {
  readonly statements: number;
  readonly entriesInFile: number;
  /** BOOK entries only: PDNG and INFO are recorded in the file, never booked. */
  readonly bookEntries: number;
  readonly notBooked: number;
  readonly newEntries: number;
  readonly alreadyKnown: number;
  readonly exceptions: number;
  readonly toClients: number;
  readonly toSuspense: number;
  /** Debits that settled our own payments (an entry per payment, or one per batch). */
  readonly settlements: number;
  /** Returns of our own payments, given back to the client. */
  readonly returns: number;
  readonly credited: string;
  readonly debited: string;
}

export interface PlanOptions {
  /** Keyed hashes of BSNs found in a text; without a BSN key nothing is matched on BSN. */
  readonly bsnHashesIn?: (text: string) => readonly string[];
}

type Db = Kysely<Database> | Trx;

interface KnownState {
  sightings: Sighting[];
  /** The entries of the fingerprint that stand (not undone), in occurrence order. */
  entries: KnownEntry[];
  generations: Map<number, number>;
}

/** The key of one fingerprint of one account in the maps of known state (and of `impliedSightingsOf`). */
export function stateKey(iban: string, fingerprint: string): string {
  return `${iban}|${fingerprint}`;
}

async function loadBankAccounts(db: Db, document: CamtDocument): Promise<Map<string, { account_id: bigint; suspense_account_id: bigint }>> {
  const ibans = [...new Set(document.statements.map((s) => normaliseIban(s.account.iban)))];
  const rows = await db.selectFrom('bank_account').select(['iban', 'account_id', 'suspense_account_id']).where('iban', 'in', ibans).execute();
  const found = new Map(rows.map((r) => [r.iban, r]));
  for (const statement of document.statements) {
    const iban = normaliseIban(statement.account.iban);
    if (!found.has(iban)) {
      throw new IngestError('unknown_bank_account', `statement ${statement.id} is for account ${iban}, which is not registered as one of our bank accounts`, { statement: statement.id });
    }
    if (statement.account.currency !== null && statement.account.currency !== 'EUR') {
      throw new IngestError('foreign_currency_account', `statement ${statement.id} is for an account in ${statement.account.currency}; only euro accounts are managed`, { statement: statement.id });
    }
  }
  return found;
}

/** The sightings of the files that stand (ingested); `withCopyFlags` adds whether each one's report was marked. */
export function sightingsOf(db: Db) {
  return db
    .selectFrom('bank_entry_sighting as s')
    .innerJoin('bank_file as f', 'f.id', 's.file_id')
    .select(['s.file_id', 's.iban', 's.fingerprint', 's.report_kind', 's.report_key', 's.seen'])
    .where('f.status', '=', 'ingested');
}

/**
 * Whether each sighting's report was marked as a copy or duplicate (CpyDplctInd, kept on the report's
 * statement row): one query for the few marked reports of the files concerned, not one per sighting.
 */
export async function withCopyFlags(db: Db, rows: readonly { file_id: bigint; report_kind: ReportKind; report_key: string; seen: number }[]): Promise<Sighting[]> {
  const files = [...new Set(rows.map((r) => r.file_id))];
  const marked =
    files.length === 0
      ? []
      : await db
          .selectFrom('bank_statement')
          .select(['file_id', 'report_key'])
          .where('copy_duplicate', 'is not', null)
          .where('file_id', '=', sql<bigint>`ANY(${numberArray(files)}::bigint[])`)
          .execute();
  const copies = new Set(marked.map((m) => `${m.file_id}|${m.report_key}`));
  return rows.map((r) => {
    const sighting = sightingFrom({ ...r, copy: false });
    return copies.has(`${r.file_id}|${sighting.reportKey}`) ? { ...sighting, copy: true } : sighting;
  });
}

/** An entry row as far as `impliedSightingsOf` reads it. */
export interface EntryRowSighted {
  readonly iban: string;
  readonly fingerprint: string;
  readonly file_id: bigint;
  readonly statement_row: bigint;
  readonly acct_svcr_ref: string | null;
  readonly sighting_implied: boolean;
  readonly undone_at: Date | null;
}

/**
 * The sightings that entries standing for them (`sighting_implied`, not undone: their file stands) make, per
 * (account, fingerprint): their reports read in one query.
 */
export async function impliedSightingsOf(db: Db, entries: readonly EntryRowSighted[]): Promise<Map<string, Sighting[]>> {
  const implying = entries.filter((e) => e.sighting_implied && e.undone_at === null);
  const found = new Map<string, Sighting[]>();
  if (implying.length === 0) return found;
  const statementRows = [...new Set(implying.map((e) => e.statement_row))];
  const reports = await db
    .selectFrom('bank_statement')
    .select(['id', 'report_kind', 'report_key', 'copy_duplicate'])
    .where('id', '=', sql<bigint>`ANY(${numberArray(statementRows)}::bigint[])`)
    .execute();
  const reportOf = new Map(reports.map((r) => [r.id, r]));
  const byKey = new Map<string, ImpliedBy[]>();
  for (const e of implying) {
    const report = reportOf.get(e.statement_row)!;
    const key = stateKey(e.iban, e.fingerprint);
    const implied: ImpliedBy = {
      fileId: e.file_id,
      statementRow: e.statement_row,
      reportKind: report.report_kind,
      reportKey: report.report_key,
      copy: report.copy_duplicate !== null,
      accountServicerReference: e.acct_svcr_ref,
    };
    const list = byKey.get(key);
    if (list) list.push(implied);
    else byKey.set(key, [implied]);
  }
  for (const [key, list] of byKey) found.set(key, impliedSightings(list));
  return found;
}

/** The `source` of the sightings of the upload being planned (stored ones carry their file id). */
const THIS_FILE = 'this upload';

const pairKey = (signature: string, ref: string | null) => `${signature}|${ref ?? ''}`;

/**
 * A booked entry of the file with its fingerprint and traits. Its signature is made when first asked: it is compared
 * only where the fingerprint has known entries, and otherwise only written with the entry, on the server's time.
 */
export class ShownEntry implements KnownEntry {
  #signature: string | undefined;

  constructor(
    readonly entry: CamtEntry,
    readonly fingerprint: string,
    readonly traits: Traits,
  ) {}

  get signature(): string {
    return (this.#signature ??= signatureOf(this.entry));
  }
}

/** A fingerprint of the file: its booked entries, per report that shows it. */
interface Shown {
  readonly iban: string;
  readonly fingerprint: string;
  readonly perReport: ShownEntry[][];
}

const emptyState = (): KnownState => ({ sightings: [], entries: [], generations: new Map() });

/**
 * What is known of the fingerprints a file shows: sightings, the entries that stand, generations. The traits
 * a known entry's items hold (EndToEndIds, return codes) are read only for the fingerprints where some entry of
 * the file is not simply a known entry again (same signature, which includes the EndToEndIds, and AcctSvcrRef):
 * a re-sent file reads no items at all.
 */
async function loadKnownState(db: Db, shown: Map<string, Shown>): Promise<Map<string, KnownState>> {
  // Only fingerprints with something stored get a state (`stateOf`): for a new statement, nearly none.
  const state = new Map<string, KnownState>();
  const stateOf = (key: string): KnownState => {
    let s = state.get(key);
    if (!s) state.set(key, (s = emptyState()));
    return s;
  };
  const byIban = new Map<string, string[]>();
  for (const { iban, fingerprint } of shown.values()) {
    const list = byIban.get(iban) ?? [];
    list.push(fingerprint);
    byIban.set(iban, list);
  }
  const traitsWanted: { id: bigint; at: { list: KnownEntry[]; index: number } }[] = [];
  for (const [iban, fps] of byIban) {
    const any = sql<string>`ANY(${textArray(fps)}::text[])`;
    const rows = await sightingsOf(db).where('s.iban', '=', iban).where('s.fingerprint', '=', any).execute();
    const sightings = await withCopyFlags(db, rows);
    rows.forEach((r, i) => stateOf(stateKey(iban, r.fingerprint)).sightings.push(sightings[i]!));
    const entries = await db
      .selectFrom('bank_entry')
      .select(['id', 'iban', 'fingerprint', 'occurrence', 'signature', 'generation', 'undone_at', 'acct_svcr_ref', 'file_id', 'statement_row', 'sighting_implied'])
      .where('iban', '=', iban)
      .where('fingerprint', '=', any)
      .orderBy('occurrence')
      .execute();
    for (const [key, implied] of await impliedSightingsOf(db, entries)) stateOf(key).sightings.push(...implied);
    const ids = new Map<string, bigint[]>();
    for (const e of entries) {
      const s = stateOf(stateKey(iban, e.fingerprint));
      if (e.undone_at === null) {
        s.entries.push({ signature: e.signature, traits: knownTraits(e.acct_svcr_ref, null, null) });
        const list = ids.get(e.fingerprint) ?? [];
        list.push(e.id);
        ids.set(e.fingerprint, list);
      }
      s.generations.set(e.occurrence, Math.max(s.generations.get(e.occurrence) ?? 0, e.generation));
    }
    for (const [fingerprint, entryIds] of ids) {
      const s = state.get(stateKey(iban, fingerprint))!;
      const knownPairs = new Map<string, number>();
      for (const k of s.entries) knownPairs.set(pairKey(k.signature, k.traits.accountServicerReference), (knownPairs.get(pairKey(k.signature, k.traits.accountServicerReference)) ?? 0) + 1);
      const plain = shown.get(stateKey(iban, fingerprint))!.perReport.every((report) => {
        const left = new Map(knownPairs);
        return report.every((e) => {
          const key = pairKey(e.signature, e.traits.accountServicerReference);
          const n = left.get(key) ?? 0;
          left.set(key, n - 1);
          return n > 0;
        });
      });
      if (!plain) entryIds.forEach((id, index) => traitsWanted.push({ id, at: { list: s.entries, index } }));
    }
  }
  for (let i = 0; i < traitsWanted.length; i += 10_000) {
    const part = traitsWanted.slice(i, i + 10_000);
    const items = await db
      .selectFrom('bank_entry_item')
      .select(['entry_id', 'end_to_end_id', 'return_reason'])
      .where('entry_id', '=', sql<bigint>`ANY(${numberArray(part.map((p) => p.id))}::bigint[])`)
      .execute();
    const byEntry = new Map<bigint, { e2e: (string | null)[]; codes: (string | null)[] }>();
    for (const it of items) {
      const x = byEntry.get(it.entry_id) ?? { e2e: [], codes: [] };
      x.e2e.push(it.end_to_end_id);
      x.codes.push(it.return_reason);
      byEntry.set(it.entry_id, x);
    }
    for (const { id, at } of part) {
      const k = at.list[at.index]!;
      const x = byEntry.get(id);
      if (x) at.list[at.index] = { signature: k.signature, traits: knownTraits(k.traits.accountServicerReference, x.e2e, x.codes) };
    }
  }
  return state;
}

async function loadMatchContext(db: Db, values: readonly string[], items: readonly EntryItem[], bsnHashesIn: (text: string) => readonly string[]): Promise<MatchContext> {
  const endToEndIds = new Set<string>();
  const paymentInfoIds = new Set<string>();
  for (const item of items) {
    if (item.endToEndId) endToEndIds.add(item.endToEndId);
    if (item.originalEndToEndId) endToEndIds.add(item.originalEndToEndId);
    if (item.creditDebit === 'DBIT' && item.paymentInformationId) paymentInfoIds.add(item.paymentInformationId);
  }
  const ownPayments = await loadOwnPayments(db, [...endToEndIds], [...paymentInfoIds]);
  const [rules, payers, identifiers] = await Promise.all([
    db.selectFrom('gemeente_matching').select(['gemeente_id', 'rules']).execute(),
    db.selectFrom('known_payer').select(['gemeente_id', 'iban', 'name', 'kind']).execute(),
    values.length === 0
      ? Promise.resolve([])
      : db
          .selectFrom('client_identifier')
          .select(['client_id', 'gemeente_id', 'kind', 'value'])
          .where('value', '=', sql<string>`ANY(${textArray([...values])}::text[])`)
          .execute(),
  ]);
  const payersByIban = new Map<string, KnownPayer[]>();
  for (const p of payers) {
    const list = payersByIban.get(p.iban) ?? [];
    list.push({ gemeenteId: p.gemeente_id, iban: p.iban, name: p.name, kind: p.kind });
    payersByIban.set(p.iban, list);
  }
  const clientsByValue = new Map<string, IdentifiedClient[]>();
  for (const i of identifiers) {
    const list = clientsByValue.get(i.value) ?? [];
    list.push({ clientId: i.client_id, gemeenteId: i.gemeente_id, kind: i.kind, value: i.value });
    clientsByValue.set(i.value, list);
  }
  return {
    rulesByGemeente: new Map(rules.map((r) => [r.gemeente_id, r.rules as MatchRule[]])),
    payersByIban,
    clientsByValue,
    bsnHashesIn,
    ownPayments,
  };
}

/** Why a BOOK entry cannot be booked as euros, or null. A booking date the ledger does not take (outside 2000–2099) is one. */
function exceptionOf(entry: CamtEntry): string | null {
  if (entry.amount && entry.bookingDate && isValidBookingDate(entry.bookingDate)) return null;
  if (entry.amount && entry.bookingDate) return `booking_date_out_of_range: the booking date ${entry.bookingDate} lies outside the days the ledger books (2000-01-01 to 2099-12-31)`;
  const problem = entry.problems.find((p) => p.severity === 'error');
  return problem ? `${problem.code}: ${problem.message}` : 'the entry has no euro amount or booking date';
}

async function sequenceAlerts(db: Db, statements: readonly PlannedStatement[]): Promise<PlannedAlert[]> {
  const alerts: PlannedAlert[] = [];
  const numbered = statements.filter((s) => s.reportKind === 'statement' && /^\d{1,15}$/.test(s.statement.electronicSequenceNumber ?? ''));
  for (const s of numbered) {
    const previous = await db
      .selectFrom('bank_statement as st')
      .innerJoin('bank_file as f', 'f.id', 'st.file_id')
      .select(sql<string | null>`max(st.electronic_seq::bigint)::text`.as('last'))
      .where('f.status', '=', 'ingested')
      .where('st.iban', '=', s.iban)
      .where('st.report_kind', '=', 'statement')
      .where(sql<boolean>`st.electronic_seq ~ '^[0-9]{1,15}$'`)
      .executeTakeFirst();
    const last = previous?.last ? BigInt(previous.last) : null;
    const seq = BigInt(s.statement.electronicSequenceNumber!);
    if (last !== null && seq > last + 1n) {
      alerts.push({
        code: 'sequence_gap',
        severity: 'warning',
        statementIndex: s.statement.index,
        message: `statement ${s.statement.id} of ${s.iban} has electronic sequence ${seq}, but the last one received was ${last}: ${(seq - last - 1n).toString()} statement(s) missing`,
        details: { last: last.toString(), received: seq.toString() },
      });
    }
  }
  return alerts;
}

function alertOn(statement: CamtStatement, entry: CamtEntry, code: string, severity: 'error' | 'warning', what: string): PlannedAlert {
  return {
    code,
    severity,
    message: `statement ${statement.id}, entry ${entry.entryIndex + 1} (line ${entry.line}) ${what}`,
    statementIndex: statement.index,
    details: { line: entry.line, entry: entry.entryIndex },
  };
}

function camtAlerts(document: CamtDocument): PlannedAlert[] {
  const alerts: PlannedAlert[] = document.warnings.map((w) => ({ code: w.code, severity: w.severity, message: w.message, statementIndex: null, details: { line: w.line } }));
  for (const statement of document.statements) {
    for (const p of statement.problems) alerts.push({ code: p.code, severity: p.severity, message: `statement ${statement.id}: ${p.message}`, statementIndex: statement.index, details: { line: p.line } });
    for (const entry of statement.entries) {
      for (const p of entry.problems) {
        alerts.push({ code: p.code, severity: p.severity, message: `statement ${statement.id}, entry ${entry.entryIndex + 1} (line ${entry.line}): ${p.message}`, statementIndex: statement.index, details: { line: p.line, entry: entry.entryIndex } });
      }
    }
  }
  return alerts;
}

/** Entries handled between two turns of the event loop (`inSlices`). */
const SLICE = 5_000;

/**
 * `work(0)` … `work(count - 1)`, with a turn of the event loop after each slice: the statements ingestion queued on
 * the file's connection are sent, and the next ones made, while node works (one loop over 100,000 entries left the
 * server idle for its whole length).
 */
async function inSlices(count: number, work: (index: number) => void): Promise<void> {
  for (let from = 0; from < count; from += SLICE) {
    if (from > 0) await new Promise(setImmediate);
    for (let i = from; i < Math.min(from + SLICE, count); i++) work(i);
  }
}

/** What is known once the file's entries are identified, before they are matched: enough to write statements and entries. */
export interface IdentifiedPlan {
  readonly statements: readonly PlannedStatement[];
  readonly newEntries: readonly Omit<PlannedEntry, 'items'>[];
}

/**
 * `onIdentified` runs once the entries are identified, before their items are made and matched: ingestion starts
 * writing statements, sightings and entries there, so the server writes them while node matches. The one read after
 * it, the match context, reads nothing those writes change (own payments, identifiers, payers, rules); it waits
 * for at most the statement on the connection, as ingestion queues its rows one statement at a time (`InOrder`).
 */
export async function planIngest(db: Db, document: CamtDocument, options: PlanOptions = {}, onIdentified?: (identified: IdentifiedPlan) => Promise<void>): Promise<IngestPlan> {
  const accounts = await loadBankAccounts(db, document);
  const kind = reportKind(document.kind);

  const shown = new Map<string, Shown>();
  const perStatement = document.statements.map((statement) => {
    const iban = normaliseIban(statement.account.iban);
    const booked = statement.entries.filter((e) => e.booked);
    const fingerprinted = booked.map((entry) => new ShownEntry(entry, fingerprintOf(iban, entry), traitsOf(entry)));
    const here = new Map<string, ShownEntry[]>();
    for (const f of fingerprinted) {
      const key = stateKey(iban, f.fingerprint);
      let report = here.get(key);
      if (!report) {
        here.set(key, (report = []));
        const s = shown.get(key) ?? { iban, fingerprint: f.fingerprint, perReport: [] };
        s.perReport.push(report);
        shown.set(key, s);
      }
      report.push(f);
    }
    return { statement, iban, fingerprinted };
  });
  const known = await loadKnownState(db, shown);

  const statements: PlannedStatement[] = [];
  const fresh: Omit<PlannedEntry, 'items'>[] = [];
  const reportedAgain: PlannedAlert[] = [];
  for (const { statement, iban, fingerprinted } of perStatement) {
    const key = reportKey(kind, statement);
    const groups = new Map<string, typeof fingerprinted>();
    for (const f of fingerprinted) {
      const list = groups.get(f.fingerprint) ?? [];
      list.push(f);
      groups.set(f.fingerprint, list);
    }
    const sightings: PlannedStatement['sightings'][number][] = [];
    const copy = statement.copyDuplicate !== null;
    const planNew = (chosen: ShownEntry, occurrence: number, generation: number, impliesSighting: boolean) => {
      const exception = exceptionOf(chosen.entry);
      fresh.push({
        statementIndex: statement.index,
        entry: chosen.entry,
        iban,
        fingerprint: chosen.fingerprint,
        shown: chosen,
        occurrence,
        generation,
        outcome: exception ? 'exception' : 'booked',
        exception,
        impliesSighting,
      });
      if (copy) reportedAgain.push(alertOn(statement, chosen.entry, 'new_in_copy', 'warning', `is marked ${statement.copyDuplicate} (a copy of an earlier report), but this entry was not known yet: booked now; check that the original report was not lost`));
      if (exception?.startsWith('booking_date_out_of_range')) reportedAgain.push(alertOn(statement, chosen.entry, 'booking_date_out_of_range', 'error', `has booking date ${chosen.entry.bookingDate}, outside the days the ledger books (2000-01-01 to 2099-12-31): recorded as an exception, not booked; the rest of the file is booked`));
    };
    for (const [fingerprint, group] of groups) {
      const shownKey = stateKey(iban, fingerprint);
      let state = known.get(shownKey);
      // Nothing stored, and no other report of this file shows it (nearly every entry of a new statement): the rule
      // below makes every entry of the group new, in file order, standing for this report's sightings (one report
      // proves what it shows), without sightings or pairing to compute.
      if (!state && shown.get(shownKey)!.perReport.length === 1) {
        group.forEach((chosen, i) => planNew(chosen, i + 1, 1, true));
        continue;
      }
      if (!state) known.set(shownKey, (state = emptyState()));
      const before = state.entries.length;
      // Shown by no report before: this report makes every entry of the group new, and they stand for its sightings.
      const impliesSighting = before === 0 && state.sightings.length === 0;
      const shownHere = reportSightings({ reportKind: kind, reportKey: key, copy, source: THIS_FILE }, group.map((f) => f.traits.accountServicerReference));
      state.sightings.push(...shownHere);
      if (!impliesSighting) for (const s of shownHere) sightings.push({ reportKey: s.ref === null ? key : refReportKey(key, s.ref), fingerprint, seen: s.seen });
      const after = Math.max(before, realCount(state.sightings));
      const { chosen: chosenEntries, contradicting } = chooseNew(group, state.entries, after - before);
      for (const chosen of chosenEntries) {
        const occurrence = state.entries.length + 1;
        state.entries.push(chosen);
        planNew(chosen, occurrence, (state.generations.get(occurrence) ?? 0) + 1, impliesSighting);
      }
      for (const c of contradicting) {
        reportedAgain.push(
          alertOn(statement, c.entry, 'reported_differently', 'warning', `matches no known entry (AcctSvcrRef ${c.entry.accountServicerReference ?? 'absent'}), but the reports so far prove no further entry of ${c.entry.amountText} ${c.entry.creditDebit} on ${c.entry.bookingDate ?? '?'}: not booked again; check the bank's reference and the balance`),
        );
      }
    }
    const account = accounts.get(iban)!;
    statements.push({ statement, iban, reportKind: kind, reportKey: key, bankAccountId: account.account_id, suspenseAccountId: account.suspense_account_id, sightings });
  }

  const gaps = await sequenceAlerts(db, statements);
  await onIdentified?.({ statements, newEntries: fresh });

  // From here the server writes what `onIdentified` queued while node makes the items, their tokens and the matches
  // (`inSlices`); the match context is read in between those statements.
  const itemsByEntry: EntryItem[][] = [];
  const bsnHashesIn = options.bsnHashesIn ?? (() => []);
  const values = new Set<string>();
  // A receipt's tokens are made once: looked up here, matched on below.
  const tokensByItem = new Map<EntryItem, readonly string[]>();
  await inSlices(fresh.length, (i) => {
    const e = fresh[i]!;
    const items = e.outcome === 'booked' ? itemsOf(e.entry) : [];
    itemsByEntry.push(items);
    for (const item of items) {
      if (item.creditDebit !== 'CRDT') continue;
      const tokens = tokensOf(item);
      tokensByItem.set(item, tokens);
      for (const t of tokens) values.add(t);
      for (const h of bsnHashesIn(item.remittance ?? '')) values.add(h);
    }
  });
  const context = await loadMatchContext(db, [...values], itemsByEntry.flat(), bsnHashesIn);
  const newEntries: PlannedEntry[] = [];
  await inSlices(fresh.length, (i) => {
    const e = fresh[i]!;
    // Each planned entry written out whole: V8 builds a spread-then-extended object property by property.
    newEntries.push({
      statementIndex: e.statementIndex,
      entry: e.entry,
      iban: e.iban,
      fingerprint: e.fingerprint,
      shown: e.shown,
      occurrence: e.occurrence,
      generation: e.generation,
      outcome: e.outcome,
      exception: e.exception,
      impliesSighting: e.impliesSighting,
      items: itemsByEntry[i]!.map((item) => ({
        item,
        decision: matchItem(item, context, tokensByItem.get(item)),
        ledgerKey: `camt/${e.iban}/${e.fingerprint}/${e.occurrence}/${e.generation}/${item.index}`,
      })),
    });
  });

  const alerts = [...camtAlerts(document), ...reportedAgain, ...gaps];
  return { messageName: document.messageName, statements, newEntries, alerts, summary: summarise(document, newEntries) };
}

function summarise(document: CamtDocument, newEntries: readonly PlannedEntry[]): PlanSummary {
  const entries = document.statements.flatMap((s) => s.entries);
  const bookEntries = entries.filter((e) => e.booked).length;
  const items = newEntries.flatMap((e) => e.items);
  const signedItems = items.map((i) => (i.item.creditDebit === 'CRDT' ? i.item.amount : i.item.amount.negate()));
  return {
    statements: document.statements.length,
    entriesInFile: entries.length,
    bookEntries,
    notBooked: entries.length - bookEntries,
    newEntries: newEntries.length,
    alreadyKnown: bookEntries - newEntries.length,
    exceptions: newEntries.filter((e) => e.outcome === 'exception').length,
    toClients: items.filter((i) => i.decision.destination === 'client').length,
    toSuspense: items.filter((i) => i.decision.destination === 'suspense').length,
    settlements: items.filter((i) => i.decision.destination === 'settlement').length,
    returns: items.filter((i) => i.decision.destination === 'return').length,
    credited: Money.sum(signedItems.filter((m) => m.isPositive())).toString(),
    debited: Money.sum(signedItems.filter((m) => m.isNegative()).map((m) => m.negate())).toString(),
  };
}
