// Validation problems (from `draft_save` or an `invalid` error) placed next to the fields they name.
import type { Problem } from './types';
import type { Step } from './wizard';

const CODES = ['required', 'not_allowed', 'not_arabic', 'not_latin', 'bad_format', 'out_of_range', 'unknown_code'];

export function problemKey(code: string): string {
  return CODES.includes(code) ? `problem.${code}` : 'problem.unknown';
}

/** The DOM id of the input for a record field path: `civil.family_name.arabic` → `f-civil-family_name-arabic`. */
export function inputId(field: string): string {
  return 'f-' + field.replace(/\./g, '-');
}

export function problemsFor(problems: readonly Problem[], field: string): Problem[] {
  return problems.filter((p) => p.field === field);
}

/** The wizard step where the operator can fix a field. */
export function stepOfField(field: string): Step | null {
  const head = field.split('.')[0];
  switch (head) {
    case 'application':
      return 'kind';
    case 'civil':
      return 'civil';
    case 'portrait':
      return 'portrait';
    case 'fingerprints':
      return 'fingers';
    case 'documents':
      return 'documents';
    case 'consent':
      return 'review';
    case 'sign_off':
      return 'seal';
    default:
      return null;
  }
}

export function problemsForStep(problems: readonly Problem[], step: Step): Problem[] {
  return problems.filter((p) => stepOfField(p.field) === step);
}

/**
 * Problems the current screen has no input for: shown in a summary so none is silently lost
 * (e.g. `application.van_id`, which the operator cannot edit, or a field of another step).
 */
export function unplacedProblems(problems: readonly Problem[], placed: ReadonlySet<string>): Problem[] {
  return problems.filter((p) => !placed.has(p.field));
}
