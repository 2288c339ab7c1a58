import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

// Inside Tauri the shell provides the IPC. In a plain browser the fake backend is loaded instead,
// on request (`npm run dev:mock`, or `?mock` on the built app), so the mock never runs in the van.
async function boot() {
  const inTauri = '__TAURI_INTERNALS__' in window;
  const wantMock = import.meta.env.VITE_QAFILA_MOCK === '1' || new URLSearchParams(location.search).has('mock');
  let demo = false;
  if (!inTauri && wantMock) {
    const { installMock } = await import('./mock/install');
    installMock();
    demo = true;
  }
  mount(App, { target: document.getElementById('app')!, props: { demo, standalone: !inTauri && !wantMock } });
}

void boot();
