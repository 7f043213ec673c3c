import type { Messages, PaymentWords } from '../language.js';

/** English, plain: the Dutch names of benefits and of leefgeld are kept, as clients meet them in letters. */

function what(p: PaymentWords): string {
  switch (p.kind) {
    case 'obligation':
      return [p.obligation, p.month].filter(Boolean).join(' ');
    case 'leefgeld':
      return p.week === null ? 'Leefgeld' : `Leefgeld week ${p.week}`;
    case 'pass_on':
      return `${p.income ?? 'Money'} (passed on)`;
    case 'closing':
      return 'Payment of the rest of your money';
    case 'noodvoorziening':
      return 'Emergency payment';
    case 'refund':
      return 'Refund';
  }
}

const messages = {
  language: { code: 'en', name: 'English', dir: 'ltr', locale: 'en-GB' },
  labels: {
    title: 'Your money: statement',
    client: 'Name',
    reference: 'Your number',
    gemeente: 'Municipality',
    period: 'Period',
    openingBalance: 'Balance at the start',
    closingBalance: 'Balance at the end',
    moneyIn: 'Money in',
    moneyOut: 'Money out',
    date: 'Date',
    description: 'Description',
    amount: 'Amount',
    balance: 'Balance',
    linesCaption: (month) => `Everything that happened to your money in ${month}`,
    noLines: 'Nothing happened to your money this month.',
    nowHeading: (date) => `Where things stand on ${date}`,
    heldNow: 'Your money with us',
    reservedNow: 'Set aside',
    freeNow: 'Not set aside yet',
    reservedHeading: 'Set aside for your fixed costs',
    reservedIntro: 'This money is yours. We have set it aside to pay your bills.',
    reservedFor: 'For',
    since: 'Since',
    otherReserved: 'Other money set aside',
    noReserved: 'No money is set aside at the moment.',
    nextHeading: 'What we will pay soon',
    nextIntro: 'We make these payments for you. The date is the day the money must be there.',
    payment: 'Payment',
    status: 'Status',
    statuses: {
      planned: 'Ready to be paid',
      held: 'Waiting for your authorisation',
      reserved: 'Money is ready',
      waiting: 'Came back, we will pay again',
      expected: 'Expected',
    },
    notKnownYet: 'Not known yet',
    noNextPayments: 'No payments are waiting at the moment.',
    advanceHeading: 'Advance (noodvoorziening)',
    advanceExplanation: 'You received an advance. It is a loan: you pay it back. To do this we keep back a small part of your leefgeld each time, until everything is paid back.',
    advanceLent: 'Advance received',
    advanceRepaid: 'Paid back so far',
    advanceOpen: 'Still to pay back',
    advanceRecovered: 'Paid back in this period',
    advanceTerms: (granted, date, instalment) =>
      `On ${date} you received ${granted} as an advance. This is a loan: you pay it back.` +
      (instalment ? ` We keep back ${instalment} from each leefgeld payment until everything is paid back. You always keep enough to live on.` : ''),
    advanceHandedOver: (date, open) => `Ontzorgen ended on ${date}. At that time you still had ${open} to pay back. The gemeente will contact you about how to pay it back.`,
    advanceInstalment: 'Per leefgeld payment',
    generated: (date) => `Made on ${date}`,
    questions: 'Questions? Contact your consultant at the municipality, or ask your VluchtelingenWerk guide.',
  },
  income: {
    bijstand: 'Bijstand',
    zorgtoeslag: 'Zorgtoeslag',
    huurtoeslag: 'Huurtoeslag',
    kindgebonden_budget: 'Kindgebonden budget',
    kinderbijslag: 'Kinderbijslag',
    other: 'Money',
  },
  obligation: {
    rent: 'Rent',
    gas: 'Gas',
    electricity: 'Electricity',
    water: 'Water',
    basic_health_insurance: 'Health insurance',
    supplementary_insurance: 'Extra health insurance',
    municipal_taxes: 'Municipal taxes',
    other: 'Fixed cost',
  },
  describe: {
    income: (income, payer) => (payer ? `${income} received from ${payer}` : `${income} received`),
    payment: (p) => {
      switch (p.kind) {
        case 'obligation':
          return p.payee ? `${what(p)} paid to ${p.payee}` : `${what(p)} paid`;
        case 'pass_on':
          return `${p.income ?? 'Money'} passed on to you`;
        case 'closing':
          return 'Rest of your money paid to you (end of ontzorgen)';
        case 'noodvoorziening':
          return p.payee ? `Emergency payment to ${p.payee}` : 'Emergency payment to you';
        case 'refund':
          return p.payee ? `Refunded to ${p.payee}` : 'Refunded';
        case 'leefgeld':
          return what(p);
      }
    },
    paymentReturned: (p, reason) => `${what(p)} came back: ${reason}`,
    paymentUndone: (p) => `${what(p)}: the bank did not pay this, the money is back`,
    advance: 'Advance (noodvoorziening) received',
    advanceRecovery: 'Advance paid back',
    correction: (of) => `Correction: ${of}`,
    otherIn: 'Money received',
    otherOut: 'Money paid out',
    purpose: (p) => (p.payee ? `${what(p)} (${p.payee})` : what(p)),
  },
  maatwerk: {
    heading: 'Your personal arrangement',
    summary: (scope, date, started) => {
      const from = started ? `Since ${date}` : `From ${date}`;
      if (scope === 'full_opt_out') return `${from} you pay all your fixed costs yourself. We keep nothing back: all your money goes to your own account.`;
      if (scope === 'partial') return `${from} you pay some of your fixed costs yourself. What we no longer pay, you get as extra leefgeld.`;
      return `${from} you learn, step by step, to pay your bills yourself. On each date below one bill moves to you. You get the money for it as extra leefgeld.`;
    },
    obligation: (obligation, payee, date) => (date ? `${obligation} (${payee}): you pay it yourself from ${date}` : `${obligation} (${payee}): we keep paying this for you`),
    review: (date) => `On ${date} we look together with you at how this arrangement works.`,
  },
  returnReasons: {
    codes: {
      AC01: 'the account number is wrong',
      AC04: 'the account is closed',
      AC06: 'the account is blocked',
      AM05: 'the payment was made twice',
      MD07: 'the receiver has died',
      MS02: 'the receiver refused the payment',
      MS03: 'the bank gave no reason',
      FOCR: 'the payment was cancelled on request',
    },
    unknown: (code) => (code ? `the bank gave reason ${code}` : 'the bank gave no reason'),
  },
} satisfies Messages;

export default messages;
