/** SEPA return reason codes in plain words, for the back office and the client's statement. */
const REASONS: Readonly<Record<string, string>> = {
  AC01: 'the account number is wrong',
  AC04: 'the account is closed',
  AC06: 'the account is blocked',
  AC13: 'the account belongs to a consumer and cannot take this payment',
  AG01: 'the bank does not allow this payment on this account',
  AG02: 'the bank does not accept this kind of payment',
  AM04: 'the bank had insufficient funds to make the payment',
  AM05: 'the payment was a duplicate',
  BE04: 'the payee\'s address is missing',
  CNOR: 'the payee\'s bank could not be reached',
  DNOR: 'our bank could not be reached',
  FF01: 'the payment file was not in a valid format',
  FOCR: 'the payment was cancelled on request',
  MD07: 'the payee has died',
  MS02: 'the payee refused the payment',
  MS03: 'the bank did not give a reason',
  RC01: 'the bank code is wrong',
  RR01: 'the payer\'s details required by regulation are missing',
  RR02: 'the payer\'s name or address required by regulation is missing',
  RR03: 'the payee\'s name or address required by regulation is missing',
  RR04: 'the payment was stopped for regulatory reasons',
  SL01: 'the payee\'s bank has a special service that stopped it',
  TM01: 'the payment arrived after the bank\'s cut-off time',
};

export function returnReasonText(code: string | null): string {
  if (!code) return 'returned without a reason code';
  const text = REASONS[code.toUpperCase()];
  return text ? `${text} (${code.toUpperCase()})` : `returned with reason ${code}`;
}
