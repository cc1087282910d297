import type { Db } from '../../db/client';
import type { Role } from '../../db/schema';
import { CONTENT_TYPES, type ExportFormat, type ExportReport, exportFileName } from '../lib/export-cells';
import type { Filters } from '../lib/filters';
import { recordAudit } from './audit.server';
import { agentsCsv, agentsXlsx } from './export-agents.server';
import { paymentRequestsCsv, paymentRequestsXlsx } from './export-payment-requests.server';
import type { ExportOutcome } from './export-streams.server';
import { type ExportWorkerOptions, parallelPaymentRequestsCsv } from './export-workers.server';
import type { Viewer } from './scope.server';

/** Who may export (SPEC §5): supervisors their teams, managers and admins everything. */
export const EXPORT_ROLES: readonly Role[] = ['supervisor', 'manager', 'admin'];

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
 * `onEnd` runs once, when the last byte is written or the reader gave up.
 */
export function createExport(
  db: Db,
  input: ExportRequest,
  onEnd: (result: ExportResult) => void,
  now = Date.now(),
  workerOptions: ExportWorkerOptions = {},
): ExportStream {
  const { report, format, filters, viewer } = input;
  const tally = { rows: 0 };
  const end = (outcome: ExportOutcome) => onEnd({ ...outcome, rows: tally.rows });
  const context = { db, filters, viewer, tally, now };
  const stream =
    report === 'payment-requests'
      ? format === 'csv'
        ? (parallelPaymentRequestsCsv(context, end, workerOptions) ?? paymentRequestsCsv(context, end))
        : paymentRequestsXlsx(context, end)
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

/**
 * The HTTP response of an export (SPEC §4), audited when the stream ends: who, which filters, how
 * many rows, and whether the download completed.
 */
export function exportResponse(db: Db, input: ExportRequest & { ip: string | null }): Response {
  const started = Date.now();
  const { stream, fileName, contentType } = createExport(db, input, (result) => {
    try {
      recordAudit(db, {
        action: 'export',
        actor: input.viewer,
        target: `${input.report}.${input.format}`,
        details: {
          report: input.report,
          format: input.format,
          filters: filtersForAudit(input.filters),
          rows: result.rows,
          completed: result.completed,
          ms: Date.now() - started,
        },
        ip: input.ip,
      });
    } catch (error) {
      console.error('Could not audit an export', error);
    }
    if (result.error) console.error('Export failed', result.error);
  });
  return new Response(stream, {
    headers: {
      'Content-Type': contentType,
      'Content-Disposition': `attachment; filename="${fileName}"`,
      // no-transform: remix-serve's compression middleware would gzip the CSV on the fly, which
      // costs more CPU than making it and cuts the export to a quarter of its speed.
      'Cache-Control': 'no-store, no-transform',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
