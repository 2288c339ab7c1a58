// Building and cleaning the partial record a draft holds, as typed in the wizard.
import type { Address, Bilingual, Civil, DraftRecord, Place } from './types';

const bilingual = (): Bilingual => ({ latin: '', arabic: '' });

export function emptyCivil(): Civil {
  return {
    family_name: bilingual(),
    given_names: bilingual(),
    sex: '',
    birth_date: '',
    birth_place: { in: 'morocco', province: '', commune: '' },
    nationality: 'MA',
    father: bilingual(),
    mother: bilingual(),
    address: { in: 'morocco', line: '', commune: '', province: '', postal_code: null },
    civil_registry_ref: null,
    phone: null,
    height_cm: null,
  };
}

/** The draft's civil data with every field present, so inputs can bind to it. */
export function completeCivil(c: Partial<Civil> | undefined): Civil {
  const e = emptyCivil();
  if (!c) return e;
  return {
    ...e,
    ...c,
    family_name: { ...e.family_name, ...c.family_name },
    given_names: { ...e.given_names, ...c.given_names },
    father: { ...e.father, ...c.father },
    mother: { ...e.mother, ...c.mother },
    birth_place: (c.birth_place ?? e.birth_place) as Place,
    address: (c.address ?? e.address) as Address,
  };
}

export function switchPlace(p: Place, to: 'morocco' | 'abroad'): Place {
  if (p.in === to) return p;
  return to === 'morocco' ? { in: 'morocco', province: '', commune: '' } : { in: 'abroad', country: '', city: '' };
}

export function switchAddress(a: Address, to: 'morocco' | 'abroad'): Address {
  if (a.in === to) return a;
  return to === 'morocco'
    ? { in: 'morocco', line: a.line, commune: '', province: '', postal_code: a.postal_code ?? null }
    : { in: 'abroad', line: a.line, city: '', country: '', postal_code: a.postal_code ?? null };
}

const blankToNull = (v: string | null | undefined) => (v === undefined || v === null || v.trim() === '' ? null : v.trim());

/**
 * The record to send to `draft_save`: optional fields left blank become null (the domain
 * treats an empty optional string as "required"), latin names in capitals as on the card.
 */
export function recordForSave(r: DraftRecord, civil: Civil): DraftRecord {
  const upper = (b: Bilingual): Bilingual => ({ latin: b.latin.toUpperCase(), arabic: b.arabic });
  const c: Partial<Civil> = {
    ...civil,
    family_name: upper(civil.family_name),
    given_names: upper(civil.given_names),
    father: upper(civil.father),
    mother: upper(civil.mother),
    civil_registry_ref: blankToNull(civil.civil_registry_ref),
    phone: blankToNull(civil.phone),
    height_cm: typeof civil.height_cm === 'number' && !Number.isNaN(civil.height_cm) ? civil.height_cm : null,
    address: { ...civil.address, postal_code: blankToNull(civil.address.postal_code) },
  };
  if (c.sex === '') delete c.sex;
  const app = { ...r.application };
  app.previous_card = blankToNull(app.previous_card ?? null)?.toUpperCase() ?? null;
  return { ...r, application: app, civil: c };
}

/** The applicant's name for lists: Latin and Arabic family and given names. */
export function displayName(latin: string, arabic: string): string {
  return [latin, arabic].filter((s) => s && s.trim()).join(' · ');
}

/** The value at a dot path (`birth_place.province`), or undefined. */
export function valueAt(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}
