import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, openDatabaseUrl } from '../../db/client';
import { isPostgresUrl } from '../../db/pg-client';
import { insertBulkRequests } from '../support/bulk';
import { queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';

/**
 * A client that trickles (a few bytes now and then, never idle long enough for the socket's 60 s
 * timeout) kept one of a PostgreSQL process's 3 export cursors for ever (docs/security.md, session 39).
 * The minimum-progress rule (app/read/exports/reader-progress.server.ts) at a test's scale: a 1 s
 * window and a floor of 256 KiB a window (production: a minute and 32 KiB), so a trickler is ended
 * about ten seconds after its start (ten minutes in production). A download waits for a cursor up to
 * 60 s here (EXPORT_SLOT_WAIT_MS; 3 s in production), so that the waiting one is still waiting.
 */
const ROWS = 100_000;
const FLOOR = 256 * 1024;
/** Generous "does not hang" bound, not a speed goal. */
const BOUND_MS = 90_000;

let server: TestServer;
let token: string;
let fullCsvBytes = 0;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startServer({
    EXPORT_PROGRESS_WINDOW_MS: '1000',
    EXPORT_PROGRESS_MIN_BYTES: String(FLOOR),
    EXPORT_SLOT_WAIT_MS: '60000',
  });
  const db = openDatabaseUrl(server.dbFile);
  await insertBulkRequests(db, ROWS);
  token = (await createServiceToken(db, { role: 'manager', name: 'tricklers' })).token;
  await closeDatabase(db);
}, 180_000);
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await server?.stop();
});

interface Download {
  socket: Socket;
  /** Bytes read so far (head and body). */
  received: () => number;
  head: Promise<string>;
  /** Resolves when the server closed the connection, with the time (ms since the epoch). */
  closed: Promise<number>;
}

/**
 * A raw download that reads `bytes` every `everyMs` (socket paused otherwise): a trickler with a few
 * bytes, a slow but steady reader with more.
 */
function download(path: string, bytes: number, everyMs: number): Download {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  sockets.push(socket);
  socket.pause();
  socket.write(
    [
      `GET ${path} HTTP/1.1`,
      `Host: 127.0.0.1:${port}`,
      `Authorization: Bearer ${token}`,
      'Connection: close',
      '',
      '',
    ].join('\r\n'),
  );
  let received = 0;
  let text = '';
  let gotHead: (head: string) => void;
  const head = new Promise<string>((resolve) => {
    gotHead = resolve;
  });
  let headSeen = false;
  /** Reads up to `limit` bytes of what has arrived. */
  const take = (limit: number) => {
    let taken = 0;
    while (taken < limit) {
      const chunk = socket.read(Math.min(limit - taken, socket.readableLength)) as Buffer | null;
      if (!chunk) break;
      taken += chunk.byteLength;
      received += chunk.byteLength;
      if (!headSeen) {
        text += chunk.toString('latin1');
        if (text.includes('\r\n\r\n')) {
          headSeen = true;
          gotHead(text);
        }
      }
    }
  };
  // The head is read as soon as it comes (up to 1 KB), then only `bytes` every `everyMs`.
  const readHead = () => {
    if (headSeen) return socket.off('readable', readHead);
    take(1024 - received);
  };
  socket.on('readable', readHead);
  const timer = setInterval(() => {
    if (headSeen) take(bytes);
  }, everyMs);
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => {
      clearInterval(timer);
      resolve(Date.now());
    });
  });
  socket.on('error', () => {});
  return { socket, received: () => received, head, closed };
}

interface ExportAudit {
  at: number;
  rows: number;
  completed: boolean;
}

async function exportAudits(): Promise<ExportAudit[]> {
  const db = openDatabaseUrl(server.dbFile);
  try {
    const rows = await queryRows<{ at: number; details: string }>(
      db,
      "SELECT at, details FROM audit_log WHERE action = 'export' AND target = 'payment-requests.csv' ORDER BY seq",
    );
    return rows.map((row) => ({
      at: Number(row.at),
      ...(JSON.parse(row.details) as { rows: number; completed: boolean }),
    }));
  } finally {
    await closeDatabase(db);
  }
}

/** Polls until `check` holds (or the bound passes): the audit row is written as the export ends. */
async function until<T>(read: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const value = await read();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe('export downloads that trickle', () => {
  it(
    'a fast download gives the whole export (the size the others are measured against)',
    async () => {
      const response = await fetch(`${server.url}/exports/payment-requests.csv`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      expect(response.status).toBe(200);
      const body = await response.text();
      expect(body.split('\r\n').length).toBe(ROWS + 2);
      fullCsvBytes = Buffer.byteLength(body);
    },
    BOUND_MS,
  );

  it(
    'three trickling downloads are ended, and a download waiting for a cursor is served',
    async () => {
      const before = (await exportAudits()).length;
      // 10 bytes every 200 ms: never idle, about 50 bytes a second.
      const tricklers = Array.from({ length: 3 }, () => download('/exports/payment-requests.csv', 10, 200));
      const heads = await Promise.all(tricklers.map((d) => d.head));
      for (const head of heads) expect(head.slice(9, 12)).toBe('200');

      // Started while the three hold every cursor (PostgreSQL): it waits for one.
      const startedAt = Date.now();
      const waiting = fetch(`${server.url}/exports/payment-requests.csv`, {
        headers: { Authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(BOUND_MS),
      }).then(async (response) => {
        const at = Date.now();
        // Read as it comes: a download not read would be ended too.
        return { status: response.status, body: await response.text(), at };
      });

      // Each trickler is ended by the server (its export cancelled and audited), long before it had the
      // file. (Its socket is not seen to close: the kernel still holds megabytes for it.)
      const cut = await until(exportAudits, (rows) => rows.slice(before).filter((row) => !row.completed).length >= 3);
      const ended = cut.slice(before).filter((row) => !row.completed);
      expect(ended).toHaveLength(3);
      for (const row of ended) expect(row.rows).toBeLessThan(ROWS / 2);
      for (const d of tricklers) expect(d.socket.bytesRead).toBeLessThan(fullCsvBytes / 2);

      const served = await waiting;
      expect(served.status).toBe(200);
      expect(served.body.split('\r\n').length).toBe(ROWS + 2);
      if (isPostgresUrl(server.dbFile)) {
        // It had no cursor until a trickler's was given back (the audit row is written just after).
        expect(served.at).toBeGreaterThanOrEqual(Math.min(...ended.map((row) => row.at)) - 1_000);
        expect(served.at - startedAt).toBeGreaterThan(2_000);
      }
      const audits = await until(exportAudits, (rows) => rows.length >= before + 4);
      // (On SQLite the fourth is served at once: its row may come first.)
      const outcomes = audits.slice(before).map((row) => [row.completed, row.completed ? row.rows : 'cut']);
      expect(outcomes.sort()).toEqual([
        [false, 'cut'],
        [false, 'cut'],
        [false, 'cut'],
        [true, ROWS],
      ]);
      for (const d of tricklers) d.socket.destroy();
    },
    2 * BOUND_MS,
  );

  it(
    'a slow but steady reader (64 KB every 50 ms, about 5 times the floor) gets the whole file',
    async () => {
      const before = (await exportAudits()).length;
      const steady = download('/exports/payment-requests.csv', 64 * 1024, 50);
      expect((await steady.head).slice(9, 12)).toBe('200');
      await Promise.race([steady.closed, new Promise((r) => setTimeout(r, 2 * BOUND_MS))]);
      // The server ended the response itself (Connection: close) after the last byte: all of it came.
      expect(steady.socket.bytesRead).toBeGreaterThan(fullCsvBytes);
      expect(steady.received()).toBe(steady.socket.bytesRead);
      const audits = await until(exportAudits, (rows) => rows.length >= before + 1);
      expect(audits.slice(before)).toEqual([expect.objectContaining({ rows: ROWS, completed: true })]);
    },
    3 * BOUND_MS,
  );
});
