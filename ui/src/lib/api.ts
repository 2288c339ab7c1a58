// The one door to the Rust shell: every command and event of docs/DESKTOP-API.md, typed.
// Screens never call `invoke` or `listen` themselves, so a contract change lands here alone.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import { normalizeError } from './errors';
import type {
  Appointment,
  AppState,
  DayReview,
  Draft,
  DraftRecord,
  DraftSummary,
  EnrollmentView,
  EventMap,
  FingerException,
  Home,
  MasterData,
  Problem,
  Settings,
  Summary,
  Supervisor,
  SyncResult,
  SyncState,
} from './types';

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw normalizeError(e);
  }
}

export type Exceptions = Record<string, { exception: FingerException; reason: string }>;

export const api = {
  appState: () => call<AppState>('app_state'),
  unlock: (operator: string, passphrase: string) => call<AppState>('unlock', { operator, passphrase }),
  lock: () => call<AppState>('lock'),
  touch: () => call<null>('touch'),
  home: () => call<Home>('home'),
  masterData: () => call<MasterData>('master_data'),
  transliterate: (text: string, to: 'arabic' | 'latin') => call<string>('transliterate', { text, to }),

  draftNew: (kind: string) => call<Draft>('draft_new', { kind }),
  draftGet: (id: string) => call<Draft>('draft_get', { id }),
  draftSave: (id: string, record: DraftRecord) => call<Problem[]>('draft_save', { id, record }),
  drafts: () => call<DraftSummary[]>('drafts'),
  draftDiscard: (id: string) => call<null>('draft_discard', { id }),

  portraitStart: (draft_id: string) => call<null>('portrait_start', { draft_id }),
  portraitStop: () => call<null>('portrait_stop'),
  portraitAccept: (draft_id: string, override_reason?: string) =>
    call<Draft>('portrait_accept', override_reason ? { draft_id, override_reason } : { draft_id }),

  fingersStart: (draft_id: string, exceptions: Exceptions) => call<null>('fingers_start', { draft_id, exceptions }),
  fingersStop: () => call<null>('fingers_stop'),

  documentAdd: (draft_id: string, kind: string, name: string, data_base64: string) =>
    call<Draft>('document_add', { draft_id, kind, name, data_base64 }),
  documentRemove: (draft_id: string, index: number) => call<Draft>('document_remove', { draft_id, index }),

  seal: (draft_id: string, consent: boolean, supervisor?: Supervisor) =>
    call<{ id: string }>('seal', supervisor ? { draft_id, consent, supervisor } : { draft_id, consent }),

  enrollments: (p: { query?: string; status?: string; offset: number; limit: number }) =>
    call<Summary[]>('enrollments', p),
  enrollment: (id: string) => call<EnrollmentView>('enrollment', { id }),
  receiptPdf: (id: string, format: 'a5' | 'thermal') => call<{ path: string; qr: string }>('receipt_pdf', { id, format }),

  syncNow: () => call<SyncResult>('sync_now'),
  syncState: () => call<SyncState>('sync_state'),
  exportUsb: (dir: string) => call<{ path: string | null }>('export_usb', { dir }),

  dayReview: (date?: string) => call<DayReview>('day_review', date ? { date } : {}),
  approve: (ids: string[], supervisor: Supervisor) => call<{ approved: number }>('approve', { ids, supervisor }),

  settingsGet: () => call<Settings>('settings_get'),
  settingsSet: (settings: Settings) => call<Settings>('settings_set', { settings }),

  appointments: (today_only = false) => call<Appointment[]>('appointments', { today_only }),
  draftFromAppointment: (drive_id: string, booking: string, kind = 'first_card') =>
    call<Draft>('draft_from_appointment', { drive_id, booking, kind }),
};

/** Subscribes to one of the contract's events; the returned function unsubscribes. */
export function on<K extends keyof EventMap>(event: K, handler: (payload: EventMap[K]) => void): Promise<UnlistenFn> {
  return listen<EventMap[K]>(event, (e) => handler(e.payload));
}
