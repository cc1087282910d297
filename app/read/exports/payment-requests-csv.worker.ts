import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { PaymentRequestsCsvWriter } from './payment-requests-csv.server';
import type { ExportRequestRow } from './rows.server';
import { CANCELLED, creditSlot, type ExportWorkerData, type FromWorker, type ToWorker } from './worker-protocol';

/**
 * One of the threads of a large payment-requests.csv export (app/read/exports/workers.server.ts).
 * Every worker walks the same slice boundaries in the same snapshot and formats the slices that
 * are its own; built to build/workers/ by `npm run build:workers`.
 */

const data = workerData as ExportWorkerData;
const port = parentPort!;
const signals = new Int32Array(data.signals);
const mySlot = creditSlot(data.index);

class Cancelled extends Error {}

const post = (message: FromWorker, transfer?: ArrayBuffer[]) => port.postMessage(message, transfer);

/** Waits (blocking this thread only) until the reader has room for another chunk. */
function takeCredit(): void {
  for (;;) {
    if (Atomics.load(signals, CANCELLED) !== 0) throw new Cancelled();
    const credits = Atomics.load(signals, mySlot);
    if (credits > 0) {
      Atomics.sub(signals, mySlot, 1);
      return;
    }
    Atomics.wait(signals, mySlot, credits, 1_000);
  }
}

function send(chunk: Uint8Array | null, rows: number): void {
  if (!chunk) return;
  takeCredit();
  // Transferred, not copied: the chunk owns its ArrayBuffer (ByteChunker allocates one per chunk).
  const bytes = chunk.buffer as ArrayBuffer;
  post({ type: 'chunk', bytes, length: chunk.byteLength, rows }, [bytes]);
}

const reader = new Database(data.file, { readonly: true, fileMustExist: true });
reader.pragma('busy_timeout = 5000');
// The file's pages sit in the OS cache already; a small page cache keeps each worker's memory small.
reader.pragma('cache_size = -2048');
const snapshotSeq = reader.prepare('SELECT coalesce(max(seq), 0) FROM events').pluck();
// The sentAt that starts the next slice: the first after `sliceRows` index entries (pr_sent_idx).
const boundary = reader
  .prepare('SELECT sent_at FROM payment_requests WHERE sent_at > ? AND sent_at < ? ORDER BY sent_at LIMIT 1 OFFSET ?')
  .pluck();
const rowsOf = reader.prepare(data.query.sql).raw();

function begin(): void {
  reader.exec('BEGIN');
  post({ type: 'snapshot', seq: snapshotSeq.get() as number });
}

function write(workers: number): void {
  const writer = new PaymentRequestsCsvWriter(
    { agents: new Map(data.agents), teams: new Map(data.teams) },
    data.timeZone,
  );
  const start = data.query.start ?? Number.MIN_SAFE_INTEGER;
  const end = data.query.end ?? Number.MAX_SAFE_INTEGER;
  let lo = start;
  let slice = 0;
  for (;;) {
    const found = boundary.get(lo, end, data.sliceRows - 1) as number | undefined;
    const hi = found ?? end;
    if (slice % workers === data.index) {
      if (slice === 0) send(writer.header(), 0);
      const params = data.query.params.map((param) =>
        typeof param === 'object' && param !== null && 'slot' in param ? (param.slot === 'lo' ? lo : hi) : param,
      );
      let rows = 0;
      for (const row of rowsOf.iterate(...params) as IterableIterator<ExportRequestRow>) {
        const full = writer.add(row);
        if (full) {
          send(full, rows);
          rows = 0;
        }
        rows += 1;
      }
      send(writer.flush(), rows);
      post({ type: 'slice-end', slice });
    }
    if (found === undefined) break;
    lo = hi;
    slice += 1;
  }
  post({ type: 'done', slices: slice + 1 });
}

function finish(): void {
  if (reader.inTransaction) reader.exec('ROLLBACK');
  reader.close();
  port.close();
}

port.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'begin':
        return begin();
      case 'again':
        reader.exec('ROLLBACK');
        return begin();
      case 'go':
        write(message.workers);
        return finish();
      case 'stop':
        return finish();
    }
  } catch (error) {
    if (!(error instanceof Cancelled))
      post({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    finish();
  }
});

post({ type: 'ready' });
