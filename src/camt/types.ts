import type { Money } from '../money/money.js';
import type { CamtProblem } from './errors.js';

/** camt.053 is the (end-of-day) account statement, camt.054 the debit/credit notification. */
export type CamtMessageKind = 'camt.053' | 'camt.054';

export type CreditDebit = 'CRDT' | 'DBIT';

export interface CamtReadOptions {
  /** Files above this many bytes are refused before reading. Default 100 MB. */
  maxBytes?: number;
  /** Check the file against the shipped ISO 20022 XSD and report deviations as warnings. Default false. */
  checkSchema?: boolean;
}

export interface CamtDocument {
  readonly kind: CamtMessageKind;
  /** Full message name, for example `camt.053.001.02`. */
  readonly messageName: string;
  /** Two-digit version, `02` … `08`. */
  readonly version: string;
  readonly namespace: string;
  /** The encoding the bytes were read in. */
  readonly encoding: string;
  /** GrpHdr/MsgId */
  readonly messageId: string;
  /** GrpHdr/CreDtTm, as written. */
  readonly createdAt: string;
  /** Statements (camt.053) or notifications (camt.054), in file order. */
  readonly statements: readonly CamtStatement[];
  /** File-level warnings (namespace, XSD deviations). Statement and entry problems sit on those. */
  readonly warnings: readonly CamtProblem[];
  /** Whether the XSD check ran (it needs `checkSchema` and a shipped schema for this version). */
  readonly schemaChecked: boolean;
  /** Counts of entries by status, and of problems anywhere in the file, for a preview. */
  readonly summary: CamtSummary;
}

export interface CamtSummary {
  readonly statements: number;
  readonly entries: number;
  readonly booked: number;
  readonly errors: number;
  readonly warnings: number;
}

export interface CamtAccount {
  readonly iban: string;
  /** Acct/Ccy, when given. */
  readonly currency: string | null;
  readonly name: string | null;
  readonly ownerName: string | null;
  readonly servicerBic: string | null;
}

export interface CamtBalance {
  /** Tp/CdOrPrtry/Cd (OPBD, PRCD, CLBD, CLAV, …) or the proprietary type. */
  readonly type: string;
  /** Null when the amount is not in EUR or has more than two significant decimals. */
  readonly amount: Money | null;
  readonly amountText: string;
  readonly currency: string;
  readonly creditDebit: CreditDebit;
  /** Amount with sign: debit balances are negative. Null when `amount` is. */
  readonly signedAmount: Money | null;
  /** YYYY-MM-DD (from Dt or the date part of DtTm). */
  readonly date: string | null;
}

export type BalanceCheckStatus = 'ok' | 'mismatch' | 'not_checked' | 'not_applicable';

export interface CamtBalanceCheck {
  readonly status: BalanceCheckStatus;
  /** Opening balance plus the booked entries. */
  readonly expectedClosing: Money | null;
  /** Reported closing minus expected closing. */
  readonly difference: Money | null;
  /** Why the check could not be made, for `not_checked` and `not_applicable`. */
  readonly reason: string | null;
}

export interface CamtStatement {
  /** 0-based position of the statement or notification in the file. */
  readonly index: number;
  readonly line: number;
  /** Stmt/Id or Ntfctn/Id. */
  readonly id: string;
  readonly electronicSequenceNumber: string | null;
  readonly legalSequenceNumber: string | null;
  /** CpyDplctInd: CODU, COPY or DUPL; a re-sent statement. */
  readonly copyDuplicate: string | null;
  readonly createdAt: string | null;
  readonly fromDateTime: string | null;
  readonly toDateTime: string | null;
  readonly account: CamtAccount;
  /** Every Bal, in file order. */
  readonly balances: readonly CamtBalance[];
  /** OPBD, or PRCD when there is no OPBD. */
  readonly openingBalance: CamtBalance | null;
  /** CLBD. */
  readonly closingBalance: CamtBalance | null;
  readonly balanceCheck: CamtBalanceCheck;
  readonly entries: readonly CamtEntry[];
  /** AddtlStmtInf / AddtlNtfctnInf. */
  readonly additionalInfo: string | null;
  readonly problems: readonly CamtProblem[];
}

/**
 * A statement as `streamCamt` returns it: everything of `CamtStatement` but its entries,
 * which were handed to the caller one by one, and how many there were.
 */
export type CamtStatementSummary = Omit<CamtStatement, 'entries'> & { readonly entryCount: number };

/** What `streamCamt` returns once the whole file is read: `CamtDocument` with statement summaries. */
export type CamtStreamedDocument = Omit<CamtDocument, 'statements'> & { readonly statements: readonly CamtStatementSummary[] };

/** Called by `streamCamt` with each entry as soon as it is read, in file order. */
export type CamtEntryConsumer = (entry: CamtEntry) => void;

export interface CamtBankTransactionCode {
  readonly domain: string | null;
  readonly family: string | null;
  readonly subFamily: string | null;
  readonly proprietaryCode: string | null;
  readonly proprietaryIssuer: string | null;
}

export interface CamtBatch {
  readonly messageId: string | null;
  readonly paymentInformationId: string | null;
  /** NbOfTxs as written (digits). */
  readonly numberOfTransactions: string | null;
  readonly totalAmount: Money | null;
  readonly totalAmountText: string | null;
  readonly totalCurrency: string | null;
  readonly creditDebit: CreditDebit | null;
}

export interface CamtEntry {
  readonly statementIndex: number;
  /** 0-based position of the entry in its statement. */
  readonly entryIndex: number;
  readonly line: number;
  /** NtryRef */
  readonly entryReference: string | null;
  /** AcctSvcrRef: not unique per entry (see bank-files.md). */
  readonly accountServicerReference: string | null;
  /** YYYY-MM-DD; from BookgDt/Dt or the date part of BookgDt/DtTm as written (no time-zone shift). */
  readonly bookingDate: string | null;
  readonly bookingDateTime: string | null;
  readonly valueDate: string | null;
  readonly valueDateTime: string | null;
  /** Null when the currency is not EUR or the amount has more than two significant decimals (see problems). */
  readonly amount: Money | null;
  readonly amountText: string;
  readonly currency: string;
  readonly creditDebit: CreditDebit;
  /** Debits negative. Null when `amount` is. */
  readonly signedAmount: Money | null;
  /** RvslInd: this entry reverses an earlier one. */
  readonly reversal: boolean;
  /** BOOK, PDNG, INFO (or FUTR); only BOOK is booked. */
  readonly status: string;
  readonly booked: boolean;
  readonly bankTransactionCode: CamtBankTransactionCode | null;
  /** AddtlNtryInf as written. */
  readonly additionalInfo: string | null;
  /** MT940-style keywords of AddtlNtryInf: `/TRTP/…/PREF/…` → { TRTP: …, PREF: … }. */
  readonly keywords: Readonly<Record<string, string>>;
  readonly batches: readonly CamtBatch[];
  readonly details: readonly CamtTransactionDetail[];
  /** Problems of this entry and its details; any `error` one means: do not book as is. */
  readonly problems: readonly CamtProblem[];
}

export interface CamtParty {
  readonly name: string | null;
  readonly iban: string | null;
  /** Other account identification (Acct/Id/Othr/Id) when there is no IBAN. */
  readonly otherAccountId: string | null;
}

export type CreditorReferenceScheme = 'betalingskenmerk' | 'iso11649' | 'other';

export interface CamtCreditorReference {
  /** Tp/CdOrPrtry/Cd (SCOR) or Tp/CdOrPrtry/Prtry. */
  readonly type: string | null;
  /** Tp/Issr: CUR for the Dutch betalingskenmerk, ISO for RF references. */
  readonly issuer: string | null;
  readonly reference: string;
  readonly scheme: CreditorReferenceScheme;
  /** Check digits right, for betalingskenmerk and ISO 11649; null for other references. A flag, never a refusal. */
  readonly checkDigitsValid: boolean | null;
}

export interface CamtReturnInfo {
  /** Rsn/Cd, for example AC04, AC06, MD07, MS03. */
  readonly reasonCode: string | null;
  /** Rsn/Prtry. */
  readonly reasonProprietary: string | null;
  /** AddtlInf lines, joined with a space. */
  readonly additionalInfo: string | null;
  /** The EndToEndId of the payment being returned (Refs/EndToEndId of this detail), unless NOTPROVIDED. */
  readonly originalEndToEndId: string | null;
  readonly originalBankTransactionCode: CamtBankTransactionCode | null;
}

export interface CamtTransactionDetail {
  readonly statementIndex: number;
  readonly entryIndex: number;
  /** 0-based position of the detail in its entry. */
  readonly detailIndex: number;
  readonly line: number;
  /** Refs/EndToEndId; null when absent or the literal NOTPROVIDED. */
  readonly endToEndId: string | null;
  readonly instructionId: string | null;
  readonly messageId: string | null;
  readonly paymentInformationId: string | null;
  readonly accountServicerReference: string | null;
  readonly transactionId: string | null;
  readonly mandateId: string | null;
  readonly uetr: string | null;
  /** Amt (.04+) or AmtDtls/TxAmt/Amt (.02); null when absent, not EUR or too precise. */
  readonly amount: Money | null;
  readonly amountText: string | null;
  readonly currency: string | null;
  /** CdtDbtInd of the detail, or the entry's when the detail has none. */
  readonly creditDebit: CreditDebit;
  readonly bankTransactionCode: CamtBankTransactionCode | null;
  readonly debtor: CamtParty;
  readonly creditor: CamtParty;
  readonly ultimateDebtor: string | null;
  readonly ultimateCreditor: string | null;
  readonly creditorReferences: readonly CamtCreditorReference[];
  /** Ustrd lines joined with a space. */
  readonly unstructured: string | null;
  /** Strd/AddtlRmtInf lines joined with a space. */
  readonly additionalRemittanceInfo: string | null;
  readonly returnInfo: CamtReturnInfo | null;
  /** AddtlTxInf. */
  readonly additionalInfo: string | null;
}
