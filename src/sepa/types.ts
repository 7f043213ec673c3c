import type { Money } from '../money/money.js';
import type { IsoDate } from '../schedule/index.js';
import type { ReferenceIssuer } from '../references/index.js';

export type Pain001Version = '03' | '09';

/** BNG Bank's limit per batch; we apply it per file (message). */
export const MAX_PAYMENTS_PER_FILE = 100_000;

/** The account the money leaves from: one of the service's own accounts. */
export interface DebtorAccount {
  name: string;
  iban: string;
  /** Optional: SEPA is IBAN-only; without it DbtrAgt says NOTPROVIDED. */
  bic?: string;
}

export interface Creditor {
  /** Converted to the EPC set and cut to 70 characters when written; the original stays in the ledger. */
  name: string;
  iban: string;
  bic?: string;
}

export type Remittance =
  /** Free text, converted to the EPC set and cut to 140 characters. */
  | { kind: 'unstructured'; text: string }
  /** The payee's own reference: a 16-digit betalingskenmerk (CUR) or an RF creditor reference (ISO). */
  | { kind: 'structured'; issuer: ReferenceIssuer; reference: string };

export interface CreditTransfer {
  /** Identifies our payment instruction end to end (≤ 35, EPC identifier); comes back in camt. */
  endToEndId: string;
  /** Defaults to the EndToEndId. */
  instructionId?: string;
  /** ReqdExctnDt; payments are grouped per (execution date, debtor account). */
  executionDate: IsoDate;
  debtor: DebtorAccount;
  amount: Money;
  creditor: Creditor;
  remittance?: Remittance;
}

export interface CreditTransferBatch {
  /** Unique per file; a file the bank rejected is re-issued under a new one. */
  messageId: string;
  /** CreDtTm, an input (never the clock): `YYYY-MM-DDThh:mm:ss`, optional fraction and zone. */
  creationDateTime: string;
  /** InitgPty/Nm: the service or gemeente sending the file. */
  initiatingPartyName: string;
  /** BtchBookg: one debit per PmtInf on the statement (true, the default) or one per payment. */
  batchBooking?: boolean;
  /** SCT Inst: `LclInstrm/Cd INST` on every PmtInf (noodvoorziening). */
  instant?: boolean;
  payments: readonly CreditTransfer[];
}

export interface BuildOptions {
  version: Pain001Version;
}

/** One PmtInf block as written: what the batch module needs to reconcile a batch debit by PmtInfId. */
export interface PaymentInfoSummary {
  paymentInfoId: string;
  executionDate: IsoDate;
  debtorIban: string;
  numberOfTransactions: number;
  controlSum: Money;
  endToEndIds: string[];
}

export interface Pain001File {
  messageId: string;
  xml: string;
  /** SHA-256 of the UTF-8 bytes, lower-case hex: shown at approval, compared with the bank's integrity hash. */
  sha256: string;
  numberOfTransactions: number;
  controlSum: Money;
  paymentInfos: PaymentInfoSummary[];
}
