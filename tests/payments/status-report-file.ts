import type { Kysely } from 'kysely';
import { availableAccounts } from '../../src/clients/accounts.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import { getBalance } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { approveBatch, groupIntoBatches } from '../../src/payments/batches.js';
import { createPaymentInstructions } from '../../src/payments/instructions.js';
import { releaseBatch } from '../../src/payments/release.js';
import { MANAGED } from '../ingest/region.js';

/** What a bank's pain.002 says about one payment, one block, one file of ours. */
export interface ReportTx {
  e2e: string;
  status?: string;
  reason?: string;
  /** The bank's own words (AddtlInf). */
  words?: string;
}
export interface ReportBlock {
  id: string;
  status?: string;
  txs?: ReportTx[];
}

/** A pain.002.001.03 status report as a bank writes it, about our file. */
export function statusReport(o: { messageId: string; original: string; group?: string; groupReason?: string; blocks?: ReportBlock[] }): Uint8Array {
  const t = (name: string, inner: string) => `<${name}>${inner}</${name}>`;
  const reason = (code?: string, words?: string) => (code || words ? t('StsRsnInf', (code ? t('Rsn', t('Cd', code)) : '') + (words ? t('AddtlInf', words) : '')) : '');
  const blocks = (o.blocks ?? [])
    .map((b) => t('OrgnlPmtInfAndSts', t('OrgnlPmtInfId', b.id) + (b.status ? t('PmtInfSts', b.status) : '') + (b.txs ?? []).map((x) => t('TxInfAndSts', t('OrgnlEndToEndId', x.e2e) + (x.status ? t('TxSts', x.status) : '') + reason(x.reason, x.words))).join('')))
    .join('\n');
  return new TextEncoder().encode(
    `<?xml version="1.0" encoding="UTF-8"?>\n<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">\n${t(
      'CstmrPmtStsRpt',
      t('GrpHdr', t('MsgId', o.messageId) + t('CreDtTm', '2027-01-04T09:00:00')) + t('OrgnlGrpInfAndSts', t('OrgnlMsgId', o.original) + t('OrgnlMsgNmId', 'pain.001.001.03') + (o.group ? t('GrpSts', o.group) : '') + reason(o.groupReason)) + blocks,
    )}\n</Document>\n`,
  );
}

/** A client's free money and what is reserved of it, as the back office sees it on the client's page. */
export async function moneyOf(db: Kysely<Database>, clientId: bigint): Promise<{ free: string; reserved: string }> {
  const account = (await availableAccounts(db, [clientId])).get(clientId)!;
  const balance = await getBalance(db, account);
  return { free: balance.available.toString(), reserved: balance.debitsPending.toString() };
}

export interface Issued {
  readonly batchId: bigint;
  readonly messageId: string;
  readonly paymentInfoId: string;
  readonly e2e: string[];
  readonly ids: bigint[];
}

let keys = 0;
/** Leefgeld payments to Dawit on one day, in a batch of their own, approved and (unless told not to) released. */
export async function issueLeefgeld(db: Kysely<Database>, dawit: bigint, date: string, amounts: readonly string[], options: { release?: boolean; now?: Date } = {}): Promise<Issued> {
  const now = options.now ?? new Date('2027-01-04T08:00:00Z');
  await inTransaction(db, (trx) =>
    createPaymentInstructions(
      trx,
      amounts.map((amount) => {
        const key = `issued-${++keys}`;
        return { idempotencyKey: key, clientId: dawit, gemeenteId: 'GM0505', kind: 'leefgeld' as const, period: key, dueDate: date, executionDate: date, amount: Money.parse(amount), debtorIban: MANAGED, creditor: { name: 'Dawit Tesfaye', iban: 'NL02ABNA0123456789' }, remittance: 'Leefgeld' };
      }),
    ),
  );
  const batch = (await inTransaction(db, (trx) => groupIntoBatches(trx, { gemeenteId: 'GM0505', createdBy: 'operator-1', executionUntil: date, now }))).find((b) => b.execution_date === date)!;
  let messageId = (await db.selectFrom('payment_file').select('message_id').where('batch_id', '=', batch.id).executeTakeFirstOrThrow()).message_id;
  if (options.release !== false) {
    await inTransaction(db, (trx) => approveBatch(trx, batch.id, 'approver-1'));
    messageId = (await releaseBatch(db, batch.id, { releasedBy: 'operator-2', now }))[0]!.messageId;
  }
  const block = await db.selectFrom('payment_block').select('payment_info_id').where('batch_id', '=', batch.id).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('payment_instruction').select(['id', 'end_to_end_id']).where('batch_id', '=', batch.id).orderBy('id').execute();
  return { batchId: batch.id, messageId, paymentInfoId: block.payment_info_id, e2e: rows.map((r) => r.end_to_end_id!), ids: rows.map((r) => r.id) };
}
