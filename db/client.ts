import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
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

/** Runs fn in a BEGIN IMMEDIATE transaction: writers take the lock up front instead of failing mid-way. */
export function writeTransaction<T>(db: Db, fn: () => T): T {
  return db.$client.transaction(fn).immediate();
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
