import type { ObligationType } from '../clients/obligation-rules.js';
import type { IncomeType, PaymentKind, UpcomingStatus } from './model.js';

/**
 * Everything a statement says in words, for one language. One file per language in `messages/`
 * (`nl.ts`, `en.ts`, …), default-exporting a `Messages`; `languages.ts` finds them at start-up, so
 * adding a language is adding one file. Amounts and dates are formatted with `Intl` in
 * `language.locale`; texts never contain a number the renderer did not format.
 */

/** A payment, already in words: what the message functions put together. */
export interface PaymentWords {
  readonly kind: PaymentKind;
  /** The obligation in this language, capitalised ("Huur"), for kind `obligation`. */
  readonly obligation: string | null;
  /** The month the obligation is for ("november", "januari 2027"), when known. */
  readonly month: string | null;
  /** The ISO week of a leefgeld payment, when known. */
  readonly week: number | null;
  readonly payee: string | null;
  /** For kind `pass_on`: the income passed on, in this language ("Zorgtoeslag"). */
  readonly income: string | null;
}

export interface Messages {
  readonly language: {
    /** BCP 47 primary tag, the same as the file name: `nl`, `en`, `ar`, `ti`. */
    readonly code: string;
    /** The language's own name, for a language menu. */
    readonly name: string;
    readonly dir: 'ltr' | 'rtl';
    /** The Intl locale for dates and amounts (Arabic keeps Western digits: `ar-u-nu-latn`). */
    readonly locale: string;
  };
  readonly labels: {
    readonly title: string;
    readonly client: string;
    readonly reference: string;
    readonly gemeente: string;
    readonly period: string;
    readonly openingBalance: string;
    readonly closingBalance: string;
    readonly moneyIn: string;
    readonly moneyOut: string;
    readonly date: string;
    readonly description: string;
    readonly amount: string;
    readonly balance: string;
    readonly linesCaption: (month: string) => string;
    readonly noLines: string;
    readonly nowHeading: (date: string) => string;
    readonly heldNow: string;
    readonly reservedNow: string;
    readonly freeNow: string;
    readonly reservedHeading: string;
    readonly reservedIntro: string;
    readonly reservedFor: string;
    readonly since: string;
    readonly otherReserved: string;
    readonly noReserved: string;
    readonly nextHeading: string;
    readonly nextIntro: string;
    readonly payment: string;
    readonly status: string;
    readonly statuses: Readonly<Record<UpcomingStatus, string>>;
    readonly notKnownYet: string;
    readonly noNextPayments: string;
    readonly advanceHeading: string;
    readonly advanceExplanation: string;
    readonly advanceLent: string;
    readonly advanceRepaid: string;
    readonly advanceOpen: string;
    readonly advanceRecovered: string;
    /** Rule 11, in plain words: when, how much, that it is a loan, and what each leefgeld payment repays (null: nothing now). */
    readonly advanceTerms: (granted: string, date: string, instalment: string | null) => string;
    /** Rule 12: ontzorgen ended with this much still owed, handed over to the gemeente. */
    readonly advanceHandedOver: (date: string, open: string) => string;
    readonly advanceInstalment: string;
    readonly generated: (date: string) => string;
    readonly questions: string;
  };
  readonly income: Readonly<Record<IncomeType, string>>;
  readonly obligation: Readonly<Record<ObligationType, string>>;
  readonly describe: {
    readonly income: (income: string, payer: string | null) => string;
    readonly payment: (payment: PaymentWords) => string;
    readonly paymentReturned: (payment: PaymentWords, reason: string) => string;
    readonly paymentUndone: (payment: PaymentWords) => string;
    readonly advance: string;
    readonly advanceRecovery: string;
    readonly correction: (of: string) => string;
    readonly otherIn: string;
    readonly otherOut: string;
    /** What reserved money or a next payment is for: "Huur december (Woonbron)". */
    readonly purpose: (payment: PaymentWords) => string;
  };
  /** A maatwerk decision and its hand-over plan, in plain words (issue 6: visible to the client). */
  readonly maatwerk: {
    readonly heading: string;
    /** What the decision means, from when; `started`: the effective date has come. */
    readonly summary: (scope: 'full_opt_out' | 'partial' | 'hand_over_plan', date: string, started: boolean) => string;
    /** One obligation ("Huur", "Woonbron"): paid by us, or by the client from `date`. */
    readonly obligation: (obligation: string, payee: string, date: string | null) => string;
    readonly review: (date: string) => string;
  };
  /** SEPA return reasons in plain words; `unknown` takes the code. */
  readonly returnReasons: { readonly codes: Readonly<Record<string, string>>; readonly unknown: (code: string | null) => string };
}
