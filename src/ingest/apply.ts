import { sql } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import type { Trx } from '../db/transaction.js';
import { balanceOnDate, bookBatch, transferBetween, type LedgerRequest } from '../ledger/index.js';
import { recordBankOutcomes, type ReturnedItem, type SettledItem } from '../payments/reconcile.js';
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
    for (const [fingerprint, seen] of s.sightings) {
      const key = `${s.reportKey}|${fingerprint}`;
      const prior = sightings.get(key);
      if (!prior || prior.seen < seen) sightings.set(key, { report_key: s.reportKey, report_kind: s.reportKind, iban: s.iban, fingerprint, seen });
    }
  }
  for (const part of chunks([...sightings.values()])) {
    await trx.insertInto('bank_entry_sighting').values(part.map((s) => ({ file_id: fileId, ...s }))).execute();
  }

  const entryIds: bigint[] = [];
  for (const part of chunks(plan.newEntries)) {
    const inserted = await trx
      .insertInto('bank_entry')
      .values(
        part.map((e) => ({
          iban: e.iban,
          fingerprint: e.fingerprint,
          signature: e.signature,
          occurrence: e.occurrence,
          generation: e.generation,
          file_id: fileId,
          statement_row: statementRows.get(e.statementIndex)!,
          entry_index: e.entry.entryIndex,
          booking_date: e.entry.bookingDate,
          value_date: e.entry.valueDate,
          credit_debit: e.entry.creditDebit,
          amount_cents: e.outcome === 'booked' ? e.entry.amount!.cents : null,
          amount_text: e.entry.amountText,
          currency: e.entry.currency,
          reversal: e.entry.reversal,
          acct_svcr_ref: e.entry.accountServicerReference,
          entry_ref: e.entry.entryReference,
          bank_code: bankCode(e.entry),
          additional_info: e.entry.additionalInfo,
          outcome: e.outcome,
          exception: e.exception,
        })),
      )
      .returning('id')
      .execute();
    // Multi-row INSERT … RETURNING answers in the order of VALUES.
    for (const row of inserted) entryIds.push(row.id);
  }

  const items = plan.newEntries.flatMap((e, i) => e.items.map((planned) => ({ entry: e, entryId: entryIds[i]!, planned })));
  const itemIds: bigint[] = [];
  for (const part of chunks(items)) {
    const inserted = await trx
      .insertInto('bank_entry_item')
      .values(
        part.map(({ entry, entryId, planned }) => {
          const { item, decision } = planned;
          const toClient = decision.destination === 'client' || decision.destination === 'return';
          return {
            entry_id: entryId,
            item_index: item.index,
            amount_cents: item.amount.cents,
            credit_debit: item.creditDebit,
            booking_date: entry.entry.bookingDate!,
            end_to_end_id: item.endToEndId ?? item.originalEndToEndId,
            payment_info_id: item.paymentInformationId,
            counterparty_name: item.counterpartyName,
            counterparty_iban: item.counterpartyIban,
            remittance: item.remittance,
            creditor_reference: item.creditorReferences[0]?.reference ?? null,
            return_reason: item.returnReason,
            destination: decision.destination,
            match_rule: decision.rule,
            match_detail: JSON.stringify(decision.destination === 'suspense' ? { reason: decision.reason, ...decision.detail } : decision.detail),
            client_id: toClient ? decision.clientId : null,
            gemeente_id: toClient ? decision.gemeenteId : null,
            income_type: decision.destination === 'client' ? decision.incomeType : null,
            ledger_key: planned.ledgerKey,
          };
        }),
      )
      .returning('id')
      .execute();
    for (const row of inserted) itemIds.push(row.id);
  }

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
    // Bank facts are always bookable (bank and suspense have no balance rule, a receipt only adds):
    // anything else is a defect, and the whole file is rolled back rather than booked in part.
    if (failed) throw new Error(`booking ${failed.idempotencyKey} was not accepted: ${failed.outcome === 'rejected' ? failed.error.message : failed.message}`);
  }

  const settled: SettledItem[] = [];
  const returned: ReturnedItem[] = [];
  items.forEach(({ entry, planned }, n) => {
    const d = planned.decision;
    if (d.destination === 'settlement') settled.push({ itemId: itemIds[n]!, ledgerKey: planned.ledgerKey, match: d.match });
    if (d.destination === 'return') returned.push({ itemId: itemIds[n]!, ledgerKey: planned.ledgerKey, bookingDate: entry.entry.bookingDate!, match: d.match });
  });
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

