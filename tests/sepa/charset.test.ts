import { describe, expect, it } from 'vitest';
import { assessEpcText, isEpcIdentifier, isEpcText, toEpcIdentifier, toEpcText } from '../../src/sepa/index.js';

describe('EPC basic Latin conversion', () => {
  it('transliterates a Turkish name to its base letters', () => {
    expect(toEpcText('Şükrü Öztürk', 70)).toBe('Sukru Ozturk');
    expect(toEpcText('İlkay Işık Çağlar', 70)).toBe('Ilkay Isik Caglar');
  });

  it('follows the EPC table for letters without a decomposition', () => {
    expect(toEpcText('Straße', 70)).toBe('Strase');
    expect(toEpcText('Søren Ærø Œuvre', 70)).toBe('Soren Aero Oeuvre');
    expect(toEpcText('Łukasz Wałęsa Żółć', 70)).toBe('Lukasz Walesa Zolc');
    expect(toEpcText('Þór Guðmundsdóttir', 70)).toBe('Thor Gudmundsdottir');
    expect(toEpcText('Aimée Noël François Citroën', 70)).toBe('Aimee Noel Francois Citroen');
    expect(toEpcText('Đorđe Jovanović', 70)).toBe('Dorde Jovanovic');
  });

  it('transliterates Cyrillic and Greek', () => {
    expect(toEpcText('Жанна Щукина', 70)).toBe('Zhanna Shtukina');
    expect(toEpcText('ЖУКОВ', 70)).toBe('ZHUKOV');
    expect(toEpcText('Олександр Шевченко', 70)).toBe('Oleksandr Shevchenko');
    expect(toEpcText('Γιώργος Παπαδόπουλος', 70)).toBe('Giorgos Papadopoulos');
    expect(toEpcText('ΟΥΡΑΝΟΣ Ουρανία', 70)).toBe('OURANOS Ourania');
  });

  it('maps & to + and double quotes to apostrophes', () => {
    expect(toEpcText('Woonbron & Co "Zuid"', 70)).toBe("Woonbron + Co 'Zuid'");
    expect(toEpcText('„Zuid“ – «Noord»', 70)).toBe("'Zuid' - 'Noord'");
    expect(toEpcText('Huur [juli]; 50% €720!', 140)).toBe('Huur (juli), 50 EUR720.');
  });

  it('drops what has no mapping, keeps the words apart, collapses spaces', () => {
    expect(toEpcText('Ali  علي   Hassan', 70)).toBe('Ali Hassan');
    expect(toEpcText('Factuur #123 * nr@x', 140)).toBe('Factuur 123 nr x');
    expect(toEpcText('tab\there\nnew line\u00a0nbsp', 140)).toBe('tab here new line nbsp');
    expect(toEpcText('zero\u200bwidth soft\u00adhyphen', 140)).toBe('zerowidth softhyphen');
  });

  it('cuts to the maximum length without a trailing space', () => {
    expect(toEpcText('a'.repeat(200), 140)).toHaveLength(140);
    expect(toEpcText('abc def', 4)).toBe('abc');
    const converted = toEpcText('Ö'.repeat(100), 70);
    expect(converted).toBe('O'.repeat(70));
  });

  it('always produces EPC text', () => {
    const samples = ['Şükrü Öztürk', 'Woonbron & Co "Zuid"', 'ግርማ', 'محمد', '😀 smile', 'Ǆemal', '½ huur', 'Ⅻ'];
    for (const sample of samples) expect(isEpcText(toEpcText(sample, 70)), sample).toBe(true);
  });
});

describe('texts that cannot go out', () => {
  it('refuses a name only in Arabic or Ge\'ez script as empty', () => {
    expect(assessEpcText('محمد عبد الله', 70)).toMatchObject({ usable: false, problem: 'empty', text: '' });
    expect(assessEpcText('ተስፋይ ገብረመድህን', 70)).toMatchObject({ usable: false, problem: 'empty' });
    expect(assessEpcText('  ---  ', 70)).toMatchObject({ usable: false, problem: 'empty' });
  });

  it('refuses a name that would lose letters, naming them', () => {
    const assessed = assessEpcText('Mohammed محمد', 70);
    expect(assessed).toMatchObject({ usable: false, problem: 'letters_without_mapping', text: 'Mohammed' });
    expect(assessed.lost).toEqual(['م', 'ح', 'د']);
  });

  it('accepts the Latin spelling, and reports cutting without refusing', () => {
    expect(assessEpcText('Şükrü Öztürk', 70)).toMatchObject({ usable: true, text: 'Sukru Ozturk', truncated: false, lost: [] });
    expect(assessEpcText('x'.repeat(71), 70)).toMatchObject({ usable: true, truncated: true });
  });
});

describe('identifiers', () => {
  it('refuses leading, trailing and double slashes, and more than 35 characters', () => {
    expect(isEpcIdentifier('ONTZ-2026/0001')).toBe(true);
    expect(isEpcIdentifier('/ONTZ')).toBe(false);
    expect(isEpcIdentifier('ONTZ/')).toBe(false);
    expect(isEpcIdentifier('ONTZ//1')).toBe(false);
    expect(isEpcIdentifier('A'.repeat(35))).toBe(true);
    expect(isEpcIdentifier('A'.repeat(36))).toBe(false);
    expect(isEpcIdentifier('')).toBe(false);
    expect(isEpcIdentifier('ONTZ&1')).toBe(false);
  });

  it('converts a text into a valid identifier', () => {
    expect(toEpcIdentifier('//Öz//türk/')).toBe('Oz/turk');
    expect(toEpcIdentifier(`${'A'.repeat(34)}/B`)).toBe('A'.repeat(34));
    expect(toEpcIdentifier('Woonbron & Co')).toBe('Woonbron + Co');
    expect(isEpcIdentifier(toEpcIdentifier('x'.repeat(50)))).toBe(true);
  });
});
