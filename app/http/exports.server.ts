import type { Db } from '../../db/client';
import { createExport, type ExportRequest, filtersForAudit } from '../read/exports/exports.server';
import { recordAudit } from '../write/audit.server';

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
      // no-transform: a compressing proxy (remix-serve gzipped on the fly) would spend more CPU than
      // making the CSV does, and cut the export to a quarter of its speed.
      'Cache-Control': 'no-store, no-transform',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
