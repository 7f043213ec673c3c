import type { Generated } from 'kysely';

/** Row shapes of the webhook tables (migration 0013). */

export type NoticeStatus = 'pending' | 'delivered' | 'failed' | 'cancelled';
export type AttemptOutcome = 'delivered' | 'retry' | 'failed';

export interface OrganisationWebhookTable {
  id: Generated<bigint>;
  organisation: string;
  url: string;
  /**
   * The signing secret as given, only on a webhook set before migration 0015 and not yet sealed.
   * Never answered, logged or audited. Null once removed.
   */
  secret: string | null;
  /** The signing secret, sealed (src/webhooks/secret-seal.ts); null once removed. */
  secret_sealed: string | null;
  active: boolean;
  kinds: string[];
  gemeenten: string[];
  created_at: Generated<Date>;
  created_by: string;
  updated_at: Generated<Date>;
  updated_by: string;
  secret_changed_at: Generated<Date>;
  deleted_at: Date | null;
  deleted_by: string | null;
}

export interface WebhookNoticeTable {
  id: Generated<bigint>;
  event_id: Generated<string>;
  webhook_id: bigint;
  organisation: string;
  gemeente_id: string;
  client_id: bigint;
  signal_kind: string;
  signal_key: string;
  arose_on: string;
  recorded_at: Generated<Date>;
  status: Generated<NoticeStatus>;
  round: Generated<number>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  lease_until: Date | null;
  queued_at: Date | null;
  delivered_at: Date | null;
  finished_at: Date | null;
  last_status_code: number | null;
  last_error: string | null;
}

export interface WebhookDeliveryTable {
  id: Generated<bigint>;
  notice_id: bigint;
  round: number;
  attempt: number;
  started_at: Date;
  duration_ms: number;
  status_code: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  response_excerpt: string | null;
}

export interface WebhookTables {
  organisation_webhook: OrganisationWebhookTable;
  webhook_notice: WebhookNoticeTable;
  webhook_delivery: WebhookDeliveryTable;
}
