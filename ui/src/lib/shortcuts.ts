// Global keyboard shortcuts. Letters are the same in every language (the keyboard does not change
// with the UI language); step arrows follow the reading direction, so in Arabic Alt+← is "next".
import type { Step } from './wizard';
import { STEPS } from './wizard';

export type Action =
  | { kind: 'next' }
  | { kind: 'back' }
  | { kind: 'step'; step: Step }
  | { kind: 'go'; to: 'home' | 'new' | 'enrollments' | 'sync' | 'review' | 'settings' }
  | { kind: 'lock' }
  | { kind: 'help' };

export const SHORTCUTS: { keys: string[]; help: string }[] = [
  { keys: ['Alt+→', 'Alt+PageDown'], help: 'help.next' },
  { keys: ['Alt+←', 'Alt+PageUp'], help: 'help.prev' },
  { keys: ['Alt+1 … Alt+8'], help: 'help.step' },
  { keys: ['Alt+H'], help: 'help.home' },
  { keys: ['Alt+E'], help: 'help.new' },
  { keys: ['Alt+F'], help: 'help.list' },
  { keys: ['Alt+Y'], help: 'help.sync' },
  { keys: ['Alt+R'], help: 'help.review' },
  { keys: ['Alt+G'], help: 'help.settings' },
  { keys: ['Alt+K'], help: 'help.lock' },
  { keys: ['F1'], help: 'help.help' },
];

const LETTERS: Record<string, Action> = {
  KeyH: { kind: 'go', to: 'home' },
  KeyE: { kind: 'go', to: 'new' },
  KeyF: { kind: 'go', to: 'enrollments' },
  KeyY: { kind: 'go', to: 'sync' },
  KeyR: { kind: 'go', to: 'review' },
  KeyG: { kind: 'go', to: 'settings' },
  KeyK: { kind: 'lock' },
};

/** The action for a key press, or null. `code` is used for letters so AZERTY and Arabic layouts work. */
export function actionFor(e: { key: string; code: string; altKey: boolean; ctrlKey: boolean; metaKey: boolean; shiftKey: boolean }, rtl: boolean): Action | null {
  if (e.key === 'F1') return { kind: 'help' };
  if (!e.altKey || e.ctrlKey || e.metaKey) return null;
  const forward = rtl ? 'ArrowLeft' : 'ArrowRight';
  const backward = rtl ? 'ArrowRight' : 'ArrowLeft';
  if (e.key === forward || e.key === 'PageDown') return { kind: 'next' };
  if (e.key === backward || e.key === 'PageUp') return { kind: 'back' };
  const digit = /^Digit([1-8])$/.exec(e.code);
  if (digit) return { kind: 'step', step: STEPS[Number(digit[1]) - 1] };
  return LETTERS[e.code] ?? null;
}
