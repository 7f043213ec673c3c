import type { AllocationTables } from '../allocation/rows.js';
import type { AuthTables } from '../auth/rows.js';
import type { BatchTables } from '../batch/rows.js';
import type { ClientTables } from '../clients/rows.js';
import type { IngestTables } from '../ingest/rows.js';
import type { SuspenseRefundTables } from '../ingest/suspense.js';
import type { LedgerTables } from '../ledger/rows.js';
import type { MaatwerkTables } from '../maatwerk/rows.js';
import type { NoodvoorzieningTables } from '../noodvoorziening/rows.js';
import type { PaymentTables } from '../payments/rows.js';
import type { StatusReportTables } from '../payments/status-reports.js';
import type { WebhookTables } from '../webhooks/rows.js';

/** The whole schema, assembled from the row types each capability owns. */
export interface Database extends LedgerTables, ClientTables, IngestTables, PaymentTables, AllocationTables, BatchTables, AuthTables, StatusReportTables, MaatwerkTables, NoodvoorzieningTables, SuspenseRefundTables, WebhookTables {}
