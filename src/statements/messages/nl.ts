import type { Messages, PaymentWords } from '../language.js';

/** Nederlands, taalniveau B1: korte zinnen, gewone woorden, "u". */

function what(p: PaymentWords): string {
  switch (p.kind) {
    case 'obligation':
      return [p.obligation, p.month].filter(Boolean).join(' ');
    case 'leefgeld':
      return p.week === null ? 'Leefgeld' : `Leefgeld week ${p.week}`;
    case 'pass_on':
      return `${p.income ?? 'Geld'} (doorbetaling)`;
    case 'closing':
      return 'Betaling van de rest van uw geld';
    case 'noodvoorziening':
      return 'Noodvoorziening';
    case 'refund':
      return 'Terugbetaling';
  }
}

const messages = {
  language: { code: 'nl', name: 'Nederlands', dir: 'ltr', locale: 'nl-NL' },
  labels: {
    title: 'Overzicht van uw geld',
    client: 'Naam',
    reference: 'Uw nummer',
    gemeente: 'Gemeente',
    period: 'Periode',
    openingBalance: 'Saldo aan het begin',
    closingBalance: 'Saldo aan het eind',
    moneyIn: 'Geld erbij',
    moneyOut: 'Geld eraf',
    date: 'Datum',
    description: 'Omschrijving',
    amount: 'Bedrag',
    balance: 'Saldo',
    linesCaption: (month) => `Alles wat er in ${month} met uw geld gebeurde`,
    noLines: 'In deze maand is er niets met uw geld gebeurd.',
    nowHeading: (date) => `Zo staat het op ${date}`,
    heldNow: 'Uw geld bij ons',
    reservedNow: 'Apart gezet',
    freeNow: 'Nog niet apart gezet',
    reservedHeading: 'Apart gezet voor uw vaste lasten',
    reservedIntro: 'Dit geld is van u. We hebben het apart gezet om uw rekeningen te betalen.',
    reservedFor: 'Waarvoor',
    since: 'Sinds',
    otherReserved: 'Ander geld dat apart is gezet',
    noReserved: 'Er is nu geen geld apart gezet.',
    nextHeading: 'Wat we binnenkort betalen',
    nextIntro: 'Deze betalingen doen we voor u. De datum is de dag waarop het geld er moet zijn.',
    payment: 'Betaling',
    status: 'Stand',
    statuses: {
      planned: 'Klaar om te betalen',
      held: 'Wacht op uw machtiging',
      reserved: 'Geld staat klaar',
      waiting: 'Kwam terug, we betalen opnieuw',
      expected: 'Verwacht',
    },
    notKnownYet: 'Nog niet bekend',
    noNextPayments: 'Er staan nu geen betalingen klaar.',
    advanceHeading: 'Voorschot (noodvoorziening)',
    advanceExplanation: 'U kreeg een voorschot. Dat is een lening: u betaalt het terug. Daarvoor houden we steeds een klein deel van uw leefgeld in, tot alles terug is.',
    advanceLent: 'Voorschot gekregen',
    advanceRepaid: 'Al terugbetaald',
    advanceOpen: 'Nog terug te betalen',
    advanceRecovered: 'Terugbetaald in deze periode',
    advanceTerms: (granted, date, instalment) =>
      `Op ${date} kreeg u ${granted} als voorschot. Dit is een lening: u betaalt het terug.` +
      (instalment ? ` Van elke betaling van uw leefgeld houden we ${instalment} in, tot alles terug is. U houdt altijd genoeg over om van te leven.` : ''),
    advanceHandedOver: (date, open) => `Het ontzorgen stopte op ${date}. U moest toen nog ${open} terugbetalen. De gemeente neemt contact met u op over hoe u dat terugbetaalt.`,
    advanceInstalment: 'Per betaling leefgeld',
    generated: (date) => `Gemaakt op ${date}`,
    questions: 'Heeft u vragen? Neem contact op met uw consulent bij de gemeente, of vraag het uw begeleider van VluchtelingenWerk.',
  },
  income: {
    bijstand: 'Bijstand',
    zorgtoeslag: 'Zorgtoeslag',
    huurtoeslag: 'Huurtoeslag',
    kindgebonden_budget: 'Kindgebonden budget',
    kinderbijslag: 'Kinderbijslag',
    other: 'Geld',
  },
  obligation: {
    rent: 'Huur',
    gas: 'Gas',
    electricity: 'Stroom',
    water: 'Water',
    basic_health_insurance: 'Zorgverzekering',
    supplementary_insurance: 'Aanvullende zorgverzekering',
    municipal_taxes: 'Gemeentebelasting',
    other: 'Vaste last',
  },
  describe: {
    income: (income, payer) => (payer ? `${income} ontvangen van ${payer}` : `${income} ontvangen`),
    payment: (p) => {
      switch (p.kind) {
        case 'obligation':
          return p.payee ? `${what(p)} betaald aan ${p.payee}` : `${what(p)} betaald`;
        case 'pass_on':
          return `${p.income ?? 'Geld'} doorbetaald aan u`;
        case 'closing':
          return 'Rest van uw geld betaald aan u (einde ontzorgen)';
        case 'noodvoorziening':
          return p.payee ? `Noodvoorziening betaald aan ${p.payee}` : 'Noodvoorziening betaald aan u';
        case 'refund':
          return p.payee ? `Terugbetaald aan ${p.payee}` : 'Terugbetaald';
        case 'leefgeld':
          return what(p);
      }
    },
    paymentReturned: (p, reason) => `${what(p)} kwam terug: ${reason}`,
    paymentUndone: (p) => `${what(p)}: de bank heeft dit niet betaald, het geld is terug`,
    advance: 'Voorschot (noodvoorziening) ontvangen',
    advanceRecovery: 'Terugbetaling voorschot',
    correction: (of) => `Correctie: ${of}`,
    otherIn: 'Geld ontvangen',
    otherOut: 'Geld afgeschreven',
    purpose: (p) => (p.payee ? `${what(p)} (${p.payee})` : what(p)),
  },
  maatwerk: {
    heading: 'Afspraak op maat',
    summary: (scope, date, started) => {
      const from = started ? `Sinds ${date}` : `Vanaf ${date}`;
      if (scope === 'full_opt_out') return `${from} betaalt u al uw vaste lasten zelf. Wij houden niets meer in: al uw geld gaat naar uw eigen rekening.`;
      if (scope === 'partial') return `${from} betaalt u een deel van uw vaste lasten zelf. Wat wij niet meer betalen, krijgt u erbij als leefgeld.`;
      return `${from} leert u stap voor stap zelf uw rekeningen te betalen. Op elke datum hieronder gaat één rekening naar u. Het geld daarvoor krijgt u erbij als leefgeld.`;
    },
    obligation: (obligation, payee, date) => (date ? `${obligation} (${payee}): u betaalt zelf vanaf ${date}` : `${obligation} (${payee}): wij blijven dit voor u betalen`),
    review: (date) => `Op ${date} kijken we samen met u of deze afspraak goed werkt.`,
  },
  returnReasons: {
    codes: {
      AC01: 'het rekeningnummer klopt niet',
      AC04: 'de rekening is opgeheven',
      AC06: 'de rekening is geblokkeerd',
      AM05: 'de betaling was dubbel',
      MD07: 'de ontvanger is overleden',
      MS02: 'de ontvanger wilde de betaling niet',
      MS03: 'de bank gaf geen reden',
      FOCR: 'de betaling is op verzoek teruggedraaid',
    },
    unknown: (code) => (code ? `de bank gaf reden ${code}` : 'de bank gaf geen reden'),
  },
} satisfies Messages;

export default messages;
