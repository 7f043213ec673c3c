import { beforeAll, expect, it } from 'vitest';
import { availableAccounts } from '../../src/clients/accounts.js';
import { balanceOnDate, getBalance } from '../../src/ledger/index.js';
import { clientStatement, LANGUAGES, renderStatementCsv, renderStatementHtml, statementView, type Statement, type StatementView } from '../../src/statements/index.js';
import { addDays } from '../../src/schedule/index.js';
import { describeOnEachDatabase } from '../support/db.js';
import { twoMonthsOfAmira, type Scenario } from './scenario.js';

const lines = (view: StatementView) => view.months.flatMap((m) => m.lines.map((l) => ({ month: m.month, ...l })));

describeOnEachDatabase('a client\'s statement, two months of real flow', (handle) => {
  let scenario: Scenario;
  let statement: Statement;
  let nl: StatementView;
  let en: StatementView;

  beforeAll(async () => {
    scenario = await twoMonthsOfAmira(handle().db);
    statement = (await clientStatement(handle().db, scenario.amira.id, { from: '2026-10-01', to: '2026-11-30', asOf: '2026-11-25' }))!;
    nl = statementView(statement, LANGUAGES.get('nl')!);
    en = statementView(statement, LANGUAGES.get('en')!);
  }, 300_000);

  it('describes each line in plain words from the facts (payment, obligation, payee, income type), not the ledger\'s text', () => {
    const nlLines = lines(nl);
    expect(nlLines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ month: '2026-10', date: '2026-10-20', kind: 'income', description: 'Huurtoeslag ontvangen', amount: '380.00' }),
        expect.objectContaining({ month: '2026-10', date: '2026-10-20', kind: 'income', description: 'Zorgtoeslag ontvangen', amount: '129.00' }),
        expect.objectContaining({ month: '2026-10', date: '2026-10-26', kind: 'income', description: 'Bijstand ontvangen', amount: '1334.23' }),
        expect.objectContaining({ month: '2026-10', kind: 'payment_obligation', description: 'Huur november betaald aan Woonbron', amount: '-720.00' }),
        expect.objectContaining({ month: '2026-10', kind: 'payment_obligation', description: 'Zorgverzekering november betaald aan Zilveren Kruis', amount: '-159.00' }),
        expect.objectContaining({ month: '2026-11', date: '2026-11-04', kind: 'payment_returned', description: 'Water november kwam terug: de rekening is opgeheven', amount: '25.00' }),
        expect.objectContaining({ month: '2026-11', date: '2026-11-05', kind: 'advance', description: 'Voorschot (noodvoorziening) ontvangen', amount: '200.00' }),
        expect.objectContaining({ month: '2026-11', date: '2026-11-16', kind: 'advance_recovery', description: 'Terugbetaling voorschot', amount: '-25.00' }),
      ]),
    );
    const leefgeld = nlLines.filter((l) => l.kind === 'payment_leefgeld').map((l) => l.description);
    expect(leefgeld).toContain('Leefgeld week 46');
    expect(leefgeld.every((d) => /^Leefgeld week \d{1,2}$/.test(d))).toBe(true);
    expect(lines(en).map((l) => l.description)).toEqual(expect.arrayContaining(['Rent November paid to Woonbron', 'Zorgtoeslag received', 'Water November came back: the account is closed', 'Leefgeld week 46']));
    // Nothing of the ledger's technical descriptions reaches the client.
    expect(JSON.stringify(nl)).not.toMatch(/reserved \(art\. 56a|released to the bank|camt|reserve\//);
  });

  it('reconciles with the ledger: opening and closing by booking date, every line, months joined; held, reserved and free as the counters say', async () => {
    const { db } = handle();
    const account = (await availableAccounts(db, [scenario.amira.id])).get(scenario.amira.id)!;
    expect(nl.openingBalance).toBe((await balanceOnDate(db, account, addDays('2026-10-01', -1))).posted.toString());
    expect(nl.closingBalance).toBe((await balanceOnDate(db, account, '2026-11-30')).posted.toString());
    expect(nl.months[0]!.closingBalance).toBe((await balanceOnDate(db, account, '2026-10-31')).posted.toString());
    expect(nl.months[1]!.openingBalance).toBe(nl.months[0]!.closingBalance);
    const now = await getBalance(db, account);
    expect([nl.heldNow, nl.reserved.total, nl.freeNow]).toEqual([now.posted.toString(), now.debitsPending.toString(), now.available.toString()]);
  });

  it('shows what is set aside now and for what, and the next payments with their dates', () => {
    expect(nl.reserved.items.map((i) => [i.description, i.amount])).toEqual(
      expect.arrayContaining([
        ['Water november (Evides)', '25.00'],
        ['Huur december (Woonbron)', '720.00'],
        ['Zorgverzekering december (Zilveren Kruis)', '159.00'],
      ]),
    );
    expect(nl.nextPayments).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ date: '2026-12-01', description: 'Huur december (Woonbron)', amount: '720.00', status: 'reserved', statusText: 'Geld staat klaar' }),
        // Returned (AC04) and reserved again: paid again once the water company's account is known.
        expect.objectContaining({ date: null, description: 'Water november (Evides)', amount: '25.00', status: 'waiting' }),
      ]),
    );
  });

  it('lists obligations due soon that are not reserved yet as expected, with the year when it is another', async () => {
    const later = (await clientStatement(handle().db, scenario.amira.id, { from: '2026-12-01', to: '2026-12-31', asOf: '2026-12-20' }))!;
    const view = statementView(later, LANGUAGES.get('nl')!);
    expect(view.nextPayments).toEqual(expect.arrayContaining([expect.objectContaining({ date: '2027-01-01', description: 'Huur januari 2027 (Woonbron)', amount: '720.00', status: 'expected', statusText: 'Verwacht' })]));
    expect(statementView(later, LANGUAGES.get('en')!).nextPayments.map((p) => p.description)).toContain('Rent January 2027 (Woonbron)');
  });

  it('explains an open emergency advance and what was recovered in the period', () => {
    expect(nl.advance).toEqual({ lent: '200.00', repaid: '25.00', open: '175.00', recoveredInPeriod: '25.00', explanation: LANGUAGES.get('nl')!.labels.advanceExplanation });
    expect(nl.advance!.explanation).toContain('lening');
  });

  it('renders CSV for the back office: semicolons, a header, one row per line, amounts as 123.45, UTF-8 with BOM', () => {
    const csv = renderStatementCsv(nl);
    expect(csv.startsWith('\ufeffclient_reference;gemeente;month;date;kind;description;amount;balance;transaction_id\r\n')).toBe(true);
    const rows = csv.slice(1).trimEnd().split('\r\n').slice(1);
    expect(rows).toHaveLength(lines(nl).length);
    expect(rows).toContain(`${scenario.amira.reference};GM0505;2026-10;2026-10-26;income;Bijstand ontvangen;1334.23;1843.23;${lines(nl).find((l) => l.amount === '1334.23' && l.month === '2026-10')!.transactionId}`);
    for (const row of rows) expect(row.split(';')[6]).toMatch(/^-?\d+\.\d{2}$/);
  });

  it('renders printable HTML with the language and direction, every amount machine-readable', () => {
    const ar = statementView(statement, LANGUAGES.get('ar')!);
    const html = renderStatementHtml(ar, LANGUAGES.get('ar')!, '2026-11-25');
    expect(html).toContain('<html lang="ar" dir="rtl">');
    expect(html).toContain('<data value="-720.00"');
    expect(html).toContain('دفع الإيجار لشهر نوفمبر إلى Woonbron');
    expect(html).not.toMatch(/margin-left|margin-right|padding-left|padding-right|text-align:\s*(left|right)|float:/);
  });
});
