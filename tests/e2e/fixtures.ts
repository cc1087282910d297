import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { test as base, expect } from '@playwright/test';

/**
 * Each Playwright worker runs its own production server on its own fresh database, so journeys in
 * different files never see each other's requests and the files run in parallel (two workers on
 * this 2-core machine). Playwright sets TEST_WORKER_INDEX in each worker process before any spec is
 * loaded; a worker that restarts after a failure gets a new index, hence a new port and database.
 */
const WORKER = Number(process.env.TEST_WORKER_INDEX ?? 0);
const BASE_PORT = Number(process.env.E2E_PORT ?? 3999);

/** The worker's app port; the next port is kept free for a framing host page (pay-embed). */
export const APP_PORT = BASE_PORT + 2 * WORKER;
export const APP_ORIGIN = `http://127.0.0.1:${APP_PORT}`;
export const HOST_PORT = APP_PORT + 1;
export const E2E_DIR = `tmp/e2e/w${WORKER}`;
export const E2E_DB = `${E2E_DIR}/app.db`;
export const WEBHOOK_SECRET = 'whsec_ZTJlLXdlYmhvb2stc2VjcmV0LW9ubHktZm9yLXRlc3Rz';

const SERVER_ENV = {
  NODE_ENV: 'production' as const,
  PORT: String(APP_PORT),
  PUBLIC_URL: APP_ORIGIN,
  DATABASE_URL: E2E_DB,
  WEBHOOK_SECRET,
  SESSION_SECRET: 'e2e-session-secret-only-for-tests-0123456789',
  EXPIRY_SWEEP_MS: '1000',
  PASSWORD_HASH_COST: '10',
};

async function waitForHealth(server: ChildProcess, deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`the e2e server exited with ${server.exitCode}`);
    try {
      if ((await fetch(`${APP_ORIGIN}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the e2e server did not answer ${APP_ORIGIN}/healthz within 60 s`);
}

export const test = base.extend<object, { appServer: string }>({
  appServer: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixture's dependencies from this pattern.
    async ({}, use) => {
      rmSync(E2E_DIR, { recursive: true, force: true });
      mkdirSync(E2E_DIR, { recursive: true });
      const env = { ...process.env, ...SERVER_ENV };
      execFileSync('node', ['--import', 'tsx', 'db/migrate.ts'], { env, stdio: 'inherit' });
      const server = spawn('node', ['build/server.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      await waitForHealth(server, Date.now() + 60_000);
      await use(APP_ORIGIN);
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (server.exitCode === null) server.kill('SIGKILL');
    },
    { scope: 'worker', auto: true, timeout: 90_000 },
  ],
  baseURL: async ({ appServer }, use) => use(appServer),
});

export { expect };
