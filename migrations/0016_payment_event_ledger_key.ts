import { sql, type Kysely } from 'kysely';

/**
 * 0016: `payment_event.ledger_key` is how a bank file's items find the payments they settled or returned:
 * undoing a statement (`undoSettlements`), the check that refuses to undo one that returned a payment
 * (`paymentsReturnedBy`) and whether a returned payment's debit is still booked (`withLiveSettlement`)
 * all look events up by it. Without an index each of them scans every payment event ever written.
 * Partial: most events (approved, retried, …) carry no ledger key.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`CREATE INDEX payment_event_ledger_key_idx ON payment_event (ledger_key) WHERE ledger_key IS NOT NULL`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX payment_event_ledger_key_idx`.execute(db);
}
