import { defineConfig, devices } from '@playwright/test';

const PORT = Number(process.env.E2E_PORT ?? 3999);
const E2E_DB = 'tmp/e2e/app.db';

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'tmp/e2e/results',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  timeout: 30_000,
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
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
  webServer: {
    // Playwright starts the server before any globalSetup: the command makes its own fresh database.
    command: `rm -rf tmp/e2e && mkdir -p tmp/e2e && node --import tsx db/migrate.ts && exec node build/server.js`,
    url: `http://127.0.0.1:${PORT}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    env: {
      NODE_ENV: 'production',
      PORT: String(PORT),
      PUBLIC_URL: `http://127.0.0.1:${PORT}`,
      DATABASE_URL: E2E_DB,
      WEBHOOK_SECRET: 'whsec_ZTJlLXdlYmhvb2stc2VjcmV0LW9ubHktZm9yLXRlc3Rz',
      SESSION_SECRET: 'e2e-session-secret-only-for-tests-0123456789',
      EXPIRY_SWEEP_MS: '1000',
      PASSWORD_HASH_COST: '12',
    },
  },
});

export { E2E_DB };
