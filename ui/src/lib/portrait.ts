// The portrait screen's live state, folded from `portrait` events, and its 11-line checklist.
import type { ApiError, PortraitEvent, QualityReport } from './types';

export const CHECK_IDS = [
  'face_count',
  'face_inside',
  'eye_distance',
  'face_scale',
  'roll',
  'yaw',
  'horizontal_position',
  'vertical_position',
  'sharpness',
  'exposure',
  'background',
] as const;

const REASONS = [
  'no_face',
  'several_faces',
  'face_cut',
  'move_closer',
  'move_back',
  'straighten_head',
  'face_the_camera',
  'off_centre_left',
  'off_centre_right',
  'too_high',
  'too_low',
  'blurred',
  'too_dark',
  'too_bright',
  'background_not_uniform',
];

export function reasonKey(reason: string | null | undefined): string {
  return reason && REASONS.includes(reason) ? `reason.${reason}` : 'reason.unknown';
}

export interface ChecklistItem {
  id: string;
  /** null: not measured yet (no frame, or the engine did not report it). */
  ok: boolean | null;
  reason: string | null;
}

/** Always the 11 checks in a fixed order, so lines do not jump around while frames arrive. */
export function checklist(report: QualityReport | null): ChecklistItem[] {
  return CHECK_IDS.map((id) => {
    const c = report?.checks.find((x) => x.id === id);
    return { id, ok: c ? c.ok : null, reason: c?.reason ?? null };
  });
}

export type PortraitPhase = 'idle' | 'live' | 'captured' | 'timeout' | 'error';
export interface PortraitUi {
  phase: PortraitPhase;
  jpeg: string | null;
  report: QualityReport | null;
  streak: number;
  needed: number;
  error: ApiError | null;
}

export function idlePortrait(): PortraitUi {
  return { phase: 'idle', jpeg: null, report: null, streak: 0, needed: 0, error: null };
}

export function reducePortrait(s: PortraitUi, e: PortraitEvent): PortraitUi {
  switch (e.kind) {
    case 'frame':
      return { ...s, phase: 'live', jpeg: e.jpeg_base64, report: e.report, streak: e.streak, needed: e.needed, error: null };
    case 'done':
      return {
        ...s,
        phase: e.captured ? 'captured' : 'timeout',
        jpeg: e.jpeg_base64 ?? s.jpeg,
        report: e.report ?? s.report,
      };
    case 'error':
      return { ...s, phase: 'error', error: { code: e.code as ApiError['code'], message: e.message } };
  }
}
