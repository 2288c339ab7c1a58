// The enrollment wizard's steps and which of them the operator may enter, given the draft.
import type { Draft, Problem } from './types';
import { problemsForStep } from './problems';

export const STEPS = ['kind', 'civil', 'portrait', 'fingers', 'documents', 'review', 'seal', 'done'] as const;
export type Step = (typeof STEPS)[number];

export const KINDS = [
  'first_card',
  'renewal',
  'replacement_loss',
  'replacement_theft',
  'replacement_damage',
  'data_update',
] as const;

export const DOCUMENT_KINDS = [
  'birth_certificate',
  'residence_certificate',
  'previous_card',
  'loss_declaration',
  'consular_registration',
  'other',
] as const;

export const FINGER_POSITIONS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'] as const;

/** Mirrors the domain rule: every kind but a first card names the card it replaces. */
export function kindNeedsPreviousCard(kind: string): boolean {
  return kind !== '' && kind !== 'first_card';
}

export function needsLossDeclaration(kind: string): boolean {
  return kind === 'replacement_loss' || kind === 'replacement_theft';
}

export interface WizardContext {
  draft: Draft | null;
  /** The problems returned by the latest `draft_save` (or the draft's own when none yet). */
  problems: readonly Problem[];
  consent: boolean;
  sealedId: string | null;
}

export function stepComplete(step: Step, c: WizardContext): boolean {
  const d = c.draft;
  switch (step) {
    case 'kind':
      return !!d && !!d.record.application?.kind && problemsForStep(c.problems, 'kind').length === 0;
    case 'civil':
      return !!d && !!d.record.civil && problemsForStep(c.problems, 'civil').length === 0;
    case 'portrait':
      return !!d?.portrait;
    case 'fingers':
      return !!d && FINGER_POSITIONS.every((p) => d.fingerprints[p] !== undefined);
    case 'documents':
      return !!d && (!needsLossDeclaration(d.record.application.kind) || d.documents.some((x) => x.kind === 'loss_declaration'));
    case 'review':
      return c.consent;
    case 'seal':
      return c.sealedId !== null;
    case 'done':
      return c.sealedId !== null;
  }
}

/** A step can be entered when every step before it is complete; after sealing only `done` remains. */
export function canEnter(step: Step, c: WizardContext): boolean {
  if (c.sealedId !== null) return step === 'done';
  if (step === 'done') return false;
  const i = STEPS.indexOf(step);
  return STEPS.slice(0, i).every((s) => stepComplete(s, c));
}

/** Where to resume a draft: the first step not yet complete. */
export function resumeStep(c: WizardContext): Step {
  if (c.sealedId !== null) return 'done';
  return STEPS.find((s) => !stepComplete(s, c)) ?? 'seal';
}

export function gateKey(step: Step): string {
  return `wizard.gate.${step}`;
}

export function nextStep(step: Step): Step | null {
  const i = STEPS.indexOf(step);
  return i < STEPS.length - 1 ? STEPS[i + 1] : null;
}

export function prevStep(step: Step): Step | null {
  const i = STEPS.indexOf(step);
  return i > 0 ? STEPS[i - 1] : null;
}
