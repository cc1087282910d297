import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { insertBulkRequests } from '../support/bulk';
import { queryRow } from '../support/db';
import { residentBytes } from '../support/http';
import { startServer, type TestServer } from '../support/server';

/** About 21 MB of CSV: far more than the socket buffers and the export's 1 MB queue hold. */
const ROWS = 120_000;
const READ_MS = 5_000;
let server: TestServer;
let token: string;

beforeAll(async () => {
  server = await startServer();
  const db = openDatabaseUrl(server.dbFile);
  await insertBulkRequests(db, ROWS);
  token = (await createServiceToken(db, { role: 'manager', name: 'slow reader' })).token;
  await closeDatabase(db);
}, 60_000);
afterAll(() => server.stop());

/** Reads `path` at 1 KB/s for READ_MS, then hangs up; what the audit log says the export made, and the RSS. */
async function readSlowly(path: string) {
  const before = await residentBytes(server.pid);
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.write(
    [`GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `Authorization: Bearer ${token}`, '', ''].join('\r\n'),
  );
  socket.pause();
  let read = 0;
  let peak = before;
  const started = Date.now();
  while (Date.now() - started < READ_MS) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const chunk = socket.read(100) as Buffer | null;
    read += chunk?.byteLength ?? 0;
    peak = Math.max(peak, await residentBytes(server.pid));
  }
  socket.destroy();
  const db = openDatabaseUrl(server.dbFile);
  const audited = () =>
    queryRow<{ details: string }>(
      db,
      "SELECT details FROM audit_log WHERE action = 'export' AND target = ? ORDER BY seq DESC",
      path.slice('/exports/'.length),
    );
  let row = await audited();
  for (let i = 0; !row && i < 100; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    row = await audited();
  }
  await closeDatabase(db);
  return { read, before, peak, details: JSON.parse(row!.details) as { rows: number; completed: boolean } };
}

describe('a slow export reader (finding 6)', () => {
  // The bound is the XLSX worker's credits (16 chunks of 64 KB), on either engine: the worker reads
  // SQLite's file, or PostgreSQL through a cursor on a connection of its own. (Written in the
  // server's thread, the stream's 1 MB queue and the chunk in hand held 61,270 of the 120,000 rows.)
  it('makes the server produce XLSX rows only as fast as it reads them (worker credits), with RSS bounded', async () => {
    const { read, before, peak, details } = await readSlowly('/exports/payment-requests.xlsx');
    console.log(
      `slow XLSX reader: read ${read} B in ${READ_MS} ms; server made ${details.rows} of ${ROWS} rows; ` +
        `RSS ${(before / 2 ** 20).toFixed(0)} -> peak ${(peak / 2 ** 20).toFixed(0)} MB`,
    );
    expect(read).toBeGreaterThan(0);
    expect(details.completed).toBe(false);
    expect(details.rows).toBeLessThan(ROWS / 2);
    expect(peak - before).toBeLessThan(100 * 2 ** 20);
  }, 60_000);

  it('makes the server produce rows only as fast as it reads them, with RSS bounded', async () => {
    const { read, before, peak, details } = await readSlowly('/exports/payment-requests.csv');
    expect(read).toBeGreaterThan(0);
    console.log(
      `slow export reader: read ${read} B in ${READ_MS} ms; server made ${details.rows} of ${ROWS} rows; ` +
        `RSS ${(before / 2 ** 20).toFixed(0)} -> peak ${(peak / 2 ** 20).toFixed(0)} MB`,
    );
    expect(details.completed).toBe(false);
    // Socket buffers (a few MB on loopback) and the export's queues, not the 21 MB file.
    expect(details.rows).toBeLessThan(ROWS / 2);
    expect(peak - before).toBeLessThan(100 * 2 ** 20);
  }, 60_000);
});
