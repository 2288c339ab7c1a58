// Problems returned by draft_save appear next to the field they name, translated by code.
import { test, expect } from '@playwright/test';
import { expectStep, openApp, unlock } from './helpers';

test('validation errors are shown next to their fields', async ({ page }) => {
  await openApp(page, { lang: 'fr' });
  await unlock(page);
  await page.getByTestId('new-enrollment').click();
  await page.getByLabel('Renouvellement', { exact: true }).check();
  // A renewal needs the previous card; a malformed number is refused by code bad_format.
  await page.locator('#f-application-previous_card').fill('123');
  await page.getByRole('button', { name: 'Suivant' }).click();
  await expectStep(page, 'kind');
  const card = page.locator('[data-problems-for="f-application-previous_card"]');
  await expect(card).toHaveText(/Format incorrect/);
  await expect(page.locator('#f-application-previous_card')).toBeFocused();
  await page.locator('#f-application-previous_card').fill('BE123456');
  await page.getByRole('button', { name: 'Suivant' }).click();
  await expectStep(page, 'civil');

  // Nothing typed yet: no red before the operator tries to go on.
  await expect(page.locator('.problem')).toHaveCount(0);
  await page.locator('#f-civil-family_name-latin').fill('EL IDRISSI');
  await page.locator('#f-civil-family_name-arabic').fill('El Idrissi'); // Latin letters in the Arabic field
  await page.getByRole('button', { name: 'Suivant' }).click();
  await expectStep(page, 'civil');

  const arabic = page.locator('#f-civil-family_name-arabic');
  await expect(arabic).toHaveAttribute('aria-invalid', 'true');
  await expect(arabic).toBeFocused(); // the first field with a problem
  // The message sits in the same field block as the input, and the input points at it.
  const field = page.locator('.field', { has: arabic });
  await expect(field.locator('.problem')).toHaveText('À écrire en caractères arabes');
  await expect(arabic).toHaveAttribute('aria-describedby', /f-civil-family_name-arabic-problems/);
  await expect(page.locator('[data-problems-for="f-civil-given_names-latin"]')).toHaveText('Obligatoire');
  await expect(page.locator('[data-problems-for="f-civil-family_name-latin"]')).toHaveCount(0);
  await expect(page.getByTestId('gate')).toContainText('champs à corriger');

  // Fixing the field clears its problem once the draft is saved again.
  await arabic.fill('الإدريسي');
  await page.locator('#f-civil-birth_date').fill('2999-01-01');
  await page.getByRole('button', { name: 'Suivant' }).click();
  await expect(page.locator('[data-problems-for="f-civil-family_name-arabic"]')).toHaveCount(0);
  await expect(page.locator('[data-problems-for="f-civil-birth_date"]')).toHaveText('Hors des limites autorisées');
});
