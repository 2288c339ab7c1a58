// Which of the van's drives the home screen shows, and how a booking's slot reads.
import type { Appointment } from './types';

export interface DriveView {
  drive_id: string;
  drive_start: string;
  drive_end: string;
  items: Appointment[];
}

/**
 * The drive under way today, else the next one to start; its bookings by slot. Ended drives are
 * left out even if the engine has not purged them yet (the van's clock moved on since).
 */
export function currentDrive(list: readonly Appointment[], today: string): DriveView | null {
  const drives = new Map<string, DriveView>();
  for (const a of list) {
    if (a.drive_end < today) continue;
    const d = drives.get(a.drive_id) ?? { drive_id: a.drive_id, drive_start: a.drive_start, drive_end: a.drive_end, items: [] };
    d.items.push(a);
    drives.set(a.drive_id, d);
  }
  const ordered = [...drives.values()].sort((x, y) => x.drive_start.localeCompare(y.drive_start) || x.drive_id.localeCompare(y.drive_id));
  const chosen = ordered.find((d) => d.drive_start <= today) ?? ordered[0];
  if (!chosen) return null;
  chosen.items.sort((x, y) => x.slot.localeCompare(y.slot) || x.booking.localeCompare(y.booking));
  return chosen;
}

/** `HH:MM` of a slot (`YYYY-MM-DDTHH:MM[:SS]`), the drive's local time as booked: no time-zone shift. */
export function slotTime(slot: string): string {
  const m = /T(\d{2}):(\d{2})/.exec(slot);
  return m ? `${m[1]}:${m[2]}` : slot;
}

/** The day of a slot, `YYYY-MM-DD`. */
export function slotDay(slot: string): string {
  return slot.slice(0, 10);
}
