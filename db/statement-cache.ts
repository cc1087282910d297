import type Database from 'better-sqlite3';

/** Each connection's prepared statements by their text (read paths preparing the same SQL each call). */
const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
/** Texts vary with the lengths of IN lists: the cache is emptied past this many. */
const MAX_STATEMENTS = 500;

/**
 * The connection's statement of `text`, prepared once. Callers set the row mode they read with
 * (`raw()`, `pluck()`) at each use: another caller of the same text may have changed it.
 */
export function cachedStatement(sqlite: Database.Database, text: string): Database.Statement {
  let cache = statements.get(sqlite);
  if (!cache) {
    cache = new Map();
    statements.set(sqlite, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    if (cache.size >= MAX_STATEMENTS) cache.clear();
    statement = sqlite.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}
