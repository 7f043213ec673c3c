/**
 * Who is asking, from a verified token. Roles (issue 7): the social service's back office
 * (administrator, operator, approver, auditor), Vluchtelingenwerk's caseworkers, and the client.
 */
export const ROLES = ['administrator', 'operator', 'approver', 'auditor', 'caseworker', 'client'] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  readonly userId: string;
  readonly role: Role;
  /** The gemeenten (GMnnnn) whose clients this person works for; back office and caseworkers. */
  readonly gemeenten: readonly string[];
  /** A caseworker's organisation (for example "Vluchtelingenwerk Zuidwest-Nederland") and team. */
  readonly organisation: string | null;
  readonly team: string | null;
  /** The client role: whose statement this is. */
  readonly clientId: bigint | null;
}

export type Action =
  | 'bank_files:upload'
  | 'bank_files:read'
  | 'bank_files:undo'
  | 'status_reports:upload'
  | 'status_reports:read'
  | 'suspense:read'
  | 'suspense:assign'
  | 'suspense:send-back'
  | 'batches:read'
  | 'batches:approve'
  | 'batches:reject'
  | 'batches:release'
  | 'batches:mark-bank-rejected'
  | 'payments:read'
  | 'payments:retry'
  | 'clients:read'
  | 'clients:write'
  | 'audit:read'
  | 'queues:manage'
  | 'statements:read'
  | 'statements:own'
  | 'signals:read'
  | 'gemeenten:read'
  | 'policy:write'
  | 'maatwerk:decide'
  | 'maatwerk:read'
  | 'noodvoorziening:grant'
  | 'noodvoorziening:approve'
  | 'noodvoorziening:read'
  | 'noodvoorziening:list'
  | 'monitor:read'
  | 'webhooks:manage';

/** Least privilege: what each role may do. Scope (gemeente, own clients, own statement) is checked on top. */
export const PERMISSIONS: Readonly<Record<Action, readonly Role[]>> = {
  'bank_files:upload': ['operator', 'administrator'],
  'bank_files:read': ['operator', 'approver', 'administrator', 'auditor'],
  'bank_files:undo': ['operator', 'administrator'],
  // The bank's pain.002 status reports: uploaded like bank statements; what they did is read like batches.
  'status_reports:upload': ['operator', 'administrator'],
  'status_reports:read': ['operator', 'approver', 'administrator', 'auditor'],
  'suspense:read': ['operator', 'approver', 'administrator', 'auditor'],
  'suspense:assign': ['operator', 'approver'],
  // Sending a receipt back to its payer makes a payment: whoever may assign may send back; the batch that pays it
  // is approved by someone else (four eyes, payments/refunds.ts).
  'suspense:send-back': ['operator', 'approver'],
  'batches:read': ['operator', 'approver', 'administrator', 'auditor'],
  'batches:approve': ['approver'],
  'batches:reject': ['approver'],
  'batches:release': ['operator'],
  'batches:mark-bank-rejected': ['operator'],
  'payments:read': ['operator', 'approver', 'auditor', 'administrator'],
  'payments:retry': ['operator'],
  'clients:read': ['operator', 'approver', 'administrator', 'auditor', 'caseworker', 'client'],
  'clients:write': ['operator', 'administrator'],
  'audit:read': ['auditor'],
  // The job queues hold every gemeente's work (a job is not scoped to one): the service's administrators only, audited.
  'queues:manage': ['administrator'],
  // A client's statement: the back office and caseworkers for the clients in their scope; the client only through /api/me.
  'statements:read': ['operator', 'approver', 'administrator', 'auditor', 'caseworker', 'client'],
  'statements:own': ['client'],
  'signals:read': ['operator', 'approver', 'administrator', 'auditor', 'caseworker'],
  'gemeenten:read': ['operator', 'approver', 'administrator', 'auditor'],
  'policy:write': ['administrator'],
  // A maatwerk decision is the back office's (operator, administrator); approvers and auditors read it, a
  // caseworker for their own clients, the client their own (scope checked by the route).
  'maatwerk:decide': ['operator', 'administrator'],
  'maatwerk:read': ['operator', 'approver', 'administrator', 'auditor', 'caseworker', 'client'],
  // A noodvoorziening is asked for (and an early repayment decided) by the back office; above the gemeente's
  // threshold an approver approves or refuses it (four eyes). A client's grants: whoever may see the client.
  'noodvoorziening:grant': ['operator', 'administrator'],
  'noodvoorziening:approve': ['approver'],
  'noodvoorziening:read': ['operator', 'approver', 'administrator', 'auditor', 'caseworker', 'client'],
  'noodvoorziening:list': ['operator', 'approver', 'administrator', 'auditor'],
  // The monitor per gemeente (aggregates for the evaluation and P*Q financing): the back office and auditors.
  'monitor:read': ['operator', 'approver', 'administrator', 'auditor'],
  // An organisation's webhook for caseworker signals (where notices go, its secret, its deliveries): administrators only.
  'webhooks:manage': ['administrator'],
};

export function may(principal: Principal, action: Action): boolean {
  return PERMISSIONS[action].includes(principal.role);
}

export class AuthError extends Error {
  constructor(
    readonly code: 'unauthenticated' | 'forbidden' | 'auth_not_configured',
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Reads the claims of a verified token into a principal; anything unexpected is refused. */
export function principalFromClaims(claims: Record<string, unknown>): Principal {
  const sub = claims['sub'];
  const role = claims['role'];
  if (typeof sub !== 'string' || sub.length === 0) throw new AuthError('unauthenticated', 'the token names no user (sub)');
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new AuthError('unauthenticated', 'the token carries no known role');
  const gemeenten = Array.isArray(claims['gemeenten']) ? claims['gemeenten'].filter((g): g is string => typeof g === 'string' && /^GM\d{4}$/.test(g)) : [];
  const clientClaim = claims['client_id'];
  const clientId = typeof clientClaim === 'string' && /^\d{1,18}$/.test(clientClaim) ? BigInt(clientClaim) : null;
  if (role === 'client' && clientId === null) throw new AuthError('unauthenticated', 'a client token must name the client (client_id)');
  if (role === 'caseworker' && typeof claims['org'] !== 'string') throw new AuthError('unauthenticated', 'a caseworker token must name the organisation (org)');
  return {
    userId: sub,
    role: role as Role,
    gemeenten,
    organisation: typeof claims['org'] === 'string' ? claims['org'] : null,
    team: typeof claims['team'] === 'string' ? claims['team'] : null,
    clientId,
  };
}
