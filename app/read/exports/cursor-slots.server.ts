/**
 * On PostgreSQL a payment-requests export read in the server's thread holds a client of the pool (a
 * cursor in one REPEATABLE READ snapshot, rows.server.ts) for as long as its download lasts, and a
 * download lasts as long as its client wants: one that stops reading keeps it until the socket's idle
 * timeout (60 s, server.ts), one that reads a byte now and then for ever. The pool has 10 clients;
 * ten stalled downloads left sign-in, every page, the API and ingest waiting for one. HTTP downloads
 * therefore hold at most EXPORT_CURSORS of them at once in a process.
 *
 * The next one waits for a slot, first come first served, at most EXPORT_SLOT_WAIT_MS: most downloads
 * last well under a second, and a manager's export that starts beside two colleagues' (or five rows
 * of a report page's at once) should not be refused for it. A waiter holds no connection. Past that
 * wait, or with EXPORT_SLOT_WAITERS waiting already, or when its client leaves, it is refused
 * (503 with Retry-After) and everything else keeps the rest of the pool.
 * (The scheduled report run is not paced by a socket and takes no slot; it runs one at a time.)
 */
export const EXPORT_CURSORS = 3;
/** How long a download waits for a slot before it is refused. */
export const EXPORT_SLOT_WAIT_MS = 3_000;
/** Downloads that may wait at once; the next is refused at once. */
export const EXPORT_SLOT_WAITERS = 16;

let held = 0;
const waiting: Array<(took: boolean) => void> = [];

/** Thrown by createExport when an HTTP download found no cursor free in time (see above). */
export class ExportsBusyError extends Error {
  constructor() {
    super(`${EXPORT_CURSORS} exports are being downloaded already`);
  }
}

/**
 * Takes a slot, waiting for one at most `waitMs`, or throws ExportsBusyError (also when `signal`
 * aborts first). The function it resolves with gives the slot back (once, however often called),
 * straight to the first waiter if any.
 */
export async function takeExportCursor(
  signal?: AbortSignal,
  waitMs: number = EXPORT_SLOT_WAIT_MS,
): Promise<() => void> {
  if (held < EXPORT_CURSORS) {
    held += 1;
    return releaser();
  }
  if (waiting.length >= EXPORT_SLOT_WAITERS || signal?.aborted) throw new ExportsBusyError();
  const took = await new Promise<boolean>((resolve) => {
    const settle = (value: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', giveUp);
      resolve(value);
    };
    const giveUp = () => {
      const at = waiting.indexOf(settle);
      if (at !== -1) waiting.splice(at, 1);
      settle(false);
    };
    const timer = setTimeout(giveUp, waitMs);
    signal?.addEventListener('abort', giveUp, { once: true });
    waiting.push(settle);
  });
  if (!took) throw new ExportsBusyError();
  return releaser();
}

/** The slot taken: handed to the first waiter when given back, else freed. */
function releaser(): () => void {
  let released = false;
  return () => {
    if (released) return;
    released = true;
    const next = waiting.shift();
    if (next) next(true);
    else held -= 1;
  };
}

/** Slots held and downloads waiting now (for tests). */
export function exportCursorsHeld(): number {
  return held;
}
export function exportCursorsWaiting(): number {
  return waiting.length;
}
