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
  /** Written in .09 only (structured); .03 files carry no address. */
  address?: PostalAddress;
}

/**
 * A structured postal address (pain.001.001.09 `PstlAdr`): town and country are
 * required, as the SEPA rulebooks demand from November 2025 for structured and
 * hybrid addresses. BNG Bank takes structured addresses only in .09, so a .03
 * file is written without any address. Texts are converted to the EPC set and
 * cut to the XSD lengths (street 70, building number 16, post code 16, town 35).
 */
export interface PostalAddress {
  streetName?: string;
  buildingNumber?: string;
  postCode?: string;
  townName: string;
  /** ISO 3166 alpha-2, upper case: `NL`. */
  country: string;
}

export interface Creditor {
  /**
   * The name that goes out: for a client, the Latin spelling the BRP records. Converted to the EPC set and
   * cut to 70 characters when written; the original stays in the ledger.
   */
  name: string;
  /**
   * How people see the name (statements, the client's own script: Arabic, Ge'ez, …). Never written to
   * the file: banks take only the EPC basic Latin set, so `name` carries the Latin spelling.
   */
  displayName?: string;
  iban: string;
  bic?: string;
  /** Written in .09 only (structured); .03 files carry no address. */
  address?: PostalAddress;
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
  /**
   * Urgent (noodvoorziening): sent as SCT Inst in its own PmtInf with `PmtTpInf/LclInstrm/Cd INST`,
   * separate from the regular payments of the same day and account. When the debtor's bank takes no
   * instant payments in pain.001, the caller leaves this off and plans the payment into the next
   * regular batch (a TARGET2 business day) instead.
   */
  instant?: boolean;
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
  /** SCT Inst for every payment of the batch: `LclInstrm/Cd INST` on every PmtInf (see `CreditTransfer.instant`). */
  instant?: boolean;
  payments: readonly CreditTransfer[];
}

export interface BuildOptions {
  version: Pain001Version;
}

export interface BuildFilesOptions extends BuildOptions {
  /** At most this many payments per file (1–100,000; default 100,000, BNG's limit). */
  maxPaymentsPerFile?: number;
}

/** One PmtInf block as written: what the batch module needs to reconcile a batch debit by PmtInfId. */
export interface PaymentInfoSummary {
  paymentInfoId: string;
  executionDate: IsoDate;
  debtorIban: string;
  /** An SCT Inst block (`LclInstrm/Cd INST`). */
  instant: boolean;
  numberOfTransactions: number;
  controlSum: Money;
  endToEndIds: string[];
}

export interface Pain001File {
  messageId: string;
  /**
   * The file as released: UTF-8 without BOM. A view on the writer's (larger) buffer: write or hash it as
   * it is; copy it (`Buffer.from(bytes)`) only to keep the file apart from that buffer.
   */
  bytes: Buffer;
  /** The same file as text (decoded from `bytes` on first use). */
  readonly xml: string;
  /** SHA-256 of `bytes`, lower-case hex: shown at approval, compared with the bank's integrity hash. */
  sha256: string;
  numberOfTransactions: number;
  controlSum: Money;
  paymentInfos: PaymentInfoSummary[];
}
