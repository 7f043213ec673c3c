/** The ledger's public functions; other capabilities import from here, never from its files. */
export { openAccount, findAccountByCode, getAccount, type AccountRow, type OpenAccount } from './accounts.js';
export { book, bookBatch, bookChecked, checkBatch, expectBooked, type Booked, type CheckedBatch, type LedgerResult, type Refused } from './book.js';
export { balanceAt, balanceOfRow, balanceOnDate, getBalance, type Balance } from './balances.js';
export { LedgerError, LedgerRefusal, LEDGER_ERROR_DESCRIPTIONS, type LedgerErrorCode, type RefusalCode } from './errors.js';
export { transferBetween, type AccountId, type LedgerRequest, type PostingRequest } from './requests.js';
export type { AccountKind, BalanceRule } from './rows.js';
export { verifyLedger, type LedgerReport } from './verify.js';
export { LedgerWriter, type LedgerWriterOptions } from './writer.js';
export { describeSealStatus, sealLedger, sealStatus, verifySeals, type Seal, type SealStatus } from './seal.js';
