import { defineConfig } from '@playwright/test';

// The issuance-center dashboard, served by a real qafila-server that a Rust test starts (with data
// synced from a real van) and whose address it passes in QAFILA_DASHBOARD_URL.
const executablePath = process.env.QAFILA_CHROMIUM ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: 'e2e-center',
  outputDir: process.env.QAFILA_DASHBOARD_ARTIFACTS ?? 'test-results/center',
  timeout: 60_000,
  expect: { timeout: 8_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: process.env.QAFILA_DASHBOARD_URL,
    viewport: { width: 1280, height: 800 },
    screenshot: 'on',
    trace: 'off',
    launchOptions: {
      executablePath,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-sync'],
    },
  },
});
