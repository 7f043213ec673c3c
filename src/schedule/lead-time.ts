import { assertIsoDate, InvalidDate, type IsoDate } from './dates.js';
import { addBusinessDays, businessDayOnOrBefore } from './target2.js';

/** A gemeente's lead time when it sets none (rule 7): one business day, see `latestExecutionDate`. */
export const DEFAULT_LEAD_BUSINESS_DAYS = 1;

/**
 * The execution date for a payment that must arrive by `dueDate` (rule 7): `lead`
 * business days before the due date, where a due date on a closing day counts as
 * the last business day before it. With the default of one this is exactly
 * `latestExecutionDate`; a gemeente that wants slack for a bank's bad day sets 2.
 * Zero is refused: executing on the due date itself does not guarantee arrival
 * (the SCT rulebook allows the payer's bank until D+1).
 */
export function executionDateWithLead(dueDate: IsoDate, leadBusinessDays: number = DEFAULT_LEAD_BUSINESS_DAYS): IsoDate {
  assertIsoDate(dueDate, 'due date');
  if (!Number.isInteger(leadBusinessDays) || leadBusinessDays < 1 || leadBusinessDays > 10) {
    throw new InvalidDate(`lead time ${leadBusinessDays} is not a whole number of business days between 1 and 10`);
  }
  return addBusinessDays(businessDayOnOrBefore(dueDate), -leadBusinessDays);
}
