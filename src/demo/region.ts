import type { Kysely } from 'kysely';
import { ensureGemeente } from '../clients/clients.js';
import { recordMachtiging } from '../clients/machtigingen.js';
import { addObligation } from '../clients/obligations.js';
import type { ObligationType } from '../clients/obligation-rules.js';
import { startStatutoryPeriod } from '../clients/ontzorg-periods.js';
import { setGemeentePolicy } from '../clients/policy.js';
import { registerClient } from '../clients/registry.js';
import type { HouseholdType } from '../clients/rows.js';
import type { BsnKeys } from '../clients/bsn-keys.js';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { registerBankAccount, registerKnownPayer } from '../ingest/setup.js';
import { Money } from '../money/money.js';
import { registerPaymentAccount, setDoubleApprovalThreshold } from '../payments/accounts.js';

/**
 * The demo region: the Sociale Dienst Drechtsteden's management account serving Dordrecht and
 * Zwijndrecht, the payers it knows, and four households with 2026 amounts from domain.md. All of
 * it replayable: a second run finds it and changes nothing.
 */
export const MANAGEMENT_ACCOUNT = 'NL91ABNA0417164300';
export const PAYERS = {
  dordrecht: 'NL20INGB0001234567',
  zwijndrecht: 'NL67BNGH0285170321',
  toeslagen: 'NL86INGB0002445588',
} as const;

export const PAYEES: Record<string, { name: string; iban: string }> = {
  woonbron: { name: 'Woonbron', iban: 'NL69INGB0123456789' },
  trivire: { name: 'Trivire', iban: 'NL39RABO0300065264' },
  eneco: { name: 'Eneco', iban: 'NL44RABO0123456789' },
  vattenfall: { name: 'Vattenfall', iban: 'NL51ABNA0123456780' },
  evides: { name: 'Evides Waterbedrijf', iban: 'NL02ABNA0123456789' },
  zilveren: { name: 'Zilveren Kruis', iban: 'NL67INGB0006543210' },
};

export interface DemoClient {
  readonly reference: string;
  readonly gemeenteId: string;
  readonly name: string;
  readonly latinName?: string;
  readonly household: HouseholdType;
  readonly ownIban: string;
  readonly consent: boolean;
  readonly caseNumber: string;
  readonly toeslagenReference: string;
  readonly bijstand: string;
  readonly huurtoeslag: string | null;
  readonly zorgtoeslag: string | null;
  readonly obligations: readonly { type: ObligationType; payee: keyof typeof PAYEES; amount: string; reference?: string }[];
  /** Payees the signed machtiging does not cover (rule 4: those payments are held). */
  readonly notAuthorised?: readonly (keyof typeof PAYEES)[];
  /**
   * The language the household reads its statement in. The client record has no language field yet,
   * so the demo keeps it here; a language without statement texts (Turkish) falls back to Dutch.
   */
  readonly language: string;
}

export const DEMO_CLIENTS: readonly DemoClient[] = [
  {
    reference: 'DR-2026-0001', gemeenteId: 'GM0505', name: 'Amira Haddad', household: 'single', ownIban: 'NL22SNSB0912345678', consent: true,
    language: 'ar', caseNumber: 'BIJ-70001', toeslagenReference: 'TS-1001', bijstand: '1334.23', huurtoeslag: '380.00', zorgtoeslag: '129.00',
    obligations: [
      { type: 'rent', payee: 'woonbron', amount: '720.00', reference: 'huurcontract 4711' },
      { type: 'gas', payee: 'eneco', amount: '55.00' },
      { type: 'electricity', payee: 'eneco', amount: '65.00' },
      { type: 'water', payee: 'evides', amount: '25.00' },
      { type: 'basic_health_insurance', payee: 'zilveren', amount: '159.00' },
    ],
  },
  {
    reference: 'DR-2026-0002', gemeenteId: 'GM0505', name: 'ዳዊት ተስፋዬ', latinName: 'Dawit Tesfaye', household: 'couple_with_children', ownIban: 'NL88RABO0123987654', consent: true,
    language: 'ti', caseNumber: 'BIJ-70002', toeslagenReference: 'TS-1002', bijstand: '1906.03', huurtoeslag: '412.00', zorgtoeslag: '246.00',
    obligations: [
      { type: 'rent', payee: 'woonbron', amount: '865.50', reference: 'huurcontract 5120' },
      { type: 'gas', payee: 'vattenfall', amount: '95.00' },
      { type: 'electricity', payee: 'vattenfall', amount: '90.00' },
      { type: 'water', payee: 'evides', amount: '38.40' },
      { type: 'basic_health_insurance', payee: 'zilveren', amount: '318.00' },
    ],
  },
  {
    reference: 'ZW-2026-0001', gemeenteId: 'GM0642', name: 'Şükrü Öztürk', household: 'single', ownIban: 'NL18ABNA0484869868', consent: false,
    language: 'tr', caseNumber: 'ZW-30001', toeslagenReference: 'TS-2001', bijstand: '1334.23', huurtoeslag: '350.00', zorgtoeslag: '129.00',
    obligations: [
      { type: 'rent', payee: 'trivire', amount: '695.00', reference: 'contract T-889' },
      { type: 'electricity', payee: 'eneco', amount: '110.00' },
      { type: 'water', payee: 'evides', amount: '25.00' },
      { type: 'basic_health_insurance', payee: 'zilveren', amount: '159.00' },
    ],
  },
  {
    reference: 'ZW-2026-0002', gemeenteId: 'GM0642', name: 'Nour Al-Sayed', household: 'single_parent', ownIban: 'NL74INGB0003455768', consent: true,
    language: 'en', caseNumber: 'ZW-30002', toeslagenReference: 'TS-2002', bijstand: '1334.23', huurtoeslag: null, zorgtoeslag: '129.00',
    obligations: [
      { type: 'rent', payee: 'trivire', amount: '640.00', reference: 'contract T-912' },
      { type: 'gas', payee: 'vattenfall', amount: '60.00' },
      { type: 'electricity', payee: 'vattenfall', amount: '55.00' },
      { type: 'basic_health_insurance', payee: 'zilveren', amount: '159.00' },
    ],
    notAuthorised: ['vattenfall'],
  },
];

export async function demoRegionExists(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('bank_account').select('iban').where('iban', '=', MANAGEMENT_ACCOUNT).executeTakeFirst()) !== undefined;
}

/** Sets the region up; answers the client ids by reference. */
export async function setUpDemoRegion(db: Kysely<Database>, keys: BsnKeys | null, from: string): Promise<Map<string, bigint>> {
  const ids = new Map<string, bigint>();
  await inTransaction(db, async (trx) => {
    await ensureGemeente(trx, { id: 'GM0505', name: 'Dordrecht' });
    await ensureGemeente(trx, { id: 'GM0642', name: 'Zwijndrecht' });
    await registerBankAccount(trx, { iban: MANAGEMENT_ACCOUNT, name: 'SDD beheerrekening ontzorgen' });
    await registerPaymentAccount(trx, { iban: MANAGEMENT_ACCOUNT, debtorName: 'Sociale Dienst Drechtsteden', initiatingPartyName: 'Sociale Dienst Drechtsteden', painVersion: '09' });
    await registerKnownPayer(trx, { gemeenteId: 'GM0505', iban: PAYERS.dordrecht, name: 'Gemeente Dordrecht uitkeringen', kind: 'bijstand' });
    await registerKnownPayer(trx, { gemeenteId: 'GM0642', iban: PAYERS.zwijndrecht, name: 'Gemeente Zwijndrecht uitkeringen', kind: 'bijstand' });
    for (const g of ['GM0505', 'GM0642']) {
      await registerKnownPayer(trx, { gemeenteId: g, iban: PAYERS.toeslagen, name: 'Belastingdienst Toeslagen', kind: 'toeslagen' });
      await setGemeentePolicy(trx, g, { debtorIban: MANAGEMENT_ACCOUNT, bijstandPayday: '24th' }, 'demo-administrator');
      await setDoubleApprovalThreshold(trx, g, 500_000n);
    }
  });
  for (const c of DEMO_CLIENTS) {
    const existing = await db.selectFrom('client').select('id').where('reference', '=', c.reference).executeTakeFirst();
    if (existing) {
      ids.set(c.reference, existing.id);
      continue;
    }
    const id = await inTransaction(db, async (trx) => {
      const record = await registerClient(
        trx,
        {
          gemeenteId: c.gemeenteId,
          reference: c.reference,
          name: c.name,
          ...(c.latinName ? { latinName: c.latinName } : {}),
          ownIban: c.ownIban,
          householdType: c.household,
          bijstandStart: '2026-11-01',
          inburgeringsplichtigWi2021: true,
          fixedTermAsylumPermit: true,
          toeslagenConsentReference: c.consent ? `toestemming-${c.reference}` : null,
          caseNumbers: [c.caseNumber],
          toeslagenReference: c.toeslagenReference,
          expectedIncome: [
            { classification: 'bijstand', monthly: Money.parse(c.bijstand) },
            ...(c.consent && c.huurtoeslag ? [{ classification: 'huurtoeslag' as const, monthly: Money.parse(c.huurtoeslag) }] : []),
            ...(c.consent && c.zorgtoeslag ? [{ classification: 'zorgtoeslag' as const, monthly: Money.parse(c.zorgtoeslag) }] : []),
          ],
        },
        keys,
      );
      await startStatutoryPeriod(trx, record.id);
      for (const o of c.obligations) {
        await addObligation(trx, record.id, {
          type: o.type,
          payee: { ...PAYEES[o.payee]!, reference: o.reference ? { kind: 'unstructured', value: o.reference } : null },
          firstVersion: { effectiveFrom: from, amount: Money.parse(o.amount), dueDay: 1, basis: 'art56a' },
          recordedBy: 'demo-consultant',
        });
      }
      const covered = [...new Set(c.obligations.map((o) => o.payee))].filter((p) => !(c.notAuthorised ?? []).includes(p));
      await recordMachtiging(trx, record.id, { documentReference: `M-${c.reference}`, signedOn: '2026-10-28', payees: covered.map((p) => PAYEES[p]!) });
      return record.id;
    });
    ids.set(c.reference, id);
  }
  return ids;
}
