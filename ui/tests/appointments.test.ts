// The home screen's appointment list: which drive it shows, how slots read, and the fake engine
// turning a booking into a prefilled draft the way the real one does.
import { describe, expect, it } from 'vitest';
import { currentDrive, slotDay, slotTime } from '../src/lib/appointments';
import { MockBackend, defaultScenario } from '../src/mock/backend';
import type { Appointment, Draft, MasterData } from '../src/lib/types';
import morocco from '../../crates/qafila-domain/data/morocco.json';
import countries from '../../crates/qafila-domain/data/countries.json';

const a = (drive_id: string, start: string, end: string, booking: string, slot: string): Appointment => ({
  drive_id,
  drive_start: start,
  drive_end: end,
  booking,
  slot,
  today: false,
  name: '',
  name_ar: '',
  birth_date: null,
  draft_id: null,
  enrolled: null,
});

describe('currentDrive', () => {
  const list = [
    a('later', '2026-12-10', '2026-12-11', 'L1', '2026-12-10T09:00:00'),
    a('now', '2026-12-01', '2026-12-03', 'N2', '2026-12-02T10:00:00'),
    a('now', '2026-12-01', '2026-12-03', 'N1', '2026-12-02T08:30:00'),
    a('past', '2026-11-20', '2026-11-21', 'P1', '2026-11-20T09:00:00'),
  ];

  it('shows the drive under way, its bookings by slot', () => {
    const d = currentDrive(list, '2026-12-02');
    expect(d?.drive_id).toBe('now');
    expect(d?.items.map((x) => x.booking)).toEqual(['N1', 'N2']);
  });

  it('shows the next drive between drives, and nothing once all have ended', () => {
    expect(currentDrive(list, '2026-12-05')?.drive_id).toBe('later');
    expect(currentDrive(list, '2026-11-25')?.drive_id).toBe('now');
    expect(currentDrive(list, '2026-12-12')).toBeNull();
    expect(currentDrive([], '2026-12-02')).toBeNull();
  });

  it('reads slots as booked, without shifting time zones', () => {
    expect(slotTime('2026-12-02T08:30:00')).toBe('08:30');
    expect(slotTime('2026-12-02T23:59')).toBe('23:59');
    expect(slotDay('2026-12-02T08:30:00')).toBe('2026-12-02');
  });
});

describe('mock engine appointments', () => {
  const md: MasterData = { regions: morocco.regions, countries: countries.countries };
  const images = { portrait: () => 'JPEG', finger: () => 'PNG' };

  it('starts a prefilled draft once per booking', async () => {
    const b = new MockBackend(md, () => {}, images, { ...defaultScenario, tickMs: 1, seed: false });
    await b.handle('unlock', { operator: 'OP-0042', passphrase: 'demo' });
    const day = new Date().toISOString().slice(0, 10);
    b.addAppointments('D1', day, day, [
      { booking: 'R1', slot: `${day}T09:00:00`, prefill: { family_name: { latin: 'OUZZANI', arabic: 'الوزاني' }, sex: 'female' } },
    ]);
    const [listed] = (await b.handle('appointments')) as Appointment[];
    expect(listed).toMatchObject({ booking: 'R1', name: 'OUZZANI', name_ar: 'الوزاني', today: true, draft_id: null });
    expect(listed).not.toHaveProperty('prefill');
    const d = (await b.handle('draft_from_appointment', { drive_id: 'D1', booking: 'R1' })) as Draft;
    expect(d.record.civil?.family_name?.latin).toBe('OUZZANI');
    expect(d.record.application.drive_id).toBe('D1');
    expect(d.appointment).toEqual({ drive_id: 'D1', booking: 'R1' });
    const again = (await b.handle('draft_from_appointment', { drive_id: 'D1', booking: 'R1' })) as Draft;
    expect(again.id).toBe(d.id);
    expect(((await b.handle('appointments')) as Appointment[])[0].draft_id).toBe(d.id);
    await expect(b.handle('draft_from_appointment', { drive_id: 'D1', booking: 'nope' })).rejects.toMatchObject({ code: 'bad_input' });
    // Discarded, the booking is free again; once a draft from it is sealed, it is enrolled.
    await b.handle('draft_discard', { id: d.id });
    expect(((await b.handle('appointments')) as Appointment[])[0]).toMatchObject({ draft_id: null, enrolled: null });
    const fresh = (await b.handle('draft_from_appointment', { drive_id: 'D1', booking: 'R1' })) as Draft;
    expect(fresh.id).not.toBe(d.id);
    b.drafts.delete(fresh.id);
    b.stored.set(fresh.id, {} as never);
    expect(((await b.handle('appointments')) as Appointment[])[0]).toMatchObject({ draft_id: null, enrolled: fresh.id });
    await expect(b.handle('draft_from_appointment', { drive_id: 'D1', booking: 'R1' })).rejects.toMatchObject({ code: 'bad_input' });
  });
});
