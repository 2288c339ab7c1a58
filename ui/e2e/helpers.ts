// Shared steps for the end-to-end tests: the built UI in Chromium, Tauri's IPC answered by the
// in-memory fake backend (src/mock), selected with `?mock` and tuned by URL parameters.
import { expect, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type Lang = 'fr' | 'ar';

export async function openApp(page: Page, params: Record<string, string> = {}): Promise<void> {
  const q = new URLSearchParams({ mock: '', tick: '30', ...params });
  await page.goto(`/?${q.toString()}`);
  await expect(page.locator('main')).toBeVisible();
}

export async function shot(page: Page, path: string, opts: { keepScroll?: boolean } = {}): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  // From the top of the page, as the operator first sees the screen, unless the point is further down.
  if (!opts.keepScroll) await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: false });
}

/** Presses Tab until the focused element matches `selector` (keyboard only; reads focus, never clicks). */
export async function tabTo(page: Page, selector: string, max = 60): Promise<void> {
  for (let i = 0; i < max; i++) {
    if (await page.evaluate((s) => !!document.activeElement?.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`focus never reached ${selector}`);
}

export async function focused(page: Page): Promise<string> {
  return page.evaluate(() => {
    const el = document.activeElement as HTMLElement | null;
    return el ? `${el.tagName.toLowerCase()}#${el.id}` : '';
  });
}

export async function unlock(page: Page): Promise<void> {
  await page.locator('#unlock-passphrase').fill('demo');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('new-enrollment')).toBeVisible();
}

export interface Applicant {
  family: [string, string];
  given: [string, string];
  father: [string, string];
  mother: [string, string];
  birth: string;
  provinceQuery: string;
  commune: string;
  line: string;
}

export const ITTO: Applicant = {
  family: ['AIT OUFKIR', 'آيت أوفقير'],
  given: ['ITTO', 'إطو'],
  father: ['MOHA AIT OUFKIR', 'موحى آيت أوفقير'],
  mother: ['FADMA ID BELLA', 'فاضمة إد بلا'],
  birth: '1961',
  provinceQuery: 'Haouz',
  commune: 'Ighil',
  line: 'Douar Tikht',
};

export async function pickProvince(page: Page, id: string, query: string): Promise<void> {
  const input = page.locator(`#${id}`);
  await input.fill(query);
  await expect(page.locator(`#${id}-list [role=option]`).first()).toBeVisible();
  await input.press('Enter');
}

/** Fills the civil step with the mouse-and-fill API (the keyboard test types everything instead). */
export async function fillCivil(page: Page, a: Applicant): Promise<void> {
  const pairs: [string, [string, string]][] = [
    ['family_name', a.family],
    ['given_names', a.given],
    ['father', a.father],
    ['mother', a.mother],
  ];
  for (const [f, [latin, arabic]] of pairs) {
    await page.locator(`#f-civil-${f}-latin`).fill(latin);
    await page.locator(`#f-civil-${f}-arabic`).fill(arabic);
  }
  await page.locator('input[name=sex][value=female]').check();
  await page.locator('#f-civil-birth_date').fill(a.birth);
  await pickProvince(page, 'f-civil-birth_place-province', a.provinceQuery);
  await page.locator('#f-civil-birth_place-commune').fill(a.commune);
  await page.locator('#f-civil-address-line').fill(a.line);
  await pickProvince(page, 'f-civil-address-province', a.provinceQuery);
  await page.locator('#f-civil-address-commune').fill(a.commune);
}

export async function expectStep(page: Page, step: string): Promise<void> {
  await expect(page.locator('.wizard')).toHaveAttribute('data-step', step);
}
