import type { TargetId } from './types';

/** Issue 14's targets table: the figure and its target, as `npm run bench` prints them. */
export const TARGETS: Record<TargetId, { figure: string; target: string; bench: string }> = {
  'ingest-1m': {
    figure: 'HTTP ingest into a database holding 1M requests, 2 senders, batches of 1,000',
    target: '>= 30,000 events/s',
    bench: 'ingest',
  },
  'ingest-floor': {
    figure: 'bare better-sqlite3 floor on the same events, same run; our ratio to it',
    target: 'printed; ratio >= 0.25',
    bench: 'ingest',
  },
  'ingest-flat': {
    figure: 'ingest rate at 1M stored requests vs into an empty database',
    target: '>= 0.9',
    bench: 'ingest',
  },
  'ingest-late': {
    figure: '10,000 late, out-of-order events into the 1M database',
    target: '>= 10,000 events/s',
    bench: 'ingest',
  },
  'disk-per-request': {
    figure: 'disk per request (1M requests, ~4 events each, all indexes, after checkpoint)',
    target: '<= 1,200 bytes',
    bench: 'disk',
  },
  'xlsx-1m': {
    figure: 'XLSX export of 1M rows, off the server event loop',
    target: '>= 50,000 rows/s, RSS <= 300 MB, /healthz p99 <= 50 ms',
    bench: 'xlsx',
  },
  'metrics-10m': {
    figure: 'metrics endpoints, 90 days / 365 days, 10M-request database',
    target: 'p95 <= 50 ms / <= 150 ms',
    bench: 'metrics',
  },
  'dashboard-1m': {
    figure: '/dashboard document, 90 days, 1M requests',
    target: 'p95 <= 100 ms',
    bench: 'dashboard',
  },
};
