import { expect, test } from '@playwright/test';

// Given by the Rust test that started the server and synced a van into it.
const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: this suite runs from sync-server/tests/dashboard_browser.rs`);
  return v;
};

test('a reviewer finds a synced application and asks the van for a recapture (French)', async ({ page }, info) => {
  const appId = env('QAFILA_APP_ID');
  await page.goto('/');
  await expect(page.locator('html')).toHaveAttribute('dir', 'ltr');
  await page.locator('#login-id').fill(env('QAFILA_STAFF_ID'));
  await page.locator('#login-password').fill('not the password');
  await page.locator('#login-submit').click();
  await expect(page.locator('#login-error')).toHaveText('Identifiant ou mot de passe incorrect.');
  await page.locator('#login-password').fill(env('QAFILA_STAFF_PASSWORD'));
  await page.locator('#login-submit').click();

  // The overview: the queue holds the van's applications and the fleet shows the van's report.
  await expect(page.locator('[data-queue="rabat.received"]')).toHaveText(env('QAFILA_EXPECT_RECEIVED'));
  await expect(page.locator('#fleet [data-van="VAN-07"]')).toContainText('intact');
  await page.screenshot({ path: info.outputPath('overview-fr.png') });

  await page.locator('#tab-application').click();
  await page.locator('#search-input').fill(appId.slice(0, 13));
  await page.locator('#search-form button[type=submit]').click();
  await expect(page.locator('#application')).toHaveAttribute('data-id', appId);
  await expect(page.locator('#application img.portrait')).toHaveAttribute('src', /^blob:/);
  await page.locator('[data-item="portrait"]').check();
  await page.locator('[data-item="fingerprints.7"]').check();
  await page.locator('#recapture-note').fill('photo floue, index gauche illisible');
  await page.screenshot({ path: info.outputPath('review-fr.png') });
  await page.locator('#recapture').click();
  await expect(page.locator('#toast')).toContainText('Décision enregistrée');
  await expect(page.locator('#app-status')).toHaveAttribute('data-status', 'recapture_requested');
  await expect(page.locator('#app-status')).toHaveText('Reprise demandée');
  await expect(page.locator('#review')).toHaveCount(0);
});

test('the dashboard in Arabic is right to left and shows the decision in the audit log', async ({ page }, info) => {
  await page.goto('/');
  await page.getByRole('button', { name: 'العربية' }).click();
  await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
  await expect(page.locator('#login-submit')).toHaveText('دخول');
  await page.locator('#login-id').fill(env('QAFILA_ADMIN_ID'));
  await page.locator('#login-password').fill(env('QAFILA_STAFF_PASSWORD'));
  await page.locator('#login-submit').click();
  await expect(page.locator('#tab-overview')).toHaveText('نظرة عامة');
  await page.screenshot({ path: info.outputPath('overview-ar.png') });
  await page.locator('#tab-audit').click();
  const row = page.locator('#audit tr', { hasText: 'review.recapture' });
  await expect(row).toContainText(env('QAFILA_APP_ID'));
  await expect(row).toContainText('portrait,fingerprints.7');
  await page.screenshot({ path: info.outputPath('audit-ar.png') });
});
