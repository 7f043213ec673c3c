import { sql, type Kysely } from 'kysely';
import type { CamtDocument, CamtEntry, CamtStatement } from '../camt/index.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { normaliseIban } from '../references/index.js';
import { IngestError } from './errors.js';
import { chooseNew, fingerprintOf, realCount, reportKey, reportKind, signatureOf, type Sighting } from './identity.js';
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
  /** Times each fingerprint appears among this statement's booked entries. */
  readonly sightings: ReadonlyMap<string, number>;
}

export interface PlannedEntry {
  readonly statementIndex: number;
  readonly entry: CamtEntry;
  readonly iban: string;
  readonly fingerprint: string;
  readonly signature: string;
  readonly occurrence: number;
  readonly generation: number;
  /** `exception`: a BOOK entry that cannot be booked as euros (foreign currency, over-precise, no booking date). */
  readonly outcome: 'booked' | 'exception';
  readonly exception: string | null;
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
  signatures: string[];
  generations: Map<number, number>;
}

function stateKey(iban: string, fingerprint: string): string {
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

async function loadKnownState(db: Db, fingerprintsByIban: Map<string, Set<string>>): Promise<Map<string, KnownState>> {
  const state = new Map<string, KnownState>();
  const get = (iban: string, fp: string) => {
    const key = stateKey(iban, fp);
    let s = state.get(key);
    if (!s) state.set(key, (s = { sightings: [], signatures: [], generations: new Map() }));
    return s;
  };
  for (const [iban, set] of fingerprintsByIban) {
    const fps = [...set];
    for (const fp of fps) get(iban, fp);
    const any = sql<string>`ANY(${fps}::text[])`;
    const sightings = await db
      .selectFrom('bank_entry_sighting as s')
      .innerJoin('bank_file as f', 'f.id', 's.file_id')
      .select(['s.fingerprint', 's.report_kind', 's.report_key', 's.seen'])
      .where('f.status', '=', 'ingested')
      .where('s.iban', '=', iban)
      .where('s.fingerprint', '=', any)
      .execute();
    for (const s of sightings) get(iban, s.fingerprint).sightings.push({ reportKind: s.report_kind, reportKey: s.report_key, seen: s.seen });
    const entries = await db
      .selectFrom('bank_entry')
      .select(['fingerprint', 'occurrence', 'signature', 'generation', 'undone_at'])
      .where('iban', '=', iban)
      .where('fingerprint', '=', any)
      .execute();
    for (const e of entries) {
      const s = get(iban, e.fingerprint);
      if (e.undone_at === null) s.signatures.push(e.signature);
      s.generations.set(e.occurrence, Math.max(s.generations.get(e.occurrence) ?? 0, e.generation));
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
          .where('value', '=', sql<string>`ANY(${[...values]}::text[])`)
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

function exceptionOf(entry: CamtEntry): string | null {
  if (entry.amount && entry.bookingDate) return null;
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

export async function planIngest(db: Db, document: CamtDocument, options: PlanOptions = {}): Promise<IngestPlan> {
  const accounts = await loadBankAccounts(db, document);
  const kind = reportKind(document.kind);

  const fingerprintsByIban = new Map<string, Set<string>>();
  const perStatement = document.statements.map((statement) => {
    const iban = normaliseIban(statement.account.iban);
    const booked = statement.entries.filter((e) => e.booked);
    const fingerprinted = booked.map((entry) => ({ entry, fingerprint: fingerprintOf(iban, entry), signature: signatureOf(entry) }));
    const set = fingerprintsByIban.get(iban) ?? new Set<string>();
    for (const f of fingerprinted) set.add(f.fingerprint);
    fingerprintsByIban.set(iban, set);
    return { statement, iban, fingerprinted };
  });
  const known = await loadKnownState(db, fingerprintsByIban);

  const statements: PlannedStatement[] = [];
  const fresh: Omit<PlannedEntry, 'items'>[] = [];
  for (const { statement, iban, fingerprinted } of perStatement) {
    const key = reportKey(kind, statement);
    const groups = new Map<string, typeof fingerprinted>();
    for (const f of fingerprinted) {
      const list = groups.get(f.fingerprint) ?? [];
      list.push(f);
      groups.set(f.fingerprint, list);
    }
    const sightings = new Map<string, number>();
    for (const [fingerprint, group] of groups) {
      sightings.set(fingerprint, group.length);
      const state = known.get(stateKey(iban, fingerprint))!;
      const before = state.signatures.length;
      state.sightings.push({ reportKind: kind, reportKey: key, seen: group.length });
      const after = Math.max(before, realCount(state.sightings));
      for (const chosen of chooseNew(group, state.signatures, after - before)) {
        const occurrence = state.signatures.length + 1;
        state.signatures.push(chosen.signature);
        const exception = exceptionOf(chosen.entry);
        fresh.push({
          statementIndex: statement.index,
          entry: chosen.entry,
          iban,
          fingerprint,
          signature: chosen.signature,
          occurrence,
          generation: (state.generations.get(occurrence) ?? 0) + 1,
          outcome: exception ? 'exception' : 'booked',
          exception,
        });
      }
    }
    const account = accounts.get(iban)!;
    statements.push({ statement, iban, reportKind: kind, reportKey: key, bankAccountId: account.account_id, suspenseAccountId: account.suspense_account_id, sightings });
  }

  const itemsByEntry = fresh.map((e) => (e.outcome === 'booked' ? itemsOf(e.entry) : []));
  const bsnHashesIn = options.bsnHashesIn ?? (() => []);
  const values = new Set<string>();
  itemsByEntry.flat().forEach((item) => {
    if (item.creditDebit !== 'CRDT') return;
    for (const t of tokensOf(item)) values.add(t);
    for (const h of bsnHashesIn(item.remittance ?? '')) values.add(h);
  });
  const context = await loadMatchContext(db, [...values], itemsByEntry.flat(), bsnHashesIn);
  const newEntries: PlannedEntry[] = fresh.map((e, i) => ({
    ...e,
    items: itemsByEntry[i]!.map((item) => ({
      item,
      decision: matchItem(item, context),
      ledgerKey: `camt/${e.iban}/${e.fingerprint}/${e.occurrence}/${e.generation}/${item.index}`,
    })),
  }));

  const alerts = [...camtAlerts(document), ...(await sequenceAlerts(db, statements))];
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
