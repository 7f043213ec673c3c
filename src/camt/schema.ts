import { recordSchema } from './capture.js';

/**
 * Every path the reader reads, per record element. Anything not listed here is
 * skipped unread (its text is never decoded). Local names: the namespace
 * prefix never matters. `.02` and `.08` shapes are both listed where they
 * differ (`Sts` text or `Sts/Cd`; `Dbtr/Nm` or `Dbtr/Pty/Nm`; `TxDtls/Amt` or
 * `AmtDtls/TxAmt/Amt`).
 */

/** Bank transaction code: `BkTxCd` of an entry or detail, `OrgnlBkTxCd` of a return. */
export const BANK_TRANSACTION_CODE = recordSchema('BkTxCd', ['Domn/Cd', 'Domn/Fmly/Cd', 'Domn/Fmly/SubFmlyCd', 'Prtry/Cd', 'Prtry/Issr']);

export const CREDITOR_REFERENCE = recordSchema('CdtrRefInf', ['Ref', 'Tp/Issr', 'Tp/CdOrPrtry/Cd', 'Tp/CdOrPrtry/Prtry']);

const PARTY_PATHS = [
  'RltdPties/Dbtr/Nm',
  'RltdPties/Dbtr/Pty/Nm',
  'RltdPties/DbtrAcct/Id/IBAN',
  'RltdPties/DbtrAcct/Id/Othr/Id',
  'RltdPties/Cdtr/Nm',
  'RltdPties/Cdtr/Pty/Nm',
  'RltdPties/CdtrAcct/Id/IBAN',
  'RltdPties/CdtrAcct/Id/Othr/Id',
  'RltdPties/UltmtDbtr/Nm',
  'RltdPties/UltmtDbtr/Pty/Nm',
  'RltdPties/UltmtCdtr/Nm',
  'RltdPties/UltmtCdtr/Pty/Nm',
] as const;

export const TRANSACTION_DETAIL = recordSchema(
  'TxDtls',
  [
    'Refs/EndToEndId',
    'Refs/InstrId',
    'Refs/MsgId',
    'Refs/PmtInfId',
    'Refs/AcctSvcrRef',
    'Refs/TxId',
    'Refs/MndtId',
    'Refs/UETR',
    'Amt',
    'Amt/@Ccy',
    'AmtDtls/TxAmt/Amt',
    'AmtDtls/TxAmt/Amt/@Ccy',
    'CdtDbtInd',
    ...PARTY_PATHS,
    'RtrInf',
    'RtrInf/Rsn/Cd',
    'RtrInf/Rsn/Prtry',
    'AddtlTxInf',
  ],
  ['RmtInf/Ustrd*', 'RmtInf/Strd*/AddtlRmtInf*', 'RtrInf/AddtlInf*'],
  { BkTxCd: BANK_TRANSACTION_CODE, 'RtrInf/OrgnlBkTxCd': BANK_TRANSACTION_CODE, 'RmtInf/Strd*/CdtrRefInf*': CREDITOR_REFERENCE },
);

export const BATCH = recordSchema('Btch', ['MsgId', 'PmtInfId', 'NbOfTxs', 'TtlAmt', 'TtlAmt/@Ccy', 'CdtDbtInd']);

/** One `NtryDtls`: its (first) batch and its details. */
export const ENTRY_DETAILS = recordSchema('NtryDtls', [], [], { Btch: BATCH, 'TxDtls*': TRANSACTION_DETAIL });

export const ENTRY = recordSchema(
  'Ntry',
  [
    'NtryRef',
    'Amt',
    'Amt/@Ccy',
    'CdtDbtInd',
    'RvslInd',
    'Sts',
    'Sts/Cd',
    'Sts/Prtry',
    'BookgDt',
    'BookgDt/Dt',
    'BookgDt/DtTm',
    'ValDt',
    'ValDt/Dt',
    'ValDt/DtTm',
    'AcctSvcrRef',
    'AddtlNtryInf',
  ],
  [],
  { BkTxCd: BANK_TRANSACTION_CODE, 'NtryDtls*': ENTRY_DETAILS },
);

export const BALANCE = recordSchema('Bal', ['Tp/CdOrPrtry/Cd', 'Tp/CdOrPrtry/Prtry', 'Amt', 'Amt/@Ccy', 'CdtDbtInd', 'Dt', 'Dt/Dt', 'Dt/DtTm']);

/** `Stmt` (camt.053) or `Ntfctn` (camt.054). */
export const STATEMENT = recordSchema(
  'Stmt',
  [
    'Id',
    'ElctrncSeqNb',
    'LglSeqNb',
    'CpyDplctInd',
    'CreDtTm',
    'FrToDt/FrDtTm',
    'FrToDt/ToDtTm',
    'Acct',
    'Acct/Id/IBAN',
    'Acct/Id/Othr/Id',
    'Acct/Ccy',
    'Acct/Nm',
    'Acct/Ownr/Nm',
    'Acct/Ownr/Pty/Nm',
    'Acct/Svcr/FinInstnId/BICFI',
    'Acct/Svcr/FinInstnId/BIC',
    'AddtlStmtInf',
    'AddtlNtfctnInf',
  ],
  [],
  { 'Bal*': BALANCE, 'Ntry*': ENTRY },
);

export const GROUP_HEADER = recordSchema('GrpHdr', ['MsgId', 'CreDtTm']);

/** Inside `BkToCstmrStmt` and `BkToCstmrDbtCdtNtfctn`. */
export const STATEMENT_MESSAGE = recordSchema('BkToCstmrStmt', [], [], { GrpHdr: GROUP_HEADER, 'Stmt*': STATEMENT });
export const NOTIFICATION_MESSAGE = recordSchema('BkToCstmrDbtCdtNtfctn', [], [], { GrpHdr: GROUP_HEADER, 'Ntfctn*': STATEMENT });
