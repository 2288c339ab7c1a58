// One enrollment in progress: the draft as the engine has it, the form as the operator types it,
// and the debounced saving that keeps the two in step so a crash loses nothing.
import type { ApiError, Civil, Draft, Problem } from './types';
import { api } from './api';
import { normalizeError } from './errors';
import { completeCivil, recordForSave, valueAt } from './record';
import { STEPS, canEnter, kindNeedsPreviousCard, resumeStep, stepComplete, type Step, type WizardContext } from './wizard';

const SAVE_DELAY_MS = 600;

export class WizardState {
  draft = $state<Draft | null>(null);
  step = $state<Step>('kind');
  /** The furthest step reached: only steps up to it are shown as done. */
  furthest = $state(0);
  kind = $state('');
  previousCard = $state('');
  feeWaived = $state(false);
  feeReference = $state('');
  civil = $state<Civil>(completeCivil(undefined));
  problems = $state<Problem[]>([]);
  /** Fields the operator has left: their problems are shown; others wait until "Next". */
  touched = $state<Record<string, true>>({});
  showAllProblems = $state(false);
  consent = $state(false);
  sealedId = $state<string | null>(null);
  saving = $state(false);
  savedAt = $state<string | null>(null);
  error = $state<ApiError | null>(null);

  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSaved = '';

  get ctx(): WizardContext {
    return { draft: this.draft, problems: this.problems, consent: this.consent, sealedId: this.sealedId };
  }

  complete = (s: Step) => stepComplete(s, this.ctx);
  shownDone = (s: Step) => STEPS.indexOf(s) <= Math.max(this.furthest, STEPS.indexOf(this.step)) && stepComplete(s, this.ctx);
  reachable = (s: Step) => canEnter(s, this.ctx);

  /** Problems to show next to a field now. */
  visible(field: string): Problem[] {
    if (!this.showAllProblems && !this.touched[field]) return [];
    // A "required" answered since the last save is stale: hide it rather than contradict the operator.
    return this.problems.filter((p) => p.field === field && !(p.code === 'required' && this.filled(field)));
  }

  private filled(field: string): boolean {
    const v =
      field === 'application.previous_card'
        ? this.previousCard
        : field === 'application.fee_waiver.reference'
          ? this.feeReference
          : field.startsWith('civil.')
            ? valueAt(this.civil, field.slice('civil.'.length))
            : undefined;
    return typeof v === 'number' || (typeof v === 'string' && v.trim() !== '');
  }

  touch(field: string): void {
    if (!this.touched[field]) this.touched[field] = true;
  }

  async load(id: string): Promise<void> {
    const d = await api.draftGet(id);
    this.adopt(d);
    this.problems = d.problems;
    const app = d.record.application;
    this.kind = app.kind;
    this.previousCard = app.previous_card ?? '';
    this.feeWaived = !!app.fee_waiver;
    this.feeReference = app.fee_waiver?.reference ?? '';
    this.civil = completeCivil(d.record.civil);
    this.lastSaved = this.snapshot();
    this.step = resumeStep(this.ctx);
    this.furthest = STEPS.indexOf(this.step);
    // A resumed draft shows its problems at once: the operator is coming back to fix them.
    this.showAllProblems = this.step !== 'kind' && this.step !== 'civil' ? false : !!d.record.civil;
  }

  adopt(d: Draft): void {
    this.draft = d;
  }

  private recordNow() {
    if (!this.draft) return null;
    const base = this.draft.record;
    const application = {
      ...base.application,
      kind: this.kind,
      previous_card: kindNeedsPreviousCard(this.kind) ? this.previousCard : null,
      fee_waiver: this.feeWaived ? { reference: this.feeReference } : null,
    };
    return recordForSave({ ...base, application }, this.civil);
  }

  snapshot(): string {
    return JSON.stringify([this.kind, this.previousCard, this.feeWaived, this.feeReference, this.civil]);
  }

  /** Called whenever the form changes; saves after a pause in typing. */
  changed(): void {
    if (!this.draft || this.snapshot() === this.lastSaved) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.saveNow(), SAVE_DELAY_MS);
  }

  /** Saves at once (before moving on, or leaving); returns the problems. */
  async saveNow(): Promise<Problem[]> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const record = this.recordNow();
    if (!this.draft || !record) return this.problems;
    const snap = this.snapshot();
    this.saving = true;
    try {
      const problems = await api.draftSave(this.draft.id, record);
      this.problems = problems;
      this.draft = { ...this.draft, record, kind: this.kind, problems };
      this.lastSaved = snap;
      this.savedAt = new Date().toISOString();
      this.error = null;
      return problems;
    } catch (e) {
      this.error = normalizeError(e);
      throw this.error;
    } finally {
      this.saving = false;
    }
  }

  /** Creates the draft on leaving the first step (the kind is known only then). */
  async ensureDraft(): Promise<void> {
    if (this.draft) return;
    const d = await api.draftNew(this.kind);
    this.draft = d;
    this.problems = d.problems;
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      // Leaving the wizard: the pending change is saved rather than dropped.
      void this.saveNow().catch(() => {});
    }
  }
}
