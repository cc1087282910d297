import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { type Browser, devices, expect, type Page, test } from '@playwright/test';
import pg from 'pg';
import { TEST_PASSWORD, TEST_PASSWORD_HASH } from '../support/users';
import { SCREENS } from './helpers';

/**
 * Two app instances on one PostgreSQL database (issue 13): the agent sends through instance A, the
 * customer pays through instance B, and what B wrote reaches A's pages live (the agent's card, the
 * supervisor's dashboard) through the database's change feed. Runs when PG_TEST_URL names a server
 * (.ci/run starts one); its own database, ports and data, so it runs beside the other specs.
 */

const PG_TEST_URL = process.env.PG_TEST_URL;
const BASE_PORT = Number(process.env.E2E_PORT ?? 3999) + 40;
const ORIGIN_A = `http://127.0.0.1:${BASE_PORT}`;
const ORIGIN_B = `http://127.0.0.1:${BASE_PORT + 1}`;
const AGENT_EMAIL = 'agent@two.test';
const SUPERVISOR_EMAIL = 'supervisor@two.test';

test.skip(!PG_TEST_URL, 'needs PostgreSQL: PG_TEST_URL (scripts/pg-cluster.sh url)');

let databaseUrl = '';
let databaseName = '';
const servers: ChildProcess[] = [];

function serverUrl(database: string): string {
  const url = new URL(PG_TEST_URL!);
  url.pathname = `/${database}`;
  return url.toString();
}

async function sql(url: string, text: string, values: unknown[] = []): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text, values);
  } finally {
    await client.end();
  }
}

function start(port: number, origin: string): Promise<ChildProcess> {
  const server = spawn('node', ['build/server.js'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      PUBLIC_URL: origin,
      DATABASE_URL: databaseUrl,
      WEBHOOK_SECRET: 'whsec_dHdvLWluc3RhbmNlcy1lMmUtc2VjcmV0',
      SESSION_SECRET: 'two-instances-session-secret-for-tests-0123456789',
      EXPIRY_SWEEP_MS: '1000',
      PASSWORD_HASH_COST: '10',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  servers.push(server);
  return (async () => {
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; ) {
      if (server.exitCode !== null) throw new Error(`instance on ${port} exited with ${server.exitCode}`);
      try {
        if ((await fetch(`${origin}/healthz`)).ok) return server;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`instance on ${port} did not answer /healthz`);
  })();
}

test.beforeAll(async () => {
  databaseName = `paylink_e2e_${randomUUID().replaceAll('-', '')}`;
  await sql(serverUrl('postgres'), `CREATE DATABASE "${databaseName}"`);
  databaseUrl = serverUrl(databaseName);
  execFileSync('node', ['--import', 'tsx', 'db/migrate.ts'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
    stdio: 'inherit',
  });
  const now = Date.now();
  await sql(
    databaseUrl,
    `INSERT INTO teams (id, name, created_at) VALUES ('tm_two', 'Retail', $1);
     INSERT INTO agents (id, name, team_id, created_at) VALUES ('ag_two', 'Thandi Mokoena', 'tm_two', $1);`.replace(
      /\$1/g,
      String(now),
    ),
  );
  await sql(
    databaseUrl,
    `INSERT INTO users (id, name, email, role, password_hash, agent_id, created_at) VALUES
       ('usr_agent_two', 'Thandi Mokoena', $1, 'agent', $3, 'ag_two', $4),
       ('usr_sup_two', 'Sam Supervisor', $2, 'supervisor', $3, NULL, $4)`,
    [AGENT_EMAIL, SUPERVISOR_EMAIL, TEST_PASSWORD_HASH, now],
  );
  await sql(databaseUrl, "INSERT INTO user_teams (user_id, team_id) VALUES ('usr_sup_two', 'tm_two')");
  await Promise.all([start(BASE_PORT, ORIGIN_A), start(BASE_PORT + 1, ORIGIN_B)]);
});

test.afterAll(async () => {
  for (const server of servers) server.kill('SIGTERM');
  await Promise.all(
    servers.map((server) =>
      server.exitCode === null ? new Promise((resolve) => server.once('exit', resolve)) : undefined,
    ),
  );
  if (databaseName) await sql(serverUrl('postgres'), `DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
});

async function signIn(browser: Browser, origin: string, email: string, to: string): Promise<Page> {
  const page = await (await browser.newContext({ baseURL: origin })).newPage();
  await page.goto(`/login?redirectTo=${to}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(TEST_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(new RegExp(`^[^?]*${to}$`));
  await expect(page.getByText('Live', { exact: true })).toBeVisible();
  return page;
}

test('the agent sends through instance A, the customer pays through B, A shows it live', async ({ browser }) => {
  const supervisor = await signIn(browser, ORIGIN_A, SUPERVISOR_EMAIL, '/dashboard');
  const linksSent = supervisor.locator('[data-kpi="Links sent"] .kpi-value');
  const conversion = supervisor.locator('[data-kpi="Conversion"] .kpi-value');
  await expect(supervisor.getByText('No links sent in this range.')).toBeVisible();

  const agent = await signIn(browser, ORIGIN_A, AGENT_EMAIL, '/agent');
  await agent.getByLabel('Customer phone').fill('+27 82 123 4567');
  await agent.getByLabel('Order number').fill('SO-TWO-1');
  await agent.getByLabel('Amount').fill('361.21');
  await agent.getByLabel('Currency').selectOption('USD');
  await agent.getByLabel('Reason').fill('Floral Oasis Dress');
  await agent.getByLabel('Channel').selectOption('whatsapp');
  await agent.getByRole('button', { name: 'Send link' }).click();
  const card = agent.locator('.request-card', { hasText: 'Order SO-TWO-1' });
  await expect(card.getByText('Waiting for customer')).toBeVisible();
  const payUrl = await card.getByRole('link').textContent();
  expect(payUrl).toMatch(new RegExp(`^${ORIGIN_A}/pay/[A-Za-z0-9_-]{32}$`));
  await expect(linksSent).toHaveText('1', { timeout: 10_000 });

  // The load balancer sends the customer to instance B.
  const customerContext = await browser.newContext({ ...devices['Pixel 7'] });
  const customer = await customerContext.newPage();
  await customer.goto(payUrl!.replace(ORIGIN_A, ORIGIN_B));
  await expect(customer.getByRole('heading', { level: 1, name: '$361.21' })).toBeVisible();
  await expect(card.getByText('Customer opened link')).toBeVisible({ timeout: 10_000 });
  await customer.getByLabel('Card number').fill('4242 4242 4242 4242');
  await customer.getByLabel('Expiry (MM/YY)').fill('12/30');
  await customer.getByLabel('Security code (CVC)').fill('123');
  await customer.getByRole('button', { name: 'Pay $361.21' }).click();
  await expect(customer.getByRole('heading', { name: 'Payment received' })).toBeVisible();

  // Written by B, seen on A without a reload: the agent's card and the supervisor's dashboard.
  await expect(card.getByText('Paid', { exact: true })).toBeVisible({ timeout: 10_000 });
  await expect(conversion).toHaveText('100.0%', { timeout: 10_000 });
  if (SCREENS) await supervisor.screenshot({ path: 'tmp/e2e/two-instances-dashboard.png', fullPage: true });
  await customerContext.close();
});
