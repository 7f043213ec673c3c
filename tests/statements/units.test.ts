import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Money } from '../../src/money/money.js';
import { chooseLanguage, DEFAULT_LANGUAGE, LANGUAGES, amsterdamToday, monthsOf, renderStatementCsv, statementPeriod, StatementError, type StatementView } from '../../src/statements/index.js';
import type { Messages, PaymentWords } from '../../src/statements/language.js';
import { escapeHtml } from '../../src/statements/render-html.js';
import { isoWeek } from '../../src/statements/period.js';
import { describeLine, formatMoney, paymentWords } from '../../src/statements/words.js';

describe('the statement period', () => {
  it('defaults to the calendar month of today, or of the one day given', () => {
    expect(statementPeriod({}, '2026-11-25')).toEqual({ from: '2026-11-01', to: '2026-11-30' });
    expect(statementPeriod({ from: '2026-02-10' }, '2026-11-25')).toEqual({ from: '2026-02-10', to: '2026-02-28' });
    expect(statementPeriod({ to: '2026-03-15' }, '2026-11-25')).toEqual({ from: '2026-03-01', to: '2026-03-15' });
  });

  it('refuses days that are not days, a reversed period and more than 24 months, naming the problem', () => {
    for (const asked of [{ from: '2026-02-30' }, { to: '25-11-2026' }, { from: '2026-11-02', to: '2026-11-01' }, { from: '2024-01-01', to: '2026-01-01' }]) {
      expect(() => statementPeriod(asked, '2026-11-25')).toThrow(StatementError);
    }
    expect(() => statementPeriod({ from: '2024-12-01', to: '2026-11-30' }, '2026-11-25')).not.toThrow();
  });

  it('splits a period into calendar months clipped to it', () => {
    expect(monthsOf({ from: '2026-12-15', to: '2027-02-03' })).toEqual([
      { month: '2026-12', from: '2026-12-15', to: '2026-12-31' },
      { month: '2027-01', from: '2027-01-01', to: '2027-01-31' },
      { month: '2027-02', from: '2027-02-01', to: '2027-02-03' },
    ]);
  });

  it('knows today in Amsterdam, whatever the server\'s zone', () => {
    expect(amsterdamToday(new Date('2026-11-24T23:30:00Z'))).toBe('2026-11-25');
    expect(amsterdamToday(new Date('2026-07-01T21:59:00Z'))).toBe('2026-07-01');
  });

  it('numbers leefgeld weeks as ISO weeks', () => {
    expect([isoWeek('2026-11-16'), isoWeek('2026-01-01'), isoWeek('2027-01-01'), isoWeek('2026-12-28'), isoWeek('2021-01-03')]).toEqual([47, 1, 53, 53, 53]);
  });
});

describe('the statement languages', () => {
  const keysOf = (value: unknown, prefix = ''): string[] =>
    value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([k, v]) => keysOf(v, `${prefix}${k}.`)) : [prefix.slice(0, -1)];

  it('are one file each in messages/, found without a list to maintain: nl, en, ar (right to left) and ti', () => {
    const files = readdirSync(new URL('../../src/statements/messages/', import.meta.url)).map((f) => f.replace(/\.ts$/, '')).sort();
    expect([...LANGUAGES.keys()].sort()).toEqual(files);
    expect(files).toEqual(expect.arrayContaining(['ar', 'en', 'nl', 'ti']));
    expect(LANGUAGES.get('ar')!.language.dir).toBe('rtl');
    expect(DEFAULT_LANGUAGE).toBe('nl');
  });

  it('each say everything Dutch says (the same keys), and nothing comes out empty', () => {
    const dutch = keysOf(LANGUAGES.get('nl')).filter((k) => !k.startsWith('returnReasons.codes.')).sort();
    const payment: PaymentWords = { kind: 'obligation', obligation: 'X', month: 'Y', week: 47, payee: 'Woonbron', income: 'Z' };
    for (const [code, m] of LANGUAGES) {
      expect(keysOf(m).filter((k) => !k.startsWith('returnReasons.codes.')).sort(), code).toEqual(dutch);
      for (const kind of ['obligation', 'leefgeld', 'pass_on', 'closing', 'noodvoorziening', 'refund'] as const) {
        for (const p of [{ ...payment, kind }, { ...payment, kind, payee: null }]) {
          expect(m.describe.payment(p).trim(), `${code} ${kind}`).not.toBe('');
          expect(m.describe.purpose(p).trim()).not.toBe('');
          expect(m.describe.paymentReturned(p, 'r')).toContain('r');
        }
      }
      expect(m.returnReasons.unknown('ZZ99')).toContain('ZZ99');
    }
  });

  it('are chosen by lang, else by Accept-Language with its weights, else Dutch', () => {
    const code = (lang?: string, accept?: string) => chooseLanguage(lang, accept).language.code;
    expect(code('en', 'ar')).toBe('en');
    expect(code(undefined, 'ar-SY,ar;q=0.9,en;q=0.8')).toBe('ar');
    expect(code(undefined, 'fr-FR, ti;q=0.5, en;q=0.7')).toBe('en');
    expect(code(undefined, 'de, *;q=0.1')).toBe('nl');
    expect(code(undefined, 'en;q=0, ti')).toBe('ti');
    expect(code('xx', undefined)).toBe('nl');
    expect(code(undefined, undefined)).toBe('nl');
  });

  it('format money from the exact decimal, never through a float', () => {
    const nl = LANGUAGES.get('nl')!;
    expect(formatMoney(Money.parse('-1234.56'), nl)).toBe('€\u00a0-1.234,56');
    expect(formatMoney('90071992547409.93', LANGUAGES.get('en')!)).toBe('€90,071,992,547,409.93');
    expect(formatMoney('1334.23', LANGUAGES.get('ar')!)).toMatch(/1,334\.23/);
  });

  it('names the obligation month, with its year when it is not the year read', () => {
    const nl: Messages = LANGUAGES.get('nl')!;
    const rent = { kind: 'obligation' as const, obligationType: 'rent' as const, period: '2027-01', payee: 'Woonbron', incomeType: null };
    expect(paymentWords(rent, nl, '2027').month).toBe('januari');
    expect(paymentWords(rent, nl, '2026').month).toBe('januari 2027');
    expect(describeLine({ kind: 'payment', payment: rent }, nl, '2026-12-28')).toBe('Huur januari 2027 betaald aan Woonbron');
    expect(describeLine({ kind: 'correction', of: { kind: 'income', incomeType: 'bijstand', payer: null } }, nl, '2026-12-28')).toBe('Correctie: Bijstand ontvangen');
    expect(describeLine({ kind: 'payment', payment: { kind: 'pass_on', obligationType: null, period: '2026-11-20', payee: null, incomeType: 'zorgtoeslag' } }, nl, '2026-11-20')).toBe('Zorgtoeslag doorbetaald aan u');
  });
});

describe('the CSV and HTML renderers', () => {
  const view = (description: string, reference = 'DR-1'): StatementView => ({
    client: { id: '1', reference, name: null, gemeente: { id: 'GM0505', name: 'Dordrecht' } },
    period: { from: '2026-11-01', to: '2026-11-30' }, asOf: '2026-11-25', language: 'nl', dir: 'ltr', currency: 'EUR',
    openingBalance: '0.00', closingBalance: '-1.00', moneyIn: '0.00', moneyOut: '1.00', heldNow: '0.00', freeNow: '0.00',
    reserved: { total: '0.00', items: [] }, nextPayments: [], advance: null,
    months: [{ month: '2026-11', label: 'november 2026', from: '2026-11-01', to: '2026-11-30', openingBalance: '0.00', closingBalance: '-1.00', moneyIn: '0.00', moneyOut: '1.00', lines: [{ date: '2026-11-02', kind: 'other', description, amount: '-1.00', balance: '-1.00', transactionId: '9' }] }],
  });

  it('quotes what needs quoting and never lets a text start a formula', () => {
    const row = (text: string, reference?: string) => renderStatementCsv(view(text, reference)).split('\r\n')[1];
    expect(row('Huur; "november"')).toBe('DR-1;GM0505;2026-11;2026-11-02;other;"Huur; ""november""";-1.00;-1.00;9');
    expect(row('=HYPERLINK("x")')).toBe('DR-1;GM0505;2026-11;2026-11-02;other;"\'=HYPERLINK(""x"")";-1.00;-1.00;9');
    expect(row('plain', '+31')).toBe("'+31;GM0505;2026-11;2026-11-02;other;plain;-1.00;-1.00;9");
  });

  it('escapes every text it prints', () => {
    expect(escapeHtml('<script>"x" & \'y\'</script>')).toBe('&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;');
  });
});
