/**
 * SEPA reason codes in plain words, for the back office and the client's statement. One table for
 * the bank's returns (camt) and its rejections (pain.002 status reports): the ISO external status
 * reason codes are one list, and a code means the same whichever message carries it.
 */
const REASONS: Readonly<Record<string, string>> = {
  AC01: 'the account number is wrong',
  AC02: 'the payer\'s account number is wrong',
  AC03: 'the payee\'s account number is wrong',
  AC04: 'the account is closed',
  AC06: 'the account is blocked',
  AC13: 'the account belongs to a consumer and cannot take this payment',
  AG01: 'the bank does not allow this payment on this account',
  AG02: 'the bank does not accept this kind of payment',
  AM01: 'the amount is zero',
  AM02: 'the amount is above the allowed maximum',
  AM03: 'the currency is not allowed',
  AM04: 'the bank had insufficient funds to make the payment',
  AM05: 'the payment was a duplicate',
  AM09: 'the amount is not the amount agreed',
  AM10: 'the control sum of the file is wrong',
  AM18: 'the number of payments in the file is wrong',
  BE01: 'the payee\'s name does not match the account',
  BE04: 'the payee\'s address is missing',
  BE05: 'the party that sent the file is not known to the bank',
  CH03: 'the execution date is too far in the future',
  CH16: 'the file is not correct in form',
  CNOR: 'the payee\'s bank could not be reached',
  CUST: 'the payment was cancelled on our own request',
  DNOR: 'our bank could not be reached',
  DT01: 'the date is not valid',
  DU01: 'the file\'s message id was used before',
  DU02: 'the payment information id was used before',
  DU03: 'the payment was sent twice',
  DU04: 'the EndToEndId was used before',
  DU05: 'the instruction id was used before',
  FF01: 'the payment file was not in a valid format',
  FF02: 'the payment file\'s syntax is not valid',
  FF03: 'the payment type is not valid',
  FF05: 'the local instrument is not valid',
  FOCR: 'the payment was cancelled on request',
  MD07: 'the payee has died',
  MS01: 'the bank did not give a reason',
  MS02: 'the payee refused the payment',
  MS03: 'the bank did not give a reason',
  NARR: 'the bank explains it in words',
  RC01: 'the bank code is wrong',
  RC04: 'the payee\'s bank code is wrong',
  RR01: 'the payer\'s details required by regulation are missing',
  RR02: 'the payer\'s name or address required by regulation is missing',
  RR03: 'the payee\'s name or address required by regulation is missing',
  RR04: 'the payment was stopped for regulatory reasons',
  RR05: 'a regulatory reporting detail is missing',
  SL01: 'the payee\'s bank has a special service that stopped it',
  SL02: 'a service of the bank stopped it',
  TM01: 'the payment arrived after the bank\'s cut-off time',
};

export function returnReasonText(code: string | null): string {
  if (!code) return 'returned without a reason code';
  const text = REASONS[code.toUpperCase()];
  return text ? `${text} (${code.toUpperCase()})` : `returned with reason ${code}`;
}

/**
 * A rejection in a status report, in plain words: the code's meaning, or the bank's own code, and
 * the bank's explanation (AddtlInf) when it gave one; NARR carries its meaning only there.
 */
export function rejectionReasonText(code: string | null, proprietary: string | null = null, explanation: readonly string[] = []): string {
  const upper = code?.toUpperCase() ?? null;
  const known = upper ? REASONS[upper] : undefined;
  const said = explanation.join(' ').replace(/\s+/g, ' ').trim();
  const base =
    upper && known && upper !== 'NARR' ? `${known} (${upper})`
    : upper && upper !== 'NARR' ? `rejected with reason ${upper}`
    : proprietary ? `rejected with the bank's own reason ${proprietary}`
    : said ? ''
    : 'rejected without a reason code';
  if (!said) return base;
  return base ? `${base}; the bank says: "${said.slice(0, 300)}"` : `the bank says: "${said.slice(0, 300)}"`;
}
