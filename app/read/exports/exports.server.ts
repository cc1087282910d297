import type { Db } from '../../../db/client';
import type { Viewer } from '../../domain/access';
import type { Filters } from '../filters';
import { agentsCsv, agentsXlsx } from './agents.server';
import { CONTENT_TYPES, type ExportFormat, type ExportReport, exportFileName } from './cells';
import { paymentRequestsCsv, paymentRequestsXlsx } from './payment-requests.server';
import type { ExportOutcome } from './streams.server';
import { type ExportWorkerOptions, parallelPaymentRequestsCsv } from './workers.server';
import { workerPaymentRequestsXlsx } from './xlsx-worker.server';

export interface ExportRequest {
  report: ExportReport;
  format: ExportFormat;
  filters: Filters;
  viewer: Viewer;
}

export interface ExportResult extends ExportOutcome {
  rows: number;
}

export interface ExportStream {
  stream: ReadableStream<Uint8Array>;
  fileName: string;
  contentType: string;
  /** Rows written so far (for tests and progress). */
  rowsSoFar: () => number;
}

/**
 * Starts an export: a byte stream that reads the database only as fast as it is consumed.
 * `onEnd` runs once, when the last byte is written or the reader gave up; a complete stream closes
 * only after what it returns has settled.
 */
export async function createExport(
  db: Db,
  input: ExportRequest,
  onEnd: (result: ExportResult) => void | Promise<void>,
  now = Date.now(),
  workerOptions: ExportWorkerOptions = {},
): Promise<ExportStream> {
  const { report, format, filters, viewer } = input;
  const tally = { rows: 0 };
  const end = (outcome: ExportOutcome) => onEnd({ ...outcome, rows: tally.rows });
  const context = { db, filters, viewer, tally, now };
  const stream =
    report === 'payment-requests'
      ? format === 'csv'
        ? ((await parallelPaymentRequestsCsv(context, end, workerOptions)) ?? paymentRequestsCsv(context, end))
        : ((await workerPaymentRequestsXlsx(context, end, workerOptions)) ?? paymentRequestsXlsx(context, end))
      : format === 'csv'
        ? agentsCsv(context, end)
        : agentsXlsx(context, end);
  return {
    stream,
    fileName: exportFileName(report, format, filters, now),
    contentType: CONTENT_TYPES[format],
    rowsSoFar: () => tally.rows,
  };
}

/** The filters as the audit log keeps them: only what was set. */
export function filtersForAudit(filters: Filters): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(filters).filter(([, value]) => value !== undefined && !(Array.isArray(value) && value.length === 0)),
  );
}
