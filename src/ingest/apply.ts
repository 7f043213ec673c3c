import { sql, type RawBuilder } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import { bulkInsert } from '../db/bulk-insert.js';
import type { Trx } from '../db/transaction.js';
import { balanceOnDate, bookChecked, checkBatch, transferBetween, type LedgerRequest } from '../ledger/index.js';
import { lockPlannedOutcomes, recordBankOutcomes, type ReturnedItem, type SettledItem } from '../payments/reconcile.js';
import { sqlState } from '../db/errors.js';
import { IngestError } from './errors.js';
import { InOrder, type Send } from './in-order.js';
import type { IdentifiedPlan, IngestPlan, PlannedAlert, PlannedEntry } from './plan.js';

/** Rows per multi-row insert and requests per ledger batch: large enough to keep round trips few. */
const CHUNK = 2_000;

function chunks<T>(list: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

function bankCode(entry: PlannedEntry['entry']): string | null {
  const code = entry.bankTransactionCode;
  if (!code) return null;
  const iso = [code.domain, code.family, code.subFamily].filter(Boolean).join('/');
  const prop = code.proprietaryCode ? `${code.proprietaryIssuer ?? ''}:${code.proprietaryCode}` : '';
  return [iso, prop].filter(Boolean).join(' ') || null;
}

/** What `startWriting` wrote or queued: statement rows, the entries' ids, and the queue of the file's rows. */
export interface StartedWrite {
  readonly statementRows: ReadonlyMap<number, bigint>;
  readonly entryIds: readonly bigint[];
  readonly rows: InOrder;
}

/**
 * Writes what needs no matching, as soon as the entries are identified: the statements (their ids are read back),
 * then queues the sightings and the entry rows, which the server writes while node matches the items. Whoever calls
 * this must hand the result to `applyPlan`, or settle `rows` before the transaction ends (nothing queued may outlive
 * it).
 */
export async function startWriting(trx: Trx, fileId: bigint, identified: IdentifiedPlan): Promise<StartedWrite> {
  const statementRows = new Map<number, bigint>();
  for (const part of chunks(identified.statements)) {
    const inserted = await trx
      .insertInto('bank_statement')
      .values(
        part.map((s) => ({
          file_id: fileId,
          statement_index: s.statement.index,
          report_kind: s.reportKind,
          report_key: s.reportKey,
          iban: s.iban,
          statement_id: s.statement.id,
          electronic_seq: s.statement.electronicSequenceNumber,
          legal_seq: s.statement.legalSequenceNumber,
          copy_duplicate: s.statement.copyDuplicate,
          created_at_bank: s.statement.createdAt,
          opening_cents: s.statement.openingBalance?.signedAmount?.cents ?? null,
          closing_cents: s.statement.closingBalance?.signedAmount?.cents ?? null,
          closing_date: s.statement.closingBalance?.date ?? null,
          balance_check: s.statement.balanceCheck.status,
          difference_cents: s.statement.balanceCheck.difference?.cents ?? null,
          entries: s.statement.entries.length,
        })),
      )
      .returning(['id', 'statement_index'])
      .execute();
    for (const row of inserted) statementRows.set(row.statement_index, row.id);
  }

  const sightings = new Map<string, { report_key: string; report_kind: 'statement' | 'notification'; iban: string; fingerprint: string; seen: number }>();
  for (const s of identified.statements) {
    for (const { reportKey, fingerprint, seen } of s.sightings) {
      const key = `${reportKey}|${fingerprint}`;
      const prior = sightings.get(key);
      if (!prior || prior.seen < seen) sightings.set(key, { report_key: reportKey, report_kind: s.reportKind, iban: s.iban, fingerprint, seen });
    }
  }
  const seen = [...sightings.values()];

  const entries = identified.newEntries;
  // Ids first, so that items can name their entry without reading the entries back.
  const entryIds = await reserveIds(trx, 'bank_entry', entries.length);
  const rows = new InOrder();
  rows.add(() => sightingsInsert(trx, fileId, seen));
  for (let from = 0; from < entries.length; from += PART_ROWS) {
    const range = { from, to: Math.min(from + PART_ROWS, entries.length) };
    rows.add(() => entriesInsert(trx, fileId, entries, entryIds, range, statementRows));
  }
  return { statementRows, entryIds, rows };
}

/**
 * Writes a plan made under the ingest lock, after `startWriting` (statements, sightings, entries): the items, one
 * ledger booking per item (bank ↔ client or suspense), then the balance checks. All in the caller's transaction: a
 * crash anywhere leaves nothing of the file behind.
 */
export async function applyPlan(trx: Trx, fileId: bigint, plan: IngestPlan, started: StartedWrite): Promise<PlannedAlert[]> {
  try {
    return await writeItemsAndBookings(trx, fileId, plan, started);
  } catch (error) {
    throw await firstCause(started.rows, error);
  }
}

async function writeItemsAndBookings(trx: Trx, fileId: bigint, plan: IngestPlan, { statementRows, entryIds, rows }: StartedWrite): Promise<PlannedAlert[]> {
  const items = plan.newEntries.flatMap((e, i) => e.items.map((planned) => ({ entry: e, entryIndex: i, planned })));
  const itemIds = await reserveIds(trx, 'bank_entry_item', items.length);

  const clientAccounts = await availableAccounts(
    trx,
    items.flatMap(({ planned }) => (planned.decision.destination === 'client' || planned.decision.destination === 'return' ? [planned.decision.clientId] : [])),
  );
  const statementsByIndex = new Map(plan.statements.map((s) => [s.statement.index, s]));
  const counterAccount = (decision: PlannedEntry['items'][number]['decision'], suspense: bigint): bigint => {
    switch (decision.destination) {
      case 'client':
      case 'return':
        return clientAccounts.get(decision.clientId)!;
      case 'settlement':
        return decision.match.inTransitAccountId;
      case 'suspense':
        return suspense;
    }
  };
  const settled: SettledItem[] = [];
  const returned: ReturnedItem[] = [];
  items.forEach(({ entry, planned }, n) => {
    const d = planned.decision;
    if (d.destination === 'settlement') settled.push({ itemId: itemIds[n]!, ledgerKey: planned.ledgerKey, match: d.match });
    if (d.destination === 'return') returned.push({ itemId: itemIds[n]!, ledgerKey: planned.ledgerKey, bookingDate: entry.entry.bookingDate!, match: d.match });
    if (d.destination === 'suspense' && d.returned) returned.push({ itemId: itemIds[n]!, ledgerKey: planned.ledgerKey, bookingDate: entry.entry.bookingDate!, match: d.returned });
  });
  // Before booking: a payment rejected by the bank since planning makes the plan stale (retried as a whole).
  await lockPlannedOutcomes(trx, settled, returned);

  // The item rows are written in parts between the ledger's statements: one part queued with each ledger batch, so
  // the server writes items while node plans a batch's postings, instead of waiting for it. All in the file's one
  // transaction; queued all at once, they went out before the first bookings and left those gaps unfilled.
  const queueItems = (part: number) => {
    const from = part * PART_ROWS;
    if (from < items.length) rows.add(() => itemsInsert(trx, items, entryIds, itemIds, { from, to: Math.min(from + PART_ROWS, items.length) }));
  };
  // Booked grouped by counter account (stable: in file order within an account): the ledger writes each account it
  // touches once per batch, so a batch of 5,000 receipts for 500 clients updates ~500 account rows, not 5,000.
  const order = items.map((x, n) => {
    const statement = statementsByIndex.get(x.entry.statementIndex)!;
    return { n, statement, counter: counterAccount(x.planned.decision, statement.suspenseAccountId) };
  });
  order.sort((a, b) => (a.counter < b.counter ? -1 : a.counter > b.counter ? 1 : a.n - b.n));
  const requestsFrom = (from: number): LedgerRequest[] => {
    const requests: LedgerRequest[] = [];
    for (const { n, statement, counter } of order.slice(from, from + PART_ROWS)) {
      const { entry, planned } = items[n]!;
      const { item } = planned;
      const incoming = item.creditDebit === 'CRDT';
      requests.push(
        transferBetween({
          idempotencyKey: planned.ledgerKey,
          bookingDate: entry.entry.bookingDate!,
          description: describe(entry, planned),
          debit: incoming ? statement.bankAccountId : counter,
          credit: incoming ? counter : statement.bankAccountId,
          amount: item.amount,
        }),
      );
    }
    return requests;
  };
  let batch = order.length > 0 ? checkBatch(requestsFrom(0)) : null;
  for (let from = 0; batch; from += PART_ROWS) {
    // The statements after a failed one only fail as well: stop booking, the failure is the reason.
    if (rows.failed) break;
    // One booking per item: part k of the items goes with batch k.
    queueItems(from / PART_ROWS);
    const booking = bookChecked(trx, batch);
    // A failure is taken up below, after the next batch is made: not an unhandled rejection meanwhile.
    booking.catch(() => undefined);
    batch = null;
    if (from + PART_ROWS < order.length) {
      // The next batch's requests are made and checked while the server books this one (after this turn, once
      // its first statement is sent). If that fails, this booking is waited for first: nothing of the file's
      // transaction may still be running when it rolls back.
      await new Promise(setImmediate);
      try {
        batch = checkBatch(requestsFrom(from + PART_ROWS));
      } catch (error) {
        await booking.catch(() => undefined);
        throw error;
      }
    }
    const results = await booking;
    const failed = results.find((r) => r.outcome !== 'booked');
    // Bank facts are always bookable (bank and suspense have no balance rule, a receipt only adds, and what the
    // ledger would reject is planned as an exception): anything else rolls the whole file back rather than booking
    // it in part, and the file is refused with the ledger's reason (the same file would fail the same way again).
    if (failed) {
      const entry = items.find((x) => x.planned.ledgerKey === failed.idempotencyKey)?.entry.entry;
      const where = entry ? `entry ${entry.entryIndex + 1} (line ${entry.line}, booking date ${entry.bookingDate ?? 'none'}, ${entry.amountText} ${entry.creditDebit})` : failed.idempotencyKey;
      throw new IngestError('file_not_bookable', `the ledger did not accept the booking of ${where}: ${failed.outcome === 'rejected' ? failed.error.message : failed.message}`, { ledgerKey: failed.idempotencyKey });
    }
  }
  await rows.settle();

  const paymentAlerts = await recordBankOutcomes(trx, settled, returned);

  const alerts = [
    ...plan.alerts,
    ...paymentAlerts.map((a) => ({ ...a, severity: 'warning' as const, statementIndex: null, details: {} })),
    ...(await ledgerBalanceAlerts(trx, plan)),
  ];
  for (const part of chunks(alerts)) {
    await trx
      .insertInto('bank_alert')
      .values(
        part.map((a) => ({
          file_id: fileId,
          statement_row: a.statementIndex === null ? null : (statementRows.get(a.statementIndex) ?? null),
          code: a.code,
          severity: a.severity,
          message: a.message,
          details: JSON.stringify(a.details),
        })),
      )
      .execute();
  }
  return alerts;
}

/**
 * `count` consecutive ids of `table`'s identity, reserved in one statement whatever the count (a `nextval` per
 * row cost ~1.5 s of a 100,000-entry file). Sound because only ingestion inserts entries and items, and always under
 * its lock: nobody takes a value from the sequence in between. The sequence is not transactional, so a rolled-back
 * file leaves a gap, as `nextval` did.
 */
async function reserveIds(trx: Trx, table: 'bank_entry' | 'bank_entry_item', count: number): Promise<bigint[]> {
  if (count === 0) return [];
  const { rows } = await sql<{ first: string | bigint }>`
    SELECT setval(pg_get_serial_sequence(${table}, 'id'), nextval(pg_get_serial_sequence(${table}, 'id')) + ${count - 1}::bigint) - ${count - 1}::bigint AS first`.execute(trx);
  const first = BigInt(rows[0]!.first);
  const ids = new Array<bigint>(count);
  for (let i = 0; i < count; i++) ids[i] = first + BigInt(i);
  return ids;
}

/** Rows per queued insert of entries or items, and ledger requests per batch. */
const PART_ROWS = 5_000;

/**
 * Waits until nothing of the file's rows is still queued (nothing may run after the rollback), then names the cause:
 * the first statement that failed, not the ones after it that failed only because the transaction was aborted.
 */
export async function firstCause(rows: InOrder, error: unknown): Promise<unknown> {
  try {
    await rows.settle();
  } catch (queued) {
    if (sqlState(queued) !== IN_FAILED_TRANSACTION) return queued;
  }
  return error;
}

const IN_FAILED_TRANSACTION = '25P02';

interface RowRange {
  readonly from: number;
  readonly to: number;
}

type Item = { readonly entry: PlannedEntry; readonly entryIndex: number; readonly planned: PlannedEntry['items'][number] };

/** The insert made now, sent when its turn comes (`InOrder`). */
function sendOn(trx: Trx, insert: RawBuilder<unknown> | null): Send {
  return async () => {
    await insert?.execute(trx);
  };
}

function sightingsInsert(trx: Trx, fileId: bigint, seen: readonly { report_key: string; report_kind: string; iban: string; fingerprint: string; seen: number }[]): Send {
  const insert = bulkInsert('bank_entry_sighting', {
    file_id: { type: 'bigint', values: seen.map(() => fileId) },
    report_key: { type: 'text', values: seen.map((x) => x.report_key) },
    report_kind: { type: 'text', values: seen.map((x) => x.report_kind) },
    iban: { type: 'text', values: seen.map((x) => x.iban) },
    fingerprint: { type: 'text', values: seen.map((x) => x.fingerprint) },
    seen: { type: 'integer', values: seen.map((x) => x.seen) },
  });
  return sendOn(trx, insert);
}

function entriesInsert(trx: Trx, fileId: bigint, all: IdentifiedPlan['newEntries'], allIds: readonly bigint[], range: RowRange, statementRows: ReadonlyMap<number, bigint>): Send {
  const entries = all.slice(range.from, range.to);
  const booked = (e: IdentifiedPlan['newEntries'][number]) => e.outcome === 'booked';
  const insert = bulkInsert(
    'bank_entry',
    {
      id: { type: 'bigint', values: allIds.slice(range.from, range.to) },
      iban: { type: 'text', values: entries.map((e) => e.iban) },
      fingerprint: { type: 'text', values: entries.map((e) => e.fingerprint) },
      signature: { type: 'text', values: entries.map((e) => e.shown.signature) },
      occurrence: { type: 'integer', values: entries.map((e) => e.occurrence) },
      generation: { type: 'integer', values: entries.map((e) => e.generation) },
      file_id: { type: 'bigint', values: entries.map(() => fileId) },
      statement_row: { type: 'bigint', values: entries.map((e) => statementRows.get(e.statementIndex)!) },
      entry_index: { type: 'integer', values: entries.map((e) => e.entry.entryIndex) },
      booking_date: { type: 'date', values: entries.map((e) => e.entry.bookingDate) },
      value_date: { type: 'date', values: entries.map((e) => e.entry.valueDate) },
      credit_debit: { type: 'text', values: entries.map((e) => e.entry.creditDebit) },
      amount_cents: { type: 'bigint', values: entries.map((e) => (booked(e) ? e.entry.amount!.cents : null)) },
      amount_text: { type: 'text', values: entries.map((e) => e.entry.amountText) },
      currency: { type: 'text', values: entries.map((e) => e.entry.currency) },
      reversal: { type: 'boolean', values: entries.map((e) => e.entry.reversal) },
      acct_svcr_ref: { type: 'text', values: entries.map((e) => e.entry.accountServicerReference) },
      entry_ref: { type: 'text', values: entries.map((e) => e.entry.entryReference) },
      bank_code: { type: 'text', values: entries.map((e) => bankCode(e.entry)) },
      additional_info: { type: 'text', values: entries.map((e) => e.entry.additionalInfo) },
      outcome: { type: 'text', values: entries.map((e) => e.outcome) },
      exception: { type: 'text', values: entries.map((e) => e.exception) },
      sighting_implied: { type: 'boolean', values: entries.map((e) => e.impliesSighting) },
    },
    { overridingIdentity: true },
  );
  return sendOn(trx, insert);
}

function itemsInsert(trx: Trx, all: readonly Item[], entryIds: readonly bigint[], allIds: readonly bigint[], range: RowRange): Send {
  const items = all.slice(range.from, range.to);
  const insert = bulkInsert(
    'bank_entry_item',
    {
      id: { type: 'bigint', values: allIds.slice(range.from, range.to) },
      entry_id: { type: 'bigint', values: items.map((x) => entryIds[x.entryIndex]!) },
      item_index: { type: 'integer', values: items.map((x) => x.planned.item.index) },
      amount_cents: { type: 'bigint', values: items.map((x) => x.planned.item.amount.cents) },
      credit_debit: { type: 'text', values: items.map((x) => x.planned.item.creditDebit) },
      booking_date: { type: 'date', values: items.map((x) => x.entry.entry.bookingDate!) },
      end_to_end_id: { type: 'text', values: items.map(({ planned: { item } }) => item.endToEndId ?? item.originalEndToEndId) },
      payment_info_id: { type: 'text', values: items.map((x) => x.planned.item.paymentInformationId) },
      counterparty_name: { type: 'text', values: items.map((x) => x.planned.item.counterpartyName) },
      counterparty_iban: { type: 'text', values: items.map((x) => x.planned.item.counterpartyIban) },
      remittance: { type: 'text', values: items.map((x) => x.planned.item.remittance) },
      creditor_reference: { type: 'text', values: items.map((x) => x.planned.item.creditorReferences[0]?.reference ?? null) },
      return_reason: { type: 'text', values: items.map((x) => x.planned.item.returnReason) },
      destination: { type: 'text', values: items.map((x) => x.planned.decision.destination) },
      match_rule: { type: 'text', values: items.map((x) => x.planned.decision.rule) },
      match_detail: {
        type: 'jsonb',
        values: items.map(({ planned: { decision } }) => JSON.stringify(decision.destination === 'suspense' ? { reason: decision.reason, ...decision.detail } : decision.detail)),
      },
      client_id: { type: 'bigint', values: items.map(({ planned: { decision: d } }) => (d.destination === 'client' || d.destination === 'return' ? d.clientId : null)) },
      gemeente_id: { type: 'text', values: items.map(({ planned: { decision: d } }) => (d.destination === 'client' || d.destination === 'return' ? d.gemeenteId : null)) },
      income_type: { type: 'text', values: items.map((x) => (x.planned.decision.destination === 'client' ? x.planned.decision.incomeType : null)) },
      ledger_key: { type: 'text', values: items.map((x) => x.planned.ledgerKey) },
    },
    { overridingIdentity: true },
  );
  return sendOn(trx, insert);
}

function describe(entry: PlannedEntry, planned: PlannedEntry['items'][number]): string {
  const what = planned.item.kind === 'return' ? `return (${planned.item.returnReason ?? 'no reason'})` : planned.item.creditDebit === 'CRDT' ? 'receipt' : 'debit';
  const d = planned.decision;
  const where =
    d.destination === 'client' ? `${d.incomeType} for the client (${d.rule})`
    : d.destination === 'settlement' ? `settles ${d.match.instructionIds.length} of our payment(s)`
    : d.destination === 'return' ? `our payment came back: ${d.match.reasonText}`
    : `to suspense: ${d.reason}`;
  return `bank ${what} ${entry.entry.accountServicerReference ?? entry.entry.entryReference ?? ''} — ${where}`.slice(0, 500);
}

/**
 * The bank's closing balance of each statement against the ledger's balance of that bank
 * account on the statement's date (by booking date). A difference means something was
 * missed or booked wrongly; it is raised, never smoothed over.
 */
async function ledgerBalanceAlerts(trx: Trx, plan: IngestPlan): Promise<PlannedAlert[]> {
  const alerts: PlannedAlert[] = [];
  for (const s of plan.statements) {
    const closing = s.statement.closingBalance;
    if (s.reportKind !== 'statement' || !closing?.signedAmount || !closing.date) continue;
    const ledger = (await balanceOnDate(trx, s.bankAccountId, closing.date)).posted;
    if (!ledger.equals(closing.signedAmount)) {
      const difference = closing.signedAmount.minus(ledger);
      alerts.push({
        code: 'ledger_balance_differs',
        severity: 'error',
        statementIndex: s.statement.index,
        message: `statement ${s.statement.id} of ${s.iban} closes on ${closing.date} at ${closing.signedAmount.toString()}, but the ledger holds ${ledger.toString()} for that account on that date (difference ${difference.toString()})`,
        details: { bank: closing.signedAmount.toString(), ledger: ledger.toString(), difference: difference.toString(), date: closing.date },
      });
    }
  }
  return alerts;
}

export async function lockIngestion(trx: Trx): Promise<void> {
  // One ingestion at a time: the counting rule reads what earlier files saw, so two files must not interleave.
  await sql`SELECT pg_advisory_xact_lock(7270011)`.execute(trx);
}

