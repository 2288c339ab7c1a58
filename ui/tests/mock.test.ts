// The fake backend must keep to the contract, or the e2e tests would prove nothing.
import { describe, expect, it } from 'vitest';
import { MockBackend, defaultScenario } from '../src/mock/backend';
import type { Draft, MasterData, Problem } from '../src/lib/types';
import morocco from '../../crates/qafila-domain/data/morocco.json';
import countries from '../../crates/qafila-domain/data/countries.json';

const md: MasterData = { regions: morocco.regions, countries: countries.countries };
const images = { portrait: () => 'JPEG', finger: () => 'PNG' };

function backend(over = {}) {
  const events: [string, unknown][] = [];
  const b = new MockBackend(md, (e, p) => events.push([e, p]), images, { ...defaultScenario, tickMs: 1, seed: false, ...over });
  return { b, events };
}

describe('mock backend', () => {
  it('refuses work while locked, and checks passphrases', async () => {
    const { b } = backend();
    await expect(b.handle('home')).rejects.toMatchObject({ code: 'locked' });
    await expect(b.handle('unlock', { operator: 'OP-0042', passphrase: 'nope' })).rejects.toMatchObject({ code: 'wrong_passphrase' });
    await expect(b.handle('unlock', { operator: 'OP-9', passphrase: 'demo' })).rejects.toMatchObject({ code: 'unknown_operator' });
    const s = await b.handle('unlock', { operator: 'OP-0042', passphrase: 'demo' });
    expect(s).toMatchObject({ locked: false, session: { operator: 'OP-0042', role: 'operator' } });
  });

  it('validates drafts like the domain does', async () => {
    const { b } = backend({ session: 'OP-0042' });
    const d = (await b.handle('draft_new', { kind: 'renewal' })) as Draft;
    const fields = (ps: Problem[]) => ps.map((p) => `${p.field}:${p.code}`);
    expect(fields(d.problems)).toContain('application.previous_card:required');
    expect(fields(d.problems)).toContain('civil.family_name.arabic:required');
    const problems = (await b.handle('draft_save', {
      id: d.id,
      record: {
        application: { kind: 'renewal', previous_card: 'BE1' },
        civil: {
          family_name: { latin: 'EL AMRANI', arabic: 'El Amrani' },
          birth_date: '1961-02-30',
          birth_place: { in: 'abroad', country: 'MA', city: 'Lyon' },
          address: { in: 'morocco', line: 'x', commune: 'y', province: '99-99', postal_code: '123' },
        },
      },
    })) as Problem[];
    expect(fields(problems)).toEqual(
      expect.arrayContaining([
        'application.previous_card:bad_format',
        'civil.family_name.arabic:not_arabic',
        'civil.birth_date:bad_format',
        'civil.birth_place.country:not_allowed',
        'civil.address.province:unknown_code',
        'civil.address.postal_code:bad_format',
      ]),
    );
    expect(fields(problems)).not.toContain('civil.family_name.latin:required');
  });

  it('refuses a seal without consent, listing every problem', async () => {
    const { b } = backend({ session: 'OP-0042' });
    const d = (await b.handle('draft_new', { kind: 'first_card' })) as Draft;
    const err = (await b.handle('seal', { draft_id: d.id, consent: false }).catch((e: unknown) => e)) as { code: string; problems: Problem[] };
    expect(err.code).toBe('invalid');
    const f = (err.problems as Problem[]).map((p) => p.field);
    expect(f).toEqual(expect.arrayContaining(['portrait', 'fingerprints.1', 'fingerprints.10', 'consent', 'civil.sex']));
  });

  it('blocks new drafts when frozen', async () => {
    const { b } = backend({ session: 'OP-0042', freeze: 'blocked' });
    await expect(b.handle('draft_new', { kind: 'first_card' })).rejects.toMatchObject({ code: 'frozen' });
  });

  it('streams portrait frames then done, and needs an override after a timeout', async () => {
    const { b, events } = backend({ session: 'OP-0042', portraitTimeout: true });
    const d = (await b.handle('draft_new', { kind: 'first_card' })) as Draft;
    await b.handle('portrait_start', { draft_id: d.id });
    await expect(b.handle('portrait_start', { draft_id: d.id })).rejects.toMatchObject({ code: 'busy' });
    await new Promise((r) => setTimeout(r, 50));
    const kinds = events.filter(([e]) => e === 'portrait').map(([, p]) => (p as { kind: string }).kind);
    expect(kinds.at(-1)).toBe('done');
    expect(kinds.filter((k) => k === 'frame').length).toBeGreaterThan(2);
    await expect(b.handle('portrait_accept', { draft_id: d.id })).rejects.toMatchObject({ code: 'invalid' });
    const after = (await b.handle('portrait_accept', { draft_id: d.id, override_reason: 'elderly, cannot sit straight' })) as Draft;
    expect(after.portrait?.override_reason).toBe('elderly, cannot sit straight');
  });

  it('captures ten fingers with the declared exceptions', async () => {
    const { b, events } = backend({ session: 'OP-0042' });
    const d = (await b.handle('draft_new', { kind: 'first_card' })) as Draft;
    await b.handle('fingers_start', { draft_id: d.id, exceptions: { '7': { exception: 'bandaged', reason: 'cut' } } });
    await new Promise((r) => setTimeout(r, 60));
    const fe = events.filter(([e]) => e === 'fingers').map(([, p]) => p as { kind: string; fingers?: number[]; draft?: Draft });
    expect(fe.some((e) => e.kind === 'capturing' && e.fingers?.includes(7))).toBe(false);
    const done = fe.at(-1)!;
    expect(done.kind).toBe('done');
    expect(Object.keys(done.draft!.fingerprints)).toHaveLength(10);
    expect(done.draft!.fingerprints['7']).toEqual({ state: 'exception', exception: 'bandaged', reason: 'cut' });
  });
});
