import type { Messages, PaymentWords } from '../language.js';

/**
 * ትግርኛ — Tigrinya (Ge'ez script, left to right). Kept short and simple; the Dutch names of benefits and of
 * leefgeld stay in brackets, as clients meet them in letters.
 * REVIEW: translated without a native speaker — every text needs a check. Second person is written in the
 * masculine form (…ካ) throughout; a reviewer should choose a form that addresses women and men alike.
 */

function what(p: PaymentWords): string {
  switch (p.kind) {
    case 'obligation':
      return [p.obligation, p.month].filter(Boolean).join(' ');
    case 'leefgeld':
      return p.week === null ? 'ገንዘብ መነባብሮ (leefgeld)' : `ገንዘብ መነባብሮ (leefgeld) ሰሙን ${p.week}`;
    case 'pass_on':
      return `${p.income ?? 'ገንዘብ'} (ምስግጋር)`;
    case 'closing':
      return 'ክፍሊት ዝተረፈ ገንዘብካ';
    case 'noodvoorziening':
      return 'ህጹጽ ሓገዝ (noodvoorziening)';
    case 'refund':
      return 'ምምላስ ገንዘብ';
  }
}

const messages = {
  language: { code: 'ti', name: 'ትግርኛ', dir: 'ltr', locale: 'ti' },
  labels: {
    title: 'መግለጺ ገንዘብካ',
    client: 'ስም',
    reference: 'ቁጽሪ ፋይልካ',
    gemeente: 'ምምሕዳር ከተማ (gemeente)',
    period: 'እዋን',
    openingBalance: 'ሒሳብ ኣብ መጀመርታ',
    closingBalance: 'ሒሳብ ኣብ መወዳእታ',
    moneyIn: 'ዝኣተወ ገንዘብ',
    moneyOut: 'ዝወጸ ገንዘብ',
    date: 'ዕለት',
    description: 'መግለጺ',
    amount: 'መጠን',
    balance: 'ሒሳብ',
    linesCaption: (month) => `ኣብ ${month} ብገንዘብካ ዝተገብረ ኩሉ`,
    noLines: 'ኣብዚ ወርሒ ብገንዘብካ ዝተገብረ የለን።',
    nowHeading: (date) => `ኩነታት ብ${date}`,
    heldNow: 'ገንዘብካ ኣብ ኢድና',
    reservedNow: 'ዝተቐመጠ',
    freeNow: 'ገና ዘይተቐመጠ',
    reservedHeading: 'ንቐወምቲ ክፍሊታትካ ዝተቐመጠ ገንዘብ',
    reservedIntro: 'እዚ ገንዘብ ናትካ እዩ። ሕሳባትካ ንምኽፋል ኣቐሚጥናዮ ኣለና።',
    reservedFor: 'ንምንታይ',
    since: 'ካብ',
    otherReserved: 'ካልእ ዝተቐመጠ ገንዘብ',
    noReserved: 'ሕጂ ዝተቐመጠ ገንዘብ የለን።',
    nextHeading: 'ቀልጢፍና እንኸፍሎ',
    nextIntro: 'ነዚ ክፍሊታት ኣብ ክንዳኻ ንኸፍሎ። እቲ ዕለት ገንዘብ ክበጽሓሉ ዘለዎ መዓልቲ እዩ።',
    payment: 'ክፍሊት',
    status: 'ኩነታት',
    statuses: {
      planned: 'ንክኽፈል ድሉው',
      held: 'ንፍቓድካ (machtiging) ይጽበ',
      reserved: 'ገንዘብ ድሉው እዩ',
      waiting: 'ተመሊሱ፡ ደጊምና ክንከፍሎ ኢና',
      expected: 'ዝጽበ',
    },
    notKnownYet: 'ገና ኣይተፈልጠን',
    noNextPayments: 'ሕጂ ድሉው ክፍሊት የለን።',
    advanceHeading: 'ቅድመ ክፍሊት (noodvoorziening)',
    advanceExplanation: 'ቅድመ ክፍሊት ረኺብካ ኣለኻ። እዚ ልቓሕ እዩ፡ ክትመልሶ ኣለካ። ስለዚ ኩሉ ክሳብ ዝምለስ ካብ ገንዘብ መነባብሮኻ (leefgeld) ንእሽቶ ክፋል ንሕዝ።',
    advanceLent: 'ዝረኸብካዮ ቅድመ ክፍሊት',
    advanceRepaid: 'ክሳብ ሕጂ ዝተመልሰ',
    advanceOpen: 'ገና ዝምለስ',
    advanceRecovered: 'ኣብዚ እዋን ዝተመልሰ',
    // REVIEW: the three texts below, translated without a native speaker.
    advanceTerms: (granted, date, instalment) =>
      `ብ${date} ${granted} ከም ቅድመ ክፍሊት ረኺብካ። እዚ ልቓሕ እዩ፡ ክትመልሶ ኣለካ።` +
      (instalment ? ` ክሳብ ኩሉ ዝምለስ ካብ ነፍሲ ወከፍ ክፍሊት ገንዘብ መነባብሮ (leefgeld) ${instalment} ንሕዝ። ንመነባብሮ ዚኣክል ኩሉ ግዜ ይተርፈካ።` : ''),
    advanceHandedOver: (date, open) => `ontzorgen ብ${date} ተወዲኡ። ሽዑ ገና ${open} ክትመልስ ነይሩካ። ምምሕዳር ከተማ (gemeente) ብዛዕባ ኣመላልሳ ክራኸበካ እዩ።`,
    advanceInstalment: 'ካብ ነፍሲ ወከፍ ክፍሊት leefgeld',
    generated: (date) => `ዝተዳለወሉ ዕለት ${date}`,
    questions: 'ሕቶ ኣለካ ድዩ? ንሰራሕተኛ ምምሕዳር ከተማኻ ተወከስ፡ ወይ ንመራሒኻ ኣብ VluchtelingenWerk ሕተት።',
  },
  income: {
    bijstand: 'ሓገዝ መነባብሮ (bijstand)',
    zorgtoeslag: 'ሓገዝ መድሕን ጥዕና (zorgtoeslag)',
    huurtoeslag: 'ሓገዝ ክራይ (huurtoeslag)',
    kindgebonden_budget: 'ባጀት ቆልዑ (kindgebonden budget)',
    kinderbijslag: 'ሓገዝ ቆልዑ (kinderbijslag)',
    other: 'ገንዘብ',
  },
  obligation: {
    rent: 'ክራይ ገዛ',
    gas: 'ጋዝ',
    electricity: 'ኤለክትሪክ',
    water: 'ማይ',
    basic_health_insurance: 'መድሕን ጥዕና',
    supplementary_insurance: 'ተወሳኺ መድሕን ጥዕና',
    municipal_taxes: 'ግብሪ ምምሕዳር ከተማ',
    other: 'ቀዋሚ ክፍሊት',
  },
  describe: {
    income: (income, payer) => (payer ? `${income} ካብ ${payer} ተቐቢልካ` : `${income} ተቐቢልካ`),
    payment: (p) => {
      switch (p.kind) {
        case 'obligation':
          return p.payee ? `${what(p)} ን${p.payee} ተኸፊሉ` : `${what(p)} ተኸፊሉ`;
        case 'pass_on':
          return `${p.income ?? 'ገንዘብ'} ናባኻ ተሰጋጊሩ`;
        case 'closing':
          return 'ዝተረፈ ገንዘብካ ናባኻ ተኸፊሉ (መወዳእታ ኣገልግሎት)';
        case 'noodvoorziening':
          return p.payee ? `ህጹጽ ሓገዝ ን${p.payee} ተኸፊሉ` : 'ህጹጽ ሓገዝ ናባኻ ተኸፊሉ';
        case 'refund':
          return p.payee ? `ን${p.payee} ተመሊሱ` : 'ገንዘብ ተመሊሱ';
        case 'leefgeld':
          return what(p);
      }
    },
    paymentReturned: (p, reason) => `${what(p)} ተመሊሱ: ${reason}`,
    paymentUndone: (p) => `${what(p)}: ባንኪ ኣይከፈሎን፡ ገንዘብ ተመሊሱ`,
    advance: 'ቅድመ ክፍሊት (noodvoorziening) ተቐቢልካ',
    advanceRecovery: 'ምምላስ ቅድመ ክፍሊት',
    correction: (of) => `መእረሚ: ${of}`,
    otherIn: 'ገንዘብ ኣትዩ',
    otherOut: 'ገንዘብ ወጺኡ',
    purpose: (p) => (p.payee ? `${what(p)} (${p.payee})` : what(p)),
  },
  // REVIEW: the maatwerk texts below, translated without a native speaker.
  maatwerk: {
    heading: 'ንዓኻ ዝተዳለወ ስምምዕ',
    summary: (scope, date, started) => {
      const from = started ? `ካብ ${date} ጀሚሩ` : `ካብ ${date}`;
      if (scope === 'full_opt_out') return `${from} ኩሉ ቀዋሚ ወጻኢታትካ ባዕልኻ ትኸፍል። ዋላ ሓንቲ ኣይንሕዝን፡ ኩሉ ገንዘብካ ናብ ናይ ባዕልኻ ሕሳብ ይኸይድ።`;
      if (scope === 'partial') return `${from} ገለ ካብ ቀዋሚ ወጻኢታትካ ባዕልኻ ትኸፍል። እቲ ዘይንኸፍሎ ተወሳኺ leefgeld ይኸውን።`;
      return `${from} ስጉምቲ ብስጉምቲ ሕሳባትካ ባዕልኻ ክትከፍል ትመሃር። ኣብ ነፍሲ ወከፍ ዕለት ኣብ ታሕቲ ሓደ ሕሳብ ናባኻ ይሰጋገር። ገንዘቡ ተወሳኺ leefgeld ይኸውን።`;
    },
    obligation: (obligation, payee, date) => (date ? `${obligation} (${payee}): ካብ ${date} ባዕልኻ ትኸፍሎ` : `${obligation} (${payee}): ንሕና ምኽፋሉ ንቕጽል`),
    review: (date) => `ኣብ ${date} እዚ ስምምዕ ጽቡቕ ይሰርሕ እንተሎ ምሳኻ ንርኢ።`,
  },
  returnReasons: {
    codes: {
      AC01: 'ቁጽሪ ሕሳብ ጌጋ እዩ',
      AC04: 'እቲ ሕሳብ ተዓጽዩ',
      AC06: 'እቲ ሕሳብ ተኣጊዱ',
      AM05: 'እቲ ክፍሊት ተደጋጊሙ',
      MD07: 'ተቐባሊ ሞይቱ',
      MS02: 'ተቐባሊ ነቲ ክፍሊት ኣይተቐበሎን',
      MS03: 'ባንኪ ምኽንያት ኣይሃበን',
      FOCR: 'ብሕቶ ተሰሪዙ',
    },
    unknown: (code) => (code ? `ባንኪ ምኽንያት ${code} ሂቡ` : 'ባንኪ ምኽንያት ኣይሃበን'),
  },
} satisfies Messages;

export default messages;
