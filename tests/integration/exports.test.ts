import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Viewer } from '../../app/domain/access';
import { exportResponse } from '../../app/http/exports.server';
import { CHUNK_BYTES } from '../../app/lib/zip-stream';
import { createExport, type ExportResult } from '../../app/read/exports/exports.server';
import { XLSX_WORKER_CREDITS } from '../../app/read/exports/worker-protocol';
import { type ExportWorkerOptions, exportWorkerStats } from '../../app/read/exports/workers.server';
import { xlsxWorkerStats } from '../../app/read/exports/xlsx-worker.server';
import { parseFilters } from '../../app/read/filters';
import { createServiceToken, loadViewer } from '../../app/write/api-tokens.server';
import { ingestEvents } from '../../app/write/ingest.server';
import { openReportFile } from '../../app/write/report-file-store.server';
import { KEPT_FILES_PER_SCHEDULE, runDueReports } from '../../app/write/report-scheduler.server';
import { createSchedule } from '../../app/write/report-schedules.server';
import { closeDatabase, type Db, openDatabaseUrl, sqlRun } from '../../db/client';
import { ON_POSTGRES } from '../../db/tables';
import { insertBulkRequests } from '../support/bulk';
import { closeTestDb, createTestDb, queryRow, queryRows } from '../support/db';
import { MINUTE } from '../support/events';
import { startServer, type TestServer } from '../support/server';

const settings = { ttlUnopenedMs: 5 * MINUTE, ttlOpenedMs: 30 * MINUTE };
const NOW = Date.parse('2026-11-25T12:00:00Z');
const manager: Viewer = { userId: 'usr_m', name: 'Mia Manager', role: 'manager', scope: { kind: 'all' } };
const vipSupervisor: Viewer = {
  userId: 'usr_s',
  name: 'Sam',
  role: 'supervisor',
  scope: { kind: 'teams', teamIds: ['tm_vip'] },
};

interface RequestSpec {
  agent: { id: string; name: string; team: { id: string; name: string } };
  amount: number;
  currency: string;
  orderNumber: string;
  reason: string;
  channel: string;
  phone: string;
}

const RETAIL = { id: 'tm_retail', name: 'Retail' };
const THANDI = { id: 'ag_17', name: 'Thandi Mokoena', team: RETAIL };

function lifecycle(id: string, spec: Partial<RequestSpec>, steps: [string, string][]) {
  const request = {
    agent: THANDI,
    amount: 36121,
    currency: 'USD',
    orderNumber: 'SO-1001',
    reason: 'Floral Oasis Dress',
    channel: 'whatsapp',
    phone: '+27821234567',
    ...spec,
  };
  return steps.map(([type, occurredAt]) => ({
    id: `evt_${id}_${type}`,
    type: `payment_request.${type}`,
    occurredAt,
    paymentRequest:
      type === 'created'
        ? {
            id,
            agent: request.agent,
            amount: request.amount,
            currency: request.currency,
            orderNumber: request.orderNumber,
            reason: request.reason,
            channel: request.channel,
            customer: { phone: request.phone, name: 'Valeria' },
          }
        : { id },
    data: {},
  }));
}

/** Three requests in S for 2026-11-01..03 in New York (one across the DST change), two outside. */
const EVENTS = [
  ...lifecycle('pr_usd', {}, [
    ['created', '2026-11-01T05:30:00.000Z'],
    ['sent', '2026-11-01T05:31:00.000Z'],
    ['opened', '2026-11-01T05:34:00.000Z'],
    ['paid', '2026-11-01T06:03:00.500Z'],
  ]),
  ...lifecycle(
    'pr_jpy',
    {
      agent: { id: 'ag_18', name: 'Lerato "Lee", Dube', team: RETAIL },
      amount: 5000,
      currency: 'JPY',
      orderNumber: '+SO-2',
      reason: '=HYPERLINK("http://evil.example","Click")',
      channel: 'sms',
    },
    [
      ['created', '2026-11-02T14:00:00.000Z'],
      ['sent', '2026-11-02T14:01:00.000Z'],
    ],
  ),
  ...lifecycle(
    'pr_kwd',
    {
      agent: { id: 'ag_30', name: 'Ana', team: { id: 'tm_vip', name: 'VIP' } },
      amount: 1234567,
      currency: 'KWD',
      orderNumber: 'SO-3',
      reason: 'Card 4111 1111 1111 1111 on file',
      channel: 'webchat',
      phone: '+965 5123 9876',
    },
    [
      ['created', '2026-11-03T09:00:00.000Z'],
      ['sent', '2026-11-03T09:00:30.000Z'],
      ['opened', '2026-11-03T09:02:00.000Z'],
      ['paid', '2026-11-03T09:03:00.000Z'],
    ],
  ),
  ...lifecycle('pr_early', {}, [
    ['created', '2026-11-01T03:59:00.000Z'],
    ['sent', '2026-11-01T03:59:59.999Z'],
  ]),
  ...lifecycle('pr_late', {}, [
    ['created', '2026-11-04T04:59:00.000Z'],
    ['sent', '2026-11-04T05:00:00.000Z'],
  ]),
  ...lifecycle('pr_unsent', {}, [['created', '2026-11-02T10:00:00.000Z']]),
];

const HEADER =
  'request_id,order_number,agent_id,agent_name,team_id,team_name,channel,currency,amount,status,created_at,sent_at,opened_at,closed_at,seconds_to_pay,reason,customer_phone\r\n';
const ROW_USD =
  'pr_usd,SO-1001,ag_17,Thandi Mokoena,tm_retail,Retail,whatsapp,USD,361.21,paid,2026-11-01T01:30:00.000-04:00,2026-11-01T01:31:00.000-04:00,2026-11-01T01:34:00.000-04:00,2026-11-01T01:03:00.500-05:00,1920.5,Floral Oasis Dress,*******4567\r\n';
const ROW_JPY = `pr_jpy,'+SO-2,ag_18,"Lerato ""Lee"", Dube",tm_retail,Retail,sms,JPY,5000,expired,2026-11-02T09:00:00.000-05:00,2026-11-02T09:01:00.000-05:00,,2026-11-02T09:06:00.000-05:00,,"'=HYPERLINK(""http://evil.example"",""Click"")",*******4567\r\n`;
const ROW_KWD =
  'pr_kwd,SO-3,ag_30,Ana,tm_vip,VIP,webchat,KWD,1234.567,paid,2026-11-03T04:00:00.000-05:00,2026-11-03T04:00:30.000-05:00,2026-11-03T04:02:00.000-05:00,2026-11-03T04:03:00.000-05:00,150,Card **** **** **** 1111 on file,*******9876\r\n';

const ROW_EARLY =
  'pr_early,SO-1001,ag_17,Thandi Mokoena,tm_retail,Retail,whatsapp,USD,361.21,expired,2026-10-31T23:59:00.000-04:00,2026-10-31T23:59:59.999-04:00,,2026-11-01T00:04:59.999-04:00,,Floral Oasis Dress,*******4567\r\n';

const QUERY = 'from=2026-11-01&to=2026-11-03&tz=America/New_York';

async function ingestFixture(db: Db) {
  const summary = await ingestEvents(db, EVENTS, 'api', { now: NOW, settings });
  expect(summary.rejected).toBe(0);
}

async function exportBytes(
  db: Db,
  report: 'payment-requests' | 'agents',
  format: 'csv' | 'xlsx',
  query: string,
  viewer = manager,
  workerOptions: ExportWorkerOptions = {},
) {
  let result: ExportResult | undefined;
  const { stream, fileName } = await createExport(
    db,
    { report, format, filters: parseFilters(new URLSearchParams(query), 'UTC'), viewer },
    (end) => {
      result = end;
    },
    NOW,
    workerOptions,
  );
  const bytes = Buffer.from(await new Response(stream).arrayBuffer());
  return { bytes, text: bytes.toString('utf8'), fileName, result: result! };
}

/** A kept report file's bytes, from wherever the engine keeps them. */
async function storedBytes(db: Db, path: string): Promise<Buffer> {
  const stream = await openReportFile(db, path);
  if (!stream) throw new Error(`no stored report file ${path}`);
  return Buffer.from(await new Response(stream).arrayBuffer());
}

const storedText = async (db: Db, path: string) => (await storedBytes(db, path)).toString('utf8');

async function readWorkbook(bytes: Buffer) {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  return workbook;
}

describe('exports on a small event set', () => {
  let db: Db;
  beforeEach(async () => {
    db = (await createTestDb()).db;
    await ingestFixture(db);
  });
  afterEach(() => closeTestDb(db));

  it('writes payment-requests.csv byte for byte: CRLF, quoting, injection prefix, DST offsets, JPY and KWD', async () => {
    const { text, fileName, result } = await exportBytes(db, 'payment-requests', 'csv', QUERY);
    expect(text).toBe(HEADER + ROW_USD + ROW_JPY + ROW_KWD);
    expect(fileName).toBe('payment-requests_2026-11-01_2026-11-03_America-New_York.csv');
    expect(result).toEqual({ completed: true, rows: 3 });
  });

  it('limits a supervisor to their teams, and applies the shared filters and status', async () => {
    expect((await exportBytes(db, 'payment-requests', 'csv', QUERY, vipSupervisor)).text).toBe(HEADER + ROW_KWD);
    expect((await exportBytes(db, 'payment-requests', 'csv', `${QUERY}&currency=JPY,KWD&status=expired`)).text).toBe(
      HEADER + ROW_JPY,
    );
    expect((await exportBytes(db, 'payment-requests', 'csv', `${QUERY}&team=tm_retail&channel=whatsapp`)).text).toBe(
      HEADER + ROW_USD,
    );
    expect((await exportBytes(db, 'payment-requests', 'csv', 'from=2030-01-01&to=2030-01-02')).text).toBe(HEADER);
  });

  it('writes the same bytes from worker threads, a request a slice, as from the server thread', async () => {
    const cases: [string, Viewer][] = [
      [QUERY, manager],
      [QUERY, vipSupervisor],
      [`${QUERY}&currency=JPY,KWD&status=expired`, manager],
      ['from=2030-01-01&to=2030-01-02', manager],
      ['tz=Asia/Tokyo', manager],
    ];
    for (const [query, viewer] of cases) {
      const alone = await exportBytes(db, 'payment-requests', 'csv', query, viewer, { workers: 0 });
      for (const workers of [1, 2, 3]) {
        const threaded = await exportBytes(db, 'payment-requests', 'csv', query, viewer, {
          workers,
          minRows: 0,
          sliceRows: 1,
        });
        expect(threaded.text, `${query} with ${workers} workers`).toBe(alone.text);
        expect(threaded.result).toEqual(alone.result);
      }
    }
    expect(
      (await exportBytes(db, 'payment-requests', 'csv', 'tz=UTC', manager, { workers: 2, minRows: 0 })).result,
    ).toEqual({
      completed: true,
      rows: 5,
    });
  });

  it('writes agents.csv with rates to 4 decimals and collected_<CUR> columns in code order', async () => {
    const { text, result } = await exportBytes(db, 'agents', 'csv', QUERY);
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(
      'agent_id,agent_name,team_id,team_name,sent,opened,paid,declined,expired,canceled,in_flight,open_rate,conversion_rate,decline_rate,expiry_rate,cancel_rate,median_seconds_to_pay,collected_KWD,collected_USD',
    );
    expect(lines.slice(1, -1).sort()).toEqual([
      'ag_17,Thandi Mokoena,tm_retail,Retail,1,1,1,0,0,0,0,1.0000,1.0000,0.0000,0.0000,0.0000,1920.5,0.000,361.21',
      'ag_18,"Lerato ""Lee"", Dube",tm_retail,Retail,1,0,0,0,1,0,0,0.0000,0.0000,0.0000,1.0000,0.0000,,0.000,0.00',
      'ag_30,Ana,tm_vip,VIP,1,1,1,0,0,0,0,1.0000,1.0000,0.0000,0.0000,0.0000,150,1234.567,0.00',
    ]);
    expect(lines.at(-1)).toBe('');
    expect(result).toEqual({ completed: true, rows: 3 });
    const supervisor = await exportBytes(db, 'agents', 'csv', QUERY, vipSupervisor);
    expect(supervisor.text.split('\r\n').slice(1)).toEqual([
      'ag_30,Ana,tm_vip,VIP,1,1,1,0,0,0,0,1.0000,1.0000,0.0000,0.0000,0.0000,150,1234.567',
      '',
    ]);
  });

  it('writes payment-requests.xlsx with a summary sheet, typed cells, a frozen header and widths', async () => {
    const { bytes, fileName, result } = await exportBytes(db, 'payment-requests', 'xlsx', QUERY);
    expect(fileName).toBe('payment-requests_2026-11-01_2026-11-03_America-New_York.xlsx');
    expect(result).toEqual({ completed: true, rows: 3 });
    const workbook = await readWorkbook(bytes);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Summary', 'Payment requests']);

    const summary = workbook.getWorksheet('Summary')!;
    const kpi = (label: string) => {
      let value: ExcelJS.CellValue | undefined;
      summary.eachRow((row) => {
        if (row.getCell(1).value === label) value = row.getCell(2).value;
      });
      return value;
    };
    expect(kpi('Time zone')).toBe('America/New_York');
    // Local time with its real offset, as text: a date cell would be read back as UTC ('Z').
    expect(kpi('Generated')).toBe('2026-11-25 07:00:00 -05:00 (America/New_York)');
    expect(kpi('Dates and times')).toBe('local time in America/New_York');
    expect(kpi('Sent')).toBe(3);
    expect(kpi('Paid')).toBe(2);
    expect(kpi('Expired')).toBe(1);
    expect(kpi('Conversion rate')).toBeCloseTo(2 / 3, 10);
    expect(kpi('Collected KWD')).toBe(1234.567);
    expect(kpi('Collected USD')).toBe(361.21);

    const sheet = workbook.getWorksheet('Payment requests')!;
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(sheet.getRow(1).values).toEqual([undefined, ...HEADER.trim().split(',')]);
    expect(sheet.getRow(1).font?.bold).toBe(true);
    expect(sheet.getColumn(16).width).toBe(36);
    expect(sheet.rowCount).toBe(4);
    const usd = sheet.getRow(2);
    expect(usd.getCell(1).value).toBe('pr_usd');
    expect(usd.getCell(9).value).toBe(361.21);
    expect(usd.getCell(9).numFmt).toBe('#,##0.00');
    expect(usd.getCell(11).value).toEqual(new Date('2026-11-01T01:30:00.000Z'));
    expect(usd.getCell(11).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(usd.getCell(14).value).toEqual(new Date('2026-11-01T01:03:00.500Z'));
    expect(usd.getCell(15).value).toBe(1920.5);
    expect(usd.getCell(17).value).toBe('*******4567');
    const jpy = sheet.getRow(3);
    expect(jpy.getCell(9).value).toBe(5000);
    expect(jpy.getCell(9).numFmt).toBe('#,##0');
    expect(jpy.getCell(13).value).toBeNull();
    expect(jpy.getCell(16).value).toBe('=HYPERLINK("http://evil.example","Click")');
    expect(jpy.getCell(16).type).toBe(ExcelJS.ValueType.String);
    const kwd = sheet.getRow(4);
    expect(kwd.getCell(9).value).toBe(1234.567);
    expect(kwd.getCell(9).numFmt).toBe('#,##0.000');
  });

  it('writes agents.xlsx with the summary sheet and numeric metrics', async () => {
    const { bytes } = await exportBytes(db, 'agents', 'xlsx', QUERY, vipSupervisor);
    const workbook = await readWorkbook(bytes);
    expect(workbook.worksheets.map((sheet) => sheet.name)).toEqual(['Summary', 'Agents']);
    const sheet = workbook.getWorksheet('Agents')!;
    expect(sheet.getRow(2).values).toEqual([
      undefined,
      'ag_30',
      'Ana',
      'tm_vip',
      'VIP',
      1,
      1,
      1,
      0,
      0,
      0,
      0,
      1,
      1,
      0,
      0,
      0,
      150,
      1234.567,
    ]);
    expect(sheet.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
  });

  it('writes payment-requests.xlsx from its worker thread with the same sheets, cells and formats', async () => {
    const inThread = await exportBytes(db, 'payment-requests', 'xlsx', QUERY, manager, { workers: 0 });
    const before = xlsxWorkerStats().started;
    const fromWorker = await exportBytes(db, 'payment-requests', 'xlsx', QUERY, manager, { minRows: 0 });
    expect(xlsxWorkerStats().started).toBe(before + 1);
    expect(fromWorker.result).toEqual({ completed: true, rows: 3 });
    expect(fromWorker.fileName).toBe(inThread.fileName);
    const cells = async (bytes: Buffer) =>
      (await readWorkbook(bytes)).worksheets.map((sheet) => ({
        name: sheet.name,
        views: sheet.views,
        widths: sheet.columns.map((column) => column.width),
        rows: sheet.getRows(1, sheet.rowCount)!.map((row) => ({
          bold: row.font?.bold,
          cells: Array.from({ length: sheet.columnCount }, (_, index) => {
            const cell = row.getCell(index + 1);
            return { value: cell.value, type: cell.type, numFmt: cell.numFmt };
          }),
        })),
      }));
    const expected = await cells(inThread.bytes);
    expect(expected.map((sheet) => sheet.name)).toEqual(['Summary', 'Payment requests']);
    expect(expected[1]!.rows).toHaveLength(4);
    expect(await cells(fromWorker.bytes)).toEqual(expected);
  });
});

describe('streaming a large export', () => {
  let db: Db;
  const ROWS = 60_000;
  beforeAll(async () => {
    db = (await createTestDb()).db;
    await insertBulkRequests(db, ROWS);
  });
  afterAll(() => closeTestDb(db));

  /** Starts an export of the bulk rows; `result()` is its outcome once it ended. */
  async function startExport(
    workerOptions: ExportWorkerOptions,
    query = '',
    viewer = manager,
    format: 'csv' | 'xlsx' = 'csv',
  ) {
    let result: ExportResult | undefined;
    const filters = parseFilters(new URLSearchParams(query), 'UTC');
    const started = await createExport(
      db,
      { report: 'payment-requests', format, filters, viewer },
      (end) => {
        result = end;
      },
      NOW,
      workerOptions,
    );
    return { ...started, result: () => result };
  }

  it('reads the database only as fast as the reader takes rows, and counts them all (in the server thread)', async () => {
    const { stream, rowsSoFar, result } = await startExport({ workers: 0 });
    const reader = stream.getReader();
    let lines = 0;
    const count = (chunk: Uint8Array) => {
      for (const byte of chunk) if (byte === 10) lines += 1;
    };
    count((await reader.read()).value!);
    await new Promise((resolve) => setTimeout(resolve, 50));
    // However long the reader waits: the 1 MB queue and a chunk beyond it, not the whole table.
    expect(rowsSoFar()).toBeLessThanOrEqual(12_000);
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      count(value);
    }
    expect(lines).toBe(ROWS + 1);
    expect(result()).toEqual({ completed: true, rows: ROWS });
  });

  it('stops reading when the reader cancels, and reports the rows it wrote', async () => {
    const { stream, result } = await startExport({ workers: 0 });
    const reader = stream.getReader();
    await reader.read();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await reader.cancel();
    expect(result()?.completed).toBe(false);
    expect(result()!.rows).toBeGreaterThan(0);
    expect(result()!.rows).toBeLessThanOrEqual(12_000);
  });

  /** The export's SHA-256, its row count and the outcome, read without keeping the bytes. */
  async function digest(workerOptions: ExportWorkerOptions, query = '', viewer = manager) {
    const { stream, result } = await startExport(workerOptions, query, viewer);
    const hash = createHash('sha256');
    let lines = 0;
    for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      for (const byte of chunk) if (byte === 10) lines += 1;
    }
    return { sha256: hash.digest('hex'), lines, result: result() };
  }

  it('writes a large export from worker threads byte for byte as the server thread does', async () => {
    const alone = await digest({ workers: 0 });
    expect(alone.lines).toBe(ROWS + 1);
    expect(await digest({ workers: 2, minRows: 0, sliceRows: 997 })).toEqual(alone);
    expect(await digest({ workers: 3, minRows: 0, sliceRows: 25_000 })).toEqual(alone);
    // A range and a time zone: slices start at the range, not at the first request.
    const query = 'from=2026-10-27&to=2026-10-27&tz=Asia/Kolkata&status=sent';
    const ranged = await digest({ workers: 0 }, query);
    expect(ranged.result).toEqual({ completed: true, rows: 20_601 });
    expect(await digest({ workers: 2, minRows: 0, sliceRows: 1_000 }, query)).toEqual(ranged);
    expect(exportWorkerStats()).toEqual({ liveWorkers: expect.any(Number), queuedChunks: 0 });
  });

  // The CSV export workers read SQLite's file by slices of rowids; on PostgreSQL the CSV streams from a cursor in the server.
  it.skipIf(ON_POSTGRES)(
    'holds at most a few chunks per worker while the reader waits, and stops the workers when it cancels',
    async () => {
      const { stream, rowsSoFar, result } = await startExport({ workers: 2, minRows: 0, sliceRows: 500 });
      const reader = stream.getReader();
      await reader.read();
      // Each worker sends its 16 credits' worth (the reader's chunk and the one in the stream's queue
      // were paid back), then waits: 32 chunks of about 64 KB, however long the reader takes.
      // Waiting for a state, not timing it: on a loaded machine the workers take seconds to fill their credits.
      await vi.waitFor(() => expect(exportWorkerStats().queuedChunks).toBe(32), { timeout: 30_000 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(exportWorkerStats()).toEqual({ liveWorkers: 2, queuedChunks: 32 });
      expect(rowsSoFar()).toBeLessThan(1_000);
      await reader.cancel();
      expect(result()).toEqual({ completed: false, rows: rowsSoFar() });
      expect(exportWorkerStats().queuedChunks).toBe(0);
      await vi.waitFor(() => expect(exportWorkerStats().liveWorkers).toBe(0), { timeout: 30_000 });
    },
  );

  it('holds exactly its credits of 64 KB chunks from the XLSX worker while the reader waits, and stops it when it cancels', async () => {
    const { stream, rowsSoFar, result } = await startExport({ minRows: 0 }, '', manager, 'xlsx');
    const reader = stream.getReader();
    const first = (await reader.read()).value!;
    expect(first.byteLength).toBe(CHUNK_BYTES);
    // The worker sends its XLSX_WORKER_CREDITS chunks (the reader's and the one in the stream's
    // queue were paid back), then waits: 16 x 64 KB = 1 MB here, however long the reader takes.
    await vi.waitFor(() => expect(xlsxWorkerStats().queuedChunks).toBe(XLSX_WORKER_CREDITS), { timeout: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(xlsxWorkerStats()).toMatchObject({ liveWorkers: 1, queuedChunks: XLSX_WORKER_CREDITS });
    expect(XLSX_WORKER_CREDITS * CHUNK_BYTES).toBe(1 << 20);
    expect(rowsSoFar()).toBeLessThan(ROWS / 2);
    // PostgreSQL: the worker's own connection holds the export's cursor meanwhile.
    const cursors = async () =>
      (await queryRow<{ n: number }>(
        db,
        "SELECT CAST(count(*) AS INTEGER) AS n FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'FETCH % FROM export_rows'",
      ))!.n;
    if (ON_POSTGRES) expect(await cursors()).toBe(1);
    await reader.cancel();
    expect(result()).toEqual({ completed: false, rows: rowsSoFar() });
    expect(xlsxWorkerStats().queuedChunks).toBe(0);
    await vi.waitFor(() => expect(xlsxWorkerStats().liveWorkers).toBe(0), { timeout: 30_000 });
    // Terminating the worker closed its connection: no backend holds the cursor any more.
    if (ON_POSTGRES) await vi.waitFor(async () => expect(await cursors()).toBe(0), { timeout: 10_000 });
  });

  it('cancels an export whose client left before it was answered: its worker stopped, audited as not completed', async () => {
    const startedBefore = xlsxWorkerStats().started;
    const left = new AbortController();
    left.abort();
    const filters = parseFilters(new URLSearchParams(''), 'UTC');
    const response = await exportResponse(db, {
      report: 'payment-requests',
      format: 'xlsx',
      filters,
      viewer: manager,
      ip: null,
      signal: left.signal,
    });
    expect(response.status).toBe(499);
    await vi.waitFor(() => expect(xlsxWorkerStats().liveWorkers).toBe(0), { timeout: 30_000 });
    expect(xlsxWorkerStats().started).toBeGreaterThan(startedBefore);
    await vi.waitFor(
      async () => {
        const audit = await queryRow<{ details: string }>(db, "SELECT details FROM audit_log WHERE action = 'export'");
        expect(JSON.parse(audit!.details)).toMatchObject({
          report: 'payment-requests',
          format: 'xlsx',
          completed: false,
        });
      },
      { timeout: 10_000 },
    );
  });

  it('writes a large XLSX from its worker with every row of a range, read back by exceljs', async () => {
    const query = 'from=2026-10-27&to=2026-10-27&tz=Asia/Kolkata&status=sent';
    const { stream, result } = await startExport({ minRows: 0 }, query, manager, 'xlsx');
    const workbook = await readWorkbook(Buffer.from(await new Response(stream).arrayBuffer()));
    expect(result()).toEqual({ completed: true, rows: 20_601 });
    const sheet = workbook.getWorksheet('Payment requests')!;
    expect(sheet.rowCount).toBe(20_601 + 1);
    const ids = sheet.getColumn(1).values.slice(2) as string[];
    expect(ids).toHaveLength(20_601);
    expect(new Set(ids).size).toBe(20_601);
    const last = sheet.getRow(20_601 + 1);
    expect(last.getCell(9).value).toBe(Number(ids.at(-1)!.slice(3)) / 100);
    expect(last.getCell(16).value).toBe('Bulk, item');
  }, 120_000);

  it('exports one snapshot from all its workers: requests written after it began are left out', async () => {
    const { stream } = await startExport({ workers: 2, minRows: 0, sliceRows: 1_000 });
    const reader = stream.getReader();
    const first = (await reader.read()).value!;
    const late = await ingestEvents(
      db,
      lifecycle('pr_late_arrival', {}, [
        ['created', new Date(1793000000000 + 30_000 * 1000).toISOString()],
        ['sent', new Date(1793000000000 + 30_000 * 1000 + 700).toISOString()],
      ]),
      'api',
      { now: NOW, settings },
    );
    expect(late.accepted).toBe(2);
    let text = Buffer.from(first).toString('utf8');
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    expect(text.split('\r\n').length - 2).toBe(ROWS);
    expect(text).not.toContain('pr_late_arrival');
    await sqlRun(db, "DELETE FROM payment_requests WHERE id = 'pr_late_arrival'");
  });
});

describe('scheduled reports', () => {
  let db: Db;
  let file: string;
  beforeEach(async () => {
    ({ db, file } = await createTestDb());
    await ingestFixture(db);
  });
  afterEach(() => closeTestDb(db));

  const scheduleForm = (fields: Record<string, string>) =>
    new URLSearchParams({
      name: 'Daily WhatsApp',
      report: 'payment-requests',
      format: 'csv',
      cadence: 'daily',
      runAt: '06:00',
      timezone: 'America/New_York',
      ...fields,
    });
  const scheduleRow = async () =>
    await queryRow(db, 'SELECT next_run_at, last_run_at, CAST(active AS INTEGER) AS active FROM scheduled_reports');

  it('runs a daily report at 06:00 New York time across the DST change and keeps its files', async () => {
    const { userId } = await createServiceToken(db, { role: 'manager', name: 'Finance' });
    const viewer = (await loadViewer(db, userId))!;
    const created = await createSchedule(
      db,
      viewer,
      scheduleForm({ channel: 'whatsapp' }),
      Date.parse('2026-10-31T12:00:00Z'),
    );
    expect(created.ok).toBe(true);
    // 06:00 on the fall-back day is 06:00 EST, 11:00 UTC (the day before, 06:00 EDT was 10:00 UTC).
    expect(await scheduleRow()).toEqual({
      next_run_at: Date.parse('2026-11-01T11:00:00Z'),
      last_run_at: null,
      active: 1,
    });

    expect(await runDueReports(db, Date.parse('2026-11-01T10:59:59Z'))).toEqual([]);
    const first = await runDueReports(db, Date.parse('2026-11-01T11:00:20Z'));
    expect(first).toHaveLength(1);
    // The last millisecond of 31 October in New York is in; the first of 1 November is not.
    expect(first[0]).toMatchObject({
      fileName: 'payment-requests_2026-10-31_2026-10-31_America-New_York.csv',
      rows: 1,
    });
    expect(await storedText(db, first[0]!.path)).toBe(HEADER + ROW_EARLY);
    // SQLite keeps report files beside the database; PostgreSQL in report_file_chunks.
    if (!ON_POSTGRES) expect(first[0]!.path.startsWith(join(dirname(file), 'reports'))).toBe(true);
    expect(await scheduleRow()).toMatchObject({ next_run_at: Date.parse('2026-11-02T11:00:00Z') });
    // Claimed: a second sweep at the same time runs nothing.
    expect(await runDueReports(db, Date.parse('2026-11-01T11:00:30Z'))).toEqual([]);

    const second = await runDueReports(db, Date.parse('2026-11-02T11:00:00Z'));
    expect(second.map((f) => [f.fileName, f.rows])).toEqual([
      ['payment-requests_2026-11-01_2026-11-01_America-New_York.csv', 1],
    ]);
    expect(await storedText(db, second[0]!.path)).toBe(HEADER + ROW_USD);

    const files = await queryRows(
      db,
      'SELECT owner_user_id, file_name, rows, bytes FROM report_files ORDER BY created_at',
    );
    expect(files).toEqual([
      { owner_user_id: userId, file_name: first[0]!.fileName, rows: 1, bytes: Buffer.byteLength(HEADER + ROW_EARLY) },
      { owner_user_id: userId, file_name: second[0]!.fileName, rows: 1, bytes: Buffer.byteLength(HEADER + ROW_USD) },
    ]);
    const audits = await queryRows<{ actor_user_id: string; details: string }>(
      db,
      "SELECT actor_user_id, details FROM audit_log WHERE action = 'export' ORDER BY seq",
    );
    expect(audits.map((a) => [a.actor_user_id, JSON.parse(a.details).rows, JSON.parse(a.details).filters])).toEqual([
      [userId, 1, { from: '2026-10-31', to: '2026-10-31', tz: 'America/New_York', channel: ['whatsapp'] }],
      [userId, 1, { from: '2026-11-01', to: '2026-11-01', tz: 'America/New_York', channel: ['whatsapp'] }],
    ]);
  });

  it(`keeps a schedule's newest ${KEPT_FILES_PER_SCHEDULE} files and deletes older ones with their rows`, async () => {
    const { userId } = await createServiceToken(db, { role: 'manager', name: 'Finance' });
    const viewer = (await loadViewer(db, userId))!;
    const created = await createSchedule(db, viewer, scheduleForm({}), Date.parse('2026-10-01T00:00:00Z'));
    const schedule = (await queryRow<{ next_run_at: number }>(db, 'SELECT next_run_at FROM scheduled_reports'))!;
    expect(created.ok).toBe(true);
    const made: { id: string; path: string }[] = [];
    // One run a day for 33 days (06:00 New York, whichever the offset).
    for (let day = 0; day < KEPT_FILES_PER_SCHEDULE + 2; day++) {
      const runs = await runDueReports(db, schedule.next_run_at + day * 86_400_000 + 3_600_000);
      made.push(...runs);
    }
    const kept = await queryRows<{ id: string }>(db, 'SELECT id FROM report_files ORDER BY created_at');
    expect(kept.map((row) => row.id)).toEqual(made.slice(2).map((run) => run.id));
    const stillStored = await Promise.all(made.map(async (run) => (await openReportFile(db, run.path)) !== null));
    expect(stillStored).toEqual([false, false, ...made.slice(2).map(() => true)]);
  });

  it('writes a weekly XLSX for the previous ISO week with the owner scope, and pauses when the owner may no longer export', async () => {
    const { userId } = await createServiceToken(db, { role: 'supervisor', name: 'VIP lead', teamIds: ['tm_vip'] });
    const viewer = (await loadViewer(db, userId))!;
    await createSchedule(
      db,
      viewer,
      scheduleForm({ cadence: 'weekly', format: 'xlsx', runAt: '07:30', timezone: 'Europe/Berlin' }),
      Date.parse('2026-11-04T00:00:00Z'),
    );
    const [weekly] = await runDueReports(db, Date.parse('2026-11-09T06:30:00Z'));
    expect(weekly).toMatchObject({ fileName: 'payment-requests_2026-11-02_2026-11-08_Europe-Berlin.xlsx', rows: 1 });
    const sheet = (await readWorkbook(await storedBytes(db, weekly!.path))).getWorksheet('Payment requests')!;
    expect(sheet.getRow(2).getCell(1).value).toBe('pr_kwd');

    await sqlRun(db, 'UPDATE users SET active = FALSE WHERE id = ?', [userId]);
    expect(await runDueReports(db, Date.parse('2026-11-16T06:30:00Z'))).toEqual([]);
    expect(await scheduleRow()).toMatchObject({ active: 0 });
  });
});

describe('GET /exports/* over HTTP', () => {
  let server: TestServer;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    server = await startServer();
    const db = openDatabaseUrl(server.dbFile);
    await ingestFixture(db);
    tokens.manager = (await createServiceToken(db, { role: 'manager', name: 'Mia Manager' })).token;
    tokens.supervisor = (await createServiceToken(db, { role: 'supervisor', name: 'Sam', teamIds: ['tm_vip'] })).token;
    tokens.agent = (await createServiceToken(db, { role: 'agent', name: 'Thandi', agentId: 'ag_17' })).token;
    await closeDatabase(db);
  });
  afterAll(() => server.stop());

  const get = (path: string, token?: string) =>
    fetch(`${server.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('streams CSV and XLSX with their content types and file names', async () => {
    const csv = await get(`/exports/payment-requests.csv?${QUERY}`, tokens.manager);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toBe(
      'attachment; filename="payment-requests_2026-11-01_2026-11-03_America-New_York.csv"',
    );
    expect(csv.headers.get('content-encoding')).toBeNull();
    expect(await csv.text()).toBe(HEADER + ROW_USD + ROW_JPY + ROW_KWD);

    const xlsx = await get(`/exports/agents.xlsx?${QUERY}`, tokens.manager);
    expect(xlsx.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    expect(xlsx.headers.get('content-disposition')).toBe(
      'attachment; filename="agents_2026-11-01_2026-11-03_America-New_York.xlsx"',
    );
    const workbook = await readWorkbook(Buffer.from(await xlsx.arrayBuffer()));
    expect(workbook.getWorksheet('Agents')!.rowCount).toBe(4);
  });

  it('offers CSV for Excel: the same bytes after a UTF-8 byte-order mark; plain CSV has none', async () => {
    const plain = Buffer.from(
      await (await get(`/exports/payment-requests.csv?${QUERY}`, tokens.manager)).arrayBuffer(),
    );
    expect([...plain.subarray(0, 3)]).toEqual([...Buffer.from('req')]);
    const excel = await get(`/exports/payment-requests.csv?${QUERY}&excel=1`, tokens.manager);
    expect(excel.status).toBe(200);
    expect(excel.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const bytes = Buffer.from(await excel.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.subarray(3).equals(plain)).toBe(true);
    const agents = Buffer.from(await (await get(`/exports/agents.csv?${QUERY}&excel=1`, tokens.manager)).arrayBuffer());
    expect([...agents.subarray(0, 12)]).toEqual([0xef, 0xbb, 0xbf, ...Buffer.from('agent_id,')]);
    const bad = await get(`/exports/payment-requests.csv?${QUERY}&excel=yes`, tokens.manager);
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatchObject({ code: 'invalid_parameter', field: 'excel' });
    const twice = await get(`/exports/payment-requests.csv?${QUERY}&excel=1&excel=0`, tokens.manager);
    expect([twice.status, await twice.json()]).toEqual([
      400,
      { error: { code: 'invalid_parameter', field: 'excel', message: 'excel: is given more than once' } },
    ]);
  });

  it('limits a supervisor to their teams and audits who exported what', async () => {
    const response = await get(`/exports/payment-requests.csv?${QUERY}`, tokens.supervisor);
    expect(await response.text()).toBe(HEADER + ROW_KWD);
    const db = openDatabaseUrl(server.dbFile);
    try {
      const audit = (await queryRow<{ actor_name: string; target: string; details: string }>(
        db,
        "SELECT actor_name, target, details FROM audit_log WHERE action = 'export' AND actor_name = 'Sam'",
      ))!;
      expect(audit.target).toBe('payment-requests.csv');
      expect(JSON.parse(audit.details)).toMatchObject({
        report: 'payment-requests',
        format: 'csv',
        filters: { from: '2026-11-01', to: '2026-11-03', tz: 'America/New_York' },
        rows: 1,
        completed: true,
      });
    } finally {
      await closeDatabase(db);
    }
  });

  /** Runs `work` on the server's database through a connection of its own. */
  async function onServerDb<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const db = openDatabaseUrl(server.dbFile);
    try {
      return await work(db);
    } finally {
      await closeDatabase(db);
    }
  }

  /** A daily CSV schedule of the user named `owner`, run once: its kept file, and the owner's id. */
  const keptFileOf = (owner: string, name: string) =>
    onServerDb(async (db) => {
      const userId = (await queryRow<{ id: string }>(db, 'SELECT id FROM users WHERE name = ?', owner))!.id;
      await createSchedule(
        db,
        (await loadViewer(db, userId))!,
        new URLSearchParams({
          name,
          report: 'payment-requests',
          format: 'csv',
          cadence: 'daily',
          runAt: '06:00',
          timezone: 'America/New_York',
        }),
        Date.parse('2026-11-01T12:00:00Z'),
      );
      const [file] = await runDueReports(db, Date.parse('2026-11-02T11:00:00Z'));
      return { file: file!, userId };
    });

  it('serves a kept report file to its owner only', async () => {
    const { file } = await keptFileOf('Mia Manager', 'Daily');
    const download = await get(`/reports/files/${file.id}`, tokens.manager);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${file.fileName}"`);
    expect(await download.text()).toBe(HEADER + ROW_USD);
    expect((await get(`/reports/files/${file.id}`, tokens.supervisor)).status).toBe(404);
    expect((await get('/reports/files/rpf_missing', tokens.manager)).status).toBe(404);
  });

  it('serves a supervisor their kept file only while their teams still cover it', async () => {
    const { file, userId } = await keptFileOf('Sam', 'VIP');
    expect(await onServerDb((db) => queryRow(db, 'SELECT scope FROM report_files WHERE id = ?', file.id))).toEqual({
      scope: JSON.stringify({ kind: 'teams', teamIds: ['tm_vip'] }),
    });
    const listed = async () =>
      [...(await (await get('/reports', tokens.supervisor)).text()).matchAll(/\/reports\/files\/(rpf_[\w-]+)/g)].map(
        (match) => match[1],
      );
    expect((await get(`/reports/files/${file.id}`, tokens.supervisor)).status).toBe(200);
    expect(await listed()).toContain(file.id);
    // Sam is moved to another team: the VIP team's file is no longer theirs to read, nor listed.
    await onServerDb(async (db) => {
      await sqlRun(db, "INSERT INTO teams (id, name, created_at) VALUES ('tm_other', 'Other', 0)");
      await sqlRun(db, "UPDATE user_teams SET team_id = 'tm_other' WHERE user_id = ?", [userId]);
    });
    expect((await get(`/reports/files/${file.id}`, tokens.supervisor)).status).toBe(404);
    expect(await listed()).not.toContain(file.id);
    // Moved back, it is theirs again.
    await onServerDb((db) => sqlRun(db, "UPDATE user_teams SET team_id = 'tm_vip' WHERE user_id = ?", [userId]));
    expect((await get(`/reports/files/${file.id}`, tokens.supervisor)).status).toBe(200);
  });

  it('answers 401 without a token, 403 to an agent and 400 naming a bad filter', async () => {
    const anonymous = await get('/exports/payment-requests.csv');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    expect((await get('/exports/agents.csv', tokens.agent)).status).toBe(403);
    expect((await get('/exports/payment-requests.xlsx', tokens.agent)).status).toBe(403);
    const bad = await get('/exports/payment-requests.csv?tz=Mars/Base', tokens.manager);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_filter', field: 'tz' } });
    // Two ranges at once: refused naming the field, not one of them taken silently.
    const twice = await get('/exports/agents.csv?from=2026-11-01&to=2026-11-30&from=2026-01-01', tokens.manager);
    expect([twice.status, await twice.json()]).toEqual([
      400,
      { error: { code: 'invalid_filter', field: 'from', message: 'from: is given more than once' } },
    ]);
  });
});
