// The current language as reactive state, and `t` bound to it. Components call `t(...)` in markup
// and re-render when the language changes, because `t` reads `ui.lang`.
import type { Lang } from './types';
import { dirOf, translate, formatDateTime, formatBirthDate, formatBytes, formatNumber, type Params } from './i18n';

export const ui = $state({ lang: 'fr' as Lang });

export function t(key: string, params?: Params): string {
  return translate(ui.lang, key, params);
}

/** Plural message: `tn('sync.unsynced', 3)`. */
export function tn(key: string, n: number, params?: Params): string {
  return translate(ui.lang, key, { ...params, n });
}

export const fmt = {
  dateTime: (iso: string | null | undefined) => formatDateTime(ui.lang, iso),
  birth: (v: string | undefined) => formatBirthDate(ui.lang, v),
  bytes: (n: number) => formatBytes(ui.lang, n),
  num: (n: number) => formatNumber(ui.lang, n),
};

/** Applies a language to the document: `lang` and `dir` on <html>, so the whole layout mirrors. */
export function applyLang(lang: Lang): void {
  ui.lang = lang;
  const html = document.documentElement;
  html.lang = lang === 'ar' ? 'ar-MA' : lang;
  html.dir = dirOf(lang);
}
