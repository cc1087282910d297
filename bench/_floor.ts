import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { SeedEvent } from '../seed/generate';

/**
 * The engine's floor for storing these events (issue 14): a bare better-sqlite3 loop, no
 * validation, replay or rollups. Per event: the event row with its JSON body, a unique id index and
 * a (request, occurredAt) index, and an upsert of the request's projection row; WAL,
 * synchronous=FULL, `batch` events per transaction, into a fresh file. Events per second, and per
 * CPU-second of this process (the loop runs on its thread: steadier than per second on a busy machine).
 */
export function bareFloor(file: string, events: readonly SeedEvent[], batch = 1000): FloorResult {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`
    CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, request_id TEXT NOT NULL, type TEXT NOT NULL,
      occurred_at INTEGER NOT NULL, body TEXT NOT NULL);
    CREATE UNIQUE INDEX events_id ON events (id);
    CREATE INDEX events_request ON events (request_id, occurred_at);
    CREATE TABLE requests (id TEXT PRIMARY KEY, status TEXT NOT NULL, last_event_at INTEGER NOT NULL) WITHOUT ROWID;
  `);
  const insert = db.prepare('INSERT INTO events (id, request_id, type, occurred_at, body) VALUES (?, ?, ?, ?, ?)');
  const upsert = db.prepare(
    `INSERT INTO requests (id, status, last_event_at) VALUES (?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, last_event_at = max(last_event_at, excluded.last_event_at)`,
  );
  const store = db.transaction((slice: readonly SeedEvent[]) => {
    for (const event of slice) {
      const occurredAt = Date.parse(event.occurredAt);
      insert.run(event.id, event.paymentRequest.id, event.type, occurredAt, JSON.stringify(event));
      upsert.run(event.paymentRequest.id, event.type, occurredAt);
    }
  });
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (let at = 0; at < events.length; at += batch) store(events.slice(at, at + batch));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  db.close();
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  return { perSecond: events.length / seconds, perCpuSecond: events.length / ((used.user + used.system) / 1e6) };
}

export interface FloorResult {
  perSecond: number;
  perCpuSecond: number;
}
