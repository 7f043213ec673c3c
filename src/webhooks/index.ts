/** The webhooks capability's public functions; doors import from here. */
export { checkWebhookUrl, isPublicAddress, parseWebhookUrl, STRICT_WEBHOOKS, type WebhookSettings } from './address.js';
export { listDeliveries, redeliverNotice, type Delivery, type DeliveryAttempt } from './deliveries.js';
export {
  backoffDelay,
  classifyAnswer,
  DELIVERY_ATTEMPTS,
  DELIVERY_BACKOFF_MS,
  DELIVERY_TIMEOUT_MS,
  deliverNotice,
  dueNoticeIds,
  markQueued,
  noticesToQueue,
  type DeliveryOptions,
  type DeliveryOutcome,
} from './delivery.js';
export { WEBHOOK_ERRORS, WebhookError, type WebhookErrorCode } from './errors.js';
export { recordSignalNotices, recordSignalNoticesEverywhere, type RecordedNotices } from './notices.js';
export { noticeBody, noticePayload, type NoticeFacts, type NoticePayload } from './payload.js';
export type { NoticeStatus } from './rows.js';
export { REPLAY_WINDOW_SECONDS, signNotice, verifyNoticeSignature, WEBHOOK_HEADERS, type SignatureCheck } from './signature.js';
export { openWebhookSecret, sealWebhookSecret, webhookSecretKeyFrom, type WebhookSecretKey } from './secret-seal.js';
export { checkedWebhookUrl, coveredBy, removeWebhook, sealStoredWebhookSecrets, setWebhook, signingSecret, webhookOf, type CheckedWebhookUrl, type WebhookChange, type WebhookConfig, type WebhookInput } from './webhooks.js';
