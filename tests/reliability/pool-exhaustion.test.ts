import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { connectPostgres, isDatabaseBusyError, isPostgresUrl, openPostgres } from '../../db/pg-client';
import { insertBulkRequests } from '../support/bulk';
import { created } from '../support/events';
import { signedHeaders, startServer, type TestServer } from '../support/server';
import { addUser, signInOverHttp } from '../support/users';

/**
 * Every client of the server's PostgreSQL pool (10) held: a request used to wait for one without
 * limit (docs/security.md, session 39). Now it waits POOL_ACQUIRE_TIMEOUT_MS (5 s), then the API
 * answers 503 `database_busy`, a page the error page with 503, an event batch 503 `overloaded` (nothing
 * stored, the sender retries), each with Retry-After. The clients are held for real: this test locks
 * api_tokens from its own connection, and API requests block on the lock, each on a pool client; the
 * page (a session cookie) and the event batch (a signature) do not read that table but need a client.
 * SQLite has no pool: skipped there.
 */
const onPostgres = isPostgresUrl(process.env.DATABASE_URL ?? '');
/** Generous "does not hang" bound: the pool's 5 s and a loaded machine. */
const ANSWER_MS = 20_000;
const POOL = 10;

let server: TestServer;
let token: string;
let cookie: string;

async function answer(path: string, init: RequestInit = {}) {
  const started = Date.now();
  try {
    const response = await fetch(`${server.url}${path}`, { ...init, signal: AbortSignal.timeout(ANSWER_MS) });
    return {
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      ms: Date.now() - started,
    };
  } catch {
    return { status: 'no answer' as const, headers: new Headers(), body: '', ms: Date.now() - started };
  }
}

/** A GET on a connection of its own (no shared agent): its status, or 'no answer' past the bound. */
function ownConnection(path: string, headers: Record<string, string>): Promise<number | 'no answer'> {
  return new Promise((resolve) => {
    const request = get(`${server.url}${path}`, { headers, agent: false, timeout: 2 * ANSWER_MS }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve('no answer'));
  });
}

describe.runIf(onPostgres)('every PostgreSQL pool client held', () => {
  beforeAll(async () => {
    server = await startServer();
    if (!isPostgresUrl(server.dbFile)) return;
    const db = openDatabaseUrl(server.dbFile);
    await insertBulkRequests(db, 3);
    token = (await createServiceToken(db, { role: 'manager', name: 'pool' })).token;
    const { email } = await addUser(db, { role: 'manager' });
    await closeDatabase(db);
    cookie = (await signInOverHttp(server.url, email)).cookie!.split(';')[0]!;
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("pg's own error for a pool with no client free in time is the one answered 503", async () => {
    const pool = openPostgres(server.dbFile, { max: 1, acquireTimeoutMs: 300 });
    const held = await pool.connect();
    const error = await pool.query('SELECT 1').catch((caught: unknown) => caught);
    expect(isDatabaseBusyError(error)).toBe(true);
    // As drizzle throws it: its own error, pg's as the cause.
    expect(isDatabaseBusyError(new Error('Failed query: select 1', { cause: error }))).toBe(true);
    expect(isDatabaseBusyError(new Error('relation "x" does not exist'))).toBe(false);
    held.release();
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });

  it('the API, a page and ingest answer 503 with Retry-After within the bound, then 200 once released', async () => {
    const locker = await connectPostgres(server.dbFile);
    const auth = { Authorization: `Bearer ${token}` };
    let blocked: Promise<number | 'no answer'>[] = [];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE api_tokens IN ACCESS EXCLUSIVE MODE');
      // More API requests than the pool has clients: each blocks on the lock (its bearer token's
      // lookup) holding one.
      blocked = Array.from({ length: POOL + 2 }, () => ownConnection('/api/v1/payment-requests?limit=1', auth));
      // Every client is held once the server's own expiry sweep (every 500 ms) finds none in time.
      const deadline = Date.now() + ANSWER_MS;
      while (!server.output().includes('Expiry sweep: no database connection within 5000 ms; the next tick retries')) {
        expect(Date.now()).toBeLessThan(deadline);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const [api, page, ingest] = await Promise.all([
        answer('/api/v1/metrics/summary?from=2026-10-26&to=2026-10-27&tz=UTC', { headers: auth }),
        answer('/requests', { headers: { Cookie: cookie } }),
        (() => {
          const body = JSON.stringify(created('pr_pool_busy'));
          return answer('/api/v1/events', {
            method: 'POST',
            headers: signedHeaders(body, server.webhookSecret, { contentType: 'application/x-ndjson' }),
            body,
          });
        })(),
      ]);
      expect(api.status).toBe(503);
      expect(api.headers.get('retry-after')).toBe('5');
      expect(JSON.parse(api.body)).toEqual({
        error: { code: 'database_busy', message: 'The database is busy; retry shortly' },
      });
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.body).toContain('data-error-kind="failed"');
      expect(ingest.status).toBe(503);
      expect(ingest.headers.get('retry-after')).not.toBeNull();
      expect(JSON.parse(ingest.body).error.code).toMatch(/^(overloaded|database_busy)$/);
      for (const { ms } of [api, page, ingest]) expect(ms).toBeLessThan(ANSWER_MS);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }

    // Released: the blocked ones are answered (those that waited for a client past 5 s with a 503).
    const statuses = await Promise.all(blocked);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(POOL - 2);
    expect(statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);

    const list = await answer('/api/v1/payment-requests?limit=5', { headers: auth });
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { rows: { id: string }[] }).rows.map((row) => row.id)).toEqual([
      'pr_000003',
      'pr_000002',
      'pr_000001',
    ]);
    const page = await answer('/requests', { headers: { Cookie: cookie } });
    expect(page.status).toBe(200);
    // The refused batch, sent again, is stored.
    const body = JSON.stringify(created('pr_pool_busy'));
    const ingest = await answer('/api/v1/events', {
      method: 'POST',
      headers: signedHeaders(body, server.webhookSecret, { contentType: 'application/x-ndjson' }),
      body,
    });
    expect(ingest.status).toBe(200);
    expect(JSON.parse(ingest.body).results).toEqual([{ id: 'evt_pr_pool_busy_created', status: 'accepted' }]);
    const stored = await answer('/api/v1/payment-requests/pr_pool_busy', { headers: auth });
    expect(stored.status).toBe(200);
    // The spell's background ticks logged a line each, not a stack each.
    expect(server.output()).not.toContain('Error: timeout exceeded when trying to connect');
  }, 120_000);
});
