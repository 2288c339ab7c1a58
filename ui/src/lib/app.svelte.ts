// App-wide state: who is logged in, which screen is shown, and the freeze state that gates
// new enrollments everywhere (the nav button, Alt+E, the home screen).
import type { AppState, Freeze, Lang } from './types';
import type { Step } from './wizard';
import { api } from './api';
import { applyLang } from './i18n.svelte';

export type Route =
  | { name: 'unlock' }
  | { name: 'home' }
  | { name: 'wizard'; draftId?: string; key: number }
  | { name: 'enrollments' }
  | { name: 'enrollment'; id: string }
  | { name: 'sync' }
  | { name: 'review' }
  | { name: 'settings' };

export const app = $state({
  state: null as AppState | null,
  route: { name: 'unlock' } as Route,
  lockedReason: null as null | 'idle' | 'manual',
  freeze: null as Freeze | null,
  helpOpen: false,
  /** Set by the wizard so global shortcuts can drive it. */
  wizard: null as null | { next(): void; back(): void; goto(step: Step): void },
});

let wizardKey = 0;

export function go(route: Route | { name: 'wizard'; draftId?: string }): void {
  if (route.name === 'wizard') {
    app.route = { ...route, key: ++wizardKey } as Route;
  } else {
    app.route = route as Route;
  }
}

export function setAppState(s: AppState): void {
  app.state = s;
  applyLang(s.settings.language);
  if (s.locked) app.route = { name: 'unlock' };
}

/** Changes the language at once, then stores the choice through `settings_set`. */
export async function chooseLang(lang: Lang): Promise<void> {
  applyLang(lang);
  if (!app.state) return;
  app.state.settings = { ...app.state.settings, language: lang };
  try {
    const saved = await api.settingsSet(app.state.settings);
    app.state.settings = saved;
  } catch {
    // The screen already shows the new language; the next successful save will persist it.
  }
}

export function isSupervisor(): boolean {
  return app.state?.session?.role === 'supervisor';
}
