import { describe, expect, it, vi } from 'vitest';
import { freezeBanner, newEnrollmentBlocked } from '../src/lib/freeze';
import { canEnter, resumeStep, stepComplete, type WizardContext } from '../src/lib/wizard';
import { emptyFingers, fingerCounts, fingersFromDraft, reduceFingers } from '../src/lib/fingers';
import { checklist, idlePortrait, reasonKey, reducePortrait } from '../src/lib/portrait';
import { IdleWatcher } from '../src/lib/activity';
import { actionFor } from '../src/lib/shortcuts';
import { filterOptions } from '../src/lib/options';
import { emptyCivil, recordForSave } from '../src/lib/record';
import type { Draft, FingerSlotView } from '../src/lib/types';

function draft(over: Partial<Draft> = {}): Draft {
  return {
    id: 'd1',
    kind: 'first_card',
    created_at: '2026-11-20T09:00:00Z',
    updated_at: '2026-11-20T09:00:00Z',
    record: { application: { kind: 'first_card' }, civil: { birth_date: '1961' } },
    portrait: null,
    fingerprints: {},
    documents: [],
    duplicates: [],
    problems: [],
    ...over,
  };
}
const impression: FingerSlotView = { state: 'impression', quality: 60, quality_algorithm: 'nfiq2', png_base64: '' };
const allTen = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [String(i + 1), impression]));

describe('freeze banner', () => {
  it('is absent when all is well', () => {
    expect(freezeBanner({ state: 'ok', days_since_sync: 1, unsynced: 3, reasons: [] })).toBeNull();
    expect(newEnrollmentBlocked({ state: 'ok', days_since_sync: 1, unsynced: 3, reasons: [] })).toBe(false);
  });
  it('explains a warning with its reasons', () => {
    const b = freezeBanner({ state: 'warn', days_since_sync: 8, unsynced: 250, reasons: ['days_without_sync', 'unsynced_enrollments'] });
    expect(b).toEqual({
      level: 'warn',
      titleKey: 'freeze.warn_title',
      lines: [{ key: 'freeze.days', n: 8 }, { key: 'freeze.unsynced', n: 250 }],
      actionKey: 'freeze.warn_action',
    });
  });
  it('blocks, and says when the van never synced', () => {
    const f = { state: 'blocked' as const, days_since_sync: null, unsynced: 0, reasons: ['days_without_sync' as const] };
    expect(freezeBanner(f)?.lines).toEqual([{ key: 'freeze.never' }]);
    expect(freezeBanner(f)?.actionKey).toBe('freeze.blocked_action');
    expect(newEnrollmentBlocked(f)).toBe(true);
  });
});

describe('wizard gating', () => {
  const ctx = (over: Partial<WizardContext> = {}): WizardContext => ({ draft: draft(), problems: [], consent: false, sealedId: null, ...over });

  it('needs a draft before anything but the kind', () => {
    const c = ctx({ draft: null });
    expect(canEnter('kind', c)).toBe(true);
    expect(canEnter('civil', c)).toBe(false);
  });
  it('holds the portrait back while civil data has problems', () => {
    const c = ctx({ problems: [{ field: 'civil.sex', code: 'required', message: '' }] });
    expect(canEnter('civil', c)).toBe(true);
    expect(canEnter('portrait', c)).toBe(false);
    expect(canEnter('portrait', ctx())).toBe(true);
  });
  it('needs ten filled slots before documents', () => {
    const withPortrait = draft({ portrait: { jpeg_base64: '', quality: { ok: true, checks: [] } } });
    expect(canEnter('documents', ctx({ draft: withPortrait }))).toBe(false);
    const nine = { ...allTen };
    delete nine['10'];
    expect(canEnter('documents', ctx({ draft: { ...withPortrait, fingerprints: nine } }))).toBe(false);
    expect(canEnter('documents', ctx({ draft: { ...withPortrait, fingerprints: allTen } }))).toBe(true);
  });
  it('needs the loss declaration for a replacement after loss', () => {
    const d = draft({ kind: 'replacement_loss', record: { application: { kind: 'replacement_loss' }, civil: {} } });
    expect(stepComplete('documents', ctx({ draft: d }))).toBe(false);
    d.documents.push({ kind: 'loss_declaration', name: 'pv.pdf', bytes: 10 });
    expect(stepComplete('documents', ctx({ draft: d }))).toBe(true);
  });
  it('needs consent before sealing, and only "done" after', () => {
    const full = draft({ portrait: { jpeg_base64: '', quality: { ok: true, checks: [] } }, fingerprints: allTen });
    expect(canEnter('seal', ctx({ draft: full }))).toBe(false);
    expect(canEnter('seal', ctx({ draft: full, consent: true }))).toBe(true);
    expect(canEnter('civil', ctx({ draft: full, consent: true, sealedId: 'x' }))).toBe(false);
    expect(canEnter('done', ctx({ draft: full, consent: true, sealedId: 'x' }))).toBe(true);
  });
  it('resumes a draft at its first unfinished step', () => {
    expect(resumeStep(ctx())).toBe('portrait');
    expect(resumeStep(ctx({ problems: [{ field: 'civil.mother.latin', code: 'required', message: '' }] }))).toBe('civil');
    expect(resumeStep(ctx({ draft: draft({ portrait: { jpeg_base64: '', quality: { ok: true, checks: [] } } }) }))).toBe('fingers');
  });
});

describe('finger state from events', () => {
  it('follows a capture from placing to done', () => {
    let s = fingersFromDraft(draft({ fingerprints: {} }));
    s = reduceFingers(s, { kind: 'capturing', fingers: [2, 3, 4, 5], attempt: 1 });
    expect(s.running).toBe(true);
    expect(s.slots['2']).toEqual({ state: 'capturing' });
    expect(s.slots['1']).toEqual({ state: 'pending' });
    s = reduceFingers(s, { kind: 'scored', finger: 3, quality: 21, accepted: false });
    expect(s.slots['3']).toEqual({ state: 'poor', quality: 21 });
    s = reduceFingers(s, { kind: 'scored', finger: 3, quality: 58, accepted: true });
    expect(s.slots['3']).toEqual({ state: 'good', quality: 58 });
    s = reduceFingers(s, { kind: 'scanner_error', message: 'timeout' });
    expect(s.scannerError).toBe('timeout');
    const bandaged: FingerSlotView = { state: 'exception', exception: 'bandaged', reason: 'cut' };
    s = reduceFingers(s, { kind: 'done', draft: draft({ fingerprints: { ...allTen, '7': bandaged } }) });
    expect(s.running).toBe(false);
    expect(s.slots['7']).toEqual({ state: 'exception', exception: 'bandaged', reason: 'cut' });
    expect(s.slots['1']).toMatchObject({ state: 'good', quality: 60 });
  });
  it('never shows an excused finger as being captured', () => {
    const s0 = emptyFingers();
    s0.slots['7'] = { state: 'exception', exception: 'missing', reason: 'born without' };
    const s = reduceFingers(s0, { kind: 'capturing', fingers: [7, 8], attempt: 1 });
    expect(s.slots['7'].state).toBe('exception');
    expect(s.slots['8'].state).toBe('capturing');
    expect(s0.slots['8'].state).toBe('pending'); // the input state is untouched
  });
  it('stops on error and counts slots for the review', () => {
    const s = reduceFingers({ ...emptyFingers(), running: true }, { kind: 'error', code: 'scanner', message: 'gone' });
    expect(s.running).toBe(false);
    expect(s.error?.code).toBe('scanner');
    expect(fingerCounts(draft({ fingerprints: { ...allTen, '7': { state: 'exception', exception: 'bandaged', reason: 'x' } } }))).toEqual({ captured: 9, excused: 1 });
  });
});

describe('portrait', () => {
  it('lists the 11 checks in a fixed order, unknown until measured', () => {
    const l = checklist(null);
    expect(l).toHaveLength(11);
    expect(l.every((c) => c.ok === null)).toBe(true);
    const m = checklist({ ok: false, checks: [{ id: 'sharpness', ok: false, value: 3, reason: 'blurred' }, { id: 'yaw', ok: true, value: 1 }] });
    expect(m.find((c) => c.id === 'sharpness')).toEqual({ id: 'sharpness', ok: false, reason: 'blurred' });
    expect(m.find((c) => c.id === 'yaw')?.ok).toBe(true);
    expect(m.find((c) => c.id === 'roll')?.ok).toBeNull();
  });
  it('turns reason codes into instruction keys', () => {
    expect(reasonKey('move_closer')).toBe('reason.move_closer');
    expect(reasonKey('gremlins')).toBe('reason.unknown');
    expect(reasonKey(null)).toBe('reason.unknown');
  });
  it('keeps the best frame offered on timeout', () => {
    let s = reducePortrait(idlePortrait(), { kind: 'frame', jpeg_base64: 'A', report: { ok: false, checks: [] }, streak: 0, needed: 3 });
    s = reducePortrait(s, { kind: 'done', captured: false, jpeg_base64: 'BEST', report: { ok: false, checks: [] } });
    expect(s.phase).toBe('timeout');
    expect(s.jpeg).toBe('BEST');
  });
});

describe('idle lock', () => {
  it('touches at most once per interval and locks once after the idle time', () => {
    let now = 0;
    const touch = vi.fn();
    const onIdle = vi.fn();
    const w = new IdleWatcher({ idleMs: 60_000, touchEveryMs: 30_000, now: () => now, touch, onIdle });
    w.activity();
    now = 10_000;
    w.activity();
    expect(touch).toHaveBeenCalledTimes(1);
    now = 40_000;
    w.activity();
    expect(touch).toHaveBeenCalledTimes(2);
    now = 99_000;
    w.tick();
    expect(onIdle).not.toHaveBeenCalled();
    now = 100_000;
    w.tick();
    w.tick();
    expect(onIdle).toHaveBeenCalledTimes(1);
  });
});

describe('shortcuts', () => {
  const key = (k: string, code = '', alt = true) => ({ key: k, code, altKey: alt, ctrlKey: false, metaKey: false, shiftKey: false });
  it('mirror the step arrows in Arabic', () => {
    expect(actionFor(key('ArrowRight'), false)).toEqual({ kind: 'next' });
    expect(actionFor(key('ArrowRight'), true)).toEqual({ kind: 'back' });
    expect(actionFor(key('ArrowLeft'), true)).toEqual({ kind: 'next' });
  });
  it('read letters by physical key, and ignore plain keys', () => {
    expect(actionFor(key('é', 'KeyE'), false)).toEqual({ kind: 'go', to: 'new' });
    expect(actionFor(key('3', 'Digit3'), true)).toEqual({ kind: 'step', step: 'portrait' });
    expect(actionFor(key('e', 'KeyE', false), false)).toBeNull();
    expect(actionFor(key('F1', 'F1', false), false)).toEqual({ kind: 'help' });
  });
});

describe('pickers and records', () => {
  it('search accents, scripts and codes', () => {
    const opts = [
      { value: '01-03', label: 'Tétouan', sub: 'تطوان' },
      { value: '07-03', label: 'Al Haouz', sub: 'الحوز' },
    ];
    expect(filterOptions(opts, 'tetouan').map((o) => o.value)).toEqual(['01-03']);
    expect(filterOptions(opts, 'الحوز').map((o) => o.value)).toEqual(['07-03']);
    expect(filterOptions(opts, '07-').map((o) => o.value)).toEqual(['07-03']);
  });
  it('sends blank optional fields as null and Latin names in capitals', () => {
    const c = emptyCivil();
    c.family_name.latin = 'el amrani';
    c.phone = '  ';
    const r = recordForSave({ application: { kind: 'renewal', previous_card: ' be123456 ' } }, c);
    expect(r.civil?.family_name?.latin).toBe('EL AMRANI');
    expect(r.civil?.phone).toBeNull();
    expect(r.civil && 'sex' in r.civil).toBe(false);
    expect(r.application.previous_card).toBe('BE123456');
  });
});
