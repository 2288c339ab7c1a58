// Pure translation functions: no Svelte state here, so they are unit-testable as they are.
import type { Lang } from '../types';
import type { Message } from './catalogue';
import type { MessageKey } from './keys';
import en from './en';
import fr from './fr';
import ar from './ar';

export type { MessageKey };
export const LANGS: readonly Lang[] = ['ar', 'fr', 'en'];
export const catalogues: Record<Lang, Record<MessageKey, Message>> = { en, fr, ar };

export type Params = Record<string, string | number>;

/** The BCP 47 locale for formatting: Moroccan Arabic with Western digits, as on the card itself. */
export function localeOf(lang: Lang): string {
  return lang === 'ar' ? 'ar-MA-u-nu-latn' : lang === 'fr' ? 'fr-MA' : 'en-GB';
}

export function dirOf(lang: Lang): 'rtl' | 'ltr' {
  return lang === 'ar' ? 'rtl' : 'ltr';
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGS as readonly string[]).includes(v);
}

const rules = new Map<Lang, Intl.PluralRules>();
export function pluralCategory(lang: Lang, n: number): Intl.LDMLPluralRule {
  let r = rules.get(lang);
  if (!r) {
    r = new Intl.PluralRules(localeOf(lang));
    rules.set(lang, r);
  }
  return r.select(n);
}

function interpolate(text: string, params?: Params): string {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/**
 * The text of `key` in `lang`. Plural messages pick their form from `params.n`.
 * An unknown key shows as the key itself, so a gap is visible rather than blank.
 */
export function translate(lang: Lang, key: string, params?: Params): string {
  const msg: Message | undefined =
    (catalogues[lang] as Record<string, Message>)[key] ?? (catalogues.en as Record<string, Message>)[key];
  if (msg === undefined) return key;
  if (typeof msg === 'string') return interpolate(msg, params);
  const n = typeof params?.n === 'number' ? params.n : Number(params?.n ?? 0);
  const form = msg[pluralCategory(lang, n)] ?? msg.other;
  return interpolate(form, { ...params, n: formatNumber(lang, n) });
}

export function formatNumber(lang: Lang, n: number): string {
  return new Intl.NumberFormat(localeOf(lang)).format(n);
}

export function formatBytes(lang: Lang, bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const num = new Intl.NumberFormat(localeOf(lang), { maximumFractionDigits: i === 0 ? 0 : 1 }).format(v);
  return `${num} ${units[i]}`;
}

export function formatDateTime(lang: Lang, iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** A birth date as recorded: YYYY stays a bare year, YYYY-MM-DD is shown in the locale's order. */
export function formatBirthDate(lang: Lang, value: string | undefined): string {
  if (!value) return '—';
  if (/^\d{4}$/.test(value)) return value;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return value;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return new Intl.DateTimeFormat(localeOf(lang), { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
}
