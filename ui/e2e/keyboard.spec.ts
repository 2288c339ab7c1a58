// The whole enrollment with the keyboard alone: no click, no fill, only page.keyboard.
// Focus is followed with tabTo (which presses Tab and reads document.activeElement).
import { test, expect, type Page } from '@playwright/test';
import { expectStep, focused, openApp, tabTo } from './helpers';

async function type(page: Page, text: string) {
  await page.keyboard.insertText(text);
}

test('whole wizard completed with the keyboard alone', async ({ page }) => {
  await openApp(page, { lang: 'fr', tick: '60' });
  const kb = page.keyboard;

  // Unlock: the passphrase field has the focus.
  await expect.poll(() => focused(page)).toBe('input#unlock-passphrase');
  await type(page, 'demo');
  await kb.press('Enter');
  await expect(page.getByTestId('new-enrollment')).toBeVisible();

  // Alt+E: new enrollment. Focus lands on the first kind; Space chooses it, Enter moves on.
  await kb.press('Alt+KeyE');
  await expectStep(page, 'kind');
  await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement).value)).toBe('first_card');
  await kb.press('Space');
  await kb.press('Enter');

  await expectStep(page, 'civil');
  await expect.poll(() => focused(page)).toBe('input#f-civil-family_name-latin');
  await type(page, 'EL AMRANI');
  await tabTo(page, '#f-civil-family_name-arabic');
  await type(page, 'العمراني');
  await tabTo(page, '#f-civil-given_names-latin');
  await type(page, 'YOUSSEF');
  // "Suggest Arabic spelling" from the keyboard: Tab to its button, Enter.
  await tabTo(page, '[data-suggest="civil.given_names.arabic"]');
  await kb.press('Enter');
  await expect(page.locator('#f-civil-given_names-arabic')).toHaveValue('يوسف');
  await tabTo(page, 'input[name=sex][value=female]');
  // Arrow keys move within a radio group and select: female → male.
  await kb.press('ArrowRight');
  await expect(page.locator('input[name=sex][value=male]')).toBeChecked();
  await tabTo(page, '#f-civil-birth_date');
  await type(page, '1988-04-17');
  await tabTo(page, '#f-civil-birth_place-province');
  await type(page, 'haouz');
  await kb.press('Enter'); // chooses the highlighted province, does not submit the step
  await expect(page.locator('#f-civil-birth_place-province')).toHaveValue('Al Haouz');
  await expectStep(page, 'civil');
  await tabTo(page, '#f-civil-birth_place-commune');
  await type(page, 'Ighil');
  await tabTo(page, '#f-civil-father-latin');
  await type(page, 'HAMID EL AMRANI');
  await tabTo(page, '#f-civil-father-arabic');
  await type(page, 'حميد العمراني');
  await tabTo(page, '#f-civil-mother-latin');
  await type(page, 'NADIA BENNANI');
  await tabTo(page, '#f-civil-mother-arabic');
  await type(page, 'نادية بناني');
  await tabTo(page, '#f-civil-address-line');
  await type(page, '14 Derb Sidi Bouloukat');
  await tabTo(page, '#f-civil-address-province');
  await type(page, 'Marrakech');
  await kb.press('ArrowDown');
  await kb.press('ArrowUp');
  await kb.press('Enter');
  await tabTo(page, '#f-civil-address-commune');
  await type(page, 'Marrakech-Médina');
  await kb.press('Enter'); // Enter in a text field: next step
  await expectStep(page, 'portrait');

  // Portrait: the start button has the focus; after auto-capture the focus moves to "Next".
  await expect.poll(() => focused(page)).toContain('button');
  await kb.press('Enter');
  await expect(page.getByTestId('portrait-accepted')).toBeVisible();
  await expect.poll(() => focused(page)).toBe('button#wizard-next');
  await kb.press('Enter');

  // Fingers: declare the left index bandaged first, then start the capture.
  await expectStep(page, 'fingers');
  await tabTo(page, '#f-fingerprints-7');
  await kb.press('ArrowDown');
  await kb.press('ArrowDown');
  await kb.press('ArrowDown');
  await expect(page.locator('#f-fingerprints-7')).toHaveValue('bandaged');
  await tabTo(page, '#f-fingerprints-7-reason');
  await type(page, 'Pansement');
  await tabTo(page, '[data-testid=fingers-start]');
  await kb.press('Enter');
  await expect(page.getByTestId('fingers-complete')).toBeVisible();
  await expect.poll(() => focused(page)).toBe('button#wizard-next');
  await kb.press('Enter');

  // Documents are optional for a first card: Alt+→ goes on.
  await expectStep(page, 'documents');
  await kb.press('Alt+ArrowRight');

  // Review: the consent box has the focus; Enter without consent is refused, Space ticks it.
  await expectStep(page, 'review');
  await expect.poll(() => focused(page)).toBe('input#f-consent');
  await kb.press('Enter');
  await expect(page.getByTestId('gate')).toBeVisible();
  await expectStep(page, 'review');
  await kb.press('Space');
  await kb.press('Enter');

  // Seal with Alt+PageDown, then print the receipt with Enter (the button has the focus).
  await expectStep(page, 'seal');
  await kb.press('Alt+PageDown');
  await expectStep(page, 'done');
  await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('print-receipt');
  await kb.press('Enter');
  await expect(page.getByTestId('receipt')).toContainText('.pdf');

  // F1 opens the shortcut help, Escape closes it.
  await kb.press('F1');
  await expect(page.getByTestId('help')).toBeVisible();
  await kb.press('Escape');
  await expect(page.getByTestId('help')).toBeHidden();

  const calls = await page.evaluate(() => (window as unknown as { __qafilaMock: { calls: { cmd: string; args: Record<string, unknown> }[] } }).__qafilaMock.calls);
  const save = calls.filter((c) => c.cmd === 'draft_save').at(-1)!;
  expect(save.args).toMatchObject({
    record: {
      civil: {
        sex: 'male',
        given_names: { latin: 'YOUSSEF', arabic: 'يوسف' },
        address: { in: 'morocco', province: expect.stringMatching(/^07-/), commune: 'Marrakech-Médina' },
      },
    },
  });
  expect(calls.some((c) => c.cmd === 'seal')).toBe(true);
});
