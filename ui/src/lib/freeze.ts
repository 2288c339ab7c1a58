// What the freeze banner says, from the engine's Freeze. The engine decides the state; the UI
// only explains it and disables "new enrollment" when blocked.
import type { Freeze } from './types';

export interface BannerLine {
  key: string;
  n?: number;
}
export interface FreezeBanner {
  level: 'warn' | 'blocked';
  titleKey: string;
  lines: BannerLine[];
  actionKey: string;
}

export function freezeBanner(f: Freeze | null | undefined): FreezeBanner | null {
  if (!f || f.state === 'ok') return null;
  const lines: BannerLine[] = [];
  for (const r of f.reasons) {
    if (r === 'days_without_sync') {
      lines.push(f.days_since_sync === null ? { key: 'freeze.never' } : { key: 'freeze.days', n: f.days_since_sync });
    } else if (r === 'unsynced_enrollments') {
      lines.push({ key: 'freeze.unsynced', n: f.unsynced });
    }
  }
  const blocked = f.state === 'blocked';
  return {
    level: blocked ? 'blocked' : 'warn',
    titleKey: blocked ? 'freeze.blocked_title' : 'freeze.warn_title',
    lines,
    actionKey: blocked ? 'freeze.blocked_action' : 'freeze.warn_action',
  };
}

export function newEnrollmentBlocked(f: Freeze | null | undefined): boolean {
  return f?.state === 'blocked';
}
