// The whole enrollment, from the kind of application to the printed receipt, in French and in
// Arabic, with a screenshot of every step kept under test-results/steps/.
import { test, expect } from '@playwright/test';
import { ITTO, expectStep, fillCivil, openApp, shot, unlock, type Lang } from './helpers';

const TEXT: Record<Lang, { civil: string; sealed: string; next: string; kind: string; print: string }> = {
  fr: { civil: 'État civil', sealed: 'Enrôlement scellé', next: 'Suivant', kind: 'Première carte', print: 'Imprimer le récépissé' },
  ar: { civil: 'الحالة المدنية', sealed: 'خُتم التسجيل', next: 'التالي', kind: 'بطاقة أولى', print: 'طباعة الوصل' },
};

for (const lang of ['fr', 'ar'] as const) {
  test(`whole wizard to a sealed enrollment (${lang})`, async ({ page }) => {
    const tx = TEXT[lang];
    const dir = `test-results/steps/${lang}`;
    await openApp(page, { lang });
    await expect(page.locator('html')).toHaveAttribute('dir', lang === 'ar' ? 'rtl' : 'ltr');
    await unlock(page);
    await page.getByTestId('new-enrollment').click();

    await expectStep(page, 'kind');
    await page.getByLabel(tx.kind, { exact: true }).check();
    await page.getByLabel(lang === 'ar' ? 'الإعفاء من الرسوم' : 'Exonération', { exact: false }).check();
    await page.locator('#f-application-fee_waiver-reference').fill('DGSN/SINISTRE/2026-014');
    await shot(page, `${dir}/1-kind.png`);
    await page.getByRole('button', { name: tx.next }).click();

    await expectStep(page, 'civil');
    await expect(page.getByRole('heading', { name: tx.civil })).toBeVisible();
    await fillCivil(page, ITTO);
    await shot(page, `${dir}/2-civil.png`);
    await page.getByRole('button', { name: tx.next }).click();

    await expectStep(page, 'portrait');
    // Frames arrive with failing checks first, each with its translated instruction, then pass;
    // an observer records what the checklist showed, since each frame lasts a fraction of a second.
    await page.evaluate(() => {
      const seen: string[] = ((window as unknown as { __seen: string[] }).__seen = []);
      new MutationObserver(() => {
        document.querySelectorAll('[data-check].bad').forEach((el) => seen.push(`${el.getAttribute('data-check')}: ${el.textContent?.trim()}`));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    });
    await page.getByTestId('portrait-start').click();
    await expect(page.getByTestId('portrait-accepted')).toBeVisible();
    await expect(page.locator('[data-check].bad')).toHaveCount(0);
    const seen = await page.evaluate(() => (window as unknown as { __seen: string[] }).__seen.join('\n'));
    expect(seen).toContain(lang === 'ar' ? 'اطلب من صاحب الطلب الاقتراب' : 'Demandez au demandeur de se rapprocher');
    expect(seen).toContain('face_count');
    await shot(page, `${dir}/3-portrait.png`);
    await page.getByRole('button', { name: tx.next }).click();

    await expectStep(page, 'fingers');
    await page.locator('#f-fingerprints-7').selectOption('bandaged');
    await page.locator('#f-fingerprints-7-reason').fill(lang === 'ar' ? 'إصابة في السبابة' : "Blessure à l'index gauche");
    await page.getByTestId('fingers-start').click();
    await expect(page.getByTestId('fingers-complete')).toBeVisible();
    await expect(page.locator('g[data-finger="7"]')).toHaveAttribute('data-state', 'exception');
    await expect(page.locator('g[data-finger="8"]')).toHaveAttribute('data-state', 'good');
    await shot(page, `${dir}/4-fingers.png`);
    await page.getByRole('button', { name: tx.next }).click();

    await expectStep(page, 'documents');
    await page.locator('#doc-file').setInputFiles({ name: 'acte-naissance.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 fake') });
    await expect(page.getByTestId('documents')).toContainText('acte-naissance.pdf');
    await shot(page, `${dir}/5-documents.png`);
    await page.getByRole('button', { name: tx.next }).click();

    await expectStep(page, 'review');
    await expect(page.locator('.review')).toContainText('AIT OUFKIR');
    await expect(page.locator('.review')).toContainText('آيت أوفقير');
    await page.locator('#f-consent').check();
    await shot(page, `${dir}/6-review.png`);
    await page.getByRole('button', { name: tx.next }).click();

    await expectStep(page, 'seal');
    await shot(page, `${dir}/7-seal.png`);
    await page.locator('#wizard-next').click();

    await expectStep(page, 'done');
    await expect(page.getByRole('heading', { name: tx.sealed })).toBeVisible();
    const id = await page.getByTestId('sealed-id').textContent();
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await page.getByRole('button', { name: tx.print }).click();
    await expect(page.getByTestId('receipt')).toContainText(`${id}-a5.pdf`);
    await expect(page.getByTestId('receipt')).toContainText(`QAFILA:1:VAN-07:${id}`);
    await shot(page, `${dir}/8-done.png`);

    if (lang === 'ar') {
      await expect(page.locator('html')).toHaveAttribute('dir', 'rtl');
      await expect(page.locator('html')).toHaveAttribute('lang', 'ar-MA');
      // The layout really mirrors: the primary nav starts at the right edge.
      const box = await page.getByTestId('nav-new').boundingBox();
      expect(box!.x).toBeGreaterThan(640);
    }

    // What the UI sent: the civil data as typed, and a seal with consent.
    const calls = await page.evaluate(() => (window as unknown as { __qafilaMock: { calls: { cmd: string; args: Record<string, unknown> }[] } }).__qafilaMock.calls);
    const seal = calls.find((c) => c.cmd === 'seal');
    expect(seal?.args).toMatchObject({ consent: true });
    const lastSave = calls.filter((c) => c.cmd === 'draft_save').at(-1);
    expect(lastSave?.args).toMatchObject({
      record: {
        application: { kind: 'first_card', fee_waiver: { reference: 'DGSN/SINISTRE/2026-014' }, previous_card: null },
        civil: { birth_date: '1961', birth_place: { in: 'morocco', province: '07-03', commune: 'Ighil' }, family_name: { latin: 'AIT OUFKIR', arabic: 'آيت أوفقير' } },
      },
    });
    const fingers = calls.find((c) => c.cmd === 'fingers_start');
    expect(fingers?.args.exceptions).toEqual({ '7': { exception: 'bandaged', reason: expect.any(String) } });
  });
}

test('an enrollment started from a portal appointment is prefilled (fr)', async ({ page }) => {
  await openApp(page, { lang: 'fr' });
  await unlock(page);

  // Today's bookings, by slot, with the names the portal has (both scripts).
  const list = page.getByTestId('appointments');
  await expect(list.getByRole('heading')).toHaveText('Rendez-vous — tournée TOURNEE-IFRANE');
  const row = list.locator('tr[data-booking="RDV-2026-0412"]');
  await expect(row).toContainText('09:30');
  await expect(row).toContainText('OUZZANI SALMA');
  await expect(row).toContainText('الوزاني سلمى');
  await shot(page, 'test-results/steps/fr/0-appointments.png');
  await row.getByRole('button', { name: 'Commencer' }).click();

  // The wizard opens at the civil data, filled in from the portal and still editable.
  await expectStep(page, 'civil');
  await expect(page.locator('#f-civil-family_name-latin')).toHaveValue('OUZZANI');
  await expect(page.locator('#f-civil-family_name-arabic')).toHaveValue('الوزاني');
  await expect(page.locator('#f-civil-given_names-latin')).toHaveValue('SALMA');
  await expect(page.locator('#f-civil-birth_date')).toHaveValue('1991-04-17');
  await expect(page.locator('#f-civil-father-latin')).toHaveValue('AHMED OUZZANI');
  await page.locator('#f-civil-given_names-latin').fill('SALMA AICHA');
  await expect
    .poll(async () => {
      const calls = await page.evaluate(() => (window as unknown as { __qafilaMock: { calls: { cmd: string; args: Record<string, unknown> }[] } }).__qafilaMock.calls);
      return calls.filter((c) => c.cmd === 'draft_save').at(-1)?.args;
    })
    .toMatchObject({
      record: {
        application: { kind: 'first_card', drive_id: 'TOURNEE-IFRANE' },
        civil: { family_name: { latin: 'OUZZANI', arabic: 'الوزاني' }, given_names: { latin: 'SALMA AICHA' } },
      },
    });

  // Back home, the booking is marked started and resumes the same draft.
  await page.getByRole('link', { name: 'Accueil' }).or(page.getByRole('button', { name: 'Accueil' })).first().click();
  const again = page.getByTestId('appointments').locator('tr[data-booking="RDV-2026-0412"]');
  await expect(again.getByRole('button', { name: 'Reprendre' })).toBeVisible();
  await again.getByRole('button', { name: 'Reprendre' }).click();
  // The checked civil data is complete now (nationality and all), so the draft resumes at the photo.
  await expectStep(page, 'portrait');
  await page.getByRole('button', { name: 'Précédent' }).click();
  await expectStep(page, 'civil');
  await expect(page.locator('#f-civil-given_names-latin')).toHaveValue('SALMA AICHA');
});
