const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A calendar day (YYYY-MM-DD) that exists and lies in the range the ledger accepts. */
export function isValidBookingDate(text: string): boolean {
  const match = ISO_DATE.exec(text);
  if (!match) return false;
  if (text < '2000-01-01' || text > '2099-12-31') return false;
  const parsed = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === text;
}
