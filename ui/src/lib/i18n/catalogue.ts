/** A message: plain text, or plural forms keyed by Intl.PluralRules categories (`other` required). */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
export type Message = string | PluralForms;
export type Catalogue = Record<string, Message>;
