import { loadavg } from 'node:os';
import Database from 'better-sqlite3';
import { openDatabase } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { benchDatabase } from './_database';
import { type BenchOptions, type BenchResult, verdict } from './types';

/**
 * Disk per request (issue 14): the shared bench database after a checkpoint, its bytes (pages in
 * use; free pages apart) over its requests, and where they go (the dbstat virtual table), per
 * table and index.
 */
export async function run(options: BenchOptions): Promise<BenchResult> {
  const file = benchDatabase('disk', options);
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
    const note = `${requests.toLocaleString('en')} requests, ${(events / requests).toFixed(2)} events each, page ${pageSize} B, ${(used / 1e6).toFixed(0)} MB in use (${((free * pageSize) / 1e6).toFixed(0)} MB free pages); bytes per request: ${groups}; largest: ${top}; load ${loadavg()[0]!.toFixed(1)}`;
    return {
      rows: [{ name: 'disk per request (after checkpoint)', samples: 1, p50Ms: 0, p95Ms: 0, note }],
      targets: [
        {
          id: 'disk-per-request',
          measured: `${Math.round(perRequest).toLocaleString('en')} bytes (${requests.toLocaleString('en')} requests)`,
          ...verdict(options, perRequest <= 1_200),
        },
      ],
    };
  } finally {
    reader.close();
  }
}
