// First paint of the center dashboard with its data, in Debian's Chromium: the time from navigation
// start to the first frame drawn after the queues and the fleet table are in the page.
// Usage: node bench/first-paint.mjs URL SESSION_TOKEN RUNS  → prints one line of JSON: {"runs_ms": [...]}
import { chromium } from '@playwright/test';

const [url, token, runs = '5'] = process.argv.slice(2);
if (!url || !token) {
  console.error('usage: first-paint.mjs URL SESSION_TOKEN [RUNS]');
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.QAFILA_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
});
const times = [];
for (let i = 0; i < Number(runs); i++) {
  // A fresh context each run: no HTTP cache, as a staff member opening the dashboard in the morning.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addCookies([{ name: 'qafila_session', value: token, url }]);
  const page = await context.newPage();
  await page.goto(url, { waitUntil: 'commit' });
  // The page marks the first frame it draws with the queues and the fleet.
  await page.waitForFunction(() => performance.getEntriesByName('qafila:first-paint').length > 0, null, { timeout: 30_000 });
  const ms = await page.evaluate(() => performance.getEntriesByName('qafila:first-paint')[0].startTime);
  const rows = await page.locator('#fleet tbody tr').count();
  // Where the time went: the page's own resources and API calls, start and duration.
  const detail = await page.evaluate(() =>
    performance.getEntriesByType('resource').map((e) => `${new URL(e.name).pathname}@${Math.round(e.startTime)}+${Math.round(e.duration)}`),
  );
  times.push({ ms, rows, detail });
  await context.close();
}
await browser.close();
console.log(JSON.stringify({ runs: times }));
