import type { Kysely, Selectable } from 'kysely';
import { sqlState } from '../db/errors.js';
import type { Database } from '../db/schema.js';
import type { Trx } from '../db/transaction.js';
import { Money } from '../money/money.js';
import { BIJSTAND_PAYDAY_RULES, DEFAULT_LEAD_BUSINESS_DAYS, type BijstandPaydayRule, type PaydayAdjustment } from '../schedule/index.js';
import { ClientError } from './errors.js';
import type { GemeentePolicyTable } from './rows.js';

/**
 * A gemeente's settings for withholding and the daily batch. Each gemeente is a tenant with its own
 * policy (an SDD-like service runs several); the batch refuses to run for a gemeente without one.
 */

/** The groups of rule 5 (gas and electricity are one group, energy). Kept here too: allocation builds on clients. */
export const POLICY_PRIORITY_GROUPS = ['rent', 'energy', 'water', 'health_insurance', 'other'] as const;
export type PolicyPriorityGroup = (typeof POLICY_PRIORITY_GROUPS)[number];

export interface GemeentePolicy {
  readonly gemeenteId: string;
  /** Rule 5: the order of reservation, all five groups once. Default rent, energy, water, health insurance, other. */
  readonly priority: readonly PolicyPriorityGroup[];
  readonly leefgeldRule: 'fixed' | 'income_minus_obligations';
  /** Rule 8: the least leefgeld per payment reservations may leave, unless a floor decision says otherwise. */
  readonly leefgeldFloor: Money;
  /** May an obligation be paid in part when its reservation is incomplete on the execution date? */
  readonly partialPayment: boolean;
  /** Rule 7: business days between execution and the due date. */
  readonly leadBusinessDays: number;
  readonly bijstandPayday: BijstandPaydayRule;
  readonly paydayAdjust: PaydayAdjustment;
  /** Business days from the bank's credit to the day it can be allocated (1: the end-of-day statement is read the next day). */
  readonly bookingDelayBusinessDays: number;
  /** When the daily batch runs, `HH:MM` Amsterdam time. */
  readonly batchTime: string;
  /** Payments whose execution date falls from the run date up to this many business days later are created now. */
  readonly lookAheadBusinessDays: number;
  /** The management account payments go out from (a payment_account). */
  readonly debtorIban: string;
  /** The batch report lists suspense entries older than this many days. */
  readonly suspenseAgeDays: number;
}

export type PolicySettings = Partial<Omit<GemeentePolicy, 'gemeenteId' | 'debtorIban' | 'bijstandPayday'>> & {
  readonly debtorIban: string;
  readonly bijstandPayday: BijstandPaydayRule;
};

/** Our defaults where a gemeente has not decided: the order and lead time, a cautious floor. */
export const POLICY_DEFAULTS = {
  priority: POLICY_PRIORITY_GROUPS,
  leefgeldRule: 'income_minus_obligations',
  leefgeldFloor: Money.parse('50.00'),
  partialPayment: false,
  leadBusinessDays: DEFAULT_LEAD_BUSINESS_DAYS,
  paydayAdjust: 'following',
  bookingDelayBusinessDays: 1,
  batchTime: '06:30',
  lookAheadBusinessDays: 1,
  suspenseAgeDays: 5,
} as const satisfies Partial<GemeentePolicy>;

function invalid(message: string): ClientError {
  return new ClientError('invalid_policy', message);
}

function checked(gemeenteId: string, settings: PolicySettings): GemeentePolicy {
  const policy: GemeentePolicy = { ...POLICY_DEFAULTS, ...settings, gemeenteId };
  const seen = new Set(policy.priority);
  if (policy.priority.length !== 5 || seen.size !== 5 || !POLICY_PRIORITY_GROUPS.every((group) => seen.has(group))) {
    throw invalid(`the priority order must name each of ${POLICY_PRIORITY_GROUPS.join(', ')} exactly once`);
  }
  if (policy.leefgeldRule !== 'fixed' && policy.leefgeldRule !== 'income_minus_obligations') throw invalid('the leefgeld rule is "fixed" or "income_minus_obligations"');
  if (!(policy.leefgeldFloor instanceof Money) || policy.leefgeldFloor.isNegative()) throw invalid('the leefgeld floor is an amount of 0.00 or more');
  const whole = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) throw invalid(`${name} must be a whole number from ${min} to ${max}`);
  };
  whole('the lead time (business days)', policy.leadBusinessDays, 1, 10);
  whole('the booking delay (business days)', policy.bookingDelayBusinessDays, 0, 5);
  whole('the look-ahead (business days)', policy.lookAheadBusinessDays, 0, 10);
  whole('the suspense age (days)', policy.suspenseAgeDays, 0, 365);
  if (!BIJSTAND_PAYDAY_RULES.includes(policy.bijstandPayday)) throw invalid(`the bijstand payday is one of ${BIJSTAND_PAYDAY_RULES.join(', ')}`);
  if (policy.paydayAdjust !== 'following' && policy.paydayAdjust !== 'preceding') throw invalid('the payday adjustment is "following" or "preceding"');
  if (!/^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(policy.batchTime)) throw invalid('the batch time is written HH:MM (Amsterdam time)');
  if (typeof policy.partialPayment !== 'boolean') throw invalid('partial payment is true or false');
  return policy;
}

/** Sets (or replaces) a gemeente's policy. The debtor account must be set up for payments. */
export async function setGemeentePolicy(trx: Trx, gemeenteId: string, settings: PolicySettings, updatedBy: string): Promise<GemeentePolicy> {
  const policy = checked(gemeenteId, settings);
  const values = {
    priority: [...policy.priority],
    leefgeld_rule: policy.leefgeldRule,
    leefgeld_floor_cents: policy.leefgeldFloor.cents,
    partial_payment: policy.partialPayment,
    lead_business_days: policy.leadBusinessDays,
    bijstand_payday: policy.bijstandPayday,
    payday_adjust: policy.paydayAdjust,
    booking_delay_business_days: policy.bookingDelayBusinessDays,
    batch_time: policy.batchTime,
    look_ahead_business_days: policy.lookAheadBusinessDays,
    debtor_iban: policy.debtorIban,
    suspense_age_days: policy.suspenseAgeDays,
    updated_by: updatedBy,
  };
  try {
    await trx
      .insertInto('gemeente_policy')
      .values({ gemeente_id: gemeenteId, ...values })
      .onConflict((oc) => oc.column('gemeente_id').doUpdateSet({ ...values, updated_at: new Date() }))
      .execute();
  } catch (error) {
    if (sqlState(error) === '23503') throw invalid(`the debtor account ${policy.debtorIban} is not set up for payments, or gemeente ${gemeenteId} does not exist`);
    throw error;
  }
  return policy;
}

export function rowToPolicy(row: Selectable<GemeentePolicyTable>): GemeentePolicy {
  return {
    gemeenteId: row.gemeente_id,
    priority: row.priority as PolicyPriorityGroup[],
    leefgeldRule: row.leefgeld_rule,
    leefgeldFloor: Money.fromCents(row.leefgeld_floor_cents),
    partialPayment: row.partial_payment,
    leadBusinessDays: row.lead_business_days,
    bijstandPayday: row.bijstand_payday,
    paydayAdjust: row.payday_adjust,
    bookingDelayBusinessDays: row.booking_delay_business_days,
    batchTime: row.batch_time,
    lookAheadBusinessDays: row.look_ahead_business_days,
    debtorIban: row.debtor_iban,
    suspenseAgeDays: row.suspense_age_days,
  };
}

export async function getGemeentePolicy(db: Kysely<Database> | Trx, gemeenteId: string): Promise<GemeentePolicy> {
  const row = await db.selectFrom('gemeente_policy').selectAll().where('gemeente_id', '=', gemeenteId).executeTakeFirst();
  if (!row) throw new ClientError('gemeente_policy_missing', `gemeente ${gemeenteId} has no policy yet: set its priority order, leefgeld rule and floor, payday and debtor account first`);
  return rowToPolicy(row);
}

/** Every gemeente with a policy (the batch scheduler starts one job per gemeente). */
export async function gemeentePolicies(db: Kysely<Database> | Trx): Promise<GemeentePolicy[]> {
  return (await db.selectFrom('gemeente_policy').selectAll().orderBy('gemeente_id').execute()).map(rowToPolicy);
}
