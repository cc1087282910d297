import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  EXPORT_CURSORS,
  EXPORT_SLOT_WAIT_MS,
  EXPORT_SLOT_WAITERS,
  ExportsBusyError,
  exportCursorsHeld,
  exportCursorsWaiting,
  takeExportCursor,
} from '../../app/read/exports/cursor-slots.server';

/**
 * The export cursors of a PostgreSQL process (cursor-slots.server.ts): three held at once; the next
 * download waits its turn a little instead of being refused at once (five CSVs of a report page
 * started together got a 503 in CI), and a waiter that is not served in time is refused.
 */
const held: Array<() => void> = [];
afterEach(() => {
  for (const release of held.splice(0)) release();
  vi.useRealTimers();
  expect(exportCursorsHeld()).toBe(0);
  expect(exportCursorsWaiting()).toBe(0);
});

async function takeAll() {
  for (let i = 0; i < EXPORT_CURSORS; i++) held.push(await takeExportCursor());
  expect(exportCursorsHeld()).toBe(3);
}

/** 'taken', 'busy' or 'waiting' once the microtasks ran. */
function outcome(promise: Promise<() => void>) {
  const state = { now: 'waiting' as 'waiting' | 'taken' | 'busy' };
  promise.then(
    (release) => {
      state.now = 'taken';
      held.push(release);
    },
    (error) => {
      state.now = error instanceof ExportsBusyError ? 'busy' : 'waiting';
    },
  );
  return state;
}

describe('export cursor slots', () => {
  it('a fourth download waits, and takes the first slot given back, first come first served', async () => {
    vi.useFakeTimers();
    await takeAll();
    const fourth = outcome(takeExportCursor());
    const fifth = outcome(takeExportCursor());
    await vi.advanceTimersByTimeAsync(1_000);
    expect([fourth.now, fifth.now, exportCursorsWaiting()]).toEqual(['waiting', 'waiting', 2]);

    held.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect([fourth.now, fifth.now, exportCursorsHeld()]).toEqual(['taken', 'waiting', 3]);

    // Giving the same slot back twice frees nothing more.
    const release = held.shift()!;
    release();
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect([fifth.now, exportCursorsHeld(), exportCursorsWaiting()]).toEqual(['taken', 3, 0]);
  });

  it(`a waiter not served within ${EXPORT_SLOT_WAIT_MS} ms is refused, and leaves the queue`, async () => {
    vi.useFakeTimers();
    await takeAll();
    const late = outcome(takeExportCursor());
    await vi.advanceTimersByTimeAsync(EXPORT_SLOT_WAIT_MS - 1);
    expect(late.now).toBe('waiting');
    await vi.advanceTimersByTimeAsync(1);
    expect([late.now, exportCursorsWaiting()]).toEqual(['busy', 0]);
    // The slot given back afterwards is free, not handed to the refused waiter.
    held.shift()!();
    expect(exportCursorsHeld()).toBe(2);
  });

  it('a client that leaves while waiting stops waiting; one already gone is refused at once', async () => {
    vi.useFakeTimers();
    await takeAll();
    const controller = new AbortController();
    const leaving = outcome(takeExportCursor(controller.signal));
    const staying = outcome(takeExportCursor());
    controller.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect([leaving.now, staying.now, exportCursorsWaiting()]).toEqual(['busy', 'waiting', 1]);
    await expect(takeExportCursor(controller.signal)).rejects.toBeInstanceOf(ExportsBusyError);
    held.shift()!();
    await vi.advanceTimersByTimeAsync(0);
    expect(staying.now).toBe('taken');
  });

  it(`no more than ${EXPORT_SLOT_WAITERS} wait: the next is refused at once`, async () => {
    vi.useFakeTimers();
    await takeAll();
    const waiters = Array.from({ length: EXPORT_SLOT_WAITERS }, () => outcome(takeExportCursor()));
    await expect(takeExportCursor()).rejects.toBeInstanceOf(ExportsBusyError);
    expect(exportCursorsWaiting()).toBe(EXPORT_SLOT_WAITERS);
    await vi.advanceTimersByTimeAsync(EXPORT_SLOT_WAIT_MS);
    expect(waiters.map((waiter) => waiter.now)).toEqual(waiters.map(() => 'busy'));
  });
});
