// Browser tests in Debian's Chromium (never a downloaded browser), against
// the real `readiness` binary on a free port and a fresh SQLite file.
import { defineConfig } from '@playwright/test';
import { STATE } from './global-setup';

export default defineConfig({
  testDir: './tests',
  outputDir: './output/test-results',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  use: {
    // The admin's session, written by global-setup.
    storageState: STATE,
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
});
