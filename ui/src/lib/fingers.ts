// The ten finger slots as the capture screen shows them, folded from `fingers` events.
import type { ApiError, Draft, FingerException, FingersEvent } from './types';
import { FINGER_POSITIONS } from './wizard';

export type SlotState =
  | { state: 'pending' }
  | { state: 'capturing' }
  | { state: 'good'; quality: number; png?: string }
  | { state: 'poor'; quality: number }
  | { state: 'exception'; exception: FingerException; reason: string };

export interface FingersUi {
  slots: Record<string, SlotState>;
  running: boolean;
  placing: number[];
  attempt: number;
  scannerError: string | null;
  error: ApiError | null;
}

export function emptyFingers(): FingersUi {
  const slots: Record<string, SlotState> = {};
  for (const p of FINGER_POSITIONS) slots[p] = { state: 'pending' };
  return { slots, running: false, placing: [], attempt: 0, scannerError: null, error: null };
}

export function fingersFromDraft(d: Draft | null): FingersUi {
  const ui = emptyFingers();
  if (!d) return ui;
  for (const p of FINGER_POSITIONS) {
    const s = d.fingerprints[p];
    if (!s) continue;
    ui.slots[p] =
      s.state === 'impression'
        ? { state: 'good', quality: s.quality, png: s.png_base64 }
        : { state: 'exception', exception: s.exception, reason: s.reason };
  }
  return ui;
}

/** Applies one event; returns a new state (the input is left as it was). */
export function reduceFingers(s: FingersUi, e: FingersEvent): FingersUi {
  switch (e.kind) {
    case 'capturing': {
      const slots = { ...s.slots };
      for (const f of e.fingers) {
        if (slots[String(f)]?.state !== 'exception') slots[String(f)] = { state: 'capturing' };
      }
      return { ...s, slots, running: true, placing: [...e.fingers], attempt: e.attempt, scannerError: null, error: null };
    }
    case 'scored': {
      const key = String(e.finger);
      const slot: SlotState = e.accepted ? { state: 'good', quality: e.quality } : { state: 'poor', quality: e.quality };
      return { ...s, slots: { ...s.slots, [key]: slot } };
    }
    case 'scanner_error':
      return { ...s, scannerError: e.message };
    case 'done':
      return { ...fingersFromDraft(e.draft), running: false };
    case 'error':
      return { ...s, running: false, placing: [], error: { code: e.code as ApiError['code'], message: e.message } };
  }
}

export function allFingersFilled(d: Draft | null): boolean {
  return !!d && FINGER_POSITIONS.every((p) => !!d.fingerprints[p]);
}

/** Counts for the review page. */
export function fingerCounts(d: Draft | null): { captured: number; excused: number } {
  let captured = 0;
  let excused = 0;
  for (const p of FINGER_POSITIONS) {
    const s = d?.fingerprints[p];
    if (s?.state === 'impression') captured++;
    else if (s?.state === 'exception') excused++;
  }
  return { captured, excused };
}
