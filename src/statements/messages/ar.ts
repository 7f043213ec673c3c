import type { Messages, PaymentWords } from '../language.js';

/**
 * العربية — Arabic, written right to left. Plain Modern Standard Arabic; the Dutch names of benefits and of
 * leefgeld stay in brackets, as clients meet them in letters. Digits stay Western (ar-u-nu-latn) so the
 * amounts match the bank app and the Dutch letters.
 * REVIEW: every text here needs a check by a native speaker (translated without one); the terms for
 * leefgeld (مصروف المعيشة) and for machtiging (تفويض) in particular.
 */

function what(p: PaymentWords): string {
  switch (p.kind) {
    case 'obligation':
      return p.month ? `${p.obligation ?? ''} لشهر ${p.month}` : (p.obligation ?? '');
    case 'leefgeld':
      return p.week === null ? 'مصروف المعيشة (leefgeld)' : `مصروف المعيشة (leefgeld) الأسبوع ${p.week}`;
    case 'pass_on':
      return `${p.income ?? 'أموال'} (تحويل)`;
    case 'closing':
      return 'دفع باقي أموالك';
    case 'noodvoorziening':
      return 'مساعدة طارئة (noodvoorziening)';
    case 'refund':
      return 'إرجاع مبلغ';
  }
}

const messages = {
  language: { code: 'ar', name: 'العربية', dir: 'rtl', locale: 'ar-u-nu-latn' },
  labels: {
    title: 'ملخص أموالك',
    client: 'الاسم',
    reference: 'رقم ملفك',
    gemeente: 'البلدية (gemeente)',
    period: 'الفترة',
    openingBalance: 'الرصيد في البداية',
    closingBalance: 'الرصيد في النهاية',
    moneyIn: 'أموال واردة',
    moneyOut: 'أموال صادرة',
    date: 'التاريخ',
    description: 'البيان',
    amount: 'المبلغ',
    balance: 'الرصيد',
    linesCaption: (month) => `كل ما حدث لأموالك في ${month}`,
    noLines: 'لم يحدث شيء لأموالك في هذا الشهر.',
    nowHeading: (date) => `الوضع في ${date}`,
    heldNow: 'أموالك لدينا',
    reservedNow: 'مبلغ محجوز',
    freeNow: 'غير محجوز بعد',
    reservedHeading: 'أموال محجوزة لتكاليفك الثابتة',
    reservedIntro: 'هذه الأموال لك. لقد حجزناها لدفع فواتيرك.',
    reservedFor: 'لأجل',
    since: 'منذ',
    otherReserved: 'أموال أخرى محجوزة',
    noReserved: 'لا توجد أموال محجوزة الآن.',
    nextHeading: 'ما سندفعه قريبًا',
    nextIntro: 'ندفع هذه المبالغ نيابةً عنك. التاريخ هو اليوم الذي يجب أن يصل فيه المال.',
    payment: 'الدفعة',
    status: 'الحالة',
    statuses: {
      planned: 'جاهزة للدفع',
      held: 'بانتظار تفويضك (machtiging)',
      reserved: 'المال جاهز',
      waiting: 'عادت، وسندفعها مرة أخرى',
      expected: 'متوقعة',
    },
    notKnownYet: 'غير معروف بعد',
    noNextPayments: 'لا توجد دفعات جاهزة الآن.',
    advanceHeading: 'سلفة (noodvoorziening)',
    advanceExplanation: 'حصلت على سلفة. هذه السلفة قرض: عليك أن تعيدها. لذلك نخصم في كل مرة جزءًا صغيرًا من مصروف المعيشة (leefgeld) حتى تُسدَّد كلها.',
    advanceLent: 'السلفة التي حصلت عليها',
    advanceRepaid: 'ما سُدِّد حتى الآن',
    advanceOpen: 'المتبقي للسداد',
    advanceRecovered: 'ما سُدِّد في هذه الفترة',
    // REVIEW: the three texts below, translated without a native speaker.
    advanceTerms: (granted, date, instalment) =>
      `في ${date} حصلت على ${granted} كسلفة. هذه السلفة قرض: عليك أن تعيدها.` +
      (instalment ? ` نخصم ${instalment} من كل دفعة من مصروف المعيشة (leefgeld) حتى تُسدَّد كلها. يبقى لك دائمًا ما يكفي للعيش.` : ''),
    advanceHandedOver: (date, open) => `انتهى ontzorgen في ${date}. كان عليك حينها أن تعيد ${open}. ستتواصل معك البلدية (gemeente) بشأن طريقة السداد.`,
    advanceInstalment: 'من كل دفعة من مصروف المعيشة',
    generated: (date) => `أُعِدّ في ${date}`,
    questions: 'هل لديك أسئلة؟ تواصل مع موظفك في البلدية، أو اسأل مرشدك في VluchtelingenWerk.',
  },
  income: {
    bijstand: 'إعانة المعيشة (bijstand)',
    zorgtoeslag: 'إعانة التأمين الصحي (zorgtoeslag)',
    huurtoeslag: 'إعانة الإيجار (huurtoeslag)',
    kindgebonden_budget: 'ميزانية الأطفال (kindgebonden budget)',
    kinderbijslag: 'علاوة الأطفال (kinderbijslag)',
    other: 'أموال',
  },
  obligation: {
    rent: 'الإيجار',
    gas: 'الغاز',
    electricity: 'الكهرباء',
    water: 'الماء',
    basic_health_insurance: 'التأمين الصحي',
    supplementary_insurance: 'التأمين الصحي الإضافي',
    municipal_taxes: 'ضرائب البلدية',
    other: 'تكلفة ثابتة',
  },
  describe: {
    income: (income, payer) => (payer ? `تم استلام ${income} من ${payer}` : `تم استلام ${income}`),
    payment: (p) => {
      switch (p.kind) {
        case 'obligation':
          return p.payee ? `دفع ${what(p)} إلى ${p.payee}` : `دفع ${what(p)}`;
        case 'pass_on':
          return `تحويل ${p.income ?? 'أموال'} إليك`;
        case 'closing':
          return 'تحويل باقي أموالك إليك (نهاية الخدمة)';
        case 'noodvoorziening':
          return p.payee ? `دفع مساعدة طارئة إلى ${p.payee}` : 'دفع مساعدة طارئة إليك';
        case 'refund':
          return p.payee ? `إرجاع مبلغ إلى ${p.payee}` : 'إرجاع مبلغ';
        case 'leefgeld':
          return what(p);
      }
    },
    paymentReturned: (p, reason) => `عادت دفعة ${what(p)}: ${reason}`,
    paymentUndone: (p) => `دفعة ${what(p)}: لم يدفعها البنك، والمال عاد`,
    advance: 'استلام سلفة (noodvoorziening)',
    advanceRecovery: 'سداد جزء من السلفة',
    correction: (of) => `تصحيح: ${of}`,
    otherIn: 'أموال واردة',
    otherOut: 'أموال صادرة',
    purpose: (p) => (p.payee ? `${what(p)} (${p.payee})` : what(p)),
  },
  // REVIEW: the maatwerk texts below, translated without a native speaker.
  maatwerk: {
    heading: 'اتفاق خاص بك',
    summary: (scope, date, started) => {
      const from = started ? `منذ ${date}` : `ابتداءً من ${date}`;
      if (scope === 'full_opt_out') return `${from} تدفع كل تكاليفك الثابتة بنفسك. لا نحتفظ بشيء: كل مالك يذهب إلى حسابك الخاص.`;
      if (scope === 'partial') return `${from} تدفع جزءًا من تكاليفك الثابتة بنفسك. ما لم نعد ندفعه تحصل عليه زيادةً في مصروف المعيشة (leefgeld).`;
      return `${from} تتعلم خطوة بخطوة أن تدفع فواتيرك بنفسك. في كل تاريخ أدناه تنتقل إليك فاتورة واحدة. تحصل على مالها زيادةً في مصروف المعيشة (leefgeld).`;
    },
    obligation: (obligation, payee, date) => (date ? `${obligation} (${payee}): تدفعها بنفسك ابتداءً من ${date}` : `${obligation} (${payee}): نستمر في دفعها عنك`),
    review: (date) => `في ${date} ننظر معك هل يعمل هذا الاتفاق جيدًا.`,
  },
  returnReasons: {
    codes: {
      AC01: 'رقم الحساب غير صحيح',
      AC04: 'الحساب مغلق',
      AC06: 'الحساب محظور',
      AM05: 'الدفعة مكررة',
      MD07: 'المستلم متوفى',
      MS02: 'المستلم رفض الدفعة',
      MS03: 'لم يذكر البنك سببًا',
      FOCR: 'أُلغيت الدفعة بناءً على طلب',
    },
    unknown: (code) => (code ? `ذكر البنك السبب ${code}` : 'لم يذكر البنك سببًا'),
  },
} satisfies Messages;

export default messages;
