import type { Migration } from 'kysely';
import * as m0001 from './0001_ledger.js';
import * as m0002 from './0002_ledger_seal.js';
import * as m0003 from './0003_bank_ingest.js';
import * as m0004 from './0004_payments.js';
import * as m0005 from './0005_clients.js';
import * as m0006 from './0006_auth.js';
import * as m0007 from './0007_statements.js';
import * as m0008 from './0008_maatwerk.js';
import * as m0009 from './0009_noodvoorziening.js';
import * as m0010 from './0010_payment_status_reports.js';
import * as m0011 from './0011_monitor_indexes.js';
import * as m0012 from './0012_suspense_refunds.js';
import * as m0013 from './0013_webhooks.js';
import * as m0014 from './0014_ledger_postings_in_one_statement.js';
import * as m0015 from './0015_webhook_secret_sealed.js';
import * as m0016 from './0016_payment_event_ledger_key.js';
import * as m0017 from './0017_payment_file_handed_over.js';
import * as m0018 from './0018_bank_entry_identity_v2.js';
import * as m0019 from './0019_payment_instruction_not_paid_idx.js';
import * as m0020 from './0020_ledger_checks_per_batch.js';
import * as m0023 from './0023_payment_batch_release_failure.js';
import * as m0024 from './0024_payment_references_per_statement.js';
import * as m0025 from './0025_bank_references_per_statement.js';
import * as m0026 from './0026_payment_batch_assembling.js';
import * as m0027 from './0027_bank_file_parts.js';
import * as m0028 from './0028_account_fillfactor.js';
import * as m0029 from './0029_payment_event_batch_index.js';
import * as m0030 from './0030_payment_file_deflated.js';
import * as m0031 from './0031_iban_checks_without_bounds.js';
import * as m0032 from './0032_bank_file_part_nul.js';
import * as m0033 from './0033_sighting_key_by_fingerprint.js';
import * as m0034 from './0034_sighting_implied_by_entries.js';

/**
 * Every migration, in order. Listed here rather than read from the file system so
 * that the compiled service, the tests and the embedded database run the same set.
 * A landed migration is never edited: add a new one.
 */
export const migrations: Record<string, Migration> = {
  '0001_ledger': m0001,
  '0002_ledger_seal': m0002,
  '0003_bank_ingest': m0003,
  '0004_payments': m0004,
  '0005_clients': m0005,
  '0006_auth': m0006,
  '0007_statements': m0007,
  '0008_maatwerk': m0008,
  '0009_noodvoorziening': m0009,
  '0010_payment_status_reports': m0010,
  '0011_monitor_indexes': m0011,
  '0012_suspense_refunds': m0012,
  '0013_webhooks': m0013,
  '0014_ledger_postings_in_one_statement': m0014,
  '0015_webhook_secret_sealed': m0015,
  '0016_payment_event_ledger_key': m0016,
  '0017_payment_file_handed_over': m0017,
  '0018_bank_entry_identity_v2': m0018,
  '0019_payment_instruction_not_paid_idx': m0019,
  '0020_ledger_checks_per_batch': m0020,
  '0023_payment_batch_release_failure': m0023,
  '0024_payment_references_per_statement': m0024,
  '0025_bank_references_per_statement': m0025,
  '0026_payment_batch_assembling': m0026,
  '0027_bank_file_parts': m0027,
  '0028_account_fillfactor': m0028,
  '0029_payment_event_batch_index': m0029,
  '0030_payment_file_deflated': m0030,
  '0031_iban_checks_without_bounds': m0031,
  '0032_bank_file_part_nul': m0032,
  '0033_sighting_key_by_fingerprint': m0033,
  '0034_sighting_implied_by_entries': m0034,
};
