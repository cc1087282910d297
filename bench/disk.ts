import { loadavg } from 'node:os';
import Database from 'better-sqlite3';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { benchDatabase, grownDatabase } from './_database';
import { atMostText, type BenchOptions, type BenchResult, verdict } from './types';

/**
 * Disk per request (issue 14): a database after a checkpoint, its bytes (pages in use; free pages
 * apart) over its requests, and where they go (the dbstat virtual table), per table and index. Two
 * databases of the same rows: the shared bench database (built by the bulk generator, its indexes
 * packed full) and the same rows grown through the ingest path (grownDatabase), as a database in
 * use is. The target holds only if both are within it.
 */
export async function run(options: BenchOptions): Promise<BenchResult> {
  const packed = measure(benchDatabase('disk', options));
  const grown = measure(grownDatabase('disk', options));
  const bytes = (size: Size) => `${atMostText(size.perRequest, 0)} bytes`;
  return {
    rows: [
      { name: 'disk per request, bulk-built (after checkpoint)', samples: 1, p50Ms: 0, p95Ms: 0, note: packed.note },
      {
        name: 'disk per request, grown by ingest (after checkpoint)',
        samples: 1,
        p50Ms: 0,
        p95Ms: 0,
        note: grown.note,
      },
    ],
    targets: [
      {
        id: 'disk-per-request',
        measured: `${bytes(grown)} grown by ingest, ${bytes(packed)} bulk-built (${packed.requests.toLocaleString('en')} requests)`,
        ...verdict(options, packed.perRequest <= 1_200 && grown.perRequest <= 1_200),
      },
    ],
  };
}

interface Size {
  requests: number;
  perRequest: number;
  note: string;
}

function measure(file: string): Size {
  const db = openDatabase(file);
  migrateDatabase(db);
  db.$client.pragma('wal_checkpoint(TRUNCATE)');
  db.$client.close();

  const reader = new Database(file, { readonly: true });
  try {
    const pragma = (name: string) => reader.pragma(name, { simple: true }) as number;
    const pageSize = pragma('page_size');
    const pages = pragma('page_count');
    const free = pragma('freelist_count');
    const count = (table: string) => reader.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
    const requests = count('payment_requests');
    const events = count('events');
    const used = (pages - free) * pageSize;
    const perRequest = used / requests;
    const parts = reader
      .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC')
      .all() as { name: string; bytes: number }[];
    const top = parts
      .slice(0, 8)
      .map((part) => `${part.name} ${Math.round(part.bytes / requests)}`)
      .join(', ');
    // Where the bytes go by kind: the event log, the projection, its indexes, the rollups.
    const indexesOf = (table: string) =>
      new Set(reader.prepare(`SELECT name FROM pragma_index_list('${table}')`).pluck().all() as string[]);
    const requestIndexes = indexesOf('payment_requests');
    const eventIndexes = indexesOf('events');
    const sum = (keep: (name: string) => boolean) =>
      Math.round(parts.filter((part) => keep(part.name)).reduce((total, part) => total + part.bytes, 0) / requests);
    const groups = [
      `events ${sum((name) => name === 'events')} (+ ${eventIndexes.size} indexes ${sum((name) => eventIndexes.has(name))})`,
      `payment_requests ${sum((name) => name === 'payment_requests')} (+ ${requestIndexes.size} indexes ${sum((name) => requestIndexes.has(name))})`,
      `rollups ${sum((name) => name.startsWith('metrics_rollup_'))}`,
    ].join(', ');
    const note = `${atMostText(perRequest, 0)} bytes a request; ${requests.toLocaleString('en')} requests, ${(events / requests).toFixed(2)} events each, page ${pageSize} B, ${(used / 1e6).toFixed(0)} MB in use (${((free * pageSize) / 1e6).toFixed(0)} MB free pages); bytes per request: ${groups}; largest: ${top}; load ${loadavg()[0]!.toFixed(1)}`;
    return { requests, perRequest, note };
  } finally {
    reader.close();
  }
}
