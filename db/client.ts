import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { databaseUrlFromEnv } from '../app/lib/env.server';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

export interface OpenOptions {
  /** FULL (default) fsyncs every commit: a 200 means the events survive a power cut too. */
  synchronous?: 'FULL' | 'NORMAL' | 'OFF';
}

export function openDatabase(file: string, options: OpenOptions = {}): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  // Bound the WAL: checkpoint every ~4 MB and truncate the file back after a checkpoint.
  sqlite.pragma('wal_autocheckpoint = 1000');
  sqlite.pragma('journal_size_limit = 67108864');
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  return drizzle(sqlite, { schema }) as Db;
}

/** The write transaction the current async call chain holds, per connection. */
const heldTransactions = new AsyncLocalStorage<Database.Database>();
/**
 * The tail of each database's queue of write transactions in this process, by file (by connection
 * for an in-memory database). By file, not by connection: a second connection's BEGIN IMMEDIATE to
 * the same file would wait for the lock synchronously (busy_timeout), blocking the very thread that
 * must finish the first transaction; queued here, it waits without blocking.
 */
const writeQueues = new Map<string | Database.Database, Promise<void>>();

/**
 * Runs fn in a BEGIN IMMEDIATE transaction (writers take the lock up front instead of failing
 * mid-way) and resolves with its result once committed; rolls back and rejects when fn throws.
 * fn may be async: the connection is held for this call chain until fn settles, so a second
 * write transaction on the same connection waits its turn instead of joining this one. A call made
 * inside fn (same call chain) runs within the transaction already open.
 */
export async function writeTransaction<T>(db: Db, fn: () => T | Promise<T>): Promise<T> {
  const client = db.$client;
  if (heldTransactions.getStore() === client) return fn();
  const key = client.memory ? client : resolve(client.name);
  const previous = writeQueues.get(key);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous ? previous.then(() => mine) : mine;
  writeQueues.set(key, tail);
  if (previous) await previous;
  try {
    return await heldTransactions.run(client, async () => {
      client.prepare('BEGIN IMMEDIATE').run();
      try {
        const result = await fn();
        client.prepare('COMMIT').run();
        return result;
      } catch (error) {
        if (client.inTransaction) client.prepare('ROLLBACK').run();
        throw error;
      }
    });
  } finally {
    release();
    // The last in the queue leaves no entry behind.
    if (writeQueues.get(key) === tail) writeQueues.delete(key);
  }
}

const globalForDb = globalThis as unknown as { __paylinkDb?: { file: string; db: Db } };

/** The process-wide connection for DATABASE_URL (kept across dev rebuilds). */
export function getDb(file = databaseUrlFromEnv()): Db {
  const current = globalForDb.__paylinkDb;
  if (current && current.file === file) return current.db;
  current?.db.$client.close();
  const db = openDatabase(file);
  globalForDb.__paylinkDb = { file, db };
  return db;
}

/** At shutdown: closes the process-wide connection (a later getDb() would open it again). */
export function closeDb(): void {
  const current = globalForDb.__paylinkDb;
  if (!current) return;
  globalForDb.__paylinkDb = undefined;
  if (current.db.$client.open) current.db.$client.close();
}

/** The first row of a query's result, or undefined: `.get()` spelled so that it reads the same on either engine. */
export function first<T>(rows: readonly T[]): T | undefined {
  return rows[0];
}
