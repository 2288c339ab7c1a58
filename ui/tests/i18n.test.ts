import { describe, expect, it } from 'vitest';
import { catalogues, dirOf, formatBirthDate, LANGS, pluralCategory, translate } from '../src/lib/i18n';
import type { Message } from '../src/lib/i18n/catalogue';

const keys = (lang: 'ar' | 'fr' | 'en') => Object.keys(catalogues[lang]).sort();

describe('catalogues', () => {
  it('have exactly the same keys in the three languages', () => {
    expect(keys('fr')).toEqual(keys('en'));
    expect(keys('ar')).toEqual(keys('en'));
  });

  it('have no empty message', () => {
    for (const lang of LANGS) {
      for (const [k, m] of Object.entries(catalogues[lang]) as [string, Message][]) {
        const texts = typeof m === 'string' ? [m] : Object.values(m);
        for (const t of texts) expect(t.trim(), `${lang} ${k}`).not.toBe('');
      }
    }
  });

  it('keep the same placeholders in every language', () => {
    const holes = (m: Message) =>
      [...new Set((typeof m === 'string' ? m : m.other).match(/\{\w+\}/g) ?? [])].filter((h) => h !== '{n}').sort();
    for (const k of keys('en')) {
      const en = holes((catalogues.en as Record<string, Message>)[k]);
      expect(holes((catalogues.fr as Record<string, Message>)[k]), `fr ${k}`).toEqual(en);
      expect(holes((catalogues.ar as Record<string, Message>)[k]), `ar ${k}`).toEqual(en);
    }
  });

  it('give every Arabic plural message all six CLDR forms', () => {
    const arabic = new Intl.PluralRules('ar').resolvedOptions().pluralCategories;
    expect([...arabic].sort()).toEqual(['few', 'many', 'one', 'other', 'two', 'zero']);
    for (const [k, m] of Object.entries(catalogues.ar) as [string, Message][]) {
      if (typeof m === 'string') continue;
      for (const c of arabic) expect(m[c], `ar ${k} ${c}`).toBeTruthy();
    }
  });

  it('give plural messages the same keys as plurals in every language', () => {
    for (const k of keys('en')) {
      const kinds = LANGS.map((l) => typeof (catalogues[l] as Record<string, Message>)[k]);
      expect(new Set(kinds).size, k).toBe(1);
    }
  });
});

describe('translate', () => {
  it('picks the Arabic plural form by count', () => {
    const days = (n: number) => translate('ar', 'freeze.days', { n });
    expect(days(0)).toBe('أقل من يوم دون مزامنة');
    expect(days(1)).toBe('يوم واحد دون مزامنة');
    expect(days(2)).toBe('يومان دون مزامنة');
    expect(days(3)).toBe('3 أيام دون مزامنة');
    expect(days(10)).toBe('10 أيام دون مزامنة');
    expect(days(11)).toBe('11 يومًا دون مزامنة');
    expect(days(99)).toBe('99 يومًا دون مزامنة');
    expect(days(100)).toBe('100 يوم دون مزامنة');
    expect(days(103)).toBe('103 أيام دون مزامنة'); // 103 % 100 = 3: "few" again
  });

  it('maps counts to the CLDR categories', () => {
    expect([0, 1, 2, 5, 11, 100, 102].map((n) => pluralCategory('ar', n))).toEqual(['zero', 'one', 'two', 'few', 'many', 'other', 'other']);
    expect(pluralCategory('fr', 0)).toBe('one'); // French: 0 and 1 are singular
    expect(pluralCategory('en', 0)).toBe('other');
  });

  it('uses French and English plurals', () => {
    expect(translate('fr', 'freeze.unsynced', { n: 0 })).toBe('0 enrôlement pas encore envoyé');
    expect(translate('fr', 'freeze.unsynced', { n: 2 })).toBe('2 enrôlements pas encore envoyés');
    expect(translate('en', 'freeze.unsynced', { n: 1 })).toBe('1 enrollment not yet sent');
    expect(translate('en', 'freeze.unsynced', { n: 1500 })).toBe('1,500 enrollments not yet sent');
  });

  it('writes numbers with Western digits in Arabic', () => {
    expect(translate('ar', 'problems.count', { n: 12 })).toBe('12 حقلًا للتصحيح');
  });

  it('interpolates named parameters and shows unknown keys as themselves', () => {
    expect(translate('fr', 'app.van', { van: 'VAN-07' })).toBe('Unité VAN-07');
    expect(translate('ar', 'no.such.key')).toBe('no.such.key');
  });

  it('sets the direction by language', () => {
    expect(dirOf('ar')).toBe('rtl');
    expect(dirOf('fr')).toBe('ltr');
    expect(dirOf('en')).toBe('ltr');
  });

  it('keeps a bare birth year as a year', () => {
    expect(formatBirthDate('fr', '1961')).toBe('1961');
    expect(formatBirthDate('fr', '1988-04-17')).toContain('1988');
    expect(formatBirthDate('fr', '1988-04-17')).toContain('avr');
  });
});
