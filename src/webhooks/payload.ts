/**
 * What a webhook request carries: that a signal arose for a client, and where to read it. Privacy by
 * design (rule 13): no name, BSN, IBAN, reference, amount or message text, not even the signal's own
 * key (it can hold a legal basis): only ids, the kind, the gemeente and dates. The receiver reads
 * the details with a caseworker's token through the API, where scope is checked and the read audited.
 */
export interface NoticeFacts {
  readonly eventId: string;
  readonly organisation: string;
  readonly gemeenteId: string;
  readonly clientId: bigint;
  readonly signalKind: string;
  readonly aroseOn: string;
  readonly recordedAt: Date;
}

export interface NoticePayload {
  readonly id: string;
  readonly type: 'signal';
  readonly organisation: string;
  readonly gemeente: string;
  readonly client: { readonly id: string };
  readonly signal: { readonly kind: string; readonly aroseOn: string };
  readonly recordedAt: string;
  /** Paths on this API; the receiver prefixes its base URL and sends a caseworker's bearer token. */
  readonly links: { readonly client: string; readonly statement: string; readonly signals: string };
}

export function noticePayload(notice: NoticeFacts): NoticePayload {
  const client = notice.clientId.toString();
  const query = new URLSearchParams({ kind: notice.signalKind, gemeente: notice.gemeenteId });
  return {
    id: notice.eventId,
    type: 'signal',
    organisation: notice.organisation,
    gemeente: notice.gemeenteId,
    client: { id: client },
    signal: { kind: notice.signalKind, aroseOn: notice.aroseOn },
    recordedAt: notice.recordedAt.toISOString(),
    links: { client: `/api/clients/${client}`, statement: `/api/clients/${client}/statement`, signals: `/api/signals?${query.toString()}` },
  };
}

/** The exact bytes sent and signed: the same notice gives the same body on every attempt. */
export function noticeBody(notice: NoticeFacts): string {
  return JSON.stringify(noticePayload(notice));
}
