/**
 * The request list's scans off the server's thread (search-pool.server.ts says which and why): this
 * thread runs such a statement on its own read-only connection, one at a time, and gives back its
 * raw rows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { SearchReply, SearchRequest } from './search-protocol';

const data = workerData as { file: string };
const reader = new Database(data.file, { readonly: true, fileMustExist: true });
reader.pragma('busy_timeout = 5000');
// The file's pages sit in the OS cache already: a small page cache keeps the thread's memory small.
reader.pragma('cache_size = -16384');
// Pages read through a mapping of the file (the OS cache's pages, not copies): a scan of every row
// costs no read() a page, and no memory of this process's own.
reader.pragma('mmap_size = 4294967296');
const statements = new Map<string, Database.Statement<unknown[]>>();

parentPort!.on('message', (request: SearchRequest) => {
  let reply: SearchReply;
  try {
    let statement = statements.get(request.sql);
    if (!statement) {
      statement = reader.prepare(request.sql).raw() as Database.Statement<unknown[]>;
      // Few shapes of statement (one per combination of filters); kept, up to a bound.
      if (statements.size < 64) statements.set(request.sql, statement);
    }
    const started = performance.now();
    const rows = statement.all(...request.params) as unknown[][];
    reply = { id: request.id, rows, ms: performance.now() - started };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
});
