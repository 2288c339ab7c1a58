// The IPC contract's types, as written in docs/DESKTOP-API.md. Keep the two in step.

export type Lang = 'ar' | 'fr' | 'en';
export type Role = 'operator' | 'supervisor';

export type ProblemCode =
  | 'required'
  | 'not_allowed'
  | 'not_arabic'
  | 'not_latin'
  | 'bad_format'
  | 'out_of_range'
  | 'unknown_code';

export interface Problem {
  field: string;
  code: ProblemCode | string;
  message: string;
}

export type ErrorCode =
  | 'locked'
  | 'wrong_passphrase'
  | 'unknown_operator'
  | 'not_allowed'
  | 'invalid'
  | 'frozen'
  | 'not_found'
  | 'wrong_status'
  | 'camera'
  | 'scanner'
  | 'busy'
  | 'sync'
  | 'disk_full'
  | 'storage'
  | 'io';

export interface ApiError {
  code: ErrorCode | 'unknown';
  message: string;
  field?: string;
  problems?: Problem[];
}

export interface Settings {
  language: Lang;
  scanner: { kind: 'sbi'; port: number | null } | { kind: 'simulator'; seed: number };
  camera: { kind: 'device'; index: number } | { kind: 'file'; path: string };
  centers: { id: string; url: string }[];
  freeze: { warn_days: number; block_days: number; warn_unsynced: number; block_unsynced: number };
  idle_lock_minutes: number;
  receipt_format: 'a5' | 'thermal';
}

export interface AppState {
  van_id: string;
  operators: string[];
  locked: boolean;
  session: null | { operator: string; role: Role; unlocked_at: string };
  settings: Settings;
}

export type FreezeState = 'ok' | 'warn' | 'blocked';
export type FreezeReason = 'days_without_sync' | 'unsynced_enrollments';
export interface Freeze {
  state: FreezeState;
  days_since_sync: number | null;
  unsynced: number;
  reasons: FreezeReason[];
}

export interface Summary {
  id: string;
  status: string;
  kind: string;
  family_name: string;
  family_name_ar: string;
  given_names: string;
  given_names_ar: string;
  birth_date: string;
  created_at: string;
}

export interface SyncReceipt {
  center: string;
  seq_from: number;
  seq_to: number;
  at: string;
  documents: number;
}

export interface SyncState {
  last_sync_at: string | null;
  last_error: null | { code: string; message: string };
  unsynced: number;
  receipts: SyncReceipt[];
  running: boolean;
}

export interface Home {
  today: { enrolled: number; sealed: number; drafts: number };
  backlog: { unsynced: number };
  counts: Record<string, number>;
  sync: SyncState;
  freeze: Freeze;
  warnings: { code: string; count?: number }[];
  recent: Summary[];
}

export interface QualityCheck {
  id: string;
  ok: boolean;
  value: number | null;
  reason?: string | null;
}
export interface QualityReport {
  ok: boolean;
  checks: QualityCheck[];
}

export type FingerException = 'missing' | 'amputated' | 'bandaged' | 'unable_to_capture';
export type FingerSlotView =
  | { state: 'impression'; quality: number; quality_algorithm: string; png_base64: string }
  | { state: 'exception'; exception: FingerException; reason: string };

export interface DraftDocument {
  kind: string;
  name: string;
  bytes: number;
}

export interface Bilingual {
  latin: string;
  arabic: string;
}

export type Place =
  | { in: 'morocco'; province: string; commune: string }
  | { in: 'abroad'; country: string; city: string };

export type Address =
  | { in: 'morocco'; line: string; commune: string; province: string; postal_code?: string | null }
  | { in: 'abroad'; line: string; city: string; country: string; postal_code?: string | null };

export interface Civil {
  family_name: Bilingual;
  given_names: Bilingual;
  sex: 'female' | 'male' | '';
  birth_date: string;
  birth_place: Place;
  nationality: string;
  father: Bilingual;
  mother: Bilingual;
  address: Address;
  civil_registry_ref?: string | null;
  phone?: string | null;
  height_cm?: number | null;
}

/** A partial enrollment (schemas/enrollment.schema.json) as a draft holds it. */
export interface DraftRecord {
  record_version?: number;
  application: {
    kind: string;
    previous_card?: string | null;
    fee_waiver?: { reference: string } | null;
    [k: string]: unknown;
  };
  civil?: Partial<Civil>;
  [k: string]: unknown;
}

export interface Draft {
  id: string;
  kind: string;
  created_at: string;
  updated_at: string;
  record: DraftRecord;
  portrait: null | { jpeg_base64: string; quality: QualityReport; override_reason?: string };
  fingerprints: Record<string, FingerSlotView>;
  documents: DraftDocument[];
  duplicates: { application_id: string; score: number }[];
  problems: Problem[];
  /** The portal booking the draft was started from, if any. */
  appointment?: { drive_id: string; booking: string } | null;
}

/** A booking taken on the national portal for one of this van's drives. */
export interface Appointment {
  drive_id: string;
  drive_start: string;
  drive_end: string;
  booking: string;
  /** Local time of the drive, `YYYY-MM-DDTHH:MM:SS`. */
  slot: string;
  today: boolean;
  name: string;
  name_ar: string;
  birth_date: string | null;
  /** The draft started from it and still open, if any. */
  draft_id: string | null;
  /** The application sealed from it, if any: the citizen is enrolled. */
  enrolled: string | null;
}

export interface DraftSummary {
  id: string;
  kind: string;
  name: string;
  updated_at: string;
  step: string;
}

export interface Province {
  code: string;
  kind: string;
  name_fr: string;
  name_ar: string;
}
export interface MasterData {
  regions: { code: string; name_fr: string; name_ar: string; provinces: Province[] }[];
  countries: { alpha2: string; name_fr: string; name_ar: string }[];
}

export interface EnrollmentView {
  record: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- a full Enrollment
  portrait_jpeg_base64: string | null;
  history: { at: string; what: string }[];
}

export interface SyncResult {
  sent_batches: number;
  documents: number;
  blob_bytes: number;
  updates_applied: number;
  purged: number;
  appointments?: number;
}

export interface DayReview {
  date: string;
  enrollments: (Summary & { operator: string; approved: boolean })[];
  drafts: DraftSummary[];
}

export interface Supervisor {
  operator: string;
  passphrase: string;
}

export type PortraitEvent =
  | { kind: 'frame'; jpeg_base64: string; report: QualityReport; streak: number; needed: number }
  | { kind: 'done'; captured: boolean; jpeg_base64: string | null; report: QualityReport | null }
  | { kind: 'error'; code: string; message: string };

export type FingersEvent =
  | { kind: 'capturing'; fingers: number[]; attempt: number }
  | { kind: 'scored'; finger: number; quality: number; accepted: boolean }
  | { kind: 'scanner_error'; message: string }
  | { kind: 'done'; draft: Draft }
  | { kind: 'error'; code: string; message: string };

export type SyncPhase = 'batch' | 'blobs' | 'updates' | 'purge';
export type SyncEvent =
  | {
      kind: 'progress';
      phase: SyncPhase;
      records_done: number;
      records_total: number;
      bytes_done: number;
      bytes_total: number;
    }
  | { kind: 'done'; result: SyncResult }
  | { kind: 'error'; code: string; message: string };

export interface LockedEvent {
  reason: 'idle' | 'manual';
}

export interface EventMap {
  portrait: PortraitEvent;
  fingers: FingersEvent;
  sync: SyncEvent;
  locked: LockedEvent;
}
