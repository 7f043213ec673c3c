import type { Kysely, Selectable } from 'kysely';
import { sqlState } from '../db/errors.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { NoodvoorzieningError } from './errors.js';
import type { NoodvoorzieningPolicyTable, OpenAdvanceAtEnd } from './rows.js';

/**
 * A gemeente's noodvoorziening policy, next to its withholding policy (src/clients/policy.ts) but in its own
 * table: it is local policy (whether a bridge is a gift or a loan is the gemeente's choice, per the Nationale
 * ombudsman's finding), and a gemeente without one cannot grant anything.
 */
export interface NoodvoorzieningPolicy {
  readonly gemeenteId: string;
  readonly giftsAllowed: boolean;
  readonly maxPerGrant: Money;
  /** Per client, within the rolling `periodMonths` months up to the day of a request (refused grants do not count). */
  readonly maxPerPeriod: Money;
  readonly periodMonths: number;
  /** A grant above this needs a second person's approval (four eyes). */
  readonly fourEyesAbove: Money;
  /** Per leefgeld payment: what the client keeps at least while an advance is recovered. */
  readonly minimumLeefgeldKept: Money;
  /** The instalment per leefgeld payment when the request names none. */
  readonly defaultInstalment: Money;
  /** Rule 12: what happens to an advance still open when ontzorgen ends. */
  readonly openAdvanceAtEnd: OpenAdvanceAtEnd;
}

export type NoodvoorzieningPolicySettings = Omit<NoodvoorzieningPolicy, 'gemeenteId'>;

function invalid(message: string): NoodvoorzieningError {
  return new NoodvoorzieningError('invalid_noodvoorziening_policy', message);
}

function checked(settings: NoodvoorzieningPolicySettings): void {
  const amounts = ['maxPerGrant', 'maxPerPeriod', 'fourEyesAbove', 'minimumLeefgeldKept', 'defaultInstalment'] as const;
  for (const name of amounts) if (!(settings[name] instanceof Money) || settings[name].isNegative()) throw invalid(`${name} is an amount of 0.00 or more`);
  if (!settings.maxPerGrant.isPositive()) throw invalid('maxPerGrant must be more than 0.00');
  if (!settings.defaultInstalment.isPositive()) throw invalid('defaultInstalment must be more than 0.00');
  if (settings.maxPerPeriod.compare(settings.maxPerGrant) < 0) throw invalid('maxPerPeriod cannot be less than maxPerGrant');
  if (!Number.isInteger(settings.periodMonths) || settings.periodMonths < 1 || settings.periodMonths > 36) throw invalid('periodMonths must be a whole number from 1 to 36');
  if (typeof settings.giftsAllowed !== 'boolean') throw invalid('giftsAllowed is true or false');
  if (settings.openAdvanceAtEnd !== 'settle_from_balance' && settings.openAdvanceAtEnd !== 'hand_over_as_claim') throw invalid('openAdvanceAtEnd is "settle_from_balance" or "hand_over_as_claim"');
}

/** Sets (or replaces) a gemeente's noodvoorziening policy. Grants already decided keep what they were decided under. */
export async function setNoodvoorzieningPolicy(db: Kysely<Database> | Trx, gemeenteId: string, settings: NoodvoorzieningPolicySettings, updatedBy: string): Promise<NoodvoorzieningPolicy> {
  checked(settings);
  const values = {
    gifts_allowed: settings.giftsAllowed,
    max_per_grant_cents: settings.maxPerGrant.cents,
    max_per_period_cents: settings.maxPerPeriod.cents,
    period_months: settings.periodMonths,
    four_eyes_above_cents: settings.fourEyesAbove.cents,
    minimum_leefgeld_kept_cents: settings.minimumLeefgeldKept.cents,
    default_instalment_cents: settings.defaultInstalment.cents,
    open_advance_at_end: settings.openAdvanceAtEnd,
    updated_by: updatedBy,
  };
  try {
    await db
      .insertInto('noodvoorziening_policy')
      .values({ gemeente_id: gemeenteId, ...values })
      .onConflict((oc) => oc.column('gemeente_id').doUpdateSet({ ...values, updated_at: new Date() }))
      .execute();
  } catch (error) {
    if (sqlState(error) === '23503') throw invalid(`gemeente ${gemeenteId} does not exist`);
    throw error;
  }
  return { gemeenteId, ...settings };
}

export function rowToNoodvoorzieningPolicy(row: Selectable<NoodvoorzieningPolicyTable>): NoodvoorzieningPolicy {
  return {
    gemeenteId: row.gemeente_id,
    giftsAllowed: row.gifts_allowed,
    maxPerGrant: Money.fromCents(row.max_per_grant_cents),
    maxPerPeriod: Money.fromCents(row.max_per_period_cents),
    periodMonths: row.period_months,
    fourEyesAbove: Money.fromCents(row.four_eyes_above_cents),
    minimumLeefgeldKept: Money.fromCents(row.minimum_leefgeld_kept_cents),
    defaultInstalment: Money.fromCents(row.default_instalment_cents),
    openAdvanceAtEnd: row.open_advance_at_end,
  };
}

export async function getNoodvoorzieningPolicy(db: Kysely<Database> | Trx, gemeenteId: string): Promise<NoodvoorzieningPolicy> {
  const row = await db.selectFrom('noodvoorziening_policy').selectAll().where('gemeente_id', '=', gemeenteId).executeTakeFirst();
  if (!row) throw new NoodvoorzieningError('noodvoorziening_policy_missing', `gemeente ${gemeenteId} has no noodvoorziening policy yet: an administrator sets whether gifts are allowed, the maximum per grant and per period, the four-eyes threshold and the leefgeld kept during recovery first`);
  return rowToNoodvoorzieningPolicy(row);
}
