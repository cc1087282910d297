import type { LoaderFunctionArgs } from '@remix-run/node';
import { getDb } from '../../db/client';
import { EXPORT_ROLES } from '../domain/access';
import { requireViewer } from '../http/auth.server';
import { readOnlyRoute } from '../lib/http.server';
import { CONTENT_TYPES, type ExportFormat } from '../read/exports/cells';
import { getReportFileFor } from '../read/reports.server';
import { openReportFile } from '../write/report-file-store.server';

/** GET /reports/files/:fileId: a kept scheduled-report file, for its owner (or an admin); others get 404. */
export async function loader({ request, params }: LoaderFunctionArgs) {
  const viewer = await requireViewer(request, EXPORT_ROLES);
  const db = getDb();
  const file = await getReportFileFor(db, viewer, params.fileId ?? '');
  const body = file ? await openReportFile(db, file.path) : null;
  if (!file || !body) throw new Response('No such report file.', { status: 404, statusText: 'Not Found' });
  return new Response(body, {
    headers: {
      'Content-Type': CONTENT_TYPES[file.format as ExportFormat] ?? 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${file.fileName}"`,
      'Content-Length': String(file.bytes),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

/** GET only (SPEC §4's error shape for any other method). */
export const action = readOnlyRoute;
