import type { Db } from '../../db/client';
import { withByteOrderMark } from '../lib/csv';
import { getEnv } from '../lib/env.server';
import { apiError, badRequest, singleParam } from '../lib/http.server';
import { ExportsBusyError } from '../read/exports/cursor-slots.server';
import { createExport, type ExportRequest, type ExportResult, filtersForAudit } from '../read/exports/exports.server';
import { recordAudit } from '../write/audit.server';

/**
 * `excel=1` on a CSV export asks for the "CSV for Excel" variant: the same bytes after a UTF-8
 * byte-order mark, without which Excel on Windows reads 'Fernández' as 'FernÃ¡ndez'. Plain CSV
 * (SPEC §4) stays the default.
 */
export function excelVariantFromRequest(request: Request): boolean {
  const value = singleParam(new URL(request.url).searchParams, 'excel', 'invalid_parameter');
  if (value === null || value === '0') return false;
  if (value === '1') return true;
  throw badRequest('invalid_parameter', 'excel', 'excel must be 1 (CSV for Excel, with a byte-order mark) or 0');
}

/**
 * The HTTP response of an export (SPEC §4), audited when the stream ends: who, which filters, how
 * many rows, and whether the download completed. `signal` is the request's: a client that leaves
 * before the response is answered (Remix then throws it away without cancelling its body) cancels
 * the export, whose worker threads and read snapshot would otherwise stay waiting for a reader.
 */
export async function exportResponse(
  db: Db,
  input: ExportRequest & { ip: string | null; excel?: boolean; signal?: AbortSignal },
): Promise<Response> {
  const excel = input.format === 'csv' && input.excel === true;
  const started = Date.now();
  let created: Awaited<ReturnType<typeof createExport>>;
  try {
    const env = getEnv();
    const progress = { windowMs: env.EXPORT_PROGRESS_WINDOW_MS, minBytes: env.EXPORT_PROGRESS_MIN_BYTES };
    created = await createExport(db, { ...input, capped: true, progress, slotWaitMs: env.EXPORT_SLOT_WAIT_MS }, audit);
  } catch (error) {
    // No cursor came free within EXPORT_SLOT_WAIT_MS: refused rather than queued behind downloads that
    // may last much longer (cursor-slots.server.ts).
    if (error instanceof ExportsBusyError) {
      return apiError(503, 'exports_busy', 'Too many exports are being downloaded; retry shortly', {
        headers: { 'Retry-After': '5', 'Cache-Control': 'no-store' },
      });
    }
    throw error;
  }
  const { stream, fileName, contentType } = created;
  async function audit(result: ExportResult) {
    try {
      await recordAudit(db, {
        action: 'export',
        actor: input.viewer,
        target: `${input.report}.${input.format}`,
        details: {
          report: input.report,
          format: input.format,
          filters: filtersForAudit(input.filters),
          ...(excel ? { variant: 'excel' } : {}),
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
  }
  const body = excel ? withByteOrderMark(stream) : stream;
  // Once the server reads the body it cancels it itself when the socket closes (then this cancel,
  // on a locked stream, only rejects).
  const abandon = () => body.cancel(new Error('The client left')).catch(() => {});
  if (input.signal?.aborted) {
    await abandon();
    // Nobody reads it: 499 as proxies log a request whose client closed it.
    return new Response(null, { status: 499 });
  }
  input.signal?.addEventListener('abort', () => void abandon(), { once: true });
  return new Response(body, {
    headers: {
      'Content-Type': contentType,
      'Content-Disposition': `attachment; filename="${fileName}"`,
      // no-transform: a compressing proxy (remix-serve gzipped on the fly) would spend more CPU than
      // making the CSV does, and cut the export to a quarter of its speed.
      'Cache-Control': 'no-store, no-transform',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
