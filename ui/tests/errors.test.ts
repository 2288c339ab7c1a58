import { describe, expect, it } from 'vitest';
import { errorKey, normalizeError } from '../src/lib/errors';
import { translate } from '../src/lib/i18n';
import { inputId, problemKey, problemsForStep, stepOfField, unplacedProblems } from '../src/lib/problems';
import type { Problem } from '../src/lib/types';

describe('normalizeError', () => {
  it('keeps the contract shape', () => {
    const p: Problem = { field: 'civil.sex', code: 'required', message: 'is required' };
    expect(normalizeError({ code: 'invalid', message: '1 problem', problems: [p], extra: 1 })).toEqual({
      code: 'invalid',
      message: '1 problem',
      problems: [p],
    });
    expect(normalizeError({ code: 'io', message: 'nope', field: 'dir' })).toEqual({ code: 'io', message: 'nope', field: 'dir' });
  });

  it('turns bare strings, Errors and unknown codes into `unknown`', () => {
    expect(normalizeError('command unlock not found')).toEqual({ code: 'unknown', message: 'command unlock not found' });
    expect(normalizeError(new Error('boom'))).toEqual({ code: 'unknown', message: 'boom' });
    expect(normalizeError({ code: 'meteor', message: 'x' }).code).toBe('unknown');
  });
});

describe('error messages', () => {
  const codes = ['locked', 'wrong_passphrase', 'unknown_operator', 'not_allowed', 'invalid', 'frozen', 'not_found', 'wrong_status', 'camera', 'scanner', 'busy', 'sync', 'disk_full', 'storage', 'io'];
  it('has a text for every code of the contract, in every language', () => {
    for (const lang of ['ar', 'fr', 'en'] as const) {
      for (const c of codes) {
        const k = errorKey(c);
        expect(k).toBe(`error.${c}`);
        expect(translate(lang, k)).not.toBe(k);
      }
    }
  });
  it('says what to do', () => {
    expect(translate('fr', errorKey('frozen'))).toMatch(/USB/);
    expect(translate('ar', errorKey('wrong_passphrase'))).toBe('عبارة المرور غير صحيحة. أعد كتابتها.');
    expect(errorKey('teapot')).toBe('error.unknown');
  });
});

describe('problems', () => {
  const problems: Problem[] = [
    { field: 'application.previous_card', code: 'bad_format', message: '' },
    { field: 'civil.family_name.arabic', code: 'not_arabic', message: '' },
    { field: 'civil.birth_place.province', code: 'unknown_code', message: '' },
    { field: 'fingerprints.7.reason', code: 'required', message: '' },
    { field: 'documents', code: 'required', message: '' },
    { field: 'consent', code: 'required', message: '' },
    { field: 'record_version', code: 'out_of_range', message: '' },
  ];

  it('names the input of a field', () => {
    expect(inputId('civil.family_name.arabic')).toBe('f-civil-family_name-arabic');
  });

  it('finds the step where a field is fixed', () => {
    expect(problems.map((p) => stepOfField(p.field))).toEqual(['kind', 'civil', 'civil', 'fingers', 'documents', 'review', null]);
    expect(problemsForStep(problems, 'civil').map((p) => p.field)).toEqual(['civil.family_name.arabic', 'civil.birth_place.province']);
  });

  it('translates by code, with a fallback', () => {
    expect(translate('fr', problemKey('not_arabic'))).toBe('À écrire en caractères arabes');
    expect(problemKey('weird')).toBe('problem.unknown');
  });

  it('lists what no input on screen shows', () => {
    expect(unplacedProblems(problems, new Set(['consent', 'documents'])).length).toBe(5);
  });
});
