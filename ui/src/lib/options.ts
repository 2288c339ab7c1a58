// Picker options built from the master data, labelled in the operator's language.
import type { Lang, MasterData } from './types';

export interface Option {
  value: string;
  label: string;
  /** The name in the other script, shown alongside and searched too. */
  sub?: string;
  /** Extra search text (codes, transliterations). */
  terms?: string;
}

/** Lower-case, accents stripped, Arabic letter variants folded, so "tetouan" finds "Tétouan". */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f\u064b-\u065f\u0670]/g, '')
    .replace(/[أإآ]/g, 'ا')
    .replace(/ى/g, 'ي')
    .replace(/ة/g, 'ه')
    .toLowerCase();
}

export function filterOptions(options: readonly Option[], query: string): Option[] {
  const q = fold(query.trim());
  if (!q) return [...options];
  const words = q.split(/\s+/);
  const hay = (o: Option) => fold(`${o.label} ${o.sub ?? ''} ${o.value} ${o.terms ?? ''}`);
  const hits = options.filter((o) => words.every((w) => hay(o).includes(w)));
  // Names that start with the query come first: typing "rab" should offer Rabat before Errachidia-Rabat.
  return hits.sort((a, b) => Number(!fold(a.label).startsWith(q)) - Number(!fold(b.label).startsWith(q)));
}

export function provinceOptions(md: MasterData | null, lang: Lang): Option[] {
  if (!md) return [];
  return md.regions.flatMap((r) =>
    r.provinces.map((p) => ({
      value: p.code,
      label: lang === 'ar' ? p.name_ar : p.name_fr,
      sub: lang === 'ar' ? p.name_fr : p.name_ar,
      terms: lang === 'ar' ? r.name_ar : r.name_fr,
    })),
  );
}

export function countryOptions(md: MasterData | null, lang: Lang, opts: { withoutMorocco?: boolean } = {}): Option[] {
  if (!md) return [];
  return md.countries
    .filter((c) => !(opts.withoutMorocco && c.alpha2 === 'MA'))
    .map((c) => ({
      value: c.alpha2,
      label: lang === 'ar' ? c.name_ar : c.name_fr,
      sub: lang === 'ar' ? c.name_fr : c.name_ar,
    }))
    .sort((a, b) => a.label.localeCompare(b.label, lang));
}

export function provinceName(md: MasterData | null, code: string, lang: Lang): string {
  for (const r of md?.regions ?? []) {
    const p = r.provinces.find((x) => x.code === code);
    if (p) return lang === 'ar' ? p.name_ar : p.name_fr;
  }
  return code;
}

export function countryName(md: MasterData | null, code: string, lang: Lang): string {
  const c = md?.countries.find((x) => x.alpha2 === code);
  return c ? (lang === 'ar' ? c.name_ar : c.name_fr) : code;
}
