// Puts the fake backend behind Tauri's IPC, in a plain browser: `invoke` and `listen` in the
// app work unchanged. Loaded only outside Tauri, for `npm run dev:mock`, demos and e2e tests.
// The URL picks the scenario: ?mock&lang=ar&session=OP-0042&freeze=blocked&tick=40&portrait=timeout
import { mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { MockBackend, defaultScenario, type Scenario } from './backend';
import { drawnImages } from './images';
import { isLang } from '../lib/i18n';
import type { MasterData } from '../lib/types';
import morocco from '../../../crates/qafila-domain/data/morocco.json';
import countries from '../../../crates/qafila-domain/data/countries.json';

export function scenarioFromUrl(search: string): Scenario {
  const q = new URLSearchParams(search);
  const lang = q.get('lang');
  const freeze = q.get('freeze');
  return {
    ...defaultScenario,
    lang: isLang(lang) ? lang : defaultScenario.lang,
    session: q.get('session'),
    freeze: freeze === 'warn' || freeze === 'blocked' ? freeze : 'ok',
    portraitTimeout: q.get('portrait') === 'timeout',
    duplicates: q.has('duplicates'),
    syncFails: q.get('sync') === 'fail',
    tickMs: Number(q.get('tick')) || defaultScenario.tickMs,
    seed: q.get('seed') !== '0',
  };
}

export function installMock(): MockBackend {
  const md: MasterData = {
    regions: morocco.regions,
    countries: countries.countries.map(({ alpha2, name_fr, name_ar }) => ({ alpha2, name_fr, name_ar })),
  };
  const backend = new MockBackend(
    md,
    (event, payload) => void emit(event, payload),
    drawnImages,
    scenarioFromUrl(location.search),
  );
  mockWindows('main');
  mockIPC((cmd, args) => backend.handle(cmd, (args ?? {}) as Record<string, unknown>), { shouldMockEvents: true });
  (window as unknown as { __qafilaMock: MockBackend }).__qafilaMock = backend;
  return backend;
}
