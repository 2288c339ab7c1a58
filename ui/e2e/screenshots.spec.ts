// Not a test: regenerates docs/screenshots/ (every screen, in Arabic and French) when run by
// scripts/screenshots, which sets QAFILA_SCREENSHOTS. Skipped in the normal test run.
import { test, expect, type Page } from '@playwright/test';
import { ITTO, expectStep, fillCivil, openApp, shot, unlock } from './helpers';

const OUT = '../docs/screenshots';
test.skip(!process.env.QAFILA_SCREENSHOTS, 'run by scripts/screenshots');
test.setTimeout(120_000);

const mock = (page: Page, f: string) => page.evaluate(`window.__qafilaMock.${f}`);

for (const lang of ['fr', 'ar'] as const) {
  test(`screens in ${lang}`, async ({ page }) => {
    const save = (name: string, keepScroll = false) => shot(page, `${OUT}/${lang}-${name}.png`, { keepScroll });
    const next = () => page.locator('#wizard-next').click();

    await openApp(page, { lang, freeze: 'blocked', tick: '30' });
    await save('unlock');
    await unlock(page);
    await save('home-blocked');

    await openApp(page, { lang, tick: '30' });
    await unlock(page);
    await save('home');
    await page.keyboard.press('F1');
    await expect(page.getByTestId('help')).toBeVisible();
    await save('help');
    await page.keyboard.press('Escape');

    await page.getByTestId('new-enrollment').click();
    await page.locator('input[name=kind][value=renewal]').check();
    await page.locator('#f-application-previous_card').fill('BE123456');
    await save('wizard-kind');
    await next();

    await expectStep(page, 'civil');
    await fillCivil(page, ITTO);
    // One mistake left in, to show a problem next to its field.
    await page.locator('#f-civil-mother-arabic').fill('Fadma');
    await next();
    await expect(page.locator('[data-problems-for="f-civil-mother-arabic"]')).toBeVisible();
    await save('wizard-civil');
    await page.locator('#f-civil-mother-arabic').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await save('wizard-civil-problem', true);
    await page.locator('#f-civil-mother-arabic').fill(ITTO.mother[1]);
    await next();

    await expectStep(page, 'portrait');
    await mock(page, 'scenario.tickMs = 600');
    await page.getByTestId('portrait-start').click();
    await expect(page.locator('[data-check="face_scale"].bad')).toBeVisible();
    await save('wizard-portrait');
    await expect(page.getByTestId('portrait-accepted')).toBeVisible({ timeout: 15_000 });
    await save('wizard-portrait-accepted');
    await next();

    await expectStep(page, 'fingers');
    await page.locator('#f-fingerprints-7').selectOption('bandaged');
    await page.locator('#f-fingerprints-7-reason').fill(lang === 'ar' ? 'إصابة في السبابة' : 'Blessure (séisme)');
    await page.getByTestId('fingers-start').click();
    await expect(page.locator('tr[data-slot="8"][data-state="poor"]')).toBeVisible({ timeout: 15_000 });
    await save('wizard-fingers');
    await expect(page.getByTestId('fingers-complete')).toBeVisible({ timeout: 15_000 });
    await mock(page, 'scenario.tickMs = 30');
    await save('wizard-fingers-done');
    await next();

    await expectStep(page, 'documents');
    await page.locator('#doc-kind').selectOption('previous_card');
    await page.locator('#doc-file').setInputFiles({ name: 'cnie-BE123456.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(48_213, 1) });
    await expect(page.getByTestId('documents')).toBeVisible();
    await save('wizard-documents');
    await next();

    await expectStep(page, 'review');
    await page.locator('#f-consent').check();
    await save('wizard-review');
    await next();

    await expectStep(page, 'seal');
    await save('wizard-seal');
    await next();
    await expectStep(page, 'done');
    await page.getByTestId('print-receipt').click();
    await expect(page.getByTestId('receipt')).toBeVisible();
    await save('wizard-done');

    await page.locator('nav.nav button').nth(2).click();
    await expect(page.getByTestId('enrollments')).toBeVisible();
    await save('enrollments');
    await page.locator('tr.highlight').filter({ has: page.locator('[data-status="rejected"]') }).getByRole('button').click();
    await expect(page.locator('.notice.bad')).toBeVisible();
    await save('enrollment');

    await page.locator('nav.nav button').nth(3).click();
    await mock(page, 'scenario.tickMs = 400');
    await page.getByTestId('sync-now').click();
    await expect(page.getByRole('progressbar').nth(1)).toHaveAttribute('aria-valuenow', /[1-9]/, { timeout: 15_000 });
    await save('sync');
    await expect(page.getByTestId('sync-result')).toBeVisible({ timeout: 15_000 });

    await page.locator('nav.nav button').nth(4).click();
    await expect(page.getByTestId('day-review')).toBeVisible();
    await page.locator('[data-testid=day-review] input[type=checkbox]').first().check();
    await save('review');

    await page.locator('nav.nav button').nth(5).click();
    await expect(page.locator('#idle')).toBeVisible();
    await save('settings');
  });
}
