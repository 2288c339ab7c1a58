// A TypeScript rendition of the domain's draft validation (crates/qafila-domain/src/validation.rs),
// enough for the fake backend to answer `draft_save` the way the engine does.
import type { DraftRecord, MasterData, Problem } from '../lib/types';

const LATIN = /^[A-Za-z][A-Za-z '\-]*$/;
const ARABIC = /^[\u0600-\u06FF\u0750-\u077F][\u0600-\u06FF\u0750-\u077F '\-]*$/;
const CARD = /^[A-Z]{1,2}[0-9]{4,7}$/;

export function validateDraft(r: DraftRecord, md: MasterData, today: Date, sealing = false): Problem[] {
  const out: Problem[] = [];
  const push = (field: string, code: string, message: string) => out.push({ field, code, message });
  const required = (field: string, v: unknown): boolean => {
    if (typeof v !== 'string' || v.trim() === '') {
      push(field, 'required', 'is required');
      return false;
    }
    return true;
  };
  const provinces = new Set(md.regions.flatMap((x) => x.provinces.map((p) => p.code)));
  const countries = new Set(md.countries.map((c) => c.alpha2));

  const a = r.application;
  const needsCard = a.kind !== 'first_card';
  if (!a.previous_card && needsCard) push('application.previous_card', 'required', 'is required for a renewal, replacement or data update');
  else if (a.previous_card && !needsCard) push('application.previous_card', 'not_allowed', 'a first card has no previous card');
  else if (a.previous_card && !CARD.test(a.previous_card)) push('application.previous_card', 'bad_format', 'must be one or two capital letters then 4 to 7 digits');
  if (a.fee_waiver) required('application.fee_waiver.reference', a.fee_waiver.reference);

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const c: any = r.civil ?? {};
  for (const name of ['family_name', 'given_names', 'father', 'mother']) {
    const b = c[name] ?? {};
    if (required(`civil.${name}.latin`, b.latin) && !LATIN.test(b.latin)) push(`civil.${name}.latin`, 'not_latin', 'must be written in Latin letters');
    if (required(`civil.${name}.arabic`, b.arabic) && !ARABIC.test(b.arabic)) push(`civil.${name}.arabic`, 'not_arabic', 'must be written in Arabic script');
  }
  if (c.sex !== 'female' && c.sex !== 'male') push('civil.sex', 'required', 'is required');
  if (required('civil.birth_date', c.birth_date)) {
    const m = /^(\d{4})(?:-(\d{2})-(\d{2}))?$/.exec(c.birth_date);
    if (!m) push('civil.birth_date', 'bad_format', 'must be YYYY-MM-DD or YYYY');
    else {
      const year = +m[1];
      const full = m[2] ? new Date(Date.UTC(year, +m[2] - 1, +m[3])) : null;
      if (full && (full.getUTCMonth() !== +m[2] - 1 || full.getUTCDate() !== +m[3])) push('civil.birth_date', 'bad_format', 'is not a date');
      else if ((full && full > today) || year > today.getUTCFullYear()) push('civil.birth_date', 'out_of_range', 'is in the future');
      else if (year < today.getUTCFullYear() - 130) push('civil.birth_date', 'out_of_range', 'more than 130 years ago');
    }
  }
  const province = (field: string, v: unknown) => {
    if (required(field, v) && !provinces.has(v as string)) push(field, 'unknown_code', 'is not a province code');
  };
  const foreign = (field: string, v: unknown) => {
    if (!required(field, v)) return;
    if (v === 'MA') push(field, 'not_allowed', 'abroad cannot be Morocco');
    else if (!countries.has(v as string)) push(field, 'unknown_code', 'is not an ISO 3166-1 alpha-2 code');
  };
  const bp = c.birth_place ?? { in: 'morocco' };
  if (bp.in === 'abroad') {
    foreign('civil.birth_place.country', bp.country);
    required('civil.birth_place.city', bp.city);
  } else {
    province('civil.birth_place.province', bp.province);
    required('civil.birth_place.commune', bp.commune);
  }
  if (required('civil.nationality', c.nationality) && c.nationality !== 'MA' && !countries.has(c.nationality)) {
    push('civil.nationality', 'unknown_code', 'is not an ISO 3166-1 alpha-2 code');
  }
  const ad = c.address ?? { in: 'morocco' };
  required('civil.address.line', ad.line);
  if (ad.in === 'abroad') {
    required('civil.address.city', ad.city);
    foreign('civil.address.country', ad.country);
  } else {
    required('civil.address.commune', ad.commune);
    province('civil.address.province', ad.province);
    if (ad.postal_code && !/^\d{5}$/.test(ad.postal_code)) push('civil.address.postal_code', 'bad_format', 'must be five digits');
  }
  if (c.phone && !/^\+\d{8,15}$/.test(c.phone)) push('civil.phone', 'bad_format', 'must be in international form');
  if (c.civil_registry_ref !== undefined && c.civil_registry_ref !== null) required('civil.civil_registry_ref', c.civil_registry_ref);
  if (typeof c.height_cm === 'number' && (c.height_cm < 40 || c.height_cm > 250)) push('civil.height_cm', 'out_of_range', 'must be between 40 and 250 cm');
  void sealing;
  return out;
}
