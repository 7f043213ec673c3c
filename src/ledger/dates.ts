const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

// A batch books thousands of requests on a handful of days: each day is checked once (building a Date is the cost).
const checked = new Map<string, boolean>();

/** A calendar day (YYYY-MM-DD) that exists and lies in the range the ledger accepts. */
export function isValidBookingDate(text: string): boolean {
  const known = checked.get(text);
  if (known !== undefined) return known;
  const valid = check(text);
  if (checked.size >= 10_000) checked.clear();
  checked.set(text, valid);
  return valid;
}

function check(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  if (text < '2000-01-01' || text > '2099-12-31') return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
}
