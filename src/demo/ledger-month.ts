import { Decimal } from 'decimal.js';
import type { Kysely } from 'kysely';
import { availableAccounts } from '../clients/accounts.js';
import { ensureClient, ensureGemeente } from '../clients/clients.js';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { bookBatch, getBalance, openAccount, transferBetween, verifyLedger, type LedgerRequest, type LedgerResult } from '../ledger/index.js';
import { Money } from '../money/money.js';

/**
 * A month of financieel ontzorgen on the ledger alone, for the first run: three
 * clients in two gemeenten receive bijstand and toeslagen, have their fixed
 * costs reserved and paid, and get the rest as weekly leefgeld. One client's
 * bijstand is late, so a reservation is refused and shows as an exception.
 * Every booking has a key derived from the month and the client, so running it
 * again books nothing twice.
 */

interface DemoClient {
  readonly reference: string;
  readonly gemeente: string;
  readonly household: string;
  readonly bijstand: string | null;
  readonly huurtoeslag: string;
  readonly zorgtoeslag: string;
  readonly obligations: readonly { kind: string; amount: string }[];
}

const GEMEENTEN = [
  { id: 'GM0505', name: 'Dordrecht' },
  { id: 'GM0642', name: 'Zwijndrecht' },
];

const CLIENTS: readonly DemoClient[] = [
  {
    reference: 'DEMO-0001', gemeente: 'GM0505', household: 'single adult', bijstand: '1334.23', huurtoeslag: '380.00', zorgtoeslag: '129.00',
    obligations: [{ kind: 'rent', amount: '720.00' }, { kind: 'energy', amount: '120.00' }, { kind: 'water', amount: '25.00' }, { kind: 'health insurance', amount: '159.00' }],
  },
  {
    reference: 'DEMO-0002', gemeente: 'GM0505', household: 'couple with two children', bijstand: '1906.03', huurtoeslag: '412.00', zorgtoeslag: '246.00',
    obligations: [{ kind: 'rent', amount: '865.50' }, { kind: 'energy', amount: '185.00' }, { kind: 'water', amount: '38.40' }, { kind: 'health insurance', amount: '318.00' }],
  },
  {
    reference: 'DEMO-0003', gemeente: 'GM0642', household: 'single adult, bijstand not yet paid', bijstand: null, huurtoeslag: '0.00', zorgtoeslag: '0.00',
    obligations: [{ kind: 'rent', amount: '695.00' }, { kind: 'energy', amount: '110.00' }],
  },
];

const MONTH = '2026-12';
const WEEKLY_LEEFGELD_DATES = ['2026-11-30', '2026-12-07', '2026-12-14', '2026-12-21'];

export interface DemoSummary {
  readonly clients: number;
  readonly booked: number;
  readonly replayed: number;
  readonly refused: readonly string[];
  readonly receipts: Money;
  readonly fixedCostsPaid: Money;
  readonly leefgeldPaid: Money;
  readonly balances: readonly { reference: string; available: string }[];
  readonly verified: boolean;
  readonly problems: readonly string[];
}

export async function runLedgerMonthDemo(db: Kysely<Database>, progress: (line: string) => void = () => undefined): Promise<DemoSummary> {
  progress('setting up the demo region (2 gemeenten, 3 clients)');
  for (const g of GEMEENTEN) await ensureGemeente(db, g);
  const bank = await openAccount(db, { code: 'bank/demo-management-account', name: 'management account (demo)', kind: 'asset', purpose: 'bank', balanceRule: 'none' });
  const inTransit = await openAccount(db, { code: 'org/payments-in-transit', name: 'payments in transit', kind: 'liability', purpose: 'payments_in_transit', balanceRule: 'none' });

  let booked = 0;
  let replayed = 0;
  const refused: string[] = [];
  let receipts = Money.ZERO;
  let fixedCosts = Money.ZERO;
  let leefgeld = Money.ZERO;
  const balances: { reference: string; available: string }[] = [];

  const run = async (requests: LedgerRequest[]): Promise<LedgerResult[]> => {
    const results = await inTransaction(db, (trx) => bookBatch(trx, requests));
    for (const r of results) {
      if (r.outcome === 'rejected') throw r.error;
      if (r.replayed) replayed++;
      else if (r.outcome === 'booked') booked++;
      if (r.outcome === 'refused') refused.push(`${r.idempotencyKey}: ${r.message}`);
    }
    return results;
  };
  const move = (idempotencyKey: string, bookingDate: string, description: string, debit: bigint, credit: bigint, amount: Money): LedgerRequest =>
    transferBetween({ idempotencyKey, bookingDate, description, debit, credit, amount });

  for (const c of CLIENTS) {
    progress(`client ${c.reference} (${c.household})`);
    const client = await ensureClient(db, { gemeenteId: c.gemeente, reference: c.reference });
    const available = { id: (await availableAccounts(db, [client.id])).get(client.id)! };
    const key = (what: string) => `demo/${MONTH}/${c.reference}/${what}`;

    const incoming: LedgerRequest[] = [];
    for (const [what, date, amount] of [['zorgtoeslag', '2026-11-20', c.zorgtoeslag], ['huurtoeslag', '2026-11-20', c.huurtoeslag], ['bijstand', '2026-11-24', c.bijstand]] as const) {
      if (amount === null || Money.parse(amount).isZero()) continue;
      incoming.push(move(key(what), date, `${what} received`, bank.id, available.id, Money.parse(amount)));
    }
    await run(incoming);
    for (const r of incoming) if (r.type === 'transfer') receipts = receipts.plus(r.postings[0]!.amount);

    // art. 56a: fixed costs are reserved before any leefgeld.
    const reservations = c.obligations.map((o): LedgerRequest => ({
      type: 'pending', idempotencyKey: key(`reserve/${o.kind}`), bookingDate: '2026-11-24', description: `${o.kind} for ${MONTH} reserved`,
      debit: available.id, credit: inTransit.id, amount: Money.parse(o.amount),
    }));
    const reserved = await run(reservations);
    const payments = reservations.filter((_, i) => reserved[i]!.outcome === 'booked').map((r): LedgerRequest => ({
      type: 'post_pending', idempotencyKey: `${r.idempotencyKey}/paid`, bookingDate: '2026-11-27', description: `${r.description.replace(' reserved', '')} paid`,
      pendingKey: r.idempotencyKey,
    }));
    await run(payments);
    for (let i = 0; i < reservations.length; i++) {
      const r = reservations[i]!;
      if (reserved[i]!.outcome === 'booked' && r.type === 'pending') fixedCosts = fixedCosts.plus(r.amount);
    }

    // Leefgeld: what is free after the reservations, in four equal weeks, the rounding remainder in the last.
    // Worked out from the month's own receipts and reservations, so a second run asks for the same amounts.
    let total = Money.ZERO;
    for (const r of incoming) if (r.type === 'transfer') total = total.plus(r.postings[0]!.amount);
    reservations.forEach((r, i) => {
      if (reserved[i]!.outcome === 'booked' && r.type === 'pending') total = total.minus(r.amount);
    });
    const weekly = Money.round(total.toDecimal().dividedBy(WEEKLY_LEEFGELD_DATES.length), Decimal.ROUND_DOWN);
    const leefgeldRequests = WEEKLY_LEEFGELD_DATES.map((date, week) => {
      const earlierWeeks = Money.fromCents(weekly.cents * BigInt(WEEKLY_LEEFGELD_DATES.length - 1));
      const amount = week === WEEKLY_LEEFGELD_DATES.length - 1 ? total.minus(earlierWeeks) : weekly;
      return amount.isPositive() ? move(key(`leefgeld/${date}`), date, `leefgeld week ${week + 1}`, available.id, inTransit.id, amount) : undefined;
    }).filter((r): r is LedgerRequest => r !== undefined);
    const paid = await run(leefgeldRequests);
    leefgeldRequests.forEach((r, i) => {
      if (paid[i]!.outcome === 'booked' && r.type === 'transfer') leefgeld = leefgeld.plus(r.postings[0]!.amount);
    });
    balances.push({ reference: c.reference, available: (await getBalance(db, available.id)).available.toString() });
  }

  progress('the bank books the outgoing payments');
  const outstanding = (await getBalance(db, inTransit.id)).posted;
  if (outstanding.isPositive()) {
    await run([move(`demo/${MONTH}/bank-debits`, '2026-12-21', 'outgoing payments booked by the bank', inTransit.id, bank.id, outstanding)]);
  }

  progress('verifying the books');
  const report = await verifyLedger(db);
  return {
    clients: CLIENTS.length,
    booked,
    replayed,
    refused,
    receipts,
    fixedCostsPaid: fixedCosts,
    leefgeldPaid: leefgeld,
    balances,
    verified: report.ok,
    problems: report.problems,
  };
}
