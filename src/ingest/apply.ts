import { sql } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import { allocateIds, insertColumns } from '../db/bulk-insert.js';
import type { Trx } from '../db/transaction.js';
import { balanceOnDate, bookBatch, transferBetween, type LedgerRequest } from '../ledger/index.js';
import { lockPlannedOutcomes, recordBankOutcomes, type ReturnedItem, type SettledItem } from '../payments/reconcile.js';
import { IngestError } from './errors.js';
import type { IngestPlan, PlannedAlert, PlannedEntry } from './plan.js';

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

/**
 * Writes a plan made under the ingest lock: statements, sightings, the new entries and their
 * items, one ledger booking per item (bank ↔ client or suspense), then the balance checks.
 * All in the caller's transaction: a crash anywhere leaves nothing of the file behind.
 */
export async function applyPlan(trx: Trx, fileId: bigint, plan: IngestPlan): Promise<PlannedAlert[]> {
  const statementRows = new Map<number, bigint>();
  for (const part of chunks(plan.statements)) {
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
  for (const s of plan.statements) {
    for (const { reportKey, fingerprint, seen } of s.sightings) {
      const key = `${reportKey}|${fingerprint}`;
      const prior = sightings.get(key);
      if (!prior || prior.seen < seen) sightings.set(key, { report_key: reportKey, report_kind: s.reportKind, iban: s.iban, fingerprint, seen });
    }
  }
  const seen = [...sightings.values()];
  await insertColumns(trx, 'bank_entry_sighting', {
    file_id: { type: 'bigint', values: seen.map(() => fileId) },
    report_key: { type: 'text', values: seen.map((x) => x.report_key) },
    report_kind: { type: 'text', values: seen.map((x) => x.report_kind) },
    iban: { type: 'text', values: seen.map((x) => x.iban) },
    fingerprint: { type: 'text', values: seen.map((x) => x.fingerprint) },
    seen: { type: 'integer', values: seen.map((x) => x.seen) },
  });

  // Ids first, so that items can name their entry without reading the entries back.
  const entries = plan.newEntries;
  const entryIds = await allocateIds(trx, 'bank_entry', entries.length);
  const booked = (e: PlannedEntry) => e.outcome === 'booked';
  await insertColumns(
    trx,
    'bank_entry',
    {
      id: { type: 'bigint', values: entryIds },
      iban: { type: 'text', values: entries.map((e) => e.iban) },
      fingerprint: { type: 'text', values: entries.map((e) => e.fingerprint) },
      signature: { type: 'text', values: entries.map((e) => e.signature) },
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
    },
    { overridingIdentity: true },
  );

  const items = entries.flatMap((e, i) => e.items.map((planned) => ({ entry: e, entryId: entryIds[i]!, planned })));
  const itemIds = await allocateIds(trx, 'bank_entry_item', items.length);
  await insertColumns(
    trx,
    'bank_entry_item',
    {
      id: { type: 'bigint', values: itemIds },
      entry_id: { type: 'bigint', values: items.map((x) => x.entryId) },
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
      client_id: { type: 'bigint', values: items.map((x) => (x.planned.decision.destination === 'client' || x.planned.decision.destination === 'return' ? x.planned.decision.clientId : null)) },
      gemeente_id: { type: 'text', values: items.map((x) => (x.planned.decision.destination === 'client' || x.planned.decision.destination === 'return' ? x.planned.decision.gemeenteId : null)) },
      income_type: { type: 'text', values: items.map((x) => (x.planned.decision.destination === 'client' ? x.planned.decision.incomeType : null)) },
      ledger_key: { type: 'text', values: items.map((x) => x.planned.ledgerKey) },
    },
    { overridingIdentity: true },
  );

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

  const requests: LedgerRequest[] = items.map(({ entry, planned }) => {
    const statement = statementsByIndex.get(entry.statementIndex)!;
    const { item, decision } = planned;
    const counter = counterAccount(decision, statement.suspenseAccountId);
    const incoming = item.creditDebit === 'CRDT';
    return transferBetween({
      idempotencyKey: planned.ledgerKey,
      bookingDate: entry.entry.bookingDate!,
      description: describe(entry, planned),
      debit: incoming ? statement.bankAccountId : counter,
      credit: incoming ? counter : statement.bankAccountId,
      amount: item.amount,
    });
  });
  for (const part of chunks(requests, 5_000)) {
    const results = await bookBatch(trx, part);
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

