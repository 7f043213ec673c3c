import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import type { IsoDate } from '../schedule/index.js';
import { rowToGrant, type Grant } from './grants.js';
import type { GrantStatus, RepaymentKind } from './rows.js';

/** Reading grants: a client's with what is still owed and every repayment, the approvers' list, the statement's summary. */

export interface Repayment {
  readonly kind: RepaymentKind;
  readonly amount: Money;
  readonly bookedOn: IsoDate;
  readonly leefgeldDate: IsoDate | null;
}

export interface GrantWithRepayments extends Grant {
  /** `paid` once the bank has the payment (released or settled); otherwise the decision's status. */
  readonly shownStatus: GrantStatus | 'paid';
  readonly repaid: Money;
  /** An advance's amount still owed (zero for a gift or a grant not approved). */
  readonly outstanding: Money;
  readonly repayments: readonly Repayment[];
}

type GrantRow = Parameters<typeof rowToGrant>[0] & { instruction_status: string | null; repaid: bigint | string | null };

function withRepayments(row: GrantRow, repayments: readonly Repayment[]): GrantWithRepayments {
  const grant = rowToGrant(row);
  const repaid = Money.fromCents(BigInt(row.repaid ?? 0));
  const paid = row.instruction_status === 'released' || row.instruction_status === 'settled';
  return {
    ...grant,
    shownStatus: grant.status === 'approved' && paid ? 'paid' : grant.status,
    repaid,
    outstanding: grant.kind === 'advance' && grant.status === 'approved' ? grant.amount.minus(repaid) : Money.ZERO,
    repayments,
  };
}

const grantColumns = sql`g.*, i.status AS instruction_status, (SELECT sum(r.amount_cents) FROM noodvoorziening_repayment r WHERE r.grant_id = g.id) AS repaid`;

/** Every noodvoorziening of a client, oldest first, with its repayments. */
export async function grantsOfClient(db: Kysely<Database> | Trx, clientId: bigint): Promise<GrantWithRepayments[]> {
  const { rows } = await sql<GrantRow>`
    SELECT ${grantColumns} FROM noodvoorziening_grant g LEFT JOIN payment_instruction i ON i.id = g.instruction_id
     WHERE g.client_id = ${clientId.toString()}::bigint ORDER BY g.id
  `.execute(db);
  const repayments = await db.selectFrom('noodvoorziening_repayment').selectAll().where('client_id', '=', clientId).orderBy('booked_on').orderBy('created_at').execute();
  return rows.map((row) =>
    withRepayments(
      row,
      repayments.filter((r) => r.grant_id === row.id).map((r) => ({ kind: r.kind, amount: Money.fromCents(r.amount_cents), bookedOn: r.booked_on, leefgeldDate: r.leefgeld_date })),
    ),
  );
}

/** One grant (null when there is none), for a door to check scope before it acts. */
export async function findGrant(db: Kysely<Database> | Trx, grantId: bigint): Promise<Grant | null> {
  const row = await db.selectFrom('noodvoorziening_grant').selectAll().where('id', '=', grantId).executeTakeFirst();
  return row ? rowToGrant(row) : null;
}

/** The approvers' list: grants of the given gemeenten, optionally of one status, by id after a cursor. */
export async function listGrants(db: Kysely<Database> | Trx, query: { gemeenten: readonly string[]; status?: GrantStatus; after?: bigint; limit: number }): Promise<GrantWithRepayments[]> {
  if (query.gemeenten.length === 0) return [];
  const { rows } = await sql<GrantRow>`
    SELECT ${grantColumns} FROM noodvoorziening_grant g LEFT JOIN payment_instruction i ON i.id = g.instruction_id
     WHERE g.gemeente_id = ANY(${[...query.gemeenten]}::text[])
       ${query.status ? sql`AND g.status = ${query.status}` : sql``}
       ${query.after !== undefined ? sql`AND g.id > ${query.after.toString()}::bigint` : sql``}
     ORDER BY g.id LIMIT ${query.limit}
  `.execute(db);
  return rows.map((row) => withRepayments(row, []));
}

/** What a statement says about a client's advances (rule 11), or null when the client never had one approved. */
export interface AdvanceTerms {
  /** The first approved advance's day. */
  readonly grantedOn: IsoDate;
  readonly granted: Money;
  readonly outstanding: Money;
  /** What each leefgeld payment repays now (the open advances' instalments together); zero when nothing is open. */
  readonly instalment: Money;
  /** When ontzorgen ended with this much open and the gemeente took it over as a claim. */
  readonly handedOverOn: IsoDate | null;
}

export async function advanceTermsOf(db: Kysely<Database> | Trx, clientId: bigint): Promise<AdvanceTerms | null> {
  const grants = (await grantsOfClient(db, clientId)).filter((g) => g.kind === 'advance' && g.status === 'approved');
  if (grants.length === 0) return null;
  const open = grants.filter((g) => g.outstanding.isPositive());
  return {
    grantedOn: grants[0]!.decidedOn ?? grants[0]!.requestedOn,
    granted: Money.sum(grants.map((g) => g.amount)),
    outstanding: Money.sum(open.map((g) => g.outstanding)),
    instalment: Money.sum(open.filter((g) => g.handedOverOn === null).map((g) => g.instalment ?? Money.ZERO)),
    handedOverOn: open.find((g) => g.handedOverOn !== null)?.handedOverOn ?? null,
  };
}
