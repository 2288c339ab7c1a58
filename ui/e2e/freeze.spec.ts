// A van past its freeze limits cannot start enrollments until it syncs; sync shows progress.
import { test, expect } from '@playwright/test';
import { openApp, unlock } from './helpers';

test('freeze block disables new enrollments until a sync', async ({ page }) => {
  await openApp(page, { lang: 'fr', freeze: 'blocked', tick: '40' });
  await unlock(page);

  const banner = page.locator('[data-freeze]');
  await expect(banner).toHaveAttribute('data-freeze', 'blocked');
  await expect(banner).toContainText('Nouveaux enrôlements bloqués');
  await expect(banner).toContainText('16 jours sans synchronisation');
  await expect(banner).toContainText('exportez sur une clé USB');
  await expect(page.getByTestId('new-enrollment')).toBeDisabled();
  await expect(page.getByTestId('nav-new')).toBeDisabled();
  // The shortcut is refused too.
  await page.keyboard.press('Alt+KeyE');
  await expect(page.locator('.wizard')).toHaveCount(0);

  await banner.getByRole('button', { name: 'Aller à la synchronisation' }).click();
  await page.getByTestId('sync-now').click();
  await expect(page.getByTestId('sync-progress')).toBeVisible();
  await expect(page.getByRole('progressbar', { name: 'Dossiers' })).toBeVisible();
  await expect(page.getByTestId('sync-result')).toContainText('dossiers envoyés');

  await page.getByRole('button', { name: 'Accueil' }).click();
  await expect(page.locator('[data-freeze]')).toHaveCount(0);
  await expect(page.getByTestId('new-enrollment')).toBeEnabled();
});

test('arabic freeze banner uses arabic plurals and a mirrored layout', async ({ page }) => {
  await openApp(page, { lang: 'ar', freeze: 'blocked' });
  await unlock(page);
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  const banner = page.locator('[data-freeze]');
  await expect(banner).toContainText('التسجيلات الجديدة موقوفة');
  await expect(banner).toContainText('16 يومًا دون مزامنة'); // 16: the "many" form
  await expect(banner).toContainText('تسجيلان لم يُرسلا بعد'); // 2: the dual
});
