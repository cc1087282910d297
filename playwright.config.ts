import { defineConfig, devices } from '@playwright/test';

/**
 * No webServer here: each worker starts its own production server on its own database
 * (tests/e2e/fixtures.ts), so spec files run in parallel without seeing each other's data.
 * `npm test` builds first; E2E_PORT moves the ports (worker N uses E2E_PORT + 2N and the next one).
 */
const WORKERS = Number(process.env.E2E_WORKERS ?? 2);
// Specs hash their fixtures' passwords in the worker processes, which inherit this: the lowest cost
// (N=2^10) instead of production's 2^17, which took ~3 s a sign-in on this machine.
process.env.PASSWORD_HASH_COST ??= '10';

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'tmp/e2e/results',
  fullyParallel: false,
  workers: WORKERS,
  retries: 0,
  reporter: [['list']],
  // Two workers, each with a server and a browser, share two cores: a journey can take twice as long.
  timeout: 90_000,
  expect: { timeout: 10_000 },
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'] } }],
});
