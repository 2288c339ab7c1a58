// Master data is fixed for a run of the app: fetched once, shared by every picker.
import type { MasterData } from './types';
import { api } from './api';

export const master = $state({ data: null as MasterData | null });
let pending: Promise<void> | null = null;

export function loadMaster(): Promise<void> {
  if (master.data) return Promise.resolve();
  pending ??= api.masterData().then(
    (d) => {
      master.data = d;
    },
    () => {
      pending = null;
    },
  );
  return pending;
}
