import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  PROGRESS_WINDOW_MS,
  requireReaderProgress,
  SlowReaderError,
} from '../../app/read/exports/reader-progress.server';

/**
 * The minimum progress of a download holding an export cursor (reader-progress.server.ts), at the
 * production numbers (32 KiB a minute), in simulated time. The "socket" below is what the server
 * does (server/remix-adapter.ts): it takes the next piece once the kernel buffers have room, and
 * those buffers hold BUFFERED bytes (4 MB, as measured on the loopback) that the client drains at
 * its own rate, and open room only GRANULE at a time (TCP window updates on the loopback's 64 KB
 * segments): what the rule sees is the socket, in bursts, not the client.
 */
const BUFFERED = 4 * 1024 * 1024;
const GRANULE = 128 * 1024;
const CHUNK = 64 * 1024;

afterEach(() => {
  vi.useRealTimers();
});

/** An export of `total` bytes in 64 KB chunks; each chunk takes `produceMs` of database time. */
function exportSource(total: number, produceMs = 0) {
  const state = { given: 0, cancelled: false as boolean | unknown, cancelledAt: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (produceMs > 0) await new Promise((resolve) => setTimeout(resolve, produceMs));
        if (state.given >= total) return controller.close();
        const size = Math.min(CHUNK, total - state.given);
        state.given += size;
        controller.enqueue(new Uint8Array(size));
      },
      cancel(reason) {
        state.cancelled = reason ?? true;
        state.cancelledAt = Date.now();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

/** The client reads every TICK_S seconds. */
const TICK_S = 10;

/**
 * A client reading `bytesPerSecond` (every TICK_S seconds) behind BUFFERED bytes of kernel buffers, for
 * `seconds` of simulated time. Resolves with how it ended.
 */
async function download(stream: ReadableStream<Uint8Array>, bytesPerSecond: number, seconds: number) {
  const reader = stream.getReader();
  const socket = {
    buffered: 0,
    read: 0,
    done: false,
    hungUp: false,
    error: null as unknown,
    endedAt: null as number | null,
  };
  const start = Date.now();
  // The server: fills the buffers whenever they have room.
  const fill = async () => {
    try {
      while (!socket.done) {
        while (socket.buffered > BUFFERED - GRANULE && !socket.hungUp)
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        if (socket.hungUp) break;
        while (socket.buffered < BUFFERED) {
          const next = await reader.read();
          if (next.done) {
            socket.done = true;
            break;
          }
          socket.buffered += next.value.byteLength;
        }
      }
    } catch (error) {
      socket.error = error;
      socket.done = true;
    }
    socket.endedAt = Date.now() - start;
  };
  const filling = fill();
  for (let second = 0; second < seconds && !socket.done; second += TICK_S) {
    await vi.advanceTimersByTimeAsync(TICK_S * 1_000);
    const taken = Math.min(socket.buffered, bytesPerSecond * TICK_S);
    socket.buffered -= taken;
    socket.read += taken;
  }
  if (!socket.done) {
    socket.hungUp = true;
    // An ended download's stream is errored: the client then learns it here, as a cut connection.
    await reader.cancel().catch((error: unknown) => {
      socket.error = error;
    });
  }
  await vi.advanceTimersByTimeAsync(2_000);
  await filling;
  return socket;
}

describe('the minimum progress of an export download', () => {
  it('a reader of 2 KB/s behind 4 MB of buffers is never ended, for three hours of a 40 MB export', async () => {
    vi.useFakeTimers();
    const { stream, state } = exportSource(40 * 1024 * 1024);
    const socket = await download(requireReaderProgress(stream), 2 * 1024, 3 * 3600);
    expect(socket.error).toBe(null);
    // Still reading when it hung up: ~22 MB read in 3 h, the rest still to come.
    expect(socket.read).toBe(2 * 1024 * 3 * 3600);
    expect(state.cancelled).toBe(true);
  }, 60_000);

  it('a reader of 1 KB/s is never ended either (not twice the floor)', async () => {
    vi.useFakeTimers();
    const { stream } = exportSource(40 * 1024 * 1024);
    const socket = await download(requireReaderProgress(stream), 1024, 3 * 3600);
    expect(socket.error).toBe(null);
  }, 60_000);

  it('a trickler (a few bytes a second) is ended once what the buffers took at its start is ten minutes behind, its export cancelled', async () => {
    vi.useFakeTimers();
    const { stream, state } = exportSource(40 * 1024 * 1024);
    const start = Date.now();
    const socket = await download(requireReaderProgress(stream), 20, 3600);
    expect(socket.error).toBeInstanceOf(SlowReaderError);
    expect((socket.error as Error).message).toBe(
      'Export client is not reading: fewer than 32768 bytes taken in 60000 ms',
    );
    expect(state.cancelled).toBeInstanceOf(SlowReaderError);
    // Its 4 MB taken at the start leave the ten-minute horizon, then it is ended within a quarter window.
    const endedAt = state.cancelledAt - start;
    expect(endedAt).toBeGreaterThanOrEqual(10 * PROGRESS_WINDOW_MS);
    expect(endedAt).toBeLessThanOrEqual(
      10 * PROGRESS_WINDOW_MS + PROGRESS_WINDOW_MS / 4 + ((2 * 16 * 1024) / 20) * 1000,
    );
  }, 60_000);

  it('one that read 8 MB fast, then trickles, is ended too, after the same ten minutes', async () => {
    vi.useFakeTimers();
    const { stream, state } = exportSource(40 * 1024 * 1024);
    const start = Date.now();
    const guarded = requireReaderProgress(stream);
    const reader = guarded.getReader();
    let read = 0;
    while (read < 8 * 1024 * 1024) read += (await reader.read()).value!.byteLength;
    reader.releaseLock();
    const socket = await download(guarded, 20, 3600);
    expect(socket.error).toBeInstanceOf(SlowReaderError);
    // What it read first does not buy it more than the ten-minute horizon.
    expect(state.cancelledAt - start).toBeGreaterThanOrEqual(10 * PROGRESS_WINDOW_MS);
    expect(state.cancelledAt - start).toBeLessThan(15 * PROGRESS_WINDOW_MS);
  }, 60_000);

  it('time the export waits for the database does not count against the client', async () => {
    vi.useFakeTimers();
    // Each 64 KB chunk takes 5 minutes to come: the client takes ~13 KB a minute, all it is given.
    const { stream } = exportSource(30 * CHUNK, 5 * 60_000);
    const socket = await download(requireReaderProgress(stream), 1024 * 1024, 4 * 3600);
    expect(socket.error).toBe(null);
    expect(socket.read).toBe(30 * CHUNK);
  }, 60_000);

  it('the whole export reaches a fast reader, byte for byte', async () => {
    const { stream } = exportSource(5 * CHUNK + 7);
    const reader = requireReaderProgress(stream).getReader();
    let total = 0;
    const sizes: number[] = [];
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      total += next.value.byteLength;
      sizes.push(next.value.byteLength);
    }
    expect(total).toBe(5 * CHUNK + 7);
    expect(Math.max(...sizes)).toBe(16 * 1024);
  });
});
