import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The webhooks capability's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type WebhookErrorCode = 'invalid_webhook_url' | 'invalid_webhook' | 'webhook_not_found' | 'webhook_notice_not_found' | 'webhook_key_missing' | 'webhook_secret_unreadable';

export const WEBHOOK_ERRORS: ErrorCatalogue<WebhookErrorCode> = {
  invalid_webhook_url: {
    status: 422,
    description:
      'The webhook URL cannot be used: it must be https:// (http:// only to 127.0.0.1, ::1 or localhost with ONTZORG_WEBHOOK_ALLOW_LOCAL), carry no user name or password, and its host must resolve only to public addresses (no private, loopback, link-local or other reserved address unless ONTZORG_WEBHOOK_ALLOW_LOCAL is on). The message says which. Nothing was changed.',
  },
  invalid_webhook: {
    status: 422,
    description: 'The webhook cannot be set as given: a new webhook needs its signing secret, a gemeente it names is unknown, …; the message says what. Nothing was changed.',
  },
  webhook_not_found: {
    status: 404,
    description: 'The organisation has no webhook that you may manage: none is set, or it carries signals of a gemeente that is not one of yours.',
  },
  webhook_notice_not_found: { status: 404, description: 'The organisation\'s webhook has no delivery (signal notice) with this id.' },
  webhook_key_missing: {
    status: 503,
    description: 'A webhook\'s signing secret is kept encrypted with a key derived from the service\'s data key (ONTZORG_BSN_KEY), and this service has none: an administrator of the service sets ONTZORG_BSN_KEY and ONTZORG_BSN_HASH_KEY. Nothing was changed.',
  },
  webhook_secret_unreadable: {
    status: 500,
    description: 'The stored webhook secret cannot be opened with this service\'s data key (another key, or altered data). Set the secret again (PUT the webhook with a new secret). Nothing was changed.',
  },
};

/**
 * A refusal of the webhooks capability. `statusCode` comes from the catalogue, so the HTTP door's
 * problem handler answers it with its status and code like any request error it knows.
 */
export class WebhookError extends CatalogueError<WebhookErrorCode> {
  readonly title = 'Webhook not accepted';
  protected readonly catalogue = WEBHOOK_ERRORS;
}
