import { readFileSync } from 'node:fs';
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { createExport, type ExportResult } from '../../app/read/exports/exports.server';
import type { ExportWorkerOptions } from '../../app/read/exports/workers.server';
import { xlsxWorkerStats } from '../../app/read/exports/xlsx-worker.server';
import { parseFilters } from '../../app/read/filters';
import { createServiceToken } from '../../app/write/api-tokens.server';
import { closeDatabase, type Db, openDatabaseUrl } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { insertBulkRequests } from '../support/bulk';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { startServer, type TestServer } from '../support/server';

// Large payment-requests.xlsx exports take the worker thread on either engine (issues 13, 14): on
// PostgreSQL the worker opens a connection of its own and reads a REPEATABLE READ cursor, on SQLite
// it opens the file read-only. Same cells as the server thread's, and the worker and its connection
// end when the reader goes away.

const manager: Viewer = { userId: 'usr_m', name: 'Mia', role: 'manager', scope: { kind: 'all' } };
const NOW = Date.parse('2026-11-25T12:00:00Z');
const QUERY = 'from=2026-10-01&to=2026-11-30&tz=UTC';
const BASE = 1793000000000;

/** `rows` requests, one a second from BASE: odd ones in USD (cents), even ones in JPY (yen). */
const insertBulk = (db: Db, rows: number) =>
  insertBulkRequests(db, rows, { currencySql: "CASE WHEN i % 2 = 0 THEN 'JPY' ELSE 'USD' END" });

/** The 'Payment requests' row the export should write for bulk request i. */
function expectedRow(i: number): ExcelJS.CellValue[] {
  const usd = i % 2 === 1;
  return [
    `pr_${String(i).padStart(6, '0')}`,
    `SO-${i}`,
    'ag_bulk',
    'Bulk Agent',
    'tm_bulk',
    'Bulk',
    'sms',
    usd ? 'USD' : 'JPY',
    usd ? i / 100 : i,
    'sent',
    new Date(BASE + i * 1000),
    new Date(BASE + i * 1000 + 500),
    null,
    null,
    null,
    'Bulk, item',
    '*******1234',
  ];
}

async function readWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

/** Every sheet's name and every cell's value, type and format. */
function cells(workbook: ExcelJS.Workbook) {
  return workbook.worksheets.map((sheet) => {
    // exceljs counts the columns by walking every row: once per sheet, not once per row (quadratic).
    const columns = sheet.columnCount;
    return {
      name: sheet.name,
      rows: sheet.getRows(1, sheet.rowCount)!.map((row) =>
        Array.from({ length: columns }, (_, index) => {
          const cell = row.getCell(index + 1);
          return { value: cell.value, type: cell.type, numFmt: cell.numFmt };
        }),
      ),
    };
  });
}

/** The values of the 'Payment requests' sheet's rows below its header. */
function requestRows(workbook: ExcelJS.Workbook): ExcelJS.CellValue[][] {
  const sheet = workbook.getWorksheet('Payment requests')!;
  return sheet
    .getRows(2, sheet.rowCount - 1)!
    .map((row) => Array.from({ length: 17 }, (_, index) => row.getCell(index + 1).value));
}

describe('XLSX export worker on either engine', () => {
  const ROWS = 6_000;
  let db: Db;
  beforeAll(async () => {
    db = (await createTestDb()).db;
    await insertBulk(db, ROWS);
  });
  afterAll(() => closeTestDb(db));

  async function startExport(workerOptions: ExportWorkerOptions) {
    let result: ExportResult | undefined;
    const started = await createExport(
      db,
      {
        report: 'payment-requests',
        format: 'xlsx',
        filters: parseFilters(new URLSearchParams(QUERY), 'UTC'),
        viewer: manager,
      },
      (end) => {
        result = end;
      },
      NOW,
      workerOptions,
    );
    return { ...started, result: () => result };
  }

  async function exportBytes(workerOptions: ExportWorkerOptions) {
    const { stream, result } = await startExport(workerOptions);
    const bytes = Buffer.from(await new Response(stream).arrayBuffer());
    return { bytes, result: result() };
  }

  /** The backends connected to the test database now (PostgreSQL). */
  const backendPids = async () =>
    (await queryRows<{ pid: number }>(db, 'SELECT pid FROM pg_stat_activity WHERE datname = current_database()')).map(
      (row) => row.pid,
    );
  /**
   * Backends of the test database opened since `known`, this query's aside: the worker's. Counting
   * every backend made the figure fall when the test pool closed its idle connections (after 10 s
   * idle) during a slow run: expected 3, got 1.
   */
  const newBackends = async (known: number[]) =>
    (await queryRow<{ n: number }>(
      db,
      `SELECT CAST(count(*) AS INTEGER) AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND NOT (pid = ANY(CAST(? AS integer[])))`,
      [known],
    ))!.n;

  it(`writes ${ROWS.toLocaleString('en')} requests from the worker thread, every row as expected and as the server thread writes them`, async () => {
    const before = xlsxWorkerStats().started;
    const fromWorker = await exportBytes({});
    expect(xlsxWorkerStats().started).toBe(before + 1);
    expect(fromWorker.result).toEqual({ completed: true, rows: ROWS });
    const workerBook = await readWorkbook(fromWorker.bytes);
    expect(requestRows(workerBook)).toEqual(Array.from({ length: ROWS }, (_, index) => expectedRow(index + 1)));

    const inThread = await exportBytes({ workers: 0 });
    expect(xlsxWorkerStats().started).toBe(before + 1);
    expect(inThread.result).toEqual({ completed: true, rows: ROWS });
    const expected = cells(await readWorkbook(inThread.bytes));
    expect(expected.map((sheet) => [sheet.name, sheet.rows.length])).toEqual([
      ['Summary', expect.any(Number)],
      ['Payment requests', ROWS + 1],
    ]);
    expect(cells(workerBook)).toEqual(expected);
    await vi.waitFor(() => expect(xlsxWorkerStats().liveWorkers).toBe(0), { timeout: 10_000 });
  }, 120_000);

  it('ends the worker when the reader cancels mid-stream, and on PostgreSQL its connection with it', async () => {
    const known = ON_POSTGRES ? await backendPids() : [];
    const before = xlsxWorkerStats().started;
    const { stream, rowsSoFar, result } = await startExport({});
    const reader = stream.getReader();
    expect((await reader.read()).done).toBe(false);
    expect(xlsxWorkerStats()).toMatchObject({ started: before + 1, liveWorkers: 1 });
    // The worker's one connection, holding the cursor while the reader waits.
    if (ON_POSTGRES) await vi.waitFor(async () => expect(await newBackends(known)).toBe(1), { timeout: 10_000 });
    await reader.cancel();
    expect(result()).toEqual({ completed: false, rows: rowsSoFar() });
    expect(rowsSoFar()).toBeLessThan(ROWS);
    await vi.waitFor(() => expect(xlsxWorkerStats()).toMatchObject({ liveWorkers: 0, queuedChunks: 0 }), {
      timeout: 30_000,
    });
    if (ON_POSTGRES) await vi.waitFor(async () => expect(await newBackends(known)).toBe(0), { timeout: 10_000 });
  }, 60_000);
});

describe('a started server during a large XLSX export', () => {
  // More than the worker's 1 MB of credits zipped: it is still alive while the reader waits.
  const ROWS = 60_000;
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    server = await startServer();
    const db = openDatabaseUrl(server.dbFile);
    await insertBulk(db, ROWS);
    token = (await createServiceToken(db, { role: 'manager', name: 'Mia' })).token;
    await closeDatabase(db);
  });
  afterAll(() => server.stop());

  const get = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  /** The server process's threads (Linux): a worker thread adds its own. */
  const threads = () => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'))![1]);

  it('answers /healthz while the export streams, the workbook written by a worker thread', async () => {
    // An empty export first (in the server's thread), so zlib's pool threads are already counted.
    const small = await get('/exports/payment-requests.xlsx?from=2026-11-20&to=2026-11-20&tz=UTC');
    expect(small.status).toBe(200);
    await small.arrayBuffer();
    const idleThreads = threads();

    const response = await get(`/exports/payment-requests.xlsx?${QUERY}`);
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const chunks: Uint8Array[] = [];
    const first = await reader.read();
    chunks.push(first.value!);
    expect(threads()).toBeGreaterThan(idleThreads);

    let streaming = true;
    const answered: number[] = [];
    const polling = (async () => {
      while (streaming) {
        const health = await fetch(`${server.url}/healthz`);
        await health.arrayBuffer();
        if (streaming) answered.push(health.status);
      }
    })();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      // A slow reader: the export lasts long enough for /healthz to be asked a few times.
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    streaming = false;
    await polling;
    expect(answered.length).toBeGreaterThan(0);
    expect(answered.every((status) => status === 200)).toBe(true);

    const rows = requestRows(await readWorkbook(Buffer.concat(chunks)));
    expect(rows).toHaveLength(ROWS);
    expect(rows[0]).toEqual(expectedRow(1));
    expect(rows.at(-1)).toEqual(expectedRow(ROWS));
  }, 120_000);
});
