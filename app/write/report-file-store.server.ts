import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { createReadableStreamFromReadable } from '@remix-run/node';
import { type Db, onPostgres, type PostgresHandle } from '../../db/client';

/**
 * Where kept scheduled-report files live. On SQLite, files beside the database (<dir>/reports/);
 * on PostgreSQL, in the database itself (report_file_chunks, PostgreSQL migration 0009): several
 * instances share it, so a file written by the instance that ran the schedule downloads through
 * any other. Either way a file is written and read a piece at a time (memory stays bounded).
 */

type PostgresDb = Db & { $pg: PostgresHandle };

/** Bytes per stored chunk on PostgreSQL. */
const CHUNK_BYTES = 1 << 20;
const POSTGRES_PATH = 'postgres:report_file_chunks/';

/** Kept report files on SQLite: <dir of the database>/reports/. */
export function reportsDirectory(db: Db): string {
  if (onPostgres(db)) return resolve('data', 'reports');
  const file = db.$client.name;
  return resolve(file === ':memory:' ? 'data' : dirname(file), 'reports');
}

/**
 * Writes a report's bytes under `id`; resolves with where they are (reportFiles.path) and how many.
 * Nothing is left behind when the stream fails.
 */
export async function storeReportFile(
  db: Db,
  id: string,
  format: string,
  stream: ReadableStream<Uint8Array>,
): Promise<{ path: string; bytes: number }> {
  if (onPostgres(db)) return storeInPostgres(db, id, stream);
  const directory = reportsDirectory(db);
  mkdirSync(directory, { recursive: true });
  const path = join(directory, `${id}.${format}`);
  const partial = `${path}.part`;
  try {
    await pipeline(Readable.fromWeb(stream as NodeReadableStream<Uint8Array>), createWriteStream(partial));
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  renameSync(partial, path);
  return { path, bytes: statSync(path).size };
}

async function storeInPostgres(
  db: PostgresDb,
  id: string,
  stream: ReadableStream<Uint8Array>,
): Promise<{ path: string; bytes: number }> {
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let part = 0;
  let bytes = 0;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await db.$pg.query('INSERT INTO report_file_chunks (file_id, part, bytes) VALUES ($1, $2, $3)', [
      id,
      part++,
      chunk,
    ]);
  };
  try {
    for await (const piece of stream as unknown as AsyncIterable<Uint8Array>) {
      pending.push(piece);
      pendingBytes += piece.byteLength;
      bytes += piece.byteLength;
      if (pendingBytes >= CHUNK_BYTES) await flush();
    }
    await flush();
  } catch (error) {
    await removeStored(db, [`${POSTGRES_PATH}${id}`]);
    throw error;
  }
  return { path: `${POSTGRES_PATH}${id}`, bytes };
}

/** A stored file's bytes as a stream, or null when they are gone. */
export async function openReportFile(db: Db, path: string): Promise<ReadableStream<Uint8Array> | null> {
  if (!path.startsWith(POSTGRES_PATH)) {
    if (onPostgres(db) || !existsSync(path)) return null;
    return createReadableStreamFromReadable(createReadStream(path));
  }
  if (!onPostgres(db)) return null;
  const id = path.slice(POSTGRES_PATH.length);
  const [first] = await db.$pg.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM report_file_chunks WHERE file_id = $1',
    [id],
  );
  if (!first || first.n === 0) return null;
  const parts = first.n;
  let part = 0;
  return new ReadableStream<Uint8Array>(
    {
      // One chunk per read: the reader's pace sets how much is held.
      async pull(controller) {
        if (part === parts) return controller.close();
        const [row] = await db.$pg.query<{ bytes: Buffer }>(
          'SELECT bytes FROM report_file_chunks WHERE file_id = $1 AND part = $2',
          [id, part++],
        );
        if (row) controller.enqueue(new Uint8Array(row.bytes));
        // Deleted while read (its owner, or pruning): an error, so the download fails instead of
        // ending short as if the file were whole.
        else controller.error(new Error(`Report file ${id} was removed while it was read`));
      },
    },
    { highWaterMark: 1 },
  );
}

/** Deletes stored files (their rows in report_files are the caller's). */
export async function removeStored(db: Db, paths: readonly string[]): Promise<void> {
  const inDatabase = paths.filter((path) => path.startsWith(POSTGRES_PATH));
  if (inDatabase.length > 0 && onPostgres(db)) {
    await db.$pg.query('DELETE FROM report_file_chunks WHERE file_id = ANY($1::text[])', [
      inDatabase.map((path) => path.slice(POSTGRES_PATH.length)),
    ]);
  }
  for (const path of paths) if (!path.startsWith(POSTGRES_PATH)) rmSync(path, { force: true });
}

/** A `.part` file untouched this long is a run's that died (a run writes to it without pause). */
export const ABANDONED_PART_MS = 3_600_000;

/**
 * SQLite: deletes the `.part` files that runs killed mid-write left in the reports folder (a run that
 * fails removes its own), once untouched for ABANDONED_PART_MS. PostgreSQL leaves none (its chunks
 * are written in the transaction that records the file).
 */
export function removeAbandonedParts(db: Db, now = Date.now()): void {
  if (onPostgres(db)) return;
  const directory = reportsDirectory(db);
  if (!existsSync(directory)) return;
  for (const name of readdirSync(directory)) {
    if (!name.endsWith('.part')) continue;
    const path = join(directory, name);
    try {
      if (now - statSync(path).mtimeMs >= ABANDONED_PART_MS) rmSync(path, { force: true });
    } catch {
      // Gone meanwhile: renamed by the run that was writing it, or removed by another instance.
    }
  }
}
