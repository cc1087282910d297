/**
 * The minimum progress a download holding an export cursor must make (cursor-slots.server.ts). A
 * client that stops reading is cut by the socket's idle timeout (60 s, server.ts), but one that
 * trickles (a few bytes now and then) is never idle, and kept one of the three cursors, its
 * transaction and its pool client for ever: three of them refused every other export.
 *
 * A download is ended (the export cancelled: its cursor, transaction and slot given back, audited
 * completed: false; the connection cut, so a cut file is never taken for a whole one) when both:
 * - over the last window it took fewer than `minBytes`, and
 * - over the last LONG_WINDOWS windows (or its whole life, if shorter) fewer than `minBytes` a window
 *   on average.
 * What this side sees is what the socket accepted, not what the client read, and it comes in
 * bursts: the kernel takes megabytes up front (4 MB handed to a loopback client that had read 180
 * bytes, measured) and then more only as TCP window updates open room, which on the loopback's 64 KB
 * segments can wait for ~128 KB read: over a minute at 2 KB/s. The first rule alone could end such
 * an honest reader in an empty minute; the second keeps it (1.2 MB in ten minutes against a floor of
 * 320 KiB). A trickler is ended once the bytes the buffers took at its start are ten windows behind.
 * Time the export spends waiting for the database counts neither way. (A client reading just above
 * the floor holds a cursor as long as its export lasts: no rate rule tells it from a slow phone.)
 *
 * The numbers: 32 KiB a minute is about 550 bytes a second, a quarter of 2 KB/s, the slowest genuine
 * reader to serve (a phone on a poor link). A minute, as the socket's idle timeout: a reader stalled
 * for less (a tunnel, a laptop waking) gets to resume; ten of them, so that a trickler holds a cursor
 * minutes, not hours, while bursts of a few hundred KB never end a reader of 2 KB/s.
 */
export const PROGRESS_WINDOW_MS = 60_000;
export const PROGRESS_MIN_BYTES = 32 * 1024;
/** The longer horizon, in windows (see above). */
const LONG_WINDOWS = 10;
/** Chunks are handed over in pieces of at most this, so that progress is counted finely enough. */
const PIECE_BYTES = 16 * 1024;

export interface ProgressRule {
  windowMs?: number;
  minBytes?: number;
}

/** Why a download was ended: the server (server/remix-adapter.ts) reads "not reading" as the client's doing. */
export class SlowReaderError extends Error {
  constructor(minBytes: number, windowMs: number) {
    super(`Export client is not reading: fewer than ${minBytes} bytes taken in ${windowMs} ms`);
  }
}

/**
 * `source` as the client's stream, ended (source cancelled, this stream errored with SlowReaderError)
 * when the client took fewer than `minBytes` in the last `windowMs` and fewer than that a window on
 * average over the last LONG_WINDOWS windows, counting only time during which it was owed bytes (see above).
 */
export function requireReaderProgress(
  source: ReadableStream<Uint8Array>,
  { windowMs = PROGRESS_WINDOW_MS, minBytes = PROGRESS_MIN_BYTES }: ProgressRule = {},
): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  let taken = 0;
  // The client's clock: wall time less the time the export spent producing (waiting for rows).
  let producingMs = 0;
  let producingSince: number | null = null;
  const clientClock = () => {
    const now = Date.now();
    return now - producingMs - (producingSince === null ? 0 : now - producingSince);
  };
  const started = clientClock();
  // (client clock, bytes taken by then), oldest first; pruned to the longer horizon.
  const marks: Array<{ at: number; taken: number }> = [{ at: started, taken: 0 }];
  let rest: Uint8Array | null = null;
  let finished = false;
  let controller!: ReadableStreamDefaultController<Uint8Array>;

  const finish = () => {
    finished = true;
    clearInterval(timer);
  };
  /** Bytes taken by client-clock time `at` (the latest mark at or before it). */
  const takenBy = (at: number) => {
    let by = 0;
    for (const mark of marks) {
      if (mark.at > at) break;
      by = mark.taken;
    }
    return by;
  };
  const check = () => {
    if (finished || producingSince !== null) return;
    const now = clientClock();
    const age = now - started;
    if (age < windowMs) return;
    const longSpan = Math.min(age, LONG_WINDOWS * windowMs);
    while (marks.length > 1 && marks[1]!.at <= now - longSpan) marks.shift();
    if (taken - takenBy(now - windowMs) >= minBytes) return;
    const longBase = longSpan < age ? takenBy(now - longSpan) : 0;
    if (taken - longBase >= (minBytes * longSpan) / windowMs) return;
    finish();
    const error = new SlowReaderError(minBytes, windowMs);
    reader.cancel(error).catch(() => {});
    controller.error(error);
  };
  // A quarter of the window: a trickler is ended at most 1.25 windows after it fell behind.
  const timer = setInterval(check, Math.max(50, Math.floor(windowMs / 4)));
  timer.unref?.();

  const handOver = (chunk: Uint8Array) => {
    const piece = chunk.byteLength > PIECE_BYTES ? chunk.subarray(0, PIECE_BYTES) : chunk;
    rest = piece === chunk ? null : chunk.subarray(PIECE_BYTES);
    controller.enqueue(piece);
    taken += piece.byteLength;
    const mark = { at: clientClock(), taken };
    // About 16 marks a window, however fast the client reads: the newest replaces one too close to its predecessor.
    const before = marks[marks.length - 2];
    if (marks.length > 1 && before && mark.at - before.at < windowMs / 16) marks[marks.length - 1] = mark;
    else marks.push(mark);
  };

  return new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      async pull() {
        if (finished) return;
        if (rest) return handOver(rest);
        producingSince = Date.now();
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await reader.read();
        } catch (error) {
          finish();
          throw error;
        } finally {
          producingMs += Date.now() - producingSince;
          producingSince = null;
        }
        if (finished) return;
        if (next.done) {
          finish();
          controller.close();
        } else handOver(next.value);
      },
      cancel(reason) {
        finish();
        return reader.cancel(reason);
      },
    },
    // Nothing read ahead: a piece is taken from the source only when the client asks for one.
    { highWaterMark: 0 },
  );
}
