import type { Kysely } from 'kysely';
import { availableAccountCode } from '../../src/clients/accounts.js';
import { ensureGemeente } from '../../src/clients/clients.js';
import { recordMachtiging } from '../../src/clients/machtigingen.js';
import { addObligation } from '../../src/clients/obligations.js';
import { startStatutoryPeriod } from '../../src/clients/ontzorg-periods.js';
import type { ObligationType } from '../../src/clients/obligation-rules.js';
import type { LegalBasis } from '../../src/clients/periods.js';
import { setGemeentePolicy, type PolicySettings } from '../../src/clients/policy.js';
import { registerClient, type RegisterClient } from '../../src/clients/registry.js';
import type { Database } from '../../src/db/schema.js';
import { inTransaction } from '../../src/db/transaction.js';
import type { SimulatedEntry } from '../../src/demo/bank-statement.js';
import { registerKnownPayer, registerBankAccount } from '../../src/ingest/setup.js';
import { findAccountByCode, getBalance } from '../../src/ledger/index.js';
import { Money } from '../../src/money/money.js';
import { addDays, isBusinessDay } from '../../src/schedule/index.js';
import { registerPaymentAccount } from '../../src/payments/accounts.js';
import { runDailyBatch, type DailyBatchResult } from '../../src/batch/run.js';
import { DORDRECHT_BENEFITS, MANAGED, TOESLAGEN, ingest, statementFile } from '../ingest/region.js';

/** A service region for batch tests: Dordrecht on the SDD management account, paying from it. */
export const GEMEENTE = 'GM0505';
export const CLIENT_IBAN = 'NL22SNSB0912345678';
export const eur = (text: string): Money => Money.parse(text);

export const PAYEES = {
  rent: { name: 'Woonbron', iban: 'NL69INGB0123456789' },
  gas: { name: 'Eneco', iban: 'NL44RABO0123456789' },
  electricity: { name: 'Eneco', iban: 'NL44RABO0123456789' },
  water: { name: 'Evides', iban: 'NL02ABNA0123456789' },
  basic_health_insurance: { name: 'Zilveren Kruis', iban: 'NL20INGB0001234567' },
  supplementary_insurance: { name: 'Zilveren Kruis', iban: 'NL20INGB0001234567' },
  municipal_taxes: { name: 'SVHW', iban: 'NL85BNGH0285059999' },
  other: { name: 'Overig', iban: 'NL51ABNA0987654321' },
} as const satisfies Record<ObligationType, { name: string; iban: string }>;

export async function aServiceRegion(db: Kysely<Database>, policy: Partial<PolicySettings> = {}): Promise<void> {
  await inTransaction(db, async (trx) => {
    await ensureGemeente(trx, { id: GEMEENTE, name: 'Dordrecht' });
    await registerBankAccount(trx, { iban: MANAGED, name: 'SDD beheerrekening' });
    await registerPaymentAccount(trx, { iban: MANAGED, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'SDD', painVersion: '09' });
    await registerKnownPayer(trx, { gemeenteId: GEMEENTE, iban: DORDRECHT_BENEFITS, name: 'Gemeente Dordrecht uitkeringen', kind: 'bijstand' });
    await registerKnownPayer(trx, { gemeenteId: GEMEENTE, iban: TOESLAGEN, name: 'Belastingdienst Toeslagen', kind: 'toeslagen' });
    await setGemeentePolicy(trx, GEMEENTE, { debtorIban: MANAGED, bijstandPayday: '24th', ...policy }, 'test-setup');
  });
}

export interface ObligationSpec {
  type: ObligationType;
  amount: string;
  dueDay?: number;
  from: string;
  basis?: LegalBasis;
  reference?: string;
}

/** The single adult of domain.md: rent 720, energy 120 (gas 55 + electricity 65), water 25, premium 159. */
export function singleAdultObligations(from: string): ObligationSpec[] {
  return [
    { type: 'rent', amount: '720.00', from, reference: 'contract 4711' },
    { type: 'gas', amount: '55.00', from },
    { type: 'electricity', amount: '65.00', from },
    { type: 'water', amount: '25.00', from },
    { type: 'basic_health_insurance', amount: '159.00', from },
  ];
}

export interface TestClient {
  id: bigint;
  reference: string;
  caseNumber: string;
  toeslagenReference: string;
  obligations: Record<string, bigint>;
}

let clients = 0;

/** Registers a client with a 56a period, obligations and a machtiging covering every payee (unless told otherwise). */
export async function aClient(
  db: Kysely<Database>,
  options: Partial<RegisterClient> & { obligations?: ObligationSpec[]; machtiging?: boolean; startPeriod?: boolean } = {},
): Promise<TestClient> {
  clients += 1;
  const reference = options.reference ?? `DR-${String(clients).padStart(4, '0')}-${process.pid % 1000}`;
  const caseNumber = `BIJ-${String(70000 + clients)}`;
  const toeslagenReference = `TS-${String(1000 + clients)}`;
  return inTransaction(db, async (trx) => {
    const record = await registerClient(trx, {
      gemeenteId: GEMEENTE,
      reference,
      name: 'Amira Haddad',
      ownIban: CLIENT_IBAN,
      householdType: 'single',
      bijstandStart: '2026-03-01',
      inburgeringsplichtigWi2021: true,
      fixedTermAsylumPermit: true,
      caseNumbers: [caseNumber],
      toeslagenReference,
      expectedIncome: [{ classification: 'bijstand', monthly: eur('1334.23') }],
      ...options,
    });
    if (options.startPeriod !== false) await startStatutoryPeriod(trx, record.id);
    const obligations: Record<string, bigint> = {};
    for (const spec of options.obligations ?? []) {
      const obligation = await addObligation(trx, record.id, {
        type: spec.type,
        payee: { ...PAYEES[spec.type], reference: spec.reference ? { kind: 'unstructured', value: spec.reference } : null },
        firstVersion: { effectiveFrom: spec.from, amount: eur(spec.amount), dueDay: spec.dueDay ?? 1, basis: spec.basis ?? 'art56a' },
        recordedBy: 'consultant',
      });
      obligations[spec.type] = BigInt(obligation.id);
    }
    if (options.machtiging !== false && (options.obligations ?? []).length > 0) {
      const payees = new Map((options.obligations ?? []).map((spec) => [PAYEES[spec.type].iban, PAYEES[spec.type]]));
      await recordMachtiging(trx, record.id, { documentReference: `M-${reference}`, signedOn: '2026-02-20', payees: [...payees.values()] });
    }
    return { id: record.id, reference, caseNumber, toeslagenReference, obligations };
  });
}

let statementNumber = 0;
/** Money arriving on the management account, booked through ingestion like a real bank statement. */
export async function bankCredits(db: Kysely<Database>, date: string, entries: readonly { amount: string; from: string; name: string; text: string }[]): Promise<void> {
  statementNumber += 1;
  const simulated: SimulatedEntry[] = entries.map((e, n) => ({
    amount: e.amount,
    creditDebit: 'CRDT',
    bookingDate: date,
    accountServicerReference: `REF-${process.pid}-${statementNumber}-${n}`,
    bankCode: { domain: 'PMNT', family: 'RCDT', subFamily: 'ESCT' },
    details: [{ endToEndId: `E2E-${statementNumber}-${n}`, counterpartyName: e.name, counterpartyIban: e.from, unstructured: e.text }],
  }));
  const result = await ingest(db, statementFile(`ST-${process.pid}-${statementNumber}`, simulated), `st-${statementNumber}.xml`);
  if (result.status !== 'ingested') throw new Error(`ingest failed: ${JSON.stringify(result.error)}`);
}

export const bijstandFor = (client: TestClient, amount: string, month: string) => ({ amount, from: DORDRECHT_BENEFITS, name: 'Gemeente Dordrecht', text: `Uitkering ${month} dossier ${client.caseNumber}` });
export const toeslagFor = (client: TestClient, kind: 'HUURTOESLAG' | 'ZORGTOESLAG', amount: string, month: string) => ({
  amount,
  from: TOESLAGEN,
  name: 'Belastingdienst Toeslagen',
  text: `${kind} ${month} ${client.toeslagenReference}`,
});

export async function batch(db: Kysely<Database>, runDate: string): Promise<DailyBatchResult> {
  return runDailyBatch(db, { gemeenteId: GEMEENTE, runDate, startedBy: 'test', now: new Date(`${runDate}T05:30:00Z`) });
}

/** The client's free money (available), as a string. */
export async function freeOf(db: Kysely<Database>, clientId: bigint): Promise<string> {
  const account = await findAccountByCode(db, availableAccountCode(clientId));
  return account ? (await getBalance(db, account.id)).available.toString() : '0.00';
}

/** Every payment instruction of a client, one readable line each: `execution type-or-kind period amount [HELD]`. */
export async function paymentsOf(db: Kysely<Database>, clientId: bigint): Promise<string[]> {
  const rows = await db
    .selectFrom('payment_instruction as i')
    .leftJoin('obligation as o', 'o.id', 'i.obligation_id')
    .leftJoin('scheduled_payment as s', 's.idempotency_key', 'i.idempotency_key')
    .select(['i.kind', 's.kind as scheduled', 'o.type', 'i.period', 'i.amount_cents', 'i.execution_date', 'i.status'])
    .where('i.client_id', '=', clientId)
    .select(['o.id as obligation'])
    .execute();
  // A stable reading order: by execution day; obligations (in the order recorded) before leefgeld, pass-ons, closing.
  const rank = { obligation: 0, leefgeld: 1, pass_on: 2, closing: 3 } as const;
  rows.sort(
    (a, b) =>
      a.execution_date.localeCompare(b.execution_date) ||
      rank[a.scheduled ?? 'obligation'] - rank[b.scheduled ?? 'obligation'] ||
      Number((a.obligation ?? 0n) - (b.obligation ?? 0n)) ||
      Number(b.amount_cents - a.amount_cents),
  );
  return rows.map((r) => `${r.execution_date} ${r.type ?? r.scheduled ?? r.kind} ${r.period} ${Money.fromCents(r.amount_cents).toString()}${r.status === 'held' ? ' HELD' : ''}`);
}

/** What the client has reserved (pending debits on the available account). */
export async function reservedOf(db: Kysely<Database>, clientId: bigint): Promise<string> {
  const account = await findAccountByCode(db, availableAccountCode(clientId));
  return account ? (await getBalance(db, account.id)).debitsPending.toString() : '0.00';
}

/** Every business day from `from` to `to`, as the daily job would run. */
export function businessDays(from: string, to: string): string[] {
  const days: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) if (isBusinessDay(d)) days.push(d);
  return days;
}

/**
 * Amira of the month in the life (tests/batch/month.test.ts): a single adult in Dordrecht, payday the 24th,
 * leefgeld every Monday, the fixed costs of domain.md from 1 April 2026, huurtoeslag 380 and zorgtoeslag 129
 * with consent.
 */
export function aSingleAdultWithToeslagen(db: Kysely<Database>): Promise<TestClient> {
  return aClient(db, {
    obligations: singleAdultObligations('2026-04-01'),
    toeslagenConsentReference: 'TS-consent-2026-02',
    expectedIncome: [
      { classification: 'bijstand', monthly: eur('1334.23') },
      { classification: 'huurtoeslag', monthly: eur('380.00') },
      { classification: 'zorgtoeslag', monthly: eur('129.00') },
    ],
  });
}

/** Her first payday: the toeslagen on 20 March, the bijstand on the 24th, and the daily batch up to the 25th. */
export async function throughFirstPayday(db: Kysely<Database>, client: TestClient): Promise<void> {
  await bankCredits(db, '2026-03-20', [toeslagFor(client, 'HUURTOESLAG', '380.00', '2026-04'), toeslagFor(client, 'ZORGTOESLAG', '129.00', '2026-04')]);
  await batch(db, '2026-03-23');
  await bankCredits(db, '2026-03-24', [bijstandFor(client, '1334.23', '2026-03')]);
  await batch(db, '2026-03-24');
  await batch(db, '2026-03-25');
}
