import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { isPostgresUrl } from '../../db/pg-client';
import { insertBulkRequests } from '../support/bulk';
import { created } from '../support/events';
import { signedHeaders, startServer, type TestServer } from '../support/server';
import { addUser, signInOverHttp } from '../support/users';

/**
 * One slow client must not stall the others (docs/security.md, session 38, "PostgreSQL pool"). On
 * PostgreSQL a payment-requests export reads a server-side cursor on a client of the pool (10) for as
 * long as its download lasts; a client that stops reading kept it until the socket's idle timeout
 * (60 s), so 10 of them left sign-in, the dashboard's API and ingest waiting for a connection.
 */

/** About 18 MB of CSV: far more than the socket buffers and the export's 1 MB queue hold. */
const ROWS = 100_000;
/** More downloads than the PostgreSQL pool has connections. */
const SLOW = 14;
/** Export cursors one process lets HTTP downloads hold on PostgreSQL (app/read/exports/cursor-slots.server.ts). */
const EXPORT_CURSORS = 3;
/** A generous "does not hang" bound, not a speed goal. */
const ANSWER_MS = 8_000;

let server: TestServer;
let token: string;
let email: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startServer();
  const db = openDatabaseUrl(server.dbFile);
  await insertBulkRequests(db, ROWS);
  token = (await createServiceToken(db, { role: 'manager', name: 'slow readers' })).token;
  email = (await addUser(db, { role: 'manager' })).email;
  await closeDatabase(db);
}, 120_000);
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await server?.stop();
});

/**
 * Starts a download and reads only its first bytes (the status line and headers), then nothing: the
 * TCP window fills and the server's writes wait. Resolves with the head, or null when none came.
 */
function stalledDownload(path: string): Promise<string | null> {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  sockets.push(socket);
  socket.setNoDelay(true);
  socket.write(
    [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Authorization: Bearer ${token}`, '', ''].join('\r\n'),
  );
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), ANSWER_MS);
    socket.once('data', (chunk: Buffer) => {
      clearTimeout(timer);
      socket.pause();
      resolve(chunk.toString('latin1'));
    });
  });
}

/** fetch with a "does not hang" bound: a status, or 'no answer'. */
async function answer(path: string, init: RequestInit = {}) {
  try {
    const response = await fetch(`${server.url}${path}`, {
      ...init,
      signal: AbortSignal.timeout(ANSWER_MS),
    });
    return {
      status: response.status,
      body: await response.text(),
      headers: response.headers,
    };
  } catch {
    return { status: 'no answer' as const, body: '', headers: new Headers() };
  }
}

describe('slow export readers beside everyone else', () => {
  it(`${SLOW} stalled CSV downloads leave health, the metrics API, sign-in and ingest answering`, async () => {
    const heads = await Promise.all(
      Array.from({ length: SLOW }, () => stalledDownload('/exports/payment-requests.csv')),
    );
    const statusOf = (head: string | null) => (head === null ? 'no answer' : head.slice(9, 12));
    const statuses = heads.map(statusOf);
    if (isPostgresUrl(server.dbFile)) {
      // EXPORT_CURSORS downloads hold a cursor each; the rest wait 3 s for one, then are told when to come back.
      expect(statuses.filter((status) => status === '200')).toHaveLength(EXPORT_CURSORS);
      expect(statuses.filter((status) => status === '503')).toHaveLength(SLOW - EXPORT_CURSORS);
      const refused = heads.find((head) => statusOf(head) === '503')!;
      expect(refused).toMatch(/\r\nretry-after: 5\r\n/i);
      expect(refused).toContain(
        '{"error":{"code":"exports_busy","message":"Too many exports are being downloaded; retry shortly"}}',
      );
    } else {
      // SQLite: each export reads its own connection (or worker), nothing shared is held.
      expect(statuses).toEqual(Array.from({ length: SLOW }, () => '200'));
    }

    // Meanwhile, with every stalled download still open:
    const health = await answer('/healthz');
    expect(health.status).toBe(200);

    const summary = await answer('/api/v1/metrics/summary?from=2026-10-26&to=2026-10-27&tz=UTC', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(summary.status).toBe(200);
    // The rows above were inserted by hand, past the writer that keeps the rollups: zero sent there.
    expect((JSON.parse(summary.body) as { sent: number }).sent).toBe(0);

    const list = await answer('/api/v1/payment-requests?limit=1', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(list.status).toBe(200);
    expect((JSON.parse(list.body) as { rows: { id: string }[] }).rows.map((row) => row.id)).toEqual(['pr_100000']);

    const signIn = await Promise.race([
      signInOverHttp(server.url, email),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), ANSWER_MS)),
    ]);
    expect(signIn?.response.status).toBe(302);
    expect(signIn?.cookie).toMatch(/^pld_session=/);

    const body = JSON.stringify(created('pr_pool_probe'));
    const ingest = await answer('/api/v1/events', {
      method: 'POST',
      headers: signedHeaders(body, server.webhookSecret, {
        contentType: 'application/x-ndjson',
      }),
      body,
    });
    expect(ingest.status).toBe(200);
    expect((JSON.parse(ingest.body) as { results: { id: string; status: string }[] }).results).toEqual([
      { id: 'evt_pr_pool_probe_created', status: 'accepted' },
    ]);
    const stored = await answer('/api/v1/payment-requests/pr_pool_probe', {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(stored.status).toBe(200);
    expect((JSON.parse(stored.body) as { id: string }).id).toBe('pr_pool_probe');

    // A download started now waits for a slot (cursor-slots.server.ts) and is served, without a
    // retry, as soon as the stalled ones hang up.
    const waiting = answer('/exports/payment-requests.csv?from=2026-01-01&to=2026-01-02', {
      headers: { Authorization: `Bearer ${token}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const socket of sockets.splice(0)) socket.destroy();
    const served = await waiting;
    expect(served.status).toBe(200);
    expect(served.body.split('\r\n')[0]).toMatch(/^request_id,/);
  }, 120_000);

  // XLSX: up to two worker threads (a connection of their own each), then the server's thread (a cursor).
  const LIVE_XLSX_WORKERS = 2;
  const xlsxStatuses = (heads: (string | null)[]) =>
    heads.map((head) => (head === null ? 'no answer' : head.slice(9, 12)));

  // Two past what is served: each waits 3 s for a slot before its 503, one after another.
  const SEQUENTIAL = LIVE_XLSX_WORKERS + EXPORT_CURSORS + 2;
  it(`${SEQUENTIAL} stalled XLSX downloads one after another: two worker threads, ${EXPORT_CURSORS} cursors, then 503`, async () => {
    const heads: (string | null)[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) heads.push(await stalledDownload('/exports/payment-requests.xlsx'));
    const served = LIVE_XLSX_WORKERS + EXPORT_CURSORS;
    expect(xlsxStatuses(heads)).toEqual(
      isPostgresUrl(server.dbFile)
        ? [...Array.from({ length: served }, () => '200'), '503', '503']
        : Array.from({ length: SEQUENTIAL }, () => '200'),
    );
    expect((await answer('/healthz')).status).toBe(200);
    for (const socket of sockets.splice(0)) socket.destroy();
  }, 120_000);

  it(`${SLOW} stalled XLSX downloads at once start no more than two worker threads`, async () => {
    // Each export checked for a free thread, then awaited a count, then started one: all that started
    // at once saw room (7 served of 14 on PostgreSQL: 4 threads beside the 3 cursors).
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the previous test's threads stop
    const heads = await Promise.all(
      Array.from({ length: SLOW }, () => stalledDownload('/exports/payment-requests.xlsx')),
    );
    const served = xlsxStatuses(heads).filter((status) => status === '200').length;
    if (isPostgresUrl(server.dbFile)) {
      expect(served).toBeLessThanOrEqual(LIVE_XLSX_WORKERS + EXPORT_CURSORS);
      expect(xlsxStatuses(heads).filter((status) => status !== '200' && status !== '503')).toEqual([]);
    } else expect(served).toBe(SLOW);
    for (const socket of sockets.splice(0)) socket.destroy();
  }, 120_000);
});
