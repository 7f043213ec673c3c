import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { findAccountByCode, getBalance } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { advancesAccountCode, requestGrant, setNoodvoorzieningPolicy, type Grant, type GrantRequest, type NoodvoorzieningPolicySettings } from '../../src/noodvoorziening/index.js';
import { GEMEENTE } from '../batch/support.js';

export const eur = (text: string): Money => Money.parse(text);

/** A cautious policy: advances and gifts up to 1,000 per grant, 1,500 per 12 months, four eyes above 500, 150.00 kept per leefgeld. */
export const POLICY: NoodvoorzieningPolicySettings = {
  giftsAllowed: true,
  maxPerGrant: eur('1000.00'),
  maxPerPeriod: eur('1500.00'),
  periodMonths: 12,
  fourEyesAbove: eur('500.00'),
  minimumLeefgeldKept: eur('150.00'),
  defaultInstalment: eur('50.00'),
  openAdvanceAtEnd: 'settle_from_balance',
};

export async function aNoodvoorzieningPolicy(db: Kysely<Database>, settings: Partial<NoodvoorzieningPolicySettings> = {}): Promise<void> {
  await setNoodvoorzieningPolicy(db, GEMEENTE, { ...POLICY, ...settings }, 'test-setup');
}

let keys = 0;
export async function grant(db: Kysely<Database>, request: Partial<GrantRequest> & { clientId: bigint; amount: Money; today: string }): Promise<Grant> {
  keys += 1;
  return (
    await inTransaction(db, (trx) =>
      requestGrant(trx, { kind: 'advance', reason: 'first toeslagen not there yet', idempotencyKey: `test/${process.pid}/${keys}`, requestedBy: 'operator-1', now: new Date(`${request.today}T09:00:00Z`), ...request }),
    )
  ).grant;
}

/** What the client still owes on advances: the advances-receivable account's debits less credits. */
export async function owedBy(db: Kysely<Database>, clientId: bigint): Promise<string> {
  const account = await findAccountByCode(db, advancesAccountCode(clientId));
  if (!account) return '0.00';
  const balance = await getBalance(db, account.id);
  return Money.fromCents(balance.debitsPosted.cents - balance.creditsPosted.cents).toString();
}
