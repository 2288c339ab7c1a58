// An in-memory fake of the Qafila engine behind docs/DESKTOP-API.md: enough state and timing to
// run the whole UI in a browser (demos, screenshots, end-to-end tests) without Rust.
import type {
  Appointment,
  AppState,
  DayReview,
  Draft,
  DraftRecord,
  DraftSummary,
  EnrollmentView,
  FingerSlotView,
  Freeze,
  Home,
  Lang,
  MasterData,
  Problem,
  QualityReport,
  Settings,
  Summary,
  SyncResult,
  SyncState,
} from '../lib/types';
import { validateDraft } from './validate';
import { transliterate } from './names';

export interface Scenario {
  lang: Lang;
  /** Start unlocked as this operator (screenshots of inner screens). */
  session: string | null;
  freeze: 'ok' | 'warn' | 'blocked';
  /** The portrait never passes every check: the capture times out and needs an override. */
  portraitTimeout: boolean;
  /** Finger capture finds a possible duplicate within the drive. */
  duplicates: boolean;
  syncFails: boolean;
  /** Milliseconds between simulated device events. */
  tickMs: number;
  /** Seed enrollments and drafts (false: an empty van). */
  seed: boolean;
}

export const defaultScenario: Scenario = {
  lang: 'fr',
  session: null,
  freeze: 'ok',
  portraitTimeout: false,
  duplicates: false,
  syncFails: false,
  tickMs: 220,
  seed: true,
};

export interface Images {
  portrait(frame: number, failing: string[]): string;
  finger(position: number): string;
}

type Emit = (event: string, payload: unknown) => void;

interface Stored {
  summary: Summary;
  record: DraftRecord & Record<string, unknown>;
  portrait: string | null;
  operator: string;
  approved: boolean;
  history: { at: string; what: string }[];
}

/** A booking as the fake engine holds it: the list entry, the portal's civil data, the draft started from it. */
type HeldAppointment = Omit<Appointment, 'today' | 'draft_id' | 'enrolled'> & { prefill: Record<string, unknown>; used: string | null };

const OPERATORS: Record<string, { role: 'operator' | 'supervisor'; passphrase: string }> = {
  'OP-0042': { role: 'operator', passphrase: 'demo' },
  'OP-0043': { role: 'operator', passphrase: 'demo' },
  'SUP-0001': { role: 'supervisor', passphrase: 'demo' },
};
const VAN = 'VAN-07';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fail = (code: string, message: string, extra: Record<string, any> = {}) => ({ code, message, ...extra });

let counter = 0;
/** A UUIDv7-shaped id: time-ordered like the engine's. */
export function uuid7(now = Date.now()): string {
  const hex = now.toString(16).padStart(12, '0');
  const rnd = () => Math.floor(Math.random() * 0x10000).toString(16).padStart(4, '0');
  counter = (counter + 1) & 0xfff;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${counter.toString(16).padStart(3, '0')}-${'89ab'[counter % 4]}${rnd().slice(1)}-${rnd()}${rnd()}${rnd()}`;
}

const DAY = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export class MockBackend {
  settings: Settings;
  session: AppState['session'] = null;
  drafts = new Map<string, Draft>();
  stored = new Map<string, Stored>();
  sync: SyncState;
  freezeOverride: Scenario['freeze'];
  private timers: ReturnType<typeof setTimeout>[] = [];
  private portraitRunning = false;
  private fingersRunning = false;
  private lastPortrait: { jpeg: string; report: QualityReport } | null = null;
  /** Bookings of the van's drives (the engine pulls them from the centers at sync). */
  appointments: HeldAppointment[] = [];
  /** Every command received, for tests that check what the UI sent. */
  calls: { cmd: string; args: Record<string, unknown> }[] = [];

  constructor(
    private md: MasterData,
    private emit: Emit,
    private images: Images,
    public scenario: Scenario = defaultScenario,
    private now: () => number = () => Date.now(),
  ) {
    this.settings = {
      language: scenario.lang,
      scanner: { kind: 'simulator', seed: 7 },
      camera: { kind: 'device', index: 0 },
      centers: [
        { id: 'rabat', url: 'https://rabat.qafila.invalid:8700' },
        { id: 'marrakech', url: 'https://marrakech.qafila.invalid:8700' },
      ],
      freeze: { warn_days: 7, block_days: 14, warn_unsynced: 200, block_unsynced: 500 },
      idle_lock_minutes: 5,
      receipt_format: 'a5',
    };
    this.freezeOverride = scenario.freeze;
    const t = this.now();
    this.sync = {
      last_sync_at: scenario.freeze === 'blocked' ? iso(t - 16 * DAY) : iso(t - 2 * DAY + 3_600_000),
      last_error: null,
      unsynced: 0,
      receipts: [
        { center: 'rabat', seq_from: 1, seq_to: 38, at: iso(t - 9 * DAY), documents: 38 },
        { center: 'marrakech', seq_from: 39, seq_to: 61, at: iso(t - 2 * DAY + 3_600_000), documents: 23 },
      ],
      running: false,
    };
    if (scenario.session && OPERATORS[scenario.session]) {
      this.session = { operator: scenario.session, role: OPERATORS[scenario.session].role, unlocked_at: iso(t) };
    }
    if (scenario.seed) this.seed();
  }

  // ---- plumbing -------------------------------------------------------------------------------

  async handle(cmd: string, args: Record<string, unknown> = {}): Promise<unknown> {
    this.calls.push({ cmd, args });
    const open = ['app_state', 'unlock', 'touch', 'lock', 'master_data', 'settings_get'];
    if (!open.includes(cmd) && !this.session) throw fail('locked', 'the van is locked');
    // A JSON round trip, as across the real IPC: the UI must never share objects with the backend.
    const out = await this.dispatch(cmd, args);
    return out === undefined ? null : JSON.parse(JSON.stringify(out));
  }

  private later(ms: number, f: () => void) {
    this.timers.push(setTimeout(f, ms));
  }

  stopAll() {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.portraitRunning = false;
    this.fingersRunning = false;
  }

  private today(): string {
    return iso(this.now()).slice(0, 10);
  }

  private draft(id: unknown): Draft {
    const d = this.drafts.get(String(id));
    if (!d) throw fail('not_found', `no draft ${id}`);
    return d;
  }

  // ---- commands -------------------------------------------------------------------------------

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  private async dispatch(cmd: string, a: Record<string, any>): Promise<unknown> {
    switch (cmd) {
      case 'app_state':
        return this.appState();
      case 'unlock': {
        const op = OPERATORS[a.operator];
        if (!op) throw fail('unknown_operator', `no operator ${a.operator}`);
        if (a.passphrase !== op.passphrase) throw fail('wrong_passphrase', 'wrong passphrase');
        this.session = { operator: a.operator, role: op.role, unlocked_at: iso(this.now()) };
        return this.appState();
      }
      case 'lock':
        this.stopAll();
        this.session = null;
        this.emit('locked', { reason: 'manual' });
        return this.appState();
      case 'touch':
        return null;
      case 'home':
        return this.home();
      case 'master_data':
        return this.md;
      case 'transliterate':
        return transliterate(String(a.text ?? ''), a.to === 'latin' ? 'latin' : 'arabic');
      case 'draft_new':
        return this.draftNew(String(a.kind));
      case 'draft_get':
        return this.draft(a.id);
      case 'draft_save': {
        const d = this.draft(a.id);
        const r = a.record as DraftRecord;
        d.record = {
          ...d.record,
          application: {
            ...d.record.application,
            kind: r.application?.kind ?? d.record.application.kind,
            previous_card: r.application?.previous_card ?? null,
            fee_waiver: r.application?.fee_waiver ?? null,
          },
          civil: r.civil,
        };
        d.kind = d.record.application.kind;
        d.updated_at = iso(this.now());
        d.problems = validateDraft(d.record, this.md, new Date(this.now()));
        return d.problems;
      }
      case 'drafts':
        return [...this.drafts.values()].map((d) => this.draftSummary(d));
      case 'draft_discard':
        this.draft(a.id);
        this.drafts.delete(a.id);
        return null;
      case 'portrait_start':
        return this.portraitStart(this.draft(a.draft_id));
      case 'portrait_stop':
        this.stopAll();
        return null;
      case 'portrait_accept':
        return this.portraitAccept(this.draft(a.draft_id), a.override_reason);
      case 'fingers_start':
        return this.fingersStart(this.draft(a.draft_id), a.exceptions ?? {});
      case 'fingers_stop':
        this.stopAll();
        return null;
      case 'document_add': {
        const d = this.draft(a.draft_id);
        if (!a.name || typeof a.data_base64 !== 'string') throw fail('io', 'no file');
        const bytes = Math.floor((a.data_base64.length * 3) / 4) - (a.data_base64.endsWith('==') ? 2 : a.data_base64.endsWith('=') ? 1 : 0);
        d.documents.push({ kind: a.kind, name: a.name, bytes });
        return d;
      }
      case 'document_remove': {
        const d = this.draft(a.draft_id);
        if (!(a.index >= 0 && a.index < d.documents.length)) throw fail('not_found', 'no such document');
        d.documents.splice(a.index, 1);
        return d;
      }
      case 'seal':
        return this.seal(this.draft(a.draft_id), !!a.consent, a.supervisor);
      case 'enrollments':
        return this.enrollments(a.query, a.status, a.offset ?? 0, a.limit ?? 50);
      case 'enrollment': {
        const s = this.stored.get(String(a.id));
        if (!s) throw fail('not_found', `no enrollment ${a.id}`);
        const v: EnrollmentView = { record: s.record, portrait_jpeg_base64: s.portrait, history: s.history };
        return v;
      }
      case 'receipt_pdf': {
        const s = this.stored.get(String(a.id));
        if (!s) throw fail('not_found', `no enrollment ${a.id}`);
        return {
          path: `/var/lib/qafila/receipts/${a.id}-${a.format}.pdf`,
          qr: `QAFILA:1:${VAN}:${a.id}:${s.summary.created_at.slice(0, 10)}`,
        };
      }
      case 'sync_now':
        return this.syncNow();
      case 'sync_state':
        return this.syncState();
      case 'export_usb': {
        if (!a.dir || !String(a.dir).startsWith('/')) throw fail('io', `cannot write to ${a.dir}`);
        const n = this.unsynced().length;
        if (n === 0) return { path: null };
        return { path: `${String(a.dir).replace(/\/$/, '')}/batch-${VAN}-000004.qfb` };
      }
      case 'day_review':
        return this.dayReview(a.date);
      case 'approve': {
        this.checkSupervisor(a.supervisor);
        let n = 0;
        for (const id of a.ids as string[]) {
          const s = this.stored.get(id);
          if (s && !s.approved) {
            s.approved = true;
            s.history.push({ at: iso(this.now()), what: `approved by ${a.supervisor.operator}` });
            n++;
          }
        }
        return { approved: n };
      }
      case 'appointments':
        return this.appointmentList(!!a.today_only);
      case 'draft_from_appointment':
        return this.draftFromAppointment(String(a.drive_id), String(a.booking), String(a.kind ?? 'first_card'));
      case 'settings_get':
        return this.settings;
      case 'settings_set':
        this.settings = a.settings as Settings;
        return this.settings;
      default:
        throw fail('storage', `unknown command ${cmd}`);
    }
  }

  appState(): AppState {
    return { van_id: VAN, operators: Object.keys(OPERATORS), locked: !this.session, session: this.session, settings: this.settings };
  }

  private unsynced(): Stored[] {
    return [...this.stored.values()].filter((s) => ['sealed', 'captured'].includes(s.summary.status));
  }

  freeze(): Freeze {
    const last = this.sync.last_sync_at ? Date.parse(this.sync.last_sync_at) : null;
    const days = last === null ? null : Math.floor((this.now() - last) / DAY);
    const unsynced = this.unsynced().length;
    const f = this.settings.freeze;
    if (this.freezeOverride === 'blocked') {
      return { state: 'blocked', days_since_sync: days, unsynced, reasons: ['days_without_sync', 'unsynced_enrollments'] };
    }
    const reasons: Freeze['reasons'] = [];
    let state: Freeze['state'] = 'ok';
    if (days === null || days >= f.warn_days) reasons.push('days_without_sync');
    if (unsynced >= f.warn_unsynced) reasons.push('unsynced_enrollments');
    if (reasons.length) state = 'warn';
    if ((days !== null && days >= f.block_days) || unsynced >= f.block_unsynced) state = 'blocked';
    if (this.freezeOverride === 'warn' && state === 'ok') {
      return { state: 'warn', days_since_sync: days, unsynced, reasons: ['unsynced_enrollments'] };
    }
    return { state, days_since_sync: days, unsynced, reasons };
  }

  private syncState(): SyncState {
    return { ...this.sync, unsynced: this.unsynced().length };
  }

  private home(): Home {
    const all = [...this.stored.values()];
    const today = this.today();
    const counts: Record<string, number> = {};
    for (const s of all) counts[s.summary.status] = (counts[s.summary.status] ?? 0) + 1;
    const todays = all.filter((s) => s.summary.created_at.startsWith(today));
    const warnings: Home['warnings'] = [];
    if (counts.recapture_requested) warnings.push({ code: 'recapture_requested', count: counts.recapture_requested });
    if (counts.rejected) warnings.push({ code: 'rejected', count: counts.rejected });
    if (!this.sync.last_sync_at) warnings.push({ code: 'never_synced' });
    return {
      today: { enrolled: todays.length, sealed: todays.filter((s) => s.summary.status === 'sealed').length, drafts: this.drafts.size },
      backlog: { unsynced: this.unsynced().length },
      counts,
      sync: this.syncState(),
      freeze: this.freeze(),
      warnings,
      recent: all
        .map((s) => s.summary)
        .sort((x, y) => y.created_at.localeCompare(x.created_at))
        .slice(0, 10),
    };
  }

  private newRecord(id: string, kind: string, at: string): DraftRecord {
    return {
      record_version: 1,
      application: {
        id,
        kind,
        van_id: VAN,
        operator_id: this.session?.operator ?? '',
        created_at: at,
        updated_at: at,
        status: { state: 'draft' },
        previous_card: null,
        fee_waiver: null,
        drive_id: null,
      },
    };
  }

  private draftNew(kind: string): Draft {
    if (this.freeze().state === 'blocked') throw fail('frozen', 'freeze rules block new enrollments');
    const at = iso(this.now());
    const id = uuid7(this.now());
    const record = this.newRecord(id, kind, at);
    const d: Draft = {
      id,
      kind,
      created_at: at,
      updated_at: at,
      record,
      portrait: null,
      fingerprints: {},
      documents: [],
      duplicates: [],
      problems: validateDraft(record, this.md, new Date(this.now())),
    };
    this.drafts.set(id, d);
    return d;
  }

  private appointmentList(todayOnly: boolean): Appointment[] {
    const today = this.today();
    return this.appointments
      .filter((a) => a.drive_end >= today)
      .map((held) => {
        const { prefill, used, ...a } = held;
        void prefill; // the list shows names only; the civil data goes into the draft
        // As in the engine: a discarded draft frees its booking, a sealed one marks it enrolled.
        const open = used !== null && this.drafts.has(used);
        const enrolled = used !== null && !open && this.stored.has(used);
        return { ...a, today: a.slot.startsWith(today), draft_id: open ? used : null, enrolled: enrolled ? used : null };
      })
      .filter((a) => !todayOnly || a.today)
      .sort((x, y) => x.slot.localeCompare(y.slot));
  }

  private draftFromAppointment(driveId: string, booking: string, kind: string): Draft {
    const a = this.appointments.find((x) => x.drive_id === driveId && x.booking === booking);
    if (!a) throw fail('bad_input', 'booking: no such booking in this drive', { field: 'booking' });
    if (a.used && this.drafts.has(a.used)) return this.draft(a.used);
    if (a.used && this.stored.has(a.used)) throw fail('bad_input', `booking: this citizen is already enrolled (application ${a.used})`, { field: 'booking' });
    const d = this.draftNew(kind);
    d.record.application.drive_id = driveId;
    d.record.civil = JSON.parse(JSON.stringify(a.prefill));
    d.problems = validateDraft(d.record, this.md, new Date(this.now()));
    d.appointment = { drive_id: driveId, booking };
    a.used = d.id;
    return d;
  }

  /** Publishes a drive's bookings as a sync would bring them (tests and demos). */
  addAppointments(driveId: string, start: string, end: string, items: { booking: string; slot: string; prefill: Record<string, unknown> }[]) {
    this.appointments = this.appointments.filter((a) => a.drive_id !== driveId);
    for (const i of items) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const p: any = i.prefill;
      const join = (script: 'latin' | 'arabic') => [p.family_name?.[script], p.given_names?.[script]].filter(Boolean).join(' ');
      this.appointments.push({
        drive_id: driveId,
        drive_start: start,
        drive_end: end,
        booking: i.booking,
        slot: i.slot,
        name: join('latin'),
        name_ar: join('arabic'),
        birth_date: p.birth_date ?? null,
        used: null,
        prefill: i.prefill,
      });
    }
  }

  private draftSummary(d: Draft): DraftSummary {
    const c = d.record.civil;
    const name = c ? [c.family_name?.latin, c.given_names?.latin].filter(Boolean).join(' ') : '';
    const civilOpen = d.problems.some((p) => p.field.startsWith('civil.') || p.field.startsWith('application.'));
    const step = !c || civilOpen ? 'civil' : !d.portrait ? 'portrait' : Object.keys(d.fingerprints).length < 10 ? 'fingers' : 'review';
    return { id: d.id, kind: d.kind, name, updated_at: d.updated_at, step };
  }

  private portraitStart(d: Draft): null {
    if (this.portraitRunning || this.fingersRunning) throw fail('busy', 'a capture is already running');
    this.portraitRunning = true;
    // Each frame lists the checks that fail and why; the last ones pass so auto-capture triggers.
    const script: [string, string][][] = this.scenario.portraitTimeout
      ? [[['face_scale', 'move_closer'], ['exposure', 'too_dark']], [['exposure', 'too_dark']], [['exposure', 'too_dark']], [['background', 'background_not_uniform']], [['exposure', 'too_dark']]]
      : [[['face_count', 'no_face']], [['face_scale', 'move_closer'], ['exposure', 'too_dark']], [['roll', 'straighten_head']], [], [], []];
    const needed = 3;
    let streak = 0;
    let best: { jpeg: string; report: QualityReport; failing: number } | null = null;
    script.forEach((failing, i) => {
      this.later(this.scenario.tickMs * (i + 1), () => {
        if (!this.portraitRunning) return;
        const ids = failing.map(([id]) => id);
        const report: QualityReport = {
          ok: failing.length === 0,
          checks: [
            'face_count', 'face_inside', 'eye_distance', 'face_scale', 'roll', 'yaw',
            'horizontal_position', 'vertical_position', 'sharpness', 'exposure', 'background',
          ].map((id) => {
            const f = failing.find(([x]) => x === id);
            return f ? { id, ok: false, value: 0.4, reason: f[1] } : { id, ok: true, value: 1 };
          }),
        };
        const jpeg = this.images.portrait(i, ids);
        streak = report.ok ? streak + 1 : 0;
        if (!best || failing.length <= best.failing) best = { jpeg, report, failing: failing.length };
        this.emit('portrait', { kind: 'frame', jpeg_base64: jpeg, report, streak, needed });
        if (streak >= needed) {
          this.portraitRunning = false;
          this.lastPortrait = { jpeg, report };
          this.emit('portrait', { kind: 'done', captured: true, jpeg_base64: jpeg, report });
        } else if (i === script.length - 1) {
          this.portraitRunning = false;
          this.lastPortrait = best && { jpeg: best.jpeg, report: best.report };
          this.emit('portrait', { kind: 'done', captured: false, jpeg_base64: best?.jpeg ?? null, report: best?.report ?? null });
        }
      });
    });
    void d;
    return null;
  }

  private portraitAccept(d: Draft, override?: string): Draft {
    const p = this.lastPortrait;
    if (!p) throw fail('wrong_status', 'no portrait captured');
    if (!p.report.ok && !override?.trim()) {
      throw fail('invalid', 'the best frame failed a check; an override reason is needed', {
        problems: [{ field: 'portrait.quality', code: 'required', message: 'override reason required' }],
      });
    }
    d.portrait = { jpeg_base64: p.jpeg, quality: p.report, ...(p.report.ok ? {} : { override_reason: override!.trim() }) };
    d.updated_at = iso(this.now());
    return d;
  }

  private fingersStart(d: Draft, exceptions: Record<string, { exception: string; reason: string }>): null {
    if (this.portraitRunning || this.fingersRunning) throw fail('busy', 'a capture is already running');
    for (const [pos, e] of Object.entries(exceptions)) {
      if (!e.reason?.trim()) {
        throw fail('invalid', `finger ${pos}: an exception needs a reason`, {
          problems: [{ field: `fingerprints.${pos}.reason`, code: 'required', message: 'is required' }],
        });
      }
    }
    this.fingersRunning = true;
    const excepted = new Set(Object.keys(exceptions).map(Number));
    // The engine's 4-4-2 order: right four, left four, both thumbs; one poor print is retried.
    const groups = [[2, 3, 4, 5], [7, 8, 9, 10], [1, 6]].map((g) => g.filter((f) => !excepted.has(f))).filter((g) => g.length);
    const steps: (() => void)[] = [];
    const quality = (f: number) => 52 + ((f * 7) % 30);
    for (const g of groups) {
      steps.push(() => this.emit('fingers', { kind: 'capturing', fingers: g, attempt: 1 }));
      for (const f of g) {
        const poor = f === 8;
        steps.push(() => this.emit('fingers', { kind: 'scored', finger: f, quality: poor ? 23 : quality(f), accepted: !poor }));
      }
      if (g.includes(8)) {
        steps.push(() => this.emit('fingers', { kind: 'capturing', fingers: [8], attempt: 2 }));
        steps.push(() => this.emit('fingers', { kind: 'scored', finger: 8, quality: quality(8), accepted: true }));
      }
    }
    steps.push(() => {
      const slots: Record<string, FingerSlotView> = {};
      for (let f = 1; f <= 10; f++) {
        const e = exceptions[String(f)];
        slots[String(f)] = e
          ? { state: 'exception', exception: e.exception as 'missing', reason: e.reason }
          : { state: 'impression', quality: quality(f), quality_algorithm: 'nfiq2', png_base64: this.images.finger(f) };
      }
      d.fingerprints = slots;
      d.duplicates = this.scenario.duplicates ? [{ application_id: [...this.stored.keys()][0] ?? uuid7(), score: 0.91 }] : [];
      d.updated_at = iso(this.now());
      this.fingersRunning = false;
      this.emit('fingers', { kind: 'done', draft: JSON.parse(JSON.stringify(d)) });
    });
    steps.forEach((s, i) =>
      this.later(this.scenario.tickMs * (i + 1) * 0.6, () => {
        if (this.fingersRunning) s();
      }),
    );
    return null;
  }

  private checkSupervisor(s: { operator: string; passphrase: string } | undefined) {
    const op = s && OPERATORS[s.operator];
    if (!s || !op) throw fail('unknown_operator', `no operator ${s?.operator}`);
    if (op.role !== 'supervisor') throw fail('not_allowed', `${s.operator} is not a supervisor`);
    if (op.passphrase !== s.passphrase) throw fail('wrong_passphrase', 'wrong supervisor passphrase');
  }

  private seal(d: Draft, consent: boolean, supervisor?: { operator: string; passphrase: string }): { id: string } {
    if (this.freeze().state === 'blocked') throw fail('frozen', 'freeze rules block sealing');
    const problems: Problem[] = validateDraft(d.record, this.md, new Date(this.now()), true);
    if (!d.portrait) problems.push({ field: 'portrait', code: 'required', message: 'a portrait is required' });
    for (let f = 1; f <= 10; f++) {
      if (!d.fingerprints[String(f)]) problems.push({ field: `fingerprints.${f}`, code: 'required', message: 'capture an impression or record an exception' });
    }
    const k = d.record.application.kind;
    if ((k === 'replacement_loss' || k === 'replacement_theft') && !d.documents.some((x) => x.kind === 'loss_declaration')) {
      problems.push({ field: 'documents', code: 'required', message: 'needs the loss declaration' });
    }
    if (!consent) problems.push({ field: 'consent', code: 'required', message: "the applicant's consent is required" });
    if (problems.length) throw fail('invalid', `${problems.length} problems`, { problems });
    if (supervisor && (supervisor.operator || supervisor.passphrase)) this.checkSupervisor(supervisor);
    const at = iso(this.now());
    const c = d.record.civil!;
    const record = {
      ...d.record,
      application: { ...d.record.application, status: { state: 'sealed' }, updated_at: at },
      consent: { given: true, at },
      documents: d.documents.map((x) => ({ kind: x.kind, blob: 'ab'.repeat(32) })),
      sign_off: { operator: { by: this.session!.operator, at }, supervisor: supervisor?.operator ? { by: supervisor.operator, at } : null },
    };
    this.stored.set(d.id, {
      summary: {
        id: d.id,
        status: 'sealed',
        kind: d.kind,
        family_name: c.family_name?.latin ?? '',
        family_name_ar: c.family_name?.arabic ?? '',
        given_names: c.given_names?.latin ?? '',
        given_names_ar: c.given_names?.arabic ?? '',
        birth_date: c.birth_date ?? '',
        created_at: d.created_at,
      },
      record,
      portrait: d.portrait?.jpeg_base64 ?? null,
      operator: this.session!.operator,
      approved: !!supervisor?.operator,
      history: [
        { at: d.created_at, what: 'created' },
        { at, what: `sealed by ${this.session!.operator}` },
      ],
    });
    this.drafts.delete(d.id);
    return { id: d.id };
  }

  private enrollments(query: string | undefined, status: string | undefined, offset: number, limit: number): Summary[] {
    const q = (query ?? '').trim().toLowerCase();
    return [...this.stored.values()]
      .map((s) => s.summary)
      .filter((s) => !status || s.status === status)
      .filter(
        (s) =>
          !q ||
          [s.id, s.family_name, s.family_name_ar, s.given_names, s.given_names_ar, s.birth_date].some((v) => v.toLowerCase().includes(q)),
      )
      .sort((x, y) => y.created_at.localeCompare(x.created_at))
      .slice(offset, offset + limit);
  }

  private syncNow(): Promise<SyncResult> {
    if (this.sync.running) return Promise.reject(fail('busy', 'a sync is already running'));
    this.sync.running = true;
    const pending = this.unsynced();
    const total = Math.max(pending.length, 1);
    const bytesTotal = total * 412_000;
    const tick = this.scenario.tickMs;
    return new Promise((resolve, reject) => {
      const phases: ['batch' | 'blobs' | 'updates' | 'purge', number][] = [['batch', 3], ['blobs', 4], ['updates', 1], ['purge', 1]];
      let i = 0;
      for (const [phase, n] of phases) {
        for (let k = 1; k <= n; k++) {
          i++;
          const frac = phase === 'batch' ? k / n : 1;
          const bfrac = phase === 'batch' ? 0 : phase === 'blobs' ? k / n : 1;
          this.later(tick * i, () =>
            this.emit('sync', {
              kind: 'progress',
              phase,
              records_done: Math.round(total * frac),
              records_total: total,
              bytes_done: Math.round(bytesTotal * bfrac),
              bytes_total: bytesTotal,
            }),
          );
        }
        if (phase === 'batch' && this.scenario.syncFails) {
          this.later(tick * (i + 1), () => {
            this.sync.running = false;
            this.sync.last_error = { code: 'sync', message: 'rabat: connection refused; marrakech: timed out' };
            this.emit('sync', { kind: 'error', code: 'sync', message: this.sync.last_error.message });
            reject(fail('sync', this.sync.last_error.message));
          });
          return;
        }
      }
      this.later(tick * (i + 1), () => {
        const at = iso(this.now());
        const seqFrom = (this.sync.receipts.at(-1)?.seq_to ?? 0) + 1;
        for (const s of pending) {
          s.summary.status = 'received';
          s.history.push({ at, what: 'received by rabat' });
        }
        this.sync = {
          ...this.sync,
          running: false,
          last_error: null,
          last_sync_at: at,
          receipts: [...this.sync.receipts, { center: 'rabat', seq_from: seqFrom, seq_to: seqFrom + pending.length - 1, at, documents: pending.length }].slice(-5),
        };
        this.freezeOverride = 'ok';
        const result: SyncResult = { sent_batches: 1, documents: pending.length, blob_bytes: bytesTotal, updates_applied: 2, purged: pending.length };
        this.emit('sync', { kind: 'done', result });
        resolve(result);
      });
    });
  }

  private dayReview(date?: string): DayReview {
    const day = date ?? this.today();
    return {
      date: day,
      enrollments: [...this.stored.values()]
        .filter((s) => s.summary.created_at.startsWith(day))
        .map((s) => ({ ...s.summary, operator: s.operator, approved: s.approved })),
      drafts: [...this.drafts.values()].filter((d) => d.created_at.startsWith(day)).map((d) => this.draftSummary(d)),
    };
  }

  // ---- seed data ------------------------------------------------------------------------------

  private seed() {
    const t = this.now();
    const people: [string, string, string, string, 'female' | 'male', string, string, string, number][] = [
      ['EL AMRANI', 'العمراني', 'FATIMA ZAHRA', 'فاطمة الزهراء', 'female', '1992-03-14', 'sealed', 'first_card', 0.05],
      ['BENNANI', 'بناني', 'YOUSSEF', 'يوسف', 'male', '1985-11-02', 'sealed', 'renewal', 0.1],
      ['AIT OUFKIR', 'آيت أوفقير', 'ITTO', 'إطو', 'female', '1961', 'recapture_requested', 'first_card', 1.2],
      ['ALAOUI', 'العلوي', 'HASSAN', 'حسن', 'male', '1974-06-30', 'rejected', 'replacement_loss', 3.1],
      ['TAZI', 'التازي', 'KHADIJA', 'خديجة', 'female', '2001-01-19', 'received', 'first_card', 4],
      ['BERRADA', 'برادة', 'OMAR', 'عمر', 'male', '1968-09-08', 'accepted', 'data_update', 8],
      ['EL FASSI', 'الفاسي', 'SALMA', 'سلمى', 'female', '1999-12-24', 'delivered', 'renewal', 20],
    ];
    people.forEach(([fl, fa, gl, ga, sex, birth, status, kind, daysAgo], i) => {
      const created = iso(t - daysAgo * DAY - i * 60_000);
      const id = uuid7(t - daysAgo * DAY - i * 60_000);
      const statusObj =
        status === 'rejected'
          ? { state: 'rejected', reason: 'Acte de naissance illisible' }
          : status === 'recapture_requested'
            ? { state: 'recapture_requested', items: ['portrait', 'fingerprints.7'], note: 'Photo floue' }
            : { state: status };
      const record = {
        ...this.newRecord(id, kind, created),
        civil: {
          family_name: { latin: fl, arabic: fa },
          given_names: { latin: gl, arabic: ga },
          sex,
          birth_date: birth,
          birth_place: { in: 'morocco', province: '07-03', commune: 'Ighil' },
          nationality: 'MA',
          father: { latin: `MOHAMED ${fl}`, arabic: `محمد ${fa}` },
          mother: { latin: 'NADIA BENNANI', arabic: 'نادية بناني' },
          address: { in: 'morocco', line: 'Douar Tikht', commune: 'Ighil', province: '07-03' },
        },
      } as Stored['record'];
      (record.application as Record<string, unknown>).status = statusObj;
      if (kind !== 'first_card') record.application.previous_card = `BE${100000 + i * 7}`;
      this.stored.set(id, {
        summary: { id, status, kind, family_name: fl, family_name_ar: fa, given_names: gl, given_names_ar: ga, birth_date: birth, created_at: created },
        record,
        portrait: null,
        operator: i % 2 ? 'OP-0043' : 'OP-0042',
        approved: false,
        history: [
          { at: created, what: 'created' },
          { at: created, what: 'sealed' },
        ],
      });
    });
    // Today's bookings from the national portal.
    const day = this.today();
    const next = iso(t + DAY).slice(0, 10);
    this.addAppointments('TOURNEE-IFRANE', day, next, [
      {
        booking: 'RDV-2026-0412',
        slot: `${day}T09:30:00`,
        prefill: {
          family_name: { latin: 'OUZZANI', arabic: 'الوزاني' },
          given_names: { latin: 'SALMA', arabic: 'سلمى' },
          sex: 'female',
          birth_date: '1991-04-17',
          birth_place: { in: 'morocco', province: '07-03', commune: 'Ighil' },
          father: { latin: 'AHMED OUZZANI', arabic: 'أحمد الوزاني' },
          mother: { latin: 'ZINEB TAHIRI', arabic: 'زينب الطاهري' },
          address: { in: 'morocco', line: '12 rue Atlas', commune: 'Ighil', province: '07-03', postal_code: null },
          phone: '+212600000001',
        },
      },
      {
        booking: 'RDV-2026-0413',
        slot: `${day}T10:00:00`,
        prefill: { family_name: { latin: 'IDRISSI', arabic: 'الإدريسي' }, given_names: { latin: 'KARIM' }, sex: 'male' },
      },
      { booking: 'RDV-2026-0415', slot: `${next}T09:00:00`, prefill: {} },
    ]);
    // A draft left by a crash, to show "resume".
    const at = iso(t - 40 * 60_000);
    const id = uuid7(t - 40 * 60_000);
    const rec = this.newRecord(id, 'first_card', at);
    rec.civil = {
      family_name: { latin: 'CHRAIBI', arabic: 'الشرايبي' },
      given_names: { latin: 'MERYEM', arabic: '' },
    };
    this.drafts.set(id, {
      id,
      kind: 'first_card',
      created_at: at,
      updated_at: at,
      record: rec,
      portrait: null,
      fingerprints: {},
      documents: [],
      duplicates: [],
      problems: validateDraft(rec, this.md, new Date(t)),
    });
  }
}
