import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';

/**
 * SQLite's WAL checkpoints off the server's thread (issue 14). With automatic checkpoints, the
 * commit that fills the WAL to its threshold copies every frame back into the database file and
 * fsyncs it, on the event loop: about half of a commit's time when ingesting into a 1M-request
 * database (scripts/ingest-profile.ts: COMMIT 60-74 ms with them, 21-31 ms without). A worker
 * thread with its own connection runs PASSIVE checkpoints instead (they never wait for, nor block,
 * the writer or the readers), whenever the WAL has grown; the writer's own automatic checkpoint
 * stays as a bound (SAFETY_BOUND_PAGES) should the worker fall behind or die.
 */

/** The writer checkpoints itself only past this many WAL pages (40 MB of 4 KB pages). */
export const SAFETY_BOUND_PAGES = 10_000;

export interface CheckpointerOptions {
  /** How often the worker looks at the WAL's size. */
  intervalMs?: number;
  /** The WAL size (bytes) from which it checkpoints. */
  minWalBytes?: number;
  /** Told after each checkpoint: frames in the WAL and frames copied into the database. */
  onCheckpoint?: (result: { log: number; checkpointed: number }) => void;
}

export interface Checkpointer {
  stop(): Promise<void>;
}

// CommonJS evaluated in the worker (eval: nothing to bundle or build for it).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = FULL');
db.pragma('wal_autocheckpoint = 0');
const walSize = () => { try { return statSync(workerData.file + '-wal').size; } catch { return 0; } };
const timer = setInterval(() => {
  if (walSize() < workerData.minWalBytes) return;
  const [result] = db.pragma('wal_checkpoint(PASSIVE)');
  parentPort.postMessage({ log: result.log, checkpointed: result.checkpointed });
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/**
 * Starts the checkpointing worker for an SQLite database file that `sqlite` (the writer's
 * connection) has open in WAL mode, and raises the writer's own checkpoint threshold to the bound.
 */
export function startCheckpointer(
  sqlite: Database.Database,
  file: string,
  options: CheckpointerOptions = {},
): Checkpointer {
  sqlite.pragma(`wal_autocheckpoint = ${SAFETY_BOUND_PAGES}`);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      intervalMs: options.intervalMs ?? 100,
      minWalBytes: options.minWalBytes ?? 1 << 20,
    },
  });
  worker.on('message', (result) => options.onCheckpoint?.(result));
  worker.on('error', (error) => console.error(`WAL checkpointer stopped: ${error.message}`));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // A checkpoint left undone is harmless (the next one, or the writer's own, does it): never a reason
  // to keep the process up. After the listeners: adding a 'message' listener refs the worker again.
  worker.unref();
  return {
    async stop() {
      worker.postMessage('stop');
      // The timer is cleared once the worker has exited: left pending, it held a CLI up 2 s after its work.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
      clearTimeout(timer);
      await worker.terminate();
    },
  };
}
