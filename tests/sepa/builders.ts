import IBAN from 'iban';
import { Money } from '../../src/money/money.js';
import type { CreditTransfer, CreditTransferBatch, DebtorAccount, Remittance } from '../../src/sepa/index.js';

/** Test data for pain.001: a gemeente's service paying rent, energy and leefgeld. */

export const SERVICE_ACCOUNT: DebtorAccount = { name: 'Sociale Dienst Drechtsteden', iban: 'NL49BNGH0285010110', bic: 'BNGHNL2G' };
export const TODAY = '2026-06-26';
export const EXECUTION_DATE = '2026-06-30';

/** A valid Dutch IBAN for a number, bank code INGB. */
export function ibanFor(n: number): string {
  return IBAN.fromBBAN('NL', `INGB${String(n % 10_000_000_000).padStart(10, '0')}`);
}

export function aPayment(n: number, overrides: Partial<CreditTransfer> = {}): CreditTransfer {
  return {
    endToEndId: `ONTZ-${String(n).padStart(8, '0')}`,
    executionDate: EXECUTION_DATE,
    debtor: SERVICE_ACCOUNT,
    amount: Money.parse('720.00'),
    creditor: { name: 'Woonbron', iban: ibanFor(n) },
    remittance: { kind: 'unstructured', text: `Huur juli 2026 contract ${n}` },
    ...overrides,
  };
}

export function aBatch(payments: CreditTransfer[], overrides: Partial<CreditTransferBatch> = {}): CreditTransferBatch {
  return {
    messageId: 'ONTZ-20260626-0001',
    creationDateTime: '2026-06-26T07:30:00',
    initiatingPartyName: 'Sociale Dienst Drechtsteden',
    payments,
    ...overrides,
  };
}

export const withRemittance = (remittance: Remittance): Partial<CreditTransfer> => ({ remittance });
